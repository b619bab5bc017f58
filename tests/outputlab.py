"""A workbench for the output folder's promises: projects of small publications, builds through the
library API with artifacts made once (so a build costs milliseconds, not an engine), forked children
whose file-system calls are counted, killed or failed at the Nth one, and comparisons with a clean build."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers import small_content

from pipeline import workers
from pipeline.build import BuildReport, build
from pipeline.config import load_configuration

KILLED = 137  # what a shell reports for SIGKILL; the child ends with os._exit(KILLED) instead
HOOKED = ("write", "fsync", "replace", "rename", "unlink", "mkdir", "link", "open")
"""Every call through which a build changes the file system; `open` counts only when it creates."""
RECORDS = ("manifest.json", "SHA256SUMS")

VERSIONS = {
    "a1": small_content(title="甲单位巡视动员会", paragraph="第一稿：巡视组进驻甲单位。"),
    "a2": small_content(title="甲单位巡视动员会（修订）", paragraph="第二稿：巡视组进驻甲单位，开展专项巡视。"),
    "b1": small_content(title="乙单位巡视动员会", paragraph="巡视组进驻乙单位。"),
    "c1": small_content(title="丙单位巡视动员会", paragraph="巡视组进驻丙单位。"),
}


def write_content(project: Path, versions: dict[str, str]) -> None:
    """content/<name>.yaml for each name → version, and no other content file."""
    folder = project / "content"
    folder.mkdir(parents=True, exist_ok=True)
    for path in folder.glob("*.yaml"):
        if path.stem not in versions:
            path.unlink()
    for name, version in versions.items():
        target = folder / f"{name}.yaml"
        if not target.exists() or target.read_text(encoding="utf-8") != VERSIONS[version]:
            target.write_text(VERSIONS[version], encoding="utf-8")


class MadeOnce:
    """Stands in for `workers.make_all`: each publication's artifacts are made once (by the real
    engines) and handed out again whenever the same content is built."""

    def __init__(self) -> None:
        self.made: dict[tuple[str, str], list] = {}
        self.real = workers.make_all

    def __call__(self, jobs, configuration, jobs_count, started=None) -> Iterator:
        if started is not None:  # workers the build started early: these are made in-process instead
            started.close()
        for job in jobs:
            key = (job.publication.id, hashlib.sha256(job.path.read_bytes()).hexdigest())
            if key not in self.made:
                every = workers.Job(job.publication, job.path, job.source, job.inputs, workers.ARTIFACTS, job.digests)
                ((_, outcome),) = list(self.real([every], configuration, 1))
                assert isinstance(outcome, workers.Made), outcome
                self.made[key] = outcome.artifacts
            wanted = {artifact.name for artifact in job.wanted}
            artifacts = [artifact for artifact in self.made[key] if artifact.path.split("/", 1)[1] in wanted]
            yield job, workers.Made(job.publication.id, artifacts)

    def known_bytes(self) -> dict[str, set[bytes]]:
        """Every version of every artifact made so far, by its path in the output folder."""
        known: dict[str, set[bytes]] = {}
        for artifacts in self.made.values():
            for artifact in artifacts:
                known.setdefault(artifact.path, set()).add(artifact.data)
        return known


def artifacts_made_once(tmp_path_factory) -> Iterator[MadeOnce]:
    """For a module's `made_once` fixture: each publication's artifacts made once, a cache of its own."""
    stand_in = MadeOnce()
    cache = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(workers, "make_all", stand_in)
        patch.setenv("GONGWEN_CACHE_DIR", str(cache))
        yield stand_in


def memory_folder(fallback: Path) -> Iterator[Path]:
    """For a module's `quick_path` fixture: a folder on /dev/shm where there is one, else `fallback`. On a
    tmpfs an fsync costs nothing (on this machine's disk about 1 ms, some 60 per build), and a process
    killed with os._exit loses nothing a disk would keep: the enumerations take seconds, not a minute."""
    base = Path("/dev/shm")
    if not (base.is_dir() and os.access(base, os.W_OK)):
        yield fallback
        return
    folder = Path(tempfile.mkdtemp(prefix="gongwen-test-", dir=base))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def build_here(project: Path, *, force: bool = False, strict: bool = False, output: str = "out") -> BuildReport:
    """A build of content/ into out/, through the library, from inside the project (as messages show paths)."""
    with contextlib.chdir(project):
        configuration = load_configuration(project, {"output": output})
        return build([project / "content"], configuration, force=force, strict=strict)


def lines(report: BuildReport) -> list[str]:
    """The problems as the command line prints them: one line each, said once."""
    return list(dict.fromkeys(str(problem) for problem in report.problems))


# ---- forked children with counted file-system calls ----


@dataclass(frozen=True)
class Ending:
    """How a child ended: its exit code, the calls it made, and the problems its build reported."""

    code: int
    calls: int | None
    problems: list[str]


def in_child(
    action: Callable[[], BuildReport], *, stop_at: int = 0, failure: int | None = None, limit: int = 0
) -> Ending:
    """Run `action` in a forked child. At its `stop_at`-th hooked call the child ends at once with
    `os._exit(KILLED)` — or, with `failure`, that call fails with OSError(failure) instead. `limit`
    sets RLIMIT_FSIZE (bytes) in the child. A child that finishes reports its calls and problems."""
    import resource

    reading, writing = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns to pytest
        code = 1
        try:
            os.close(reading)
            if limit:
                resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
            originals = {name: getattr(os, name) for name in HOOKED}
            count = 0

            def hooked(name: str):
                original = originals[name]

                def call(*arguments, **keywords):
                    nonlocal count
                    if name == "open" and not (len(arguments) > 1 and arguments[1] & os.O_CREAT):
                        return original(*arguments, **keywords)
                    count += 1
                    if count == stop_at:
                        if failure is None:
                            os._exit(KILLED)
                        raise OSError(failure, os.strerror(failure))
                    return original(*arguments, **keywords)

                return call

            for name in HOOKED:
                setattr(os, name, hooked(name))
            report = action()
            for name, original in originals.items():
                setattr(os, name, original)
            os.write(writing, json.dumps({"calls": count, "problems": lines(report)}).encode())
            code = 0
        except BaseException:  # noqa: BLE001 — a child reports whatever went wrong, then ends
            traceback.print_exc()
        finally:
            os._exit(code)
    os.close(writing)
    _, status = os.waitpid(pid, 0)
    with os.fdopen(reading, "rb") as stream:
        data = stream.read()
    told = json.loads(data) if data else {}
    return Ending(os.waitstatus_to_exitcode(status), told.get("calls"), told.get("problems", []))


# ---- what a folder holds ----


def is_temporary(name: str) -> bool:
    """A file a build is writing (`.gongwen-….tmp`): never under a final name."""
    return name.startswith(".gongwen-") and name.endswith(".tmp")


def temporaries(out: Path) -> list[str]:
    return sorted(path.relative_to(out).as_posix() for path in out.rglob("*") if is_temporary(path.name))


def state(out: Path) -> dict[str, object]:
    """Every file of the folder by path: bytes, and for the manifest its content without `seen` (which
    records inodes and times, different in every folder)."""
    found: dict[str, object] = {}
    for path in sorted(out.rglob("*")):
        if path.is_file() and not path.is_symlink():
            relative = path.relative_to(out).as_posix()
            if relative.startswith("manifest"):
                manifest = json.loads(path.read_bytes())
                manifest.pop("seen", None)
                found[relative] = manifest
            else:
                found[relative] = path.read_bytes()
    return found


def sha256sum_checks(out: Path) -> bool:
    return (
        subprocess.run(
            ["sha256sum", "--check", "--strict", "--quiet", "SHA256SUMS"], cwd=out, capture_output=True
        ).returncode
        == 0
    )


def copy_project(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target


NO_SPACE = errno.ENOSPC
