"""User templates: an override folder looked up first, sandboxed, and a fetcher that reads nothing it should not."""

from __future__ import annotations

import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from helpers import invoke
from pdfread import attachments, decompressed_streams, type_area_text

from pipeline.artifacts import BRIEFING_TEMPLATE
from pipeline.config import load_configuration
from pipeline.content.model import load_publication
from pipeline.publisher import Publisher
from pipeline.render.documents import created_timestamp
from pipeline.typeset import gbt9704

HOSTNAME = Path("/etc/hostname")


@pytest.fixture
def http_server():
    """A local HTTP server that records every request and answers each with a marker."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append(self.path)
            body = b"SERVED-BY-THE-TEST-SERVER"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)  # polled for shutdown
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()
    server.server_close()


def leaky_override(folder: Path, secret: Path, server: str) -> Path:
    """An override of the briefing that points at a local file and a server in every way a template can."""
    folder.mkdir()
    (folder / "secret-link.txt").symlink_to(secret)  # inside the folder, but resolving outside it
    references = [
        '<img src="file:///etc/hostname">',
        f'<img src="file://{secret}">',
        f'<img src="{server}/image.png">',
        '<img src="secret-link.txt">',
        '<img src="../../secret.txt">',
        '<link rel="stylesheet" href="file:///etc/hostname">',
        f'<link rel="stylesheet" href="{server}/style.css">',
        '<link rel="attachment" href="file:///etc/hostname">',
        f'<link rel="attachment" href="file://{secret}">',
        f'<a rel="attachment" href="{server}/attachment.txt">附件</a>',
        f'<style>@import url("{server}/import.css"); p.body {{ background: url("{server}/background.png"); }}</style>',
    ]
    (folder / BRIEFING_TEMPLATE).write_text(
        '{% extends "builtin/briefing.html.j2" %}\n{% block content %}\n{{ super() }}\n'
        + "\n".join(references)
        + "\n{% endblock %}\n",
        encoding="utf-8",
    )
    return folder


@pytest.fixture
def secret(tmp_path) -> tuple[Path, bytes]:
    marker = f"SECRET-{uuid.uuid4().hex}".encode()
    path = tmp_path / "secret.txt"
    path.write_bytes(marker)
    return path, marker


def briefing_pdf(publisher: Publisher, content: Path) -> tuple[bytes, list[str]]:
    """The briefing as the PDF engine makes it, with the URLs its fetcher refused."""
    publication = load_publication(content)
    laid_out = publisher.lay_out(BRIEFING_TEMPLATE, publication, gbt9704.STANDARD_GRID, created_timestamp(publication))
    return publisher.engine.write(laid_out), laid_out.refused


def test_the_fetcher_reads_no_local_file_and_asks_no_server(small_project, secret, http_server):
    server, requests = http_server
    secret_path, marker = secret
    override = leaky_override(small_project / "templates", secret_path, server)
    configuration = load_configuration(
        small_project, {"output": str(small_project / "out"), "templates": str(override)}
    )
    data, refused = briefing_pdf(Publisher(configuration), small_project / "content" / "small.yaml")
    pdf = small_project / "leaky.pdf"
    pdf.write_bytes(data)
    assert requests == []
    streams = decompressed_streams(pdf)
    assert not any(marker in stream for stream in streams)
    assert attachments(pdf) == {}
    assert "file:///etc/hostname" in refused and f"file://{secret_path}" in refused
    assert f"{server}/image.png" in refused and f"{server}/attachment.txt" in refused
    if len(HOSTNAME.read_bytes().strip()) >= 8:  # a short host name would turn up in font data by chance
        assert not any(HOSTNAME.read_bytes().strip() in stream for stream in streams)


def test_the_engine_left_to_its_defaults_would_have_leaked(small_project, secret, http_server):
    """The control: the same references through WeasyPrint's own fetcher reach the file and the server."""
    import weasyprint

    server, requests = http_server
    secret_path, marker = secret
    html = (
        f'<html lang="zh-CN"><body><img src="{server}/image.png">'
        f'<link rel="attachment" href="file://{secret_path}"></body></html>'
    )
    pdf = small_project / "default.pdf"
    weasyprint.HTML(string=html).write_pdf(pdf)
    assert requests == ["/image.png"]
    assert any(marker in stream for stream in decompressed_streams(pdf))


def test_a_template_that_reaches_outside_fails_the_build_naming_each_url(small_project, secret, http_server):
    server, requests = http_server
    override = leaky_override(small_project / "templates", secret[0], server)
    result = invoke("build", "-o", "out", "--templates", str(override), "content", cwd=small_project)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert lines[0] == (
        f'templates/{BRIEFING_TEMPLATE}:4:11: not fetched: "file:///etc/hostname"; templates may use '
        "data: URLs and files inside the template folders only"
    )
    assert f'templates/{BRIEFING_TEMPLATE}:6:11: not fetched: "{server}/image.png"; templates' in result.stderr
    # Relative references are reported against the template that holds them.
    assert (
        f'templates/{BRIEFING_TEMPLATE}: not fetched: "file://{override}/secret-link.txt"; templates' in result.stderr
    )
    assert all(line.startswith(f"templates/{BRIEFING_TEMPLATE}") and ": not fetched: " in line for line in lines), lines
    assert len(lines) == 8  # ../../secret.txt is the secret file itself, named once
    assert not (small_project / "out").exists()
    assert requests == []


def test_an_override_extends_the_builtin_template_it_replaces(small_project):
    override = small_project / "templates"
    override.mkdir()
    (override / BRIEFING_TEMPLATE).write_text(
        '{% extends "builtin/briefing.html.j2" %}\n{% block content %}\n'
        '<p class="body">{{ "本简报仅供内部参阅" | paragraph }}</p>\n'
        "{{ super() }}\n{% endblock %}\n",
        encoding="utf-8",
    )
    (override / "logo.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>', encoding="utf-8"
    )
    result = invoke("build", "-o", "out", "--templates", "templates", "content", cwd=small_project)
    assert result.returncode == 0, result.stderr
    text = type_area_text(small_project / "out" / "small" / "briefing.pdf")
    assert text.startswith("本简报仅供内部参阅") and "中央巡视组召开动员会" in text
    assert "本简报仅供内部参阅" not in type_area_text(small_project / "out" / "small" / "notice.pdf")
