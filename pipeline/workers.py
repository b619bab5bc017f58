"""Making publications in worker processes: each sets the engines up once, is bounded in time and memory, and ends
with the main process.

The main process plans and writes; workers only make artifacts in memory and send them back. A worker
is forked, reads jobs from one pipe and writes outcomes to another, and makes publication after
publication with one `publisher.Publisher`. Publications are always made in a worker, at `--jobs 1`
too: WeasyPrint's C code does not see signals, so the only way to stop a publication that runs too
long or grows too large is to kill the process making it.

- **No orphans.** Each worker holds the read end of a pipe whose only writer is the main process,
  with O_ASYNC set and itself as owner: when the main process ends, by any signal, SIGKILL
  included, the kernel closes its end and sends the worker SIGIO, whose default action ends it at
  once, whatever it is doing (C code holding the GIL included). `PR_SET_PDEATHSIG` would fire when
  the forking *thread* ends, not the process; a thread reading the pipe would need the GIL.
- **Bounded.** While any worker is busy, the main process wakes every `POLL_SECONDS`: a worker past
  `time_limit` on its publication, or holding more than `memory_limit` of resident memory (read
  from /proc), is killed (SIGKILL) and its publication fails in one line; a new worker takes the
  next one. Resident memory rather than RLIMIT_AS: the address space of a worker is several times
  what it uses (mapped font files, allocator arenas), and an allocation refused inside Pango or
  HarfBuzz is a crash, not a line; a kill from outside is the same clean line whatever the worker
  was doing. The cost is an overshoot of what a worker can allocate in one poll.
- **Contained.** Whatever a publication raises becomes its outcome — located problems, or one
  internal-error line with a log (`faults`); a worker that dies fails only the publication it was
  making and is replaced.

With fewer publications than workers, a publication's artifacts are split between workers, so a single
cold build starts two engines at once.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import gc
import os
import pickle
import selectors
import signal
import struct
import tempfile
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, cast

from .artifacts import ARTIFACTS, BRIEFING_TEMPLATE, SUMMARY, ArtifactType, artifact_named
from .cache import scratch_folder
from .config import Configuration, Settings
from .content import ContentDigests
from .content.model import Publication, load_publication
from .errors import GongwenError, Problem, Where, shown_path
from .faults import internal_error
from .lazy import lazy_import
from .output.folder import Artifact

if TYPE_CHECKING:
    from . import publisher
else:
    publisher = lazy_import("pipeline.publisher")  # the engines load in a worker, as it sets up

POLL_SECONDS = 0.05
"""How often the main process checks its busy workers' time and memory: 20 reads of /proc a second cost
nothing, and a worker growing 5 GB a second passes the memory limit by at most a quarter of a gigabyte."""
SETUP_SECONDS = 120.0
"""How long a worker may take to set its engines up (about a second: imports, fonts) before it is taken for hung;
not `time_limit`, which is for the work a content file asks for."""
STOP_SECONDS = 1.0
"""How long an idle worker told to stop may take before it is killed."""
_WORKING_FILE_ERRORS = frozenset({errno.ENOSPC, errno.EFBIG, errno.EDQUOT, errno.EROFS})
"""What writing the engines' working files fails with on a full disk, a file-size limit, a quota or a read-only
folder: said as one line about that folder. Other OSErrors are faults."""
_LENGTH = struct.Struct(">Q")  # each message on a pipe: its length, then its pickle


@dataclass(frozen=True)
class Job:
    """One publication to make: its content file as the manifest and the messages name it, and the artifacts wanted."""

    publication: Publication
    path: Path
    source: str
    inputs: dict[str, str]
    wanted: tuple[ArtifactType, ...]
    digests: ContentDigests  # the bytes the fingerprints were made from: the worker makes it from those only


@dataclass(frozen=True)
class Made:
    publication_id: str
    artifacts: list[Artifact]
    warnings: list[Problem] = field(default_factory=list)  # made, but with something the user should look at


@dataclass(frozen=True)
class Failed:
    problems: list[Problem]


Outcome = Made | Failed
_Part = tuple[Job, tuple[ArtifactType, ...]]  # a job, or the share of its artifacts one worker makes


@dataclass(frozen=True)
class Limits:
    """What a worker may spend on one part of a publication: seconds, and bytes of resident memory."""

    seconds: float
    memory: int

    @classmethod
    def of(cls, settings: Settings) -> Limits:
        return cls(settings.time_limit, settings.memory_limit << 20)


def start_early(configuration: Configuration, workers: int, publications: int) -> WorkerPool:
    """Workers for a build known to make every one of its `publications` (each artifact), started before its jobs
    are planned: each sets up its engines while this process reads and checks the content. Hand the pool to
    `make_all`, which closes it; close it yourself if no job comes."""
    parts = publications if publications >= workers else 2 * publications  # as `_parts` will split them
    scratch_folder()  # before any worker, as in `make_all`
    pool = WorkerPool(configuration, Limits.of(configuration.settings), min(workers, parts), pdfs=True)
    pool.start()
    return pool


def make_all(
    jobs: list[Job], configuration: Configuration, workers: int, started: WorkerPool | None = None
) -> Iterator[tuple[Job, Outcome]]:
    """Every job's outcome, as the jobs finish; in the workers `started` early (`start_early`) when there are."""
    if not jobs:
        if started is not None:
            started.close()
        return
    parts = _parts(jobs, workers)
    # Made here, before any worker: they all work in it, and this process removes it when it ends,
    # whatever became of them.
    scratch_folder()
    waiting = {id(job): len([part for part in parts if part[0] is job]) for job in jobs}
    gathered: dict[int, list[Outcome]] = {id(job): [] for job in jobs}
    pdfs = any(artifact is not SUMMARY for _, wanted in parts for artifact in wanted)
    pool = started or WorkerPool(configuration, Limits.of(configuration.settings), min(workers, len(parts)), pdfs)
    try:
        for (job, _), outcome in pool.run(parts):
            gathered[id(job)].append(outcome)
            waiting[id(job)] -= 1
            if waiting[id(job)] == 0:
                yield job, _joined(gathered.pop(id(job)))
    finally:
        pool.close()


def _parts(jobs: list[Job], workers: int) -> list[_Part]:
    """The work for the pool. With fewer publications than workers (one edited file, a single cold
    build), a publication's artifacts are split between workers: the briefing (in each format, from
    one layout) in one, the notice and the summary in another, each worker starting its own engine
    at the same time."""
    if len(jobs) >= workers:
        return [(job, job.wanted) for job in jobs]
    parts: list[_Part] = []
    for job in jobs:
        briefing = tuple(artifact for artifact in job.wanted if artifact.template == BRIEFING_TEMPLATE)
        rest = tuple(artifact for artifact in job.wanted if artifact.template != BRIEFING_TEMPLATE)
        parts.extend((job, wanted) for wanted in (briefing, rest) if wanted)
    return parts


def _joined(outcomes: list[Outcome]) -> Outcome:
    """One publication's outcome from its parts: made only if every part was."""
    failed = [problem for outcome in outcomes if isinstance(outcome, Failed) for problem in outcome.problems]
    if failed:
        return Failed(list(dict.fromkeys(failed)))
    names = [artifact.name for artifact in ARTIFACTS]
    made = [outcome for outcome in outcomes if isinstance(outcome, Made)]
    artifacts = sorted(
        (artifact for outcome in made for artifact in outcome.artifacts),
        key=lambda artifact: names.index(artifact.path.rsplit("/", 1)[1]),
    )
    warnings = list(dict.fromkeys(warning for outcome in made for warning in outcome.warnings))
    return Made(made[0].publication_id, artifacts, warnings)


# ---- the main process's side ----


class _Worker:
    """A worker process as the main process sees it: its pipes, whether it has set up, what it makes since when."""

    def __init__(self, pid: int, jobs: int, results: int, alive: int):
        self.pid = pid
        self.jobs = jobs  # write end: jobs for it
        self.results = results  # read end, not blocking: what it says
        self.alive = alive  # write end, never written: closed when this process ends, which ends the worker
        self.ready = False  # it has set its engines up and waits for parts
        self.part: _Part | None = None
        self.since = time.monotonic()  # when it started setting up, or started its part
        self.received = bytearray()

    @property
    def descriptors(self) -> tuple[int, int, int]:
        return self.jobs, self.results, self.alive

    def give(self, part: _Part) -> None:
        """Send it a part to make. A worker that died meanwhile is found at the end of its results."""
        job, wanted = part
        self.part, self.since = part, time.monotonic()
        with contextlib.suppress(BrokenPipeError):
            names = tuple(item.name for item in wanted)
            _send(self.jobs, (str(job.path), job.publication.source.path, names, job.digests))

    def receive(self) -> tuple[list[object], bool]:
        """The messages that have come in whole, and whether the worker has ended (its end of the pipe closed)."""
        ended = False
        while True:
            try:
                chunk = os.read(self.results, 1 << 20)
            except BlockingIOError:
                break
            if not chunk:
                ended = True
                break
            self.received += chunk
        messages = []
        while len(self.received) >= _LENGTH.size:
            (length,) = _LENGTH.unpack_from(self.received)
            if len(self.received) < _LENGTH.size + length:
                break
            messages.append(pickle.loads(self.received[_LENGTH.size : _LENGTH.size + length]))
            del self.received[: _LENGTH.size + length]
        return messages, ended

    def resident_memory(self) -> int | None:
        """Bytes of its resident memory, where /proc tells."""
        try:
            with open(f"/proc/{self.pid}/statm", "rb") as statm:
                return int(statm.read().split()[1]) * _PAGE_SIZE
        except (OSError, ValueError, IndexError):
            return None


_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_READY = "ready"  # what a worker says once it has set up


class WorkerPool:
    """Up to `size` forked workers; a part goes to the first idle one, and a worker that ends is replaced while
    parts remain. Time spent setting a worker up is not counted against a part."""

    def __init__(self, configuration: Configuration, limits: Limits, size: int, pdfs: bool):
        self.configuration = configuration
        self.limits = limits
        self.size = size
        self.pdfs = pdfs  # whether any part is laid out (PDF or OFD): then workers start the engine while they set up
        self.workers: dict[int, _Worker] = {}  # by process id
        self.pending: deque[_Part] = deque()
        self.selector = selectors.DefaultSelector()
        self.closed = False

    def run(self, parts: list[_Part]) -> Iterator[tuple[_Part, Outcome]]:
        self.pending.extend(parts)
        while self.pending or any(worker.part is not None for worker in self.workers.values()):
            yield from self._fill()
            for worker in self.workers.values():
                if worker.ready and worker.part is None and self.pending:
                    worker.give(self.pending.popleft())
            for key, _ in self.selector.select(POLL_SECONDS):
                worker = key.data
                messages, ended = worker.receive()
                for message in messages:
                    if message == _READY:
                        worker.ready = True
                    elif worker.part is not None:
                        part, worker.part = worker.part, None
                        yield part, cast(Outcome, message)
                if ended:
                    yield from self._ended(worker, None)
            yield from self._over_limits()

    def start(self) -> None:
        """Start the pool's workers now, before any part is given; as many as can be forked."""
        while len(self.workers) < self.size:
            try:
                self._start()
            except OSError:  # no process can be forked now: `run` starts them, or says why it cannot
                return

    def _fill(self) -> Iterator[tuple[_Part, Outcome]]:
        """Start workers while parts wait and the pool has room; with none at all, the parts fail."""
        while len(self.workers) < min(self.size, len(self.pending) + self._busy()):
            try:
                self._start()
            except OSError as error:  # no process can be forked now: go on with those there are
                if self.workers:
                    self.size = len(self.workers)
                    return
                message = f"cannot start a worker process: {error.strerror or error}"
                while self.pending:
                    part = self.pending.popleft()
                    yield part, Failed([Problem(Where(part[0].publication.source.path), "", message)])

    def _busy(self) -> int:
        return sum(1 for worker in self.workers.values() if worker.part is not None)

    def _over_limits(self) -> Iterator[tuple[_Part, Outcome]]:
        now = time.monotonic()
        for worker in list(self.workers.values()):
            if worker.ready and worker.part is None:
                continue
            if not worker.ready and now - worker.since > SETUP_SECONDS:
                over = f"longer than {SETUP_SECONDS:g} s"
            elif worker.ready and now - worker.since > self.limits.seconds:
                over = f"longer than the time limit of {self.limits.seconds:g} s (time_limit in the configuration)"
            elif (resident := worker.resident_memory()) is not None and resident > self.limits.memory:
                over = (
                    f"more memory than the limit of {self.limits.memory >> 20} MiB (memory_limit in the configuration)"
                )
            else:
                continue
            _kill(worker.pid)
            yield from self._ended(worker, over)

    def _ended(self, worker: _Worker, over: str | None) -> Iterator[tuple[_Part, Outcome]]:
        """A worker that ended (or was killed for taking `over` its limits): gone from the pool; the part it was
        making fails. One that ended before it was ready fails the next part instead, so that a worker that cannot
        start stops the build rather than being started again for ever."""
        self.selector.unregister(worker.results)
        del self.workers[worker.pid]
        for handle in worker.descriptors:
            os.close(handle)
        _, status = os.waitpid(worker.pid, 0)
        if worker.part is not None:
            part = worker.part
            if over:
                reason = f"stopped: making it took {over}"
            else:
                reason = f"internal error: the worker process making it {_how_it_ended(status)}"
        elif not worker.ready and self.pending:
            part = self.pending.popleft()
            if over:
                reason = f"stopped: setting up a worker process to make it took {over}"
            else:
                reason = f"internal error: the worker process set up to make it {_how_it_ended(status)}"
        else:
            return
        yield part, Failed([Problem(Where(part[0].publication.source.path), "", reason)])

    def _start(self) -> None:
        jobs_read, jobs_write = os.pipe()
        results_read, results_write = os.pipe()
        alive_read, alive_write = os.pipe()
        inherited = [handle for worker in self.workers.values() for handle in worker.descriptors]
        # This process's objects out of the collector's sight while forking: a worker's collections then never
        # walk them, which would copy every page they lie on into the worker.
        gc.freeze()
        try:
            pid = os.fork()
        except OSError:
            gc.unfreeze()
            for handle in (jobs_read, jobs_write, results_read, results_write, alive_read, alive_write):
                os.close(handle)
            raise
        if pid == 0:
            own = (jobs_read, results_write, alive_read)
            _worker(own, [jobs_write, results_read, alive_write, *inherited], self.configuration, self.pdfs)
        gc.unfreeze()
        for handle in (jobs_read, results_write, alive_read):
            os.close(handle)
        os.set_blocking(results_read, False)
        worker = _Worker(pid, jobs_write, results_read, alive_write)
        self.workers[pid] = worker
        self.selector.register(results_read, selectors.EVENT_READ, worker)

    def close(self) -> None:
        """Stop every worker: idle ones are told to (their job pipe closes), busy ones killed; all are waited for.
        Closing a closed pool does nothing."""
        if self.closed:
            return
        self.closed = True
        workers = list(self.workers.values())
        for worker in workers:
            if worker.part is not None or not worker.ready:
                _kill(worker.pid)
            os.close(worker.jobs)
        deadline = time.monotonic() + STOP_SECONDS
        for worker in workers:
            while os.waitpid(worker.pid, os.WNOHANG) == (0, 0):
                if time.monotonic() > deadline:
                    _kill(worker.pid)
                    os.waitpid(worker.pid, 0)
                    break
                time.sleep(0.005)
            os.close(worker.results)
            os.close(worker.alive)
        self.workers.clear()
        self.selector.close()


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def _how_it_ended(status: int) -> str:
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = str(number)
        if number == signal.SIGKILL:
            return f"was killed ({name}), perhaps by the system for want of memory"
        return f"ended by signal {name}"
    return f"ended with exit status {os.WEXITSTATUS(status)}"


# ---- the worker's side ----


def _worker(own: tuple[int, int, int], inherited: list[int], configuration: Configuration, pdfs: bool) -> NoReturn:
    """A forked worker's whole life: it never returns into the code that forked it."""
    jobs, results, alive = own
    status = 1
    try:
        _end_with_parent(alive)
        for handle in inherited:  # the other ends of its own pipes, and other workers' ends
            os.close(handle)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C ends the main process, and that ends the workers
        maker = _Maker(configuration, pdfs)
        _send(results, _READY)
        while (message := _receive(jobs)) is not None:
            path, shown, names, digests = cast(tuple[str, str, tuple[str, ...], ContentDigests], message)
            outcome = maker.make(Path(path), shown, tuple(artifact_named(name) for name in names), digests)
            try:
                data = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
            except Exception as error:  # noqa: BLE001 a value in a problem that cannot travel: still one line
                data = pickle.dumps(Failed([internal_error(shown, error)]), protocol=pickle.HIGHEST_PROTOCOL)
            _send_bytes(results, data)
        status = 0
    finally:
        os._exit(status)


def _end_with_parent(alive: int) -> None:
    """Have the kernel end this process (SIGIO, whose default action is to terminate) when the main process's
    end of the `alive` pipe closes, that is when the main process ends. Set before this process closes its own
    copy of that end, so that a main process that ended in between is noticed too."""
    signal.signal(signal.SIGIO, signal.SIG_DFL)
    fcntl.fcntl(alive, fcntl.F_SETOWN, os.getpid())
    fcntl.fcntl(alive, fcntl.F_SETFL, fcntl.fcntl(alive, fcntl.F_GETFL) | os.O_ASYNC)


class _Maker:
    """One worker's publisher, with the engines set up before its first part, and the boundary no exception
    crosses."""

    def __init__(self, configuration: Configuration, pdfs: bool):
        self.publisher: publisher.Publisher | None = None
        self.failure: Exception | None = None  # why it could not be set up: said for each part
        try:
            self.publisher = publisher.Publisher(configuration)
            if pdfs:  # WeasyPrint imported and started here, not in the time of the first part
                self.publisher.engine  # noqa: B018
        except Exception as error:  # noqa: BLE001 reported with each part, by the boundary below
            self.failure = error

    def make(self, path: Path, shown: str, wanted: tuple[ArtifactType, ...], digests: ContentDigests) -> Outcome:
        try:
            if self.publisher is None:
                assert self.failure is not None, "a maker without a publisher knows why"
                raise self.failure
            publication = load_publication(path, shown, digests)
            artifacts = self.publisher.artifacts(publication, wanted)
            return Made(publication.id, artifacts, self.publisher.warnings)
        except GongwenError as error:
            return Failed(error.problems)
        except OSError as error:
            if error.errno in _WORKING_FILE_ERRORS:
                return _cannot_make(error)
            return Failed([internal_error(shown, error)])
        except Exception as error:  # noqa: BLE001 the publication boundary: whatever else it raised stops it alone
            return Failed([internal_error(shown, error)])


def _cannot_make(error: OSError) -> Failed:
    """A full disk or a file-size limit met by the engines' working files: one line, no traceback. Every
    worker says the same line (the folder they all work in), so it is said once."""
    reason = error.strerror or str(error)
    return Failed([Problem(Where(shown_path(tempfile.gettempdir())), "", f"cannot write working files: {reason}")])


# ---- messages on pipes ----


def _send(handle: int, message: object) -> None:
    _send_bytes(handle, pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))


def _send_bytes(handle: int, data: bytes) -> None:
    for block in (_LENGTH.pack(len(data)), data):
        view = memoryview(block)
        while view:
            view = view[os.write(handle, view) :]


def _receive(handle: int) -> object | None:
    """The next message, waiting for it; None when the other end is closed."""
    head = _read_exactly(handle, _LENGTH.size)
    if head is None:
        return None
    data = _read_exactly(handle, _LENGTH.unpack(head)[0])
    return None if data is None else pickle.loads(data)


def _read_exactly(handle: int, size: int) -> bytes | None:
    data = bytearray()
    while len(data) < size:
        chunk = os.read(handle, size - len(data))
        if not chunk:
            return None
        data += chunk
    return bytes(data)
