"""Crash consistency: a build killed at any write, fsync, rename, removal or creation in the output
folder leaves a state that the next build turns into exactly what a clean build makes.

Each kill point is a forked child that ends with `os._exit` just before its Nth file-system call,
with artifacts made once (so a point costs milliseconds). After each, the next build must make the
same bytes and records as a clean build — of the content the killed build was making, and of the
content before it (the change undone) — remove every temporary file, and pass `sha256sum -c`.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from outputlab import (
    KILLED,
    RECORDS,
    artifacts_made_once,
    build_here,
    in_child,
    lines,
    memory_folder,
    sha256sum_checks,
    state,
    temporaries,
    write_content,
)

BEFORE = {"a": "a1", "b": "b1"}
"""The folder's state when the build is killed: two publications built."""
AFTER = {"a": "a2", "b": "b1", "c": "c1"}
"""What the killed build makes: one publication changed, one unchanged, one new."""
UNDONE = {"a": "a1", "b": "b1", "c": "c1"}
"""The change to a undone after the kill: its old bytes must come back, not the new ones called up to date."""


@pytest.fixture(scope="module")
def made_once(tmp_path_factory):
    yield from artifacts_made_once(tmp_path_factory)


@pytest.fixture
def quick_path(tmp_path):
    yield from memory_folder(tmp_path)


@pytest.fixture(scope="module")
def clean(tmp_path_factory, made_once) -> dict[str, dict[str, object]]:
    """What a clean build of each content makes (and every artifact made once, before any child forks)."""
    states = {}
    for name, versions in (("before", BEFORE), ("after", AFTER), ("undone", UNDONE)):
        project = tmp_path_factory.mktemp(name)
        write_content(project, versions)
        assert lines(build_here(project)) == []
        states[name] = state(project / "out")
    return states


def killed_at(project, point: int):
    """The BEFORE build made, then the AFTER build killed just before its `point`-th call."""
    write_content(project, BEFORE)
    assert lines(build_here(project)) == []
    write_content(project, AFTER)
    return in_child(lambda: build_here(project), stop_at=point)


def calls_of_a_whole_build(tmp_path) -> int:
    ending = killed_at(tmp_path / "count", 0)
    assert ending.code == 0 and ending.problems == [], ending
    assert ending.calls is not None and ending.calls > 30, ending  # three publications, four steps each
    return ending.calls


def only_whole_artifacts(out, made_once) -> None:
    """Right after the kill: every file under a final name holds one whole version of its artifact."""
    known = made_once.known_bytes()
    for path in out.rglob("*"):
        relative = path.relative_to(out).as_posix()
        if path.is_file() and relative not in RECORDS and not path.name.startswith(".gongwen-"):
            assert path.read_bytes() in known[relative], relative


@pytest.mark.slow  # a build per file-system call
def test_a_build_killed_at_any_call_is_completed_by_the_next_build(quick_path, clean, made_once):
    total = calls_of_a_whole_build(quick_path)
    for point in range(1, total + 1):
        for outcome, versions in (("after", AFTER), ("undone", UNDONE)):
            project = quick_path / f"{outcome}-{point}"
            ending = killed_at(project, point)
            assert ending.code == KILLED, (point, ending)
            out = project / "out"
            only_whole_artifacts(out, made_once)
            write_content(project, versions)
            assert lines(build_here(project)) == [], point
            assert temporaries(out) == [], point
            assert state(out) == clean[outcome], (outcome, point)
            assert sha256sum_checks(out), (outcome, point)


@pytest.mark.slow
def test_a_build_killed_twice_is_completed_all_the_same(quick_path, clean, made_once):
    """The build after a kill repairs the records; kill that one too, at each of its own calls."""
    total = calls_of_a_whole_build(quick_path)
    for point in range(5, total, 19):  # first kills spread over staging, pending records, renames and records
        first = quick_path / f"first-{point}"
        assert killed_at(first, point).code == KILLED
        repair = in_child(lambda project=first: build_here(project))
        assert repair.code == 0 and repair.calls is not None, repair
        for second in range(1, repair.calls + 1, 2):  # every other call of the repair: seconds, not a minute
            project = quick_path / f"twice-{point}-{second}"
            assert killed_at(project, point).code == KILLED
            assert in_child(lambda project=project: build_here(project), stop_at=second).code == KILLED
            assert lines(build_here(project)) == []
            assert state(project / "out") == clean["after"], (point, second)
            assert sha256sum_checks(project / "out")


def test_workers_of_a_killed_build_do_not_keep_the_folder_locked(tmp_path):
    """A real SIGKILL of a batch with two workers: the workers it forked end with it (within a second), and
    never hold the folder's lock meanwhile (flock lives as long as any process has the descriptor)."""
    write_content(tmp_path, UNDONE)
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "build", "-q", "-j", "2", "-o", "out", "content"],
        cwd=tmp_path,
        stderr=subprocess.PIPE,
    )
    children: list[int] = []
    try:
        deadline = time.monotonic() + 120
        while len(children) < 2 and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.05)  # the pool's two workers are forked after the folder is locked and planned
            children = forked_by(process.pid) if (tmp_path / "out").is_dir() else []
        assert len(children) == 2, "the build forked no workers"
        process.kill()
        process.wait(timeout=60)
        handle = os.open(tmp_path / "out", os.O_RDONLY)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)  # BlockingIOError if a worker kept it
        finally:
            os.close(handle)
        killed = time.monotonic()
        while any(running(pid) for pid in children) and time.monotonic() - killed < 1:
            time.sleep(0.01)
        assert not any(running(pid) for pid in children)
    finally:
        for pid in children:  # should the test fail, it leaves no worker behind either
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def running(pid: int) -> bool:
    """Not gone, and not a zombie left for whoever inherited it to collect."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return False


def forked_by(pid: int) -> list[int]:
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []
