"""Batches: parallel workers, the incremental cache, slices for a CI matrix, and what the command line shows."""

from __future__ import annotations

import json
import os
import pty
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import ROOT, copy_project, invoke, run_cli, small_content

UNITS = ("alpha", "beta", "gamma", "delta", "epsilon")


def round_project(folder: Path, units=UNITS) -> Path:
    (folder / "content").mkdir(parents=True)
    for number, name in enumerate(units, start=1):
        (folder / "content" / f"{name}.yaml").write_text(
            small_content(title=f"第{number}号简报", paragraph=f"根据中央统一部署，第{number}批巡视工作开始。"),
            encoding="utf-8",
        )
    return folder


def build(project: Path, *options: str):
    """`gongwen build -o out … content` in the project, in this process."""
    return invoke("build", "-o", "out", *options, "content", cwd=project)


@pytest.fixture(scope="session")
def round_built(tmp_path_factory) -> Path:
    """The five publications built once by one worker (`--jobs 1`); read it, never change it."""
    project = round_project(tmp_path_factory.mktemp("round") / "project")
    result = build(project, "--jobs", "1")
    assert result.returncode == 0, result.stderr
    return project


@pytest.fixture(scope="session")
def pair_built(tmp_path_factory) -> Path:
    """The first two publications built once; read it, never change it."""
    project = round_project(tmp_path_factory.mktemp("pair") / "project", UNITS[:2])
    result = build(project)
    assert result.returncode == 0, result.stderr
    return project


def files(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under `folder` with its bytes and modification time."""
    return {
        path.relative_to(folder).as_posix(): (path.read_bytes(), path.stat().st_mtime_ns)
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_two_workers_make_the_same_bytes_as_one(round_built, tmp_path):
    one = round_built  # built with --jobs 1
    two = round_project(tmp_path / "two")
    result = build(two, "--jobs", "2")
    assert result.returncode == 0, result.stderr
    assert sorted(result.stdout.splitlines()) == sorted(
        [*(f"built {name}: out/{name}/ (briefing.pdf, summary.docx, notice.pdf)" for name in UNITS), "5 built"]
    )
    assert (one / "out" / "SHA256SUMS").read_text() == (two / "out" / "SHA256SUMS").read_text()


def test_one_bad_publication_is_reported_and_the_others_build_in_parallel(tmp_path):
    project = round_project(tmp_path)
    bad = project / "content" / "gamma.yaml"
    bad.write_text(bad.read_text(encoding="utf-8").replace("date: 2015-03-02", "date: 2015-02-30"), encoding="utf-8")
    result = build(project, "--jobs", "2")
    assert result.returncode == 1
    assert [line.split(": ")[1] for line in result.stderr.splitlines()] == ["date"]
    assert result.stdout.splitlines()[-1] == f"{len(UNITS) - 1} built, 1 refused"  # the refused one is counted
    assert sorted(path.name for path in (project / "out").iterdir() if path.is_dir()) == sorted(set(UNITS) - {"gamma"})


def test_a_build_with_nothing_changed_writes_nothing_and_starts_no_engine(round_built, tmp_path):
    project = copy_project(round_built, tmp_path / "project")
    assert build(project).returncode == 0  # a copied folder: its first build records the copies' size, time and inode
    before = files(project / "out")
    result = build(project)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"{len(UNITS)} up to date"]
    assert files(project / "out") == before
    probe = (
        "import sys; from pathlib import Path; from pipeline.build import build; "
        "from pipeline.config import load_configuration; "
        "report = build([Path('content')], load_configuration(Path('content'), {'output': 'out'})); "
        f"assert not report.built and len(report.up_to_date) == {len(UNITS)}, report; "
        "engines = ('weasyprint', 'jinja2', 'docx', 'uharfbuzz', 'fontTools'); "
        "print(sorted(name for name in engines if name in sys.modules))"
    )
    # A process of its own: what a fresh interpreter imports is the point.
    imported = subprocess.run([sys.executable, "-c", probe], cwd=project, capture_output=True, text=True, check=True)
    assert imported.stdout.strip() == "[]"


def _watched_build(monkeypatch, project: Path, **options):
    """`build` of the project's content in this process, saying in what order the workers were started and the
    content planned, and the process ids of the workers started early."""
    from pipeline import build as build_module
    from pipeline import workers
    from pipeline.config import load_configuration

    order: list[str] = []
    started: list[int] = []
    real_start, real_plan = workers.start_early, build_module._plan

    def start_early(*arguments):
        order.append("workers")
        pool = real_start(*arguments)
        started.extend(pool.workers)
        return pool

    def plan(*arguments):
        order.append("plan")
        return real_plan(*arguments)

    monkeypatch.setattr(workers, "start_early", start_early)
    monkeypatch.setattr(build_module, "_plan", plan)
    configuration = load_configuration(project, {"output": str(project / "out")})
    report = build_module.build([project / "content"], configuration, jobs=1, **options)
    return report, order, started


def test_workers_set_up_while_the_content_is_read_when_every_publication_will_be_made(tmp_path, monkeypatch):
    project = round_project(tmp_path / "project", UNITS[:2])
    report, order, started = _watched_build(monkeypatch, project)  # nothing built here yet
    assert order == ["workers", "plan"] and len(started) == 1 and report.built == ["alpha", "beta"]
    report, order, _ = _watched_build(monkeypatch, project)  # built: what is to be made is known only from the plan
    assert order == ["plan"] and report.up_to_date == ["alpha", "beta"]
    report, order, _ = _watched_build(monkeypatch, project, force=True)
    assert order == ["workers", "plan"] and report.built == ["alpha", "beta"]
    assert not report.problems


def test_workers_started_early_for_content_that_all_fails_are_stopped(tmp_path, monkeypatch):
    project = tmp_path / "project"
    (project / "content").mkdir(parents=True)
    (project / "content" / "broken.yaml").write_text("title: [\n", encoding="utf-8")
    report, order, started = _watched_build(monkeypatch, project)
    assert order == ["workers", "plan"] and started
    assert report.problems and not report.built
    for pid in started:  # stopped and waited for: no worker left running, none left unreaped
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


STOPPED_WHILE_PLANNING = """
import os, sys
from pathlib import Path
from pipeline import build as build_module, workers
from pipeline.config import load_configuration

started = []
real_start = workers.start_early
def start_early(*arguments):
    pool = real_start(*arguments)
    started.extend(pool.workers)
    return pool
def interrupted(*arguments):
    raise KeyboardInterrupt  # Ctrl-C while the content is read
workers.start_early, build_module._plan = start_early, interrupted
try:
    build_module.build([Path("content")], load_configuration(Path("."), {"output": "out"}))
except KeyboardInterrupt:
    pass
try:
    left = os.waitpid(-1, os.WNOHANG)  # (0, 0): a worker still running; a pid: one never waited for
except ChildProcessError:
    left = None  # no child process at all
print(len(started), left)
"""


def test_workers_started_early_are_stopped_when_the_build_stops_while_planning(tmp_path):
    project = round_project(tmp_path / "project", UNITS[:1])
    done = subprocess.run(
        [sys.executable, "-c", STOPPED_WHILE_PLANNING], cwd=project, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1", "None"]  # one worker started early, stopped and waited for


def test_only_the_changed_publication_is_made_again(round_built, tmp_path):
    project = copy_project(round_built, tmp_path / "project")
    before = files(project / "out")
    (project / "content" / "beta.yaml").write_text(small_content(title="第2号简报（修订）"), encoding="utf-8")
    result = build(project)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "built beta: out/beta/ (briefing.pdf, summary.docx, notice.pdf)",
        f"1 built, {len(UNITS) - 1} up to date",
    ]
    after = files(project / "out")
    changed = sorted(name for name in after if after[name] != before.get(name))
    assert changed == ["SHA256SUMS", "beta/briefing.pdf", "beta/notice.pdf", "beta/summary.docx", "manifest.json"]


def test_a_template_change_remakes_only_what_the_template_feeds(pair_built, tmp_path):
    project = copy_project(pair_built, tmp_path / "project")
    before = files(project / "out")
    override = project / "templates"
    override.mkdir()
    notice = (ROOT / "templates" / "notice.html.j2").read_text(encoding="utf-8")
    (override / "notice.html.j2").write_text(notice.replace("特此公告。", "特此公告！"), encoding="utf-8")
    result = build(project, "--templates", "templates")
    assert result.returncode == 0, result.stderr
    after = files(project / "out")
    changed = {name for name in after if after[name] != before.get(name)}
    assert {f"{unit}/notice.pdf" for unit in UNITS[:2]} <= changed
    assert not any(name.endswith("summary.docx") for name in changed)  # the summary does not use that template


def test_force_makes_everything_again(pair_built, tmp_path):
    project = copy_project(pair_built, tmp_path / "project")
    result = build(project, "--force")
    assert result.returncode == 0
    assert result.stdout.splitlines()[-1] == "2 built" and len(result.stdout.splitlines()) == 3


def test_changed_defaults_remake_every_publication_of_the_folder(pair_built, tmp_path):
    project = copy_project(pair_built, tmp_path / "project")
    (project / "content" / "_defaults.yaml").write_text("note: 此件公开发布\n", encoding="utf-8")
    result = build(project)
    assert result.returncode == 0, result.stderr
    assert sorted(line.split(":")[0] for line in result.stdout.splitlines()[:2]) == ["built alpha", "built beta"]


def test_font_digests_are_remembered_in_the_cache(pair_built, tmp_path):
    """Even by a build with nothing to make: it is the build that must not read the fonts again next time."""
    project = copy_project(pair_built, tmp_path / "project")
    cache = tmp_path / "cache"
    # A process of its own: the cache folder is read once per process.
    environment = {**os.environ, "GONGWEN_CACHE_DIR": str(cache)}
    result = run_cli("build", "-o", "out", "content", cwd=project, env=environment)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["2 up to date"]
    remembered = json.loads((cache / "file-digests.json").read_text(encoding="utf-8"))
    manifest = json.loads((project / "out" / "manifest.json").read_text(encoding="utf-8"))
    for font in manifest["fonts"].values():
        assert remembered[font["file"]][2] == font["sha256"]


def test_slices_build_apart_and_merge_into_one_manifest(round_built, tmp_path):
    whole = round_built
    sliced = round_project(tmp_path / "sliced")
    gathered = tmp_path / "gathered"
    counted = 0
    for number in (1, 2, 3):
        result = build(sliced, "--shard", f"{number}/3", "-o", f"out-{number}")
        assert result.returncode == 0, result.stderr
        counted += sum(line.startswith("built ") for line in result.stdout.splitlines())
        shutil.copytree(sliced / f"out-{number}", gathered, dirs_exist_ok=True)
    assert counted == len(UNITS)  # every publication in exactly one slice
    assert not (gathered / "manifest.json").exists()
    result = invoke("manifest", "merge", str(gathered))
    assert result.returncode == 0, result.stderr
    assert (gathered / "SHA256SUMS").read_text() == (whole / "out" / "SHA256SUMS").read_text()
    merged = json.loads((gathered / "manifest.json").read_text(encoding="utf-8"))
    full = json.loads((whole / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert merged["artifacts"] == full["artifacts"]


def test_merging_refuses_missing_slices_and_bad_usage(tmp_path):
    project = round_project(tmp_path, UNITS[:2])
    assert build(project, "--shard", "1/2").returncode == 0
    result = invoke("manifest", "merge", str(project / "out"))
    assert result.returncode == 1
    assert result.stderr.strip().endswith("slices 2 of 2 are missing")
    assert build(project, "--shard", "3/2").returncode == 2


def build_on_a_terminal(folder: Path, env: dict[str, str]) -> str:
    """What a build of three publications shows on a pseudo-terminal, in a process of its own: whether its
    standard error is a terminal is the point."""
    project = round_project(folder, UNITS[:3])
    main, child = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "build", "-o", "out", "content"],
        cwd=project,
        env=env,
        stdin=child,
        stdout=child,
        stderr=child,
    )
    os.close(child)
    output = b""
    while True:
        try:
            chunk = os.read(main, 4096)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
    assert process.wait(timeout=300) == 0
    os.close(main)
    return output.decode("utf-8", "replace")


@pytest.mark.early(start=build_on_a_terminal)
def test_a_terminal_gets_a_progress_bar(early):
    text = early
    assert "building 3 publications" in text and "3/3" in text
    assert "built alpha:" not in text  # the bar replaces the per-publication lines
    assert text.rstrip().endswith("3 built")


def test_a_build_of_many_publications_prepares_the_faces_once_and_makes_the_same_bytes(tmp_path):
    """From 8 publications to make, a build first prepares the CFF faces for cutting, once, in the cache; the
    artifacts are the same bytes as those of a build that cut without them."""
    from pipeline.build import PREPARE_FACES_AT
    from pipeline.typeset.prepared import PREPARED_FACES_FOLDER

    units = tuple(f"unit{number}" for number in range(PREPARE_FACES_AT))
    project = round_project(tmp_path / "project", units)
    cache = tmp_path / "cache"
    environment = {**os.environ, "GONGWEN_CACHE_DIR": str(cache)}
    (project / "content" / f"{units[-1]}.yaml").rename(tmp_path / "last.yaml")
    fewer = run_cli("build", "-o", "out", "content", cwd=project, env=environment)
    assert fewer.returncode == 0, fewer.stderr
    assert "preparing" not in fewer.stderr and not (cache / PREPARED_FACES_FOLDER).exists()
    unprepared = (project / "out" / "SHA256SUMS").read_text(encoding="utf-8")
    (tmp_path / "last.yaml").rename(project / "content" / f"{units[-1]}.yaml")
    first = run_cli("build", "--force", "-o", "out", "content", cwd=project, env=environment)
    assert first.returncode == 0, first.stderr
    assert "preparing 3 font faces for cutting" in first.stderr
    assert len(list((cache / PREPARED_FACES_FOLDER).glob("*.face"))) == 3
    second = run_cli("build", "--force", "-o", "out", "content", cwd=project, env=environment)
    assert second.returncode == 0 and "preparing" not in second.stderr, second.stderr
    prepared = (project / "out" / "SHA256SUMS").read_text(encoding="utf-8")
    assert set(unprepared.splitlines()) < set(prepared.splitlines())  # the 7 made before are the same bytes


@pytest.mark.slow
def test_builds_killed_or_run_together_while_preparing_faces_leave_only_whole_prepared_faces(tmp_path):
    """Builds killed at moments through the preparation, then two builds preparing at once into one cache: the
    cache holds whole prepared faces only (each one's digest checks), and the artifacts are the same bytes as
    those of a build with an empty cache."""
    import signal
    import time

    from pipeline.build import PREPARE_FACES_AT
    from pipeline.typeset import prepared

    units = tuple(f"unit{number}" for number in range(PREPARE_FACES_AT))
    project = round_project(tmp_path / "project", units)
    plain = run_cli("build", "-o", "plain", "content", cwd=project, env={**os.environ, "GONGWEN_CACHE_DIR": "none"})
    assert plain.returncode == 0, plain.stderr
    cache = tmp_path / "cache"
    environment = {**os.environ, "GONGWEN_CACHE_DIR": str(cache)}
    command = [sys.executable, "-m", "pipeline", "build", "--force", "-o", "killed", "content"]
    for delay in (0.4, 0.6, 0.8, 1.0, 1.2):
        process = subprocess.Popen(command, cwd=project, env=environment, stderr=subprocess.PIPE, text=True)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
        for leftover in (cache / prepared.PREPARED_FACES_FOLDER).glob("*.face"):
            assert leftover.stat().st_size > 1_000_000  # a whole face or none: never a face cut short
    together = [
        subprocess.Popen(
            [sys.executable, "-m", "pipeline", "build", "-o", f"out{index}", "content"],
            cwd=project,
            env=environment,
            stderr=subprocess.PIPE,
            text=True,
        )
        for index in (1, 2)
    ]
    for process in together:
        _, errors = process.communicate(timeout=600)
        assert process.returncode == 0, errors
    faces = sorted((cache / prepared.PREPARED_FACES_FOLDER).glob("*.face"))
    assert len(faces) == 3
    check = (
        "from pipeline.typeset import prepared\n"
        "from pipeline.typeset.fonts import resolve_fonts\n"
        "faces = {(face.path, face.index) for face in resolve_fonts().values()}\n"
        "print(sum(prepared.prepared_face(path, index) is not None for path, index in faces))\n"
    )
    whole = subprocess.run(
        [sys.executable, "-c", check], cwd=ROOT, env=environment, capture_output=True, text=True, check=True
    )
    assert whole.stdout.strip() == "3"  # each face's digest checks
    expected = (project / "plain" / "SHA256SUMS").read_text(encoding="utf-8")
    for index in (1, 2):
        assert (project / f"out{index}" / "SHA256SUMS").read_text(encoding="utf-8") == expected


def test_a_preparation_the_disk_cannot_hold_costs_only_time(tmp_path):
    """`ulimit -f` of 1 MB: every artifact fits, a prepared face (2-3 MB) does not. The build says nothing of it,
    leaves nothing in the cache's faces/ and makes the same bytes as a build that could prepare them."""
    import resource

    from pipeline.build import PREPARE_FACES_AT
    from pipeline.typeset import prepared

    units = tuple(f"unit{number}" for number in range(PREPARE_FACES_AT))
    project = round_project(tmp_path / "project", units)
    plain = run_cli("build", "-o", "plain", "content", cwd=project, env={**os.environ, "GONGWEN_CACHE_DIR": "none"})
    assert plain.returncode == 0, plain.stderr
    cache = tmp_path / "cache"

    def limited() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))

    result = subprocess.run(
        [sys.executable, "-m", "pipeline", "build", "-o", "out", "content"],
        cwd=project,
        env={**os.environ, "GONGWEN_CACHE_DIR": str(cache)},
        capture_output=True,
        text=True,
        preexec_fn=limited,  # noqa: PLW1509 — the limit is the point of the test
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "preparing 3 font faces" in result.stderr
    assert list((cache / prepared.PREPARED_FACES_FOLDER).iterdir()) == []
    expected = (project / "plain" / "SHA256SUMS").read_text(encoding="utf-8")
    assert (project / "out" / "SHA256SUMS").read_text(encoding="utf-8") == expected
