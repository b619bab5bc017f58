"""One build at a time: a second build into the same folder waits for the first before it reads the
manifest, then builds on what the first wrote. No record is lost, nothing is taken for an edit."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import small_content
from outputlab import (
    artifacts_made_once,
    build_here,
    lines,
    sha256sum_checks,
    write_content,
)

from pipeline import workers
from pipeline.build import BuildEvents, build
from pipeline.config import load_configuration

WAITING = "another gongwen build is writing into this folder; waiting for it to finish"


@pytest.fixture(scope="module")
def made_once(tmp_path_factory):
    yield from artifacts_made_once(tmp_path_factory)


def test_two_command_lines_into_one_folder_both_build_and_both_are_recorded(tmp_path):
    """The report's case: `gongwen build cb/y.yaml -o out & gongwen build ca/x.yaml -o out`."""
    for folder, name in (("ca", "x"), ("cb", "y")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / f"{name}.yaml").write_text(small_content(title=f"{name}单位"), encoding="utf-8")
    command = [sys.executable, "-m", "pipeline", "build", "-o", "out"]
    first = subprocess.Popen([*command, "cb/y.yaml"], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(0.5)  # as reported: the second starts while the first is still making its publication
    second = subprocess.run([*command, "ca/x.yaml"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    _, first_err = first.communicate(timeout=300)
    assert first.returncode == 0, first_err
    assert second.returncode == 0, second.stderr
    waited = [f"out: {WAITING}"]
    assert [first_err.decode().splitlines(), second.stderr.splitlines()] in ([[], waited], [waited, []], [[], []])
    out = tmp_path / "out"
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert sorted(manifest["publications"]) == ["x", "y"]
    assert len((out / "SHA256SUMS").read_text().splitlines()) == 6
    assert sha256sum_checks(out)
    again = subprocess.run([*command, "ca/x.yaml"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert (again.returncode, again.stdout, again.stderr) == (0, "1 up to date\n", "")


def child(action, *, before=None) -> tuple[int, object]:
    """Run `action` (a build) in a forked child; returns its pid and a stream of the lines it reports:
    what `before` gets told as it happens, then "done" and the build's problems."""
    reading, writing = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            report = action(lambda line: os.write(writing, (line + "\n").encode()))
            os.write(writing, ("\n".join(["done", *lines(report)]) + "\n").encode())
            code = 0
        finally:
            os._exit(code)
    os.close(writing)
    return pid, os.fdopen(reading, "r", encoding="utf-8")


def held_build(project: Path, release: int):
    """A build that says "making" once it holds the lock and is making, then waits for a byte on `release`."""

    def action(tell):
        real = workers.make_all

        def held(jobs, configuration, count, started=None):
            tell("making")
            os.read(release, 1)
            yield from real(jobs, configuration, count, started)

        workers.make_all = held
        return build_here(project)

    return action


def told_build(project: Path, output: Path):
    """A build that tells what it is told while it waits."""

    def action(tell):
        os.chdir(project)
        events = BuildEvents(waiting=lambda notice: tell(str(notice)))
        return build([project / "content"], load_configuration(project, {"output": str(output)}), events=events)

    return action


@pytest.mark.parametrize("content", ["other", "same"])
def test_a_second_build_waits_then_builds_on_what_the_first_recorded(tmp_path, made_once, content):
    warm = tmp_path / "warm"
    write_content(warm, {"a": "a1", "b": "b1"})
    assert lines(build_here(warm)) == []  # every artifact made once, before any child forks
    first = tmp_path / "first"
    write_content(first, {"a": "a1"})
    second = tmp_path / "second" if content == "other" else first
    write_content(second, {"b": "b1"} if content == "other" else {"a": "a1"})
    out = first / "out"
    out.mkdir()  # a folder that is there is locked before it is read (one that is not, at the first write)
    shown = out.relative_to(second) if out.is_relative_to(second) else out
    release_reading, release_writing = os.pipe()
    pids = []
    try:
        first_pid, first_told = child(held_build(first, release_reading))
        pids.append(first_pid)
        assert first_told.readline() == "making\n"
        second_pid, second_told = child(told_build(second, out))
        pids.append(second_pid)
        assert second_told.readline() == f"{shown}: {WAITING}\n"
        assert not (out / "manifest.json").exists()  # the second read nothing yet: the first has written nothing
        os.write(release_writing, b"x")
        assert first_told.read().splitlines() == ["done"]
        assert second_told.read().splitlines() == ["done"]  # no edit reported, no problem
        for pid in pids:
            assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0
    finally:
        for pid in pids:  # a failed assertion must not leave a child waiting for ever
            with contextlib.suppress(ChildProcessError, ProcessLookupError):
                if os.waitpid(pid, os.WNOHANG) == (0, 0):
                    os.kill(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert sorted(manifest["publications"]) == (["a", "b"] if content == "other" else ["a"])
    assert len((out / "SHA256SUMS").read_text().splitlines()) == 3 * len(manifest["publications"])
    assert sha256sum_checks(out)
    again = build_here(second, output=str(out))
    assert lines(again) == [] and again.built == [] and len(again.up_to_date) == 1
