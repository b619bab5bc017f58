"""Full disks and file-size limits: a write that fails (ENOSPC, EFBIG) is one line naming the folder,
what was in place stays whole and recorded, and once there is room the next build completes it all."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from outputlab import (
    VERSIONS,
    artifacts_made_once,
    build_here,
    in_child,
    is_temporary,
    lines,
    memory_folder,
    sha256sum_checks,
    state,
    temporaries,
    write_content,
)

BEFORE = {"a": "a1", "b": "b1"}
AFTER = {"a": "a2", "b": "b1", "c": "c1"}
NO_SPACE = (
    "out: cannot write: No space left on device (files already in place are kept; the next build completes the records)"
)
TOO_LARGE = "out: cannot write: File too large (files already in place are kept; the next build completes the records)"


@pytest.fixture(scope="module")
def made_once(tmp_path_factory):
    yield from artifacts_made_once(tmp_path_factory)


@pytest.fixture
def quick_path(tmp_path):
    yield from memory_folder(tmp_path)


@pytest.fixture(scope="module")
def clean_after(tmp_path_factory, made_once) -> dict[str, object]:
    project = tmp_path_factory.mktemp("clean")
    write_content(project, BEFORE)
    assert lines(build_here(project)) == []
    write_content(project, AFTER)
    assert lines(build_here(project)) == []
    return state(project / "out")


def records_hold(out: Path) -> None:
    """Every artifact the manifest lists holds its recorded bytes, or those it was replacing."""
    manifest = json.loads((out / "manifest.json").read_bytes())
    for path, entry in manifest["artifacts"].items():
        if (out / path).exists():
            digest = hashlib.sha256((out / path).read_bytes()).hexdigest()
            assert digest in (entry["sha256"], entry.get("replacing")), path


def completed(project: Path, clean_after: dict[str, object]) -> None:
    assert lines(build_here(project)) == []
    assert temporaries(project / "out") == []
    assert state(project / "out") == clean_after
    assert sha256sum_checks(project / "out")


def test_no_space_at_any_write_is_one_line_and_the_next_build_completes(quick_path, made_once, clean_after):
    probe = quick_path / "probe"
    write_content(probe, BEFORE)
    assert lines(build_here(probe)) == []
    write_content(probe, AFTER)
    whole = in_child(lambda: build_here(probe))
    assert whole.code == 0 and whole.calls is not None
    failed = 0
    for point in range(1, whole.calls + 1):
        project = quick_path / f"at-{point}"
        write_content(project, BEFORE)
        assert lines(build_here(project)) == []
        write_content(project, AFTER)
        ending = in_child(lambda project=project: build_here(project), stop_at=point, failure=errno.ENOSPC)
        assert ending.code == 0 and ending.problems in ([], [NO_SPACE]), (point, ending)
        failed += ending.problems == [NO_SPACE]
        assert temporaries(project / "out") == [], point
        records_hold(project / "out")
        completed(project, clean_after)
    assert failed >= whole.calls - 1  # only `mkdir` of the folder that is there already cannot fail


def test_a_file_size_limit_is_one_line_and_leaves_everything_as_it_was(tmp_path, made_once, clean_after):
    write_content(tmp_path, BEFORE)
    assert lines(build_here(tmp_path)) == []
    before = state(tmp_path / "out")
    write_content(tmp_path, AFTER)
    ending = in_child(lambda: build_here(tmp_path), limit=8 << 10)  # smaller than any artifact: EFBIG, not SIGXFSZ
    assert ending.code == 0 and ending.problems == [TOO_LARGE], ending
    assert state(tmp_path / "out") == before
    completed(tmp_path, clean_after)


def test_the_command_line_under_ulimit_f_says_one_line_and_writes_nothing(tmp_path):
    """`ulimit -f 8`: the engines' working files hit the limit first; no traceback, the output as it was."""
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "a.yaml").write_text(VERSIONS["a1"], encoding="utf-8")
    (tmp_path / "out").mkdir()

    def limited() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (8 << 10, 8 << 10))

    result = subprocess.run(
        [sys.executable, "-m", "pipeline", "build", "-o", "out", "content"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        preexec_fn=limited,  # noqa: PLW1509 — the limit is the point of the test
        timeout=300,
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.endswith(": cannot write working files: File too large\n"), result.stderr
    assert list((tmp_path / "out").iterdir()) == []


@contextlib.contextmanager
def small_tmpfs(folder: Path, size: str):
    """A tmpfs of `size` mounted at `folder`, where this process may mount one (root); a skip elsewhere."""
    folder.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("a real full disk needs a tmpfs, and mounting one needs root: skipped (the injected tests ran)")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"mounting a tmpfs was refused here ({mounted.stderr.decode().strip()}): skipped")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True)


def test_a_real_full_disk_at_every_amount_of_room_left(tmp_path, made_once, clean_after):
    """A 400 KB tmpfs, filled to leave from 0 to 200 KB: each build fails in one line or completes, and once
    the ballast is gone the next build completes the records (the report: 52 KB free lost SHA256SUMS for good)."""
    with small_tmpfs(tmp_path / "disk", "400k") as disk:
        project = disk / "project"
        outcomes = set()
        for room in range(0, 200 << 10, 12 << 10):
            if project.exists():
                shutil.rmtree(project)
            write_content(project, BEFORE)
            assert lines(build_here(project)) == []
            write_content(project, AFTER)
            ballast = disk / "ballast"
            free = os.statvfs(disk)
            with ballast.open("wb") as stream:
                stream.write(b"\0" * max(0, free.f_bavail * free.f_frsize - room))
            report = build_here(project)
            outcomes.add(tuple(lines(report)))
            assert lines(report) in ([], [NO_SPACE]), (room, lines(report))
            assert not [path for path in (project / "out").rglob("*") if is_temporary(path.name)], room
            records_hold(project / "out")
            ballast.unlink()
            completed(project, clean_after)
        assert outcomes == {(), (NO_SPACE,)}  # both a failure and a success were seen
