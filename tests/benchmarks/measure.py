"""Timing and peak memory of commands run as processes, medians, and a description of the machine.

Peak memory: `/usr/bin/time -f %M` reports the largest resident set of the command's process (on
Linux, also of any child it waited for, so with workers it is the larger of the two). The workers'
own peaks are read from `VmHWM` in `/proc/<pid>/status`, the kernel's high-water mark of each
process's resident set, sampled every 100 ms for every descendant of the main process while the
command runs; the mark only rises, so a sample misses at most the growth of a worker's last 100 ms.
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import statistics
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

GNU_TIME = "/usr/bin/time"
SAMPLE_SECONDS = 0.1  # a scan of /proc costs about a millisecond: 1 % of a core


class BenchmarkError(RuntimeError):
    """A build or compile inside the benchmark failed, or produced something broken."""


@dataclass(frozen=True)
class Timed:
    seconds: float
    peak_mib: float  # the command's own process (and children it waited for)
    worker_peak_mib: float | None  # the largest VmHWM among its descendants, when sampled
    stdout: str


def median(values: list[float]) -> float:
    return statistics.median(values)


def _parent_of(pid: str) -> int | None:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            # The command name may hold spaces and parentheses: fields follow the last ')'.
            return int(stat.read().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def _children() -> dict[int, list[int]]:
    """Every process's children, read from /proc (the kernel here keeps no per-task children list)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            parent = _parent_of(entry)
            if parent is not None:
                children.setdefault(parent, []).append(int(entry))
    return children


def _below(children: dict[int, list[int]], root: int) -> list[int]:
    found, stack = [], list(children.get(root, ()))
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(children.get(pid, ()))
    return found


def high_water_kib(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


class WorkerSampler(threading.Thread):
    """Samples the high-water mark of every process below the command's main process."""

    def __init__(self, time_pid: int) -> None:
        super().__init__(daemon=True)
        self.time_pid = time_pid
        self.peaks: dict[int, int] = {}
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(SAMPLE_SECONDS):
            children = _children()
            for main in children.get(self.time_pid, ()):  # /usr/bin/time's child: the command's main process
                for pid in _below(children, main):
                    mark = high_water_kib(pid)
                    if mark is not None:
                        self.peaks[pid] = max(self.peaks.get(pid, 0), mark)


def run_timed(command: list[str], *, cwd: Path, env: dict[str, str], sample_workers: bool = False) -> Timed:
    """Run `command`, fail loudly on a non-zero exit, and return its wall time and peak memory."""
    with tempfile.NamedTemporaryFile(prefix="gongwen-bench-time-") as report:
        start = time.perf_counter()
        process = subprocess.Popen(
            [GNU_TIME, "-f", "%M", "-o", report.name, *command],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        sampler = WorkerSampler(process.pid) if sample_workers else None
        if sampler:
            sampler.start()
        stdout, stderr = process.communicate()
        seconds = time.perf_counter() - start
        if sampler:
            sampler.done.set()
            sampler.join()
        if process.returncode != 0:
            shown = " ".join(command)
            raise BenchmarkError(f"`{shown}` failed with exit status {process.returncode} in {cwd}:\n{stderr}{stdout}")
        peak_kib = int(Path(report.name).read_text().split()[-1])
    worker_peak = max(sampler.peaks.values(), default=None) if sampler else None
    return Timed(seconds, peak_kib / 1024, worker_peak / 1024 if worker_peak is not None else None, stdout)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def machine() -> dict:
    """What the figures came from."""
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "system": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "weasyprint": _version("weasyprint"),
        "typst_package": _version("typst"),
        "gongwen": _version("gongwen"),
        "load_average_at_start": [round(value, 2) for value in os.getloadavg()],
    }
