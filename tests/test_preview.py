"""`gongwen preview`: what a save changes on the page, errors in place, nothing written, and a server that
answers only this machine, only with the token, and only with what it made."""

from __future__ import annotations

import http.client
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from helpers import ROOT, SEED_CONTENT, run_cli
from PIL import Image

from pipeline.config import load_configuration
from pipeline.preview.raster import PAGE_SCALE, page_images
from pipeline.preview.server import PreviewServer, request_segments
from pipeline.preview.session import Preview, View
from pipeline.preview.watch import SETTLE_LIMIT_SECONDS, FileWatch

WAIT_SECONDS = 60  # the first render starts the engines; later ones take well under a second


@pytest.fixture
def project(tmp_path) -> Path:
    """A project with its own configuration (output: out/) and a copy of the seed."""
    folder = tmp_path / "project"
    (folder / "content").mkdir(parents=True)
    shutil.copy(SEED_CONTENT, folder / "content" / "seed.yaml")
    (folder / "gongwen.toml").write_text('content = ["content"]\noutput = "out"\n', encoding="utf-8")
    return folder


class Running:
    """A preview and its server, each on a thread of this process."""

    def __init__(self, paths: list[Path], start: Path, write: bool = False):
        self.preview = Preview(paths, lambda: load_configuration(start), write=write)
        self.server = PreviewServer(self.preview, 0)
        self.port = self.server.port
        self.token = self.server.token
        self.threads = [
            threading.Thread(target=self.preview.run, daemon=True),
            threading.Thread(target=self.server.serve_forever, daemon=True),
        ]
        for thread in self.threads:
            thread.start()

    def get(self, path: str, host: str | None = None, method: str = "GET") -> http.client.HTTPResponse:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        connection.request(method, path, headers={"Host": f"127.0.0.1:{self.port}" if host is None else host})
        response = connection.getresponse()
        response.body = response.read()  # type: ignore[attr-defined]
        connection.close()
        return response

    def view(self, key: str = "seed") -> View:
        response = self.get(f"/{self.token}/p/{key}/view")
        assert response.status == 200
        data = json.loads(response.body)
        data["pages"] = {name: tuple(pages) for name, pages in data["pages"].items()}
        return View(**{name: tuple(value) if isinstance(value, list) else value for name, value in data.items()})

    def wait(self, test, key: str = "seed", timeout: float = WAIT_SECONDS) -> View:
        """The first view that passes `test` (and is not mid-render)."""
        deadline = time.monotonic() + timeout
        view = self.view(key)
        while time.monotonic() < deadline:
            if view.state in ("ok", "error") and test(view):
                return view
            self.preview.wait(key, view.version, 0.5)
            view = self.view(key)
        raise AssertionError(f"no view passed the test in {timeout} s; the last was {view}")

    def close(self) -> None:
        self.server.close()


@pytest.fixture
def running(project):
    started = Running([project / "content" / "seed.yaml"], project)
    yield started
    started.close()


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_saved_edit_shows_and_remakes_only_what_it_changed(running, project):
    content = project / "content" / "seed.yaml"
    first = running.wait(lambda view: view.state == "ok")
    assert len(first.pages["notice.pdf"]) == 1 and len(first.pages["briefing.pdf"]) >= 3
    assert "中国通用技术集团公司" in first.summary and 'data-style="Title"' in first.summary
    assert set(first.files) == {"briefing.pdf", "summary.docx", "notice.pdf"}
    image = running.get(f"/{running.token}/p/seed/{first.pages['notice.pdf'][0]}")
    assert image.getheader("Content-Type") == "image/png"
    assert Image.open(io.BytesIO(image.body)).size == (round(595.28 * PAGE_SCALE), round(841.89 * PAGE_SCALE))
    pdf = running.get(f"/{running.token}/p/seed/notice.pdf")
    assert pdf.body.startswith(b"%PDF") and pdf.getheader("Cache-Control") == "no-store"

    # notice.scope feeds the notice and the summary, not the briefing
    edit(content, "scope: 中央巡视组主要受理", "scope: 中央巡视组主要受理群众")
    second = running.wait(lambda view: view.pages["notice.pdf"] != first.pages["notice.pdf"])
    assert second.pages["briefing.pdf"] == first.pages["briefing.pdf"]  # not laid out or drawn again
    assert "主要受理群众" in second.summary

    edit(content, "根据中央统一部署", "根据中央的统一部署")  # a briefing paragraph
    third = running.wait(lambda view: view.pages["briefing.pdf"] != second.pages["briefing.pdf"])
    assert third.pages["notice.pdf"] == second.pages["notice.pdf"]
    assert not (project / "out").exists(), "a preview writes nothing into the output folder"


def test_an_error_shows_as_the_command_line_prints_it_beside_the_last_good_render(running, project):
    content = project / "content" / "seed.yaml"
    good = running.wait(lambda view: view.state == "ok")
    edit(content, "start: 8:00", "start: 8点")
    broken = running.wait(lambda view: view.state == "error")
    check = run_cli("check", str(content), cwd=Path.cwd())
    assert check.returncode == 1
    assert list(broken.problems) == check.stderr.splitlines()
    assert broken.pages == good.pages and set(broken.stale) == {"briefing.pdf", "summary.docx", "notice.pdf"}
    assert running.get(f"/{running.token}/p/seed/{good.pages['briefing.pdf'][0]}").status == 200  # still served

    edit(content, "start: 8点", "start: 8:00")
    back = running.wait(lambda view: view.state == "ok")
    assert back.problems == () and back.stale == () and back.pages == good.pages


def test_a_template_error_names_the_template_line_and_a_fix_brings_the_render_back(tmp_path, project):
    templates = project / "templates"
    templates.mkdir()
    shutil.copy(ROOT / "templates" / "notice.html.j2", templates / "notice.html.j2")
    with open(project / "gongwen.toml", "a", encoding="utf-8") as configuration:
        configuration.write('templates = "templates"\n')
    started = Running([project / "content" / "seed.yaml"], project)
    try:
        good = started.wait(lambda view: view.state == "ok")
        original = (templates / "notice.html.j2").read_text(encoding="utf-8")
        head, tail = original.rsplit("{% endblock %}", 1)
        (templates / "notice.html.j2").write_text(
            head + "{{ notice.nonexistent }}\n{% endblock %}" + tail, encoding="utf-8"
        )
        broken = started.wait(lambda view: view.state == "error")
        line = head.count("\n") + 1
        assert any(f"notice.html.j2:{line}" in problem and "nonexistent" in problem for problem in broken.problems)
        assert broken.pages["notice.pdf"] == good.pages["notice.pdf"] and "notice.pdf" in broken.stale
        assert "briefing.pdf" not in broken.stale
        (templates / "notice.html.j2").write_text(original, encoding="utf-8")
        started.wait(lambda view: view.state == "ok")
    finally:
        started.close()


def test_configuration_errors_show_on_the_page_and_clear_when_fixed(running, project):
    running.wait(lambda view: view.state == "ok")
    (project / "gongwen.toml").write_text('content = ["content"]\noutput = "out"\none_sidd = true\n', encoding="utf-8")
    broken = running.wait(lambda view: view.state == "error")
    assert any("gongwen.toml" in problem and "one_sidd" in problem for problem in broken.problems)
    (project / "gongwen.toml").write_text('content = ["content"]\noutput = "out"\none_sided = true\n', encoding="utf-8")
    running.wait(lambda view: view.state == "ok")


def test_write_goes_through_the_build_into_the_output_folder(project):
    started = Running([project / "content" / "seed.yaml"], project, write=True)
    try:
        view = started.wait(lambda view: view.state == "ok" and view.notes != ())
        assert len(view.notes) == 1 and view.notes[0].startswith("wrote ") and view.notes[0].endswith("/seed/")
        manifest = json.loads((project / "out" / "manifest.json").read_text(encoding="utf-8"))
        assert set(manifest["artifacts"]) == {"seed/briefing.pdf", "seed/summary.docx", "seed/notice.pdf"}
        served = started.get(f"/{started.token}/p/seed/notice.pdf").body
        assert served == (project / "out" / "seed" / "notice.pdf").read_bytes()
    finally:
        started.close()


def test_a_folder_gives_an_index_and_a_page_per_publication(project):
    shutil.copy(project / "content" / "seed.yaml", project / "content" / "second.yaml")
    edit(project / "content" / "second.yaml", "schema: 1", "schema: 1\nid: second")
    started = Running([project / "content"], project)
    try:
        index = started.get(f"/{started.token}/")
        assert index.status == 200 and b'href="p/seed/"' in index.body and b'href="p/second/"' in index.body
        assert started.server.url == f"http://127.0.0.1:{started.port}/{started.token}/"
        started.wait(lambda view: view.state == "ok", key="second")
        (project / "content" / "third.yaml").write_text("schema: 1\n", encoding="utf-8")
        deadline = time.monotonic() + 10
        while b"p/third/" not in started.get(f"/{started.token}/").body:
            assert time.monotonic() < deadline, "a new content file gets a page"
            time.sleep(0.2)
        assert started.wait(lambda view: view.state == "error", key="third").problems
    finally:
        started.close()


# Privacy: this machine only, the token, and nothing but what the preview made.


@pytest.fixture(scope="module")
def private(tmp_path_factory):
    folder = tmp_path_factory.mktemp("private") / "project"
    (folder / "content").mkdir(parents=True)
    shutil.copy(SEED_CONTENT, folder / "content" / "seed.yaml")
    (folder / "gongwen.toml").write_text('output = "out"\n', encoding="utf-8")
    (folder / ".git").mkdir()
    (folder / ".git" / "config").write_text("[core]\n", encoding="utf-8")
    (folder / "content" / "secret.txt").write_text("confidential\n", encoding="utf-8")
    os.symlink("/etc/passwd", folder / "content" / "passwd")
    started = Running([folder / "content" / "seed.yaml"], folder)
    started.wait(lambda view: view.state == "ok")
    yield started
    started.close()


def test_it_listens_on_127_0_0_1_only(private):
    assert private.server.server_address[0] == "127.0.0.1"
    with pytest.raises(OSError), socket.create_connection(("127.0.0.2", private.port), timeout=2):
        pass


@pytest.mark.parametrize(
    "host", ["evil.example", "evil.example:{port}", "127.0.0.1.nip.io:{port}", "", "0.0.0.0:{port}"]
)
def test_other_host_names_are_refused(private, host):
    response = private.get(f"/{private.token}/p/seed/", host=host.format(port=private.port))
    assert response.status == 403
    assert b"seed" not in response.body


def test_a_request_without_a_host_or_with_two_is_refused(private):
    for headers in (b"", b"Host: 127.0.0.1:%d\r\nHost: evil.example\r\n" % private.port):
        with socket.create_connection(("127.0.0.1", private.port), timeout=5) as raw:
            raw.sendall(b"GET /%s/p/seed/ HTTP/1.0\r\n%s\r\n" % (private.token.encode(), headers))
            assert raw.makefile("rb").readline().split()[1] == b"403"


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "LOCALHOST:{port}"])
def test_its_own_names_are_answered(private, host):
    assert private.get(f"/{private.token}/p/seed/", host=host.format(port=private.port)).status == 200


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/p/seed/",
        "/p/seed/view",
        "/{wrong}/p/seed/",
        "/{token}x/p/seed/",
        "/{short}/p/seed/",
        "/static/preview.js",
    ],
)
def test_without_the_token_nothing_is_found(private, path):
    wrong = "A" * len(private.token)
    response = private.get(path.format(wrong=wrong, token=private.token, short=private.token[:-1]))
    assert response.status == 404


@pytest.mark.parametrize(
    "path",
    [
        "/{token}/../content/seed.yaml",
        "/{token}/p/seed/../../../.git/config",
        "/{token}/p/seed/..%2f..%2f.git%2fconfig",
        "/{token}/p/seed/%2e%2e/%2e%2e/content/secret.txt",
        "/{token}/p/seed/%252e%252e%252fsecret.txt",
        "/{token}/p/seed/%2E%2E%5Csecret.txt",
        "/{token}/static/../../content/seed.yaml",
        "/{token}/static/%2e%2e%2fsession.py",
        "/{token}/static/",
        "/{token}/static/page.html",
        "/{token}/static/__init__.py",
        "/{token}/p/",
        "/{token}/p/seed/seed.yaml",
        "/{token}/p/seed/secret.txt",
        "/{token}/p/seed/passwd",
        "/{token}/p/passwd/",
        "/{token}/p/seed/.git/config",
        "/{token}//etc/passwd",
        "/{token}/p/seed/%00",
        "/{token}/p/seed/%ff.png",
        "/{token}/content/seed.yaml",
        "/{token}/.git/config",
        "/{token}/out/",
        "http://127.0.0.1/{token}/../.git/config",
    ],
)
def test_traversal_symlinks_and_anything_not_made_are_not_found(private, path):
    response = private.get(path.format(token=private.token))
    assert response.status == 404, (path, response.status)
    assert b"confidential" not in response.body and b"root:" not in response.body and b"[core]" not in response.body


def test_only_get_and_head(private):
    assert private.get(f"/{private.token}/p/seed/", method="HEAD").status == 200
    for method in ("POST", "PUT", "DELETE", "OPTIONS", "TRACE"):
        assert private.get(f"/{private.token}/p/seed/", method=method).status in (404, 405, 501)


def test_pages_forbid_framing_caching_sniffing_and_foreign_scripts(private):
    response = private.get(f"/{private.token}/p/seed/")
    policy = response.getheader("Content-Security-Policy")
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy and "default-src 'none'" in policy
    assert response.getheader("Cache-Control") == "no-store"
    assert response.getheader("X-Content-Type-Options") == "nosniff"
    assert response.getheader("Referrer-Policy") == "no-referrer"
    assert response.getheader("X-Frame-Options") == "DENY"
    assert response.getheader("Server").startswith("gongwen-preview") and "Python" not in response.getheader("Server")


def test_request_segments():
    assert request_segments("/t/p/seed/") == ["t", "p", "seed", ""]
    assert request_segments("/t/p/%E7%A4%BA%E4%BE%8B/view?x=1") == ["t", "p", "示例", "view"]
    for refused in ("/t/../x", "/t/./x", "/t//x", "/t/%2e%2e/x", "/t/a%2fb", "/t/a%5cb", "/t/%252e", "t/x", "//t/x"):
        assert request_segments(refused) is None, refused


def test_events_stream_the_views(private):
    connection = http.client.HTTPConnection("127.0.0.1", private.port, timeout=10)
    connection.request("GET", f"/{private.token}/p/seed/events", headers={"Host": f"localhost:{private.port}"})
    response = connection.getresponse()
    assert response.getheader("Content-Type").startswith("text/event-stream")
    lines = [response.fp.readline() for _ in range(3)]
    connection.close()
    assert lines[0].startswith(b"id: ") and lines[1] == b"event: view\n"
    assert json.loads(lines[2].removeprefix(b"data: "))["key"] == "seed"


# The parts.


def test_page_images_are_pngs_of_every_page(seed_dist):
    pdf = (seed_dist / "genertec-2015" / "briefing.pdf").read_bytes()
    images = page_images(pdf)
    assert len(images) == 5 and len({image.name for image in images}) == 5
    for image in images:
        picture = Image.open(io.BytesIO(image.png))
        picture.load()
        assert picture.mode == "RGB" and picture.width == round(595.28 * PAGE_SCALE)
    assert Image.open(io.BytesIO(images[0].png)).getextrema() != ((255, 255),) * 3  # not blank
    known = {image.name: b"drawn before" for image in images[:2]}
    again = page_images(pdf, known)
    assert [image.name for image in again] == [image.name for image in images]
    assert [image.png for image in again[:2]] == [b"drawn before"] * 2 and again[2].png == images[2].png


def test_the_watch_sees_writes_renames_over_new_and_removed_files(tmp_path):
    watched = tmp_path / "a.yaml"
    watched.write_text("one", encoding="utf-8")
    folder = tmp_path / "templates"
    folder.mkdir()
    watch = FileWatch(sleep=lambda seconds: None)
    assert watch.look([watched, folder]) == {watched}
    assert watch.look([watched, folder]) == set()
    watched.write_text("two!", encoding="utf-8")
    assert watch.look([watched, folder]) == {watched}
    replacement = tmp_path / ".a.yaml.swp"
    replacement.write_text("three", encoding="utf-8")
    os.replace(replacement, watched)  # as editors save: a new file renamed over the old one
    assert watch.look([watched, folder]) == {watched}
    (folder / "notice.html.j2").write_text("x", encoding="utf-8")
    assert watch.look([watched, folder]) == {folder / "notice.html.j2"}
    (folder / "notice.html.j2").unlink()
    assert watch.look([watched, folder]) == {folder / "notice.html.j2"}


def test_the_watch_waits_out_a_file_truncated_before_it_is_written(tmp_path):
    """An editor (or a script's write_text) that empties a file and then writes it: the watch does not hand over
    the empty file, however long the writer pauses between the two (up to SETTLE_LIMIT_SECONDS)."""
    watched = tmp_path / "a.yaml"
    watched.write_text("id: one", encoding="utf-8")
    sleeps = []
    pending = ["id: two"]

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        if len(sleeps) == 5 and pending:  # the writer comes back after five looks at the empty file
            watched.write_text(pending.pop(), encoding="utf-8")

    watch = FileWatch(sleep=sleep)
    assert watch.look([watched]) == {watched}
    watched.write_text("", encoding="utf-8")
    assert watch.look([watched]) == {watched}
    assert watched.read_text(encoding="utf-8") == "id: two" and len(sleeps) > 5
    watched.write_text("", encoding="utf-8")  # emptied for good: read empty once the limit has passed
    sleeps.clear()
    assert watch.look([watched]) == {watched}
    assert watched.read_text(encoding="utf-8") == "" and sum(sleeps) >= SETTLE_LIMIT_SECONDS


def test_the_summary_is_styled_as_its_word_styles(running):
    view = running.wait(lambda view: view.state == "ok")
    css = running.get(f"/{running.token}/p/seed/{view.summary_css}").body.decode()
    title_class = view.summary.split('data-style="Title"')[0].rsplit('class="', 1)[1].split('"')[0]
    title_rule = css.split(f".summary .{title_class} {{", 1)[1].split("}", 1)[0]
    assert "font-size: 22pt" in title_rule and "text-align: center" in title_rule and "方正小标宋简体" in title_rule
    assert "@font-face" in css and "src: local(" in css  # the PDF's stand-ins where Word's faces are missing
    assert 'data-style="List Number">1.' in view.summary
    assert "List Bullet" not in view.summary  # contacts are plain paragraphs: 公文 use no bullets
    assert "<colgroup>" in view.summary and "col:nth-child(1)" in css


# The command.


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_the_command_serves_stops_cleanly_and_starts_no_process(project, stop):
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "preview", "--port", "0", "content/seed.yaml"],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()
        assert line.startswith("previewing 1 publication at http://127.0.0.1:"), line
        url = line.split(" at ", 1)[1].strip()
        port = int(url.split(":")[2].split("/")[0])
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request("GET", url.split(str(port), 1)[1] + "view")
            state = json.loads(connection.getresponse().read())["state"]
            connection.close()
            if state == "ok":
                break
            assert time.monotonic() < deadline
            time.sleep(0.2)
        if Path(f"/proc/{process.pid}/task").exists():
            assert _children(process.pid) == []
        started = time.monotonic()
        process.send_signal(stop)
        assert process.wait(timeout=10) == 0
        assert time.monotonic() - started < 5
        assert "Traceback" not in process.stderr.read()
        with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=2):
            pass
        assert not (project / "out").exists()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_open_starts_the_browser_at_the_printed_url(project, tmp_path):
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser"
    browser.write_text(f'#!/bin/sh\nprintf %s "$1" > {opened}\n', encoding="utf-8")
    browser.chmod(0o755)
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "preview", "--open", "--port", "0", "content/seed.yaml"],
        cwd=project,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "BROWSER": str(browser)},
    )
    try:
        url = process.stdout.readline().split(" at ", 1)[1].strip()
        deadline = time.monotonic() + 30
        while not opened.exists() or not opened.read_text():
            assert time.monotonic() < deadline, "the browser was not started"
            time.sleep(0.1)
        assert opened.read_text() == url
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)


def test_a_port_in_use_is_one_line_and_exit_status_1(project):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("preview", "--port", str(port), "content/seed.yaml", cwd=project)
    assert result.returncode == 1
    assert result.stderr.startswith(f"127.0.0.1:{port}: cannot listen: ") and "--port" in result.stderr


def test_a_missing_path_is_one_line_and_exit_status_1(project):
    result = run_cli("preview", "--port", "0", "content/missing.yaml", cwd=project)
    assert result.returncode == 1
    assert result.stderr.strip() == "content/missing.yaml: no such file or folder"
