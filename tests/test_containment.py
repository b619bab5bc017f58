"""Contained and bounded: one publication's failure never stops the others, workers never outlive the build, and
limits bound — reads before any hashing, time and memory in a worker that is killed and replaced."""

from __future__ import annotations

import faulthandler
import importlib
import os
import re
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import invoke, small_content

from pipeline.content import MAX_FILE_BYTES
from pipeline.content.load import read_source
from pipeline.errors import ContentError, TemplateError
from pipeline.files import file_sha256, read_bounded
from pipeline.incremental import content_digests
from pipeline.render.templates import template_environment

ARTIFACT_NAMES = ["briefing.pdf", "notice.pdf", "summary.docx"]


def project_of(folder: Path, names: list[str], **files: str) -> Path:
    """A project with content/<name>.yaml for each name (its title carries the name, so that a stage can tell
    which publication it is making) and other files."""
    (folder / "content").mkdir(parents=True)
    for name in names:
        (folder / "content" / f"{name}.yaml").write_text(
            small_content(title=f"中央巡视组召开动员会 {name}"), encoding="utf-8"
        )
    for relative, text in files.items():
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).write_text(text, encoding="utf-8")
    return folder


def built(out: Path) -> dict[str, list[str]]:
    """The publications in the output folder, each with its artifacts."""
    return {folder.name: sorted(path.name for path in folder.iterdir()) for folder in out.iterdir() if folder.is_dir()}


# ---- bounds on reading ----


def bytes_read() -> int:
    """What this process has read so far, by the kernel's count."""
    return int(re.search(r"rchar: (\d+)", Path("/proc/self/io").read_text())[1])


@pytest.mark.parametrize("name", ["big.yaml", "_defaults.yaml"])
def test_a_file_over_the_size_limit_is_refused_before_it_is_read_or_hashed(tmp_path, name):
    """A gigabyte (sparse: it costs no disk) as a content file or as the defaults: fingerprinting and loading
    each read at most the limit and a byte, and the build says one line."""
    project = project_of(tmp_path, ["a"] if name == "_defaults.yaml" else [])
    big = project / "content" / name
    with big.open("wb") as stream:
        stream.truncate(1 << 30)
    content = project / "content" / ("a.yaml" if name == "_defaults.yaml" else name)
    before = bytes_read()
    with pytest.raises(ContentError):
        content_digests(content)
    with pytest.raises(ContentError):
        read_source(content) if name != "_defaults.yaml" else read_source(big)
    assert bytes_read() - before < 4 * MAX_FILE_BYTES
    result = invoke("build", "-o", "out", "content", cwd=project)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f'content/{name}: the file is larger than the limit of 1024 KiB (got "{(1 << 30) // 1024} KiB")'
    ]


# ---- a fault in any stage stops its publication only ----

STAGES = {
    # stage: (where the fault is injected, how it knows its publication) — main process and workers alike
    "read": ("pipeline.build.content_digests", lambda path: path.stem),
    "load": ("pipeline.content.model.publication_from_source", lambda source, stem: stem),
    "render": (
        "pipeline.publisher.render_pdf_html",
        lambda environment, template, publication, *_, **__: publication.id,
    ),
    "typeset": ("pipeline.typeset.typesetter.Typesetter.font_files", lambda self, text, folder: text),
    "layout": ("pipeline.pdf.engine.PdfEngine.layout", lambda self, rendered, base_url: rendered.html),
    "pdf": (
        "pipeline.pdf.engine.PdfEngine.write",
        lambda self, laid_out, variant=None: laid_out.document.metadata.title,
    ),
    "structure": ("pipeline.publisher.read_structure", lambda markup, template: markup),
    "docx": ("pipeline.word.writer.write_summary", lambda blocks, reference, **options: options["title"]),
    "write": ("pipeline.output.folder.OutputFolder.write", lambda self, artifacts, publication_id, *_: publication_id),
}


def inject(monkeypatch, stage: str, target: str, names) -> None:
    """Make `target` raise (or, for the stage `dies`, end its process) when called for publication s-<stage>."""
    module_name, _, attribute = target.rpartition(".")
    owner_name, _, method = module_name.rpartition(".")
    try:
        owner = importlib.import_module(module_name)
        name = attribute
    except ModuleNotFoundError:  # a method: Module.Class.method
        owner = getattr(importlib.import_module(owner_name), method)
        name = attribute
    original = getattr(owner, name)

    def faulty(*args, **kwargs):
        if f"s-{stage}" in str(names(*args, **kwargs)):
            raise RuntimeError(f"injected into {stage}")
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, faulty)


def dies(monkeypatch) -> None:
    """The worker making publication s-dies ends by a segmentation fault, as a crash in C code would."""
    from pipeline.pdf.engine import PdfEngine

    original = PdfEngine.layout

    def crash(self, rendered, base_url):
        if "s-dies" in rendered.html:
            faulthandler.disable()  # pytest's, inherited: it would print this process's stack
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
            os.kill(os.getpid(), signal.SIGSEGV)
        return original(self, rendered, base_url)

    monkeypatch.setattr(PdfEngine, "layout", crash)


def test_a_fault_in_any_stage_stops_only_its_publication(tmp_path, monkeypatch):
    """One publication per stage fails there (a worker's crash among them); the first and the last build, and
    each failure is one line naming its content file, with the traceback in a log in the cache folder."""
    for stage, (target, names) in STAGES.items():
        inject(monkeypatch, stage, target, names)
    dies(monkeypatch)
    faulty = [f"s-{stage}" for stage in [*STAGES, "dies"]]
    project = project_of(tmp_path / "project", ["a", *faulty, "z"])
    cache = tmp_path / "cache"
    result = invoke(
        "build", "-q", "-j", "2", "-o", "out", "content", cwd=project, env={"GONGWEN_CACHE_DIR": str(cache)}
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = sorted(result.stderr.splitlines())
    assert len(lines) == len(faulty), result.stderr
    for line, name in zip(lines, sorted(faulty), strict=True):
        stage = name[2:]
        if stage == "dies":
            assert line == f"content/{name}.yaml: internal error: the worker process making it ended by signal SIGSEGV"
            continue
        match = re.fullmatch(
            rf"content/{name}\.yaml: internal error: RuntimeError: injected into {stage} \(details in (.+)\)", line
        )
        assert match, line
        log = Path(match[1]) if Path(match[1]).is_absolute() else project / match[1]
        assert log.parent == cache / "logs"
        details = log.read_text(encoding="utf-8")
        assert f"while making content/{name}.yaml" in details
        assert "Traceback (most recent call last)" in details and f"RuntimeError: injected into {stage}" in details
    assert built(project / "out") == {"a": ARTIFACT_NAMES, "z": ARTIFACT_NAMES}


INTERRUPTED_IMPORT = """
import importlib.abc, runpy, sys

class CtrlC(importlib.abc.MetaPathFinder):
    fired = False

    def find_spec(self, name, path, target=None):
        if name == "yaml.error" and not CtrlC.fired:  # Ctrl-C while the YAML parser is imported on first use
            CtrlC.fired = True
            raise KeyboardInterrupt
        return None

sys.meta_path.insert(0, CtrlC())
sys.argv = ["gongwen", "build", "content", "-o", "out", "--jobs", "1"]
runpy.run_module("pipeline", run_name="__main__")
"""


def test_ctrl_c_while_a_module_is_imported_stops_the_build_instead_of_failing_every_file(tmp_path):
    # The half-imported module makes the next `except yaml.…` clause fail with an AttributeError: each file then
    # became an internal error with a log of its own, and the build went on.
    project = project_of(tmp_path / "project", ["a", "b", "c"])
    cache = tmp_path / "cache"
    result = subprocess.run(
        [sys.executable, "-c", INTERRUPTED_IMPORT],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "GONGWEN_CACHE_DIR": str(cache)},
    )
    assert result.returncode == 1
    assert result.stderr.strip() == "Aborted!", result.stderr
    assert not (cache / "logs").exists() and not (project / "out").exists()


# ---- limits ----

PAGE_BREAKS = (
    '{% extends "builtin/briefing.html.j2" %}{% block content %}'
    '{% if publication.id == "m-pages" %}{% for i in range(100000) %}<p style="break-before: page">页</p>{% endfor %}'
    '{% elif publication.id == "m-loops" %}{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}'
    "{% endfor %}{% endif %}{{ super() }}{% endblock %}"
)
DOUBLINGS = (
    '{% extends "builtin/briefing.html.j2" %}{% block content %}{% if publication.id == "m-bad" %}'
    '{% set text = namespace(value="x" * 1000000) %}{% for i in range(13) %}{% set text.value = text.value ~ '
    "text.value %}{% endfor %}{{ text.value | length }}{% endif %}{{ super() }}{% endblock %}"
)


@pytest.mark.slow  # waits out a time limit
def test_a_publication_over_the_time_limit_is_stopped_at_jobs_1_and_the_others_build(tmp_path):
    """Nested loops of 100 000 keep the template engine busy for hours, and 100 000 page breaks WeasyPrint's layout
    (C code, deaf to signals) for minutes, each within the sandbox's rules: at --jobs 1 too, the worker making
    either is killed at the limit, and a new one makes the rest."""
    project = project_of(
        tmp_path,
        ["a", "m-loops", "m-pages", "z"],
        **{"templates/briefing.html.j2": PAGE_BREAKS, "gongwen.toml": 'templates = "templates"\ntime_limit = 3\n'},
    )
    started = time.monotonic()
    result = invoke("build", "-q", "-j", "1", "-o", "out", "content", cwd=project)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"content/{name}.yaml: stopped: making it took longer than the time limit of 3 s "
        "(time_limit in the configuration)"
        for name in ("m-loops", "m-pages")
    ]
    assert built(project / "out") == {"a": ARTIFACT_NAMES, "z": ARTIFACT_NAMES}
    assert time.monotonic() - started < 60


def test_a_worker_over_the_memory_limit_is_stopped_and_the_others_build(tmp_path):
    """Thirteen doublings of a text of a million characters, each allowed by the sandbox, would reach 8 GB."""
    project = project_of(
        tmp_path,
        ["a", "m-bad", "z"],
        **{"templates/briefing.html.j2": DOUBLINGS, "gongwen.toml": 'templates = "templates"\nmemory_limit = 600\n'},
    )
    result = invoke("build", "-q", "-j", "2", "-o", "out", "content", cwd=project)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "content/m-bad.yaml: stopped: making it took more memory than the limit of 600 MiB "
        "(memory_limit in the configuration)"
    ]
    assert built(project / "out") == {"a": ARTIFACT_NAMES, "z": ARTIFACT_NAMES}


# ---- no orphans ----


def forked(pid: int) -> list[int]:
    """The children of `pid` that are forks of it (the same command line), not programs it runs (fc-list)."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
        children = [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        return [child for child in children if Path(f"/proc/{child}/cmdline").read_bytes() == command]
    except OSError:
        return []


def alive(pid: int) -> bool:
    """Running or sleeping: not gone, not a zombie waiting for whoever inherited it."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


@pytest.mark.parametrize(("ending", "jobs"), [(signal.SIGKILL, "2"), (signal.SIGTERM, "1")], ids=["SIGKILL", "SIGTERM"])
def test_no_worker_outlives_a_killed_build_by_a_second(tmp_path, ending, jobs):
    """The build is ended while its workers are deep in WeasyPrint's layout (where signals wait): every process
    it forked is gone within a second."""
    template = PAGE_BREAKS.replace('publication.id == "m-pages"', "true")
    project = project_of(
        tmp_path, ["a", "b"], **{"templates/briefing.html.j2": template, "gongwen.toml": 'templates = "templates"\n'}
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "build", "-q", "-j", jobs, "-o", "out", "content"],
        cwd=project,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    workers: list[int] = []
    try:
        deadline = time.monotonic() + 120
        while not forked(process.pid) and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.05)
        time.sleep(2)  # the workers set up and lay out pages; a fork that runs a program (fc-list) is gone by then
        workers = forked(process.pid)
        assert len(workers) == int(jobs), "the build forked no workers"
        assert all(alive(pid) for pid in workers)
        process.send_signal(ending)
        process.wait(timeout=60)
        ended = time.monotonic()
        while any(alive(pid) for pid in workers) and time.monotonic() - ended < 1:
            time.sleep(0.01)
        assert not any(alive(pid) for pid in workers), f"workers alive a second after the build ended: {workers}"
    finally:
        for pid in workers:  # a failing test must not leave them either
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        if process.poll() is None:
            process.kill()


# ---- templates that cannot be read ----


def test_an_unreadable_template_is_one_line_where_it_is_hashed_and_where_it_is_loaded(tmp_path, monkeypatch):
    """Refused by the file system (as root nothing is, so the refusal is made here): one line at the template,
    when the build fingerprints the templates and when a worker loads one."""
    project = project_of(
        tmp_path,
        ["a"],
        **{
            "templates/summary.html.j2": "<h1>{{ publication.title }}</h1>\n",
            "gongwen.toml": 'templates = "templates"\n',
        },
    )
    locked = (project / "templates" / "summary.html.j2").resolve()

    def refused(function):
        def refusing(path, *args):
            if Path(path).resolve() == locked:
                raise PermissionError(13, "Permission denied", str(path))
            return function(path, *args)

        return refusing

    monkeypatch.setattr("pipeline.incremental.file_sha256", refused(file_sha256))
    monkeypatch.setattr("pipeline.render.templates.read_bounded", refused(read_bounded))
    result = invoke("build", "-o", "out", "content", cwd=project)
    assert result.returncode == 1
    assert result.stderr.splitlines() == ["templates/summary.html.j2: cannot read the template: Permission denied"]
    assert not (project / "out").exists()
    with pytest.raises(TemplateError) as refusal:
        template_environment(project / "templates").get_template("summary.html.j2")
    assert refusal.value.lines == [f"{locked}: cannot read the template: Permission denied"]
