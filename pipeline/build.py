"""The library API: find content files, check them, and build the publications that need it.

`check(paths)` loads and validates. `build(paths, configuration)` skips every artifact whose inputs
have not changed since the output folder's last build (see `freshness`), makes the rest — in this
process, or over a pool of worker processes that each start the engines once — and hands each
publication's artifacts to the output folder, the only writer. A publication is made completely
in memory before any of its files is written, so one that fails leaves its earlier artifacts as
they were, and the others still build. `--shard K/N` builds a deterministic slice, for a CI matrix.
The command line is a thin layer over these functions; the tests call them directly.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator

from . import __version__
from .config import Configuration
from .errors import ContentError, GongwenError, Problem, Where, shown_path
from .fonts import font_inventory, resolve_fonts
from .freshness import Fingerprints, content_digest
from .output import ARTIFACT_NAMES, BRIEFING, MANIFEST, Artifact, OutputFolder, Written

if TYPE_CHECKING:
    from .model import Publication

CONTENT_SUFFIXES = (".yaml", ".yml")


def discover(paths: list[Path]) -> list[Path]:
    """Content files named by `paths`: files as given, folders searched for *.yaml (not _*.yaml)."""
    found: list[Path] = []
    problems = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(item for item in path.rglob("*") if item.suffix in CONTENT_SUFFIXES
                                and item.is_file() and not item.name.startswith(("_", "."))))
        elif path.is_file():
            found.append(path)
        else:
            problems.append(Problem(Where(shown_path(path)), "", "no such file or folder"))
    if problems:
        raise ContentError(problems)
    unique = list(dict.fromkeys(found))
    return unique


def load_all(files: list[Path]) -> tuple[list[Publication], list[Problem]]:
    from .model import load_publication  # the YAML parser and the model load only when content must be read
    publications, problems = [], []
    for path in files:
        try:
            publications.append(load_publication(path, shown_path(path)))
        except ContentError as error:
            problems.extend(error.problems)
    first_seen: dict[str, Publication] = {}
    shared: set[str] = set()
    for publication in publications:
        earlier = first_seen.setdefault(publication.id, publication)
        if earlier is not publication:
            shared.add(publication.id)
            problems.append(Problem(publication.where("id") if "id" in publication.positions else Where(publication.source.path),
                                    "id", f"two publications would share dist/{publication.id}/ (the other is {earlier.source.path})",
                                    publication.id))
    # Which of them dist/<id>/ should hold is for the user to say: neither is built.
    return [publication for publication in publications if publication.id not in shared], problems


def check(paths: list[Path]) -> list[Publication]:
    """Validate content files; raise ContentError listing every problem."""
    publications, problems = load_all(discover(paths))
    if problems:
        raise ContentError(problems)
    return publications


@dataclass(frozen=True)
class Shard:
    """Slice `number` of `count` (1-based): a stable share of the content files, by the hash of their path."""

    number: int
    count: int

    @classmethod
    def parse(cls, text: str) -> "Shard":
        match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
        if not match or not 1 <= int(match.group(1)) <= int(match.group(2)):
            raise ValueError(f"expected K/N with 1 ≤ K ≤ N, e.g. 2/4 (got {text!r})")
        return cls(int(match.group(1)), int(match.group(2)))

    def holds(self, source: str) -> bool:
        return int(hashlib.sha256(source.encode("utf-8")).hexdigest()[:12], 16) % self.count == self.number - 1

    @property
    def manifest(self) -> str:
        return f"manifest-{self.number}-of-{self.count}.json"


def source_name(path: Path, configuration: Configuration) -> str:
    """A content file as the manifest names it: relative to the project folder, so it survives a move."""
    resolved = path.resolve()
    try:
        return resolved.relative_to(configuration.root.resolve()).as_posix()
    except ValueError:
        return resolved.as_posix()


@dataclass
class BuildReport:
    written: list[Path] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    built: list[str] = field(default_factory=list)
    up_to_date: list[str] = field(default_factory=list)   # publications whose every artifact was current
    kept: list[Path] = field(default_factory=list)        # edited artifacts kept under .edited names by --force


@dataclass
class BuildEvents:
    """What a build tells its caller as it goes (the command line draws progress from it)."""

    planned: Callable[[int, int], None] | None = None          # (publications to make, publications up to date)
    built: Callable[[str, Written], None] | None = None        # (publication id, what was written)
    failed: Callable[[list[Problem]], None] | None = None


@dataclass
class _Job:
    path: Path
    source: str
    shown: str
    inputs: dict[str, str]
    names: tuple[str, ...]
    publication: Publication | None = None


def default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def build(paths: list[Path], configuration: Configuration, *, force: bool = False, jobs: int = 1,
          shard: Shard | None = None, events: BuildEvents | None = None) -> BuildReport:
    """Build what is out of date under `paths`; problems are collected, not raised, so the others still build.

    `force` rebuilds everything, and keeps any artifact edited since it was built beside the new
    one (without it, an edited artifact stops its publication). `jobs` > 1 makes publications in
    that many worker processes.
    """
    events = events or BuildEvents()
    report = BuildReport()
    files = discover(paths)
    sources = {path: source_name(path, configuration) for path in files}
    if shard is not None:
        files = [path for path in files if shard.holds(sources[path])]
    if not files and shard is None:
        return report
    settings = configuration.settings
    try:
        faces = resolve_fonts(settings.fonts.as_dict(), configuration.where())
        templates, reference_doc = configuration.template_folders(), configuration.reference_document()
    except GongwenError as error:
        report.problems.extend(error.problems)
        return report
    fingerprints = Fingerprints.of(configuration, faces, templates, reference_doc)
    about = {"tool": "gongwen", "version": __version__, "pdf_variant": settings.pdf_variant, "fonts": font_inventory(faces)}
    try:
        output = OutputFolder(configuration.path("output"), about, force=force,
                              manifest=shard.manifest if shard else MANIFEST)
    except GongwenError as error:
        report.problems.extend(error.problems)
        return report
    try:
        if not files:  # an empty slice still says so, or the merge would take it for a missing one
            output.write([])
        jobs_to_do = _plan(files, sources, fingerprints, output, force, report)
        if events.planned:
            events.planned(len(jobs_to_do), len(report.up_to_date))
        for job, outcome in _make_all(jobs_to_do, configuration, jobs):
            if isinstance(outcome, _Failed):
                report.problems.extend(outcome.problems)
                if events.failed:
                    events.failed(outcome.problems)
                continue
            publication_id = outcome.publication_id
            try:
                written = output.write(outcome.artifacts, publication_id, job.source, job.inputs)
            except GongwenError as error:
                report.problems.extend(error.problems)
                if events.failed:
                    events.failed(error.problems)
                continue
            report.written.extend(written.paths)
            report.kept.extend(written.kept)
            report.built.append(publication_id)
            if events.built:
                events.built(publication_id, written)
    finally:
        output.close()
    return report


def _plan(files: list[Path], sources: dict[Path, str], fingerprints: Fingerprints, output: OutputFolder,
          force: bool, report: BuildReport) -> list[_Job]:
    """What must be made: every artifact whose inputs changed (all, with `force`). Content that
    changed is loaded here, so mistakes and shared ids are found before any engine starts."""
    jobs = []
    current: dict[str, str] = {}  # id → content file, for publications wholly up to date
    for path in files:
        source = sources[path]
        try:
            inputs = fingerprints.inputs(content_digest(path))
        except OSError as error:
            report.problems.append(Problem(Where(shown_path(path)), "", f"cannot read the file: {error.strerror or error}"))
            continue
        publication_id, fresh = (None, set()) if force else output.up_to_date(source, inputs)
        names = tuple(name for name in ARTIFACT_NAMES if name not in fresh)
        if names:
            jobs.append(_Job(path, source, shown_path(path), inputs, names))
        else:
            report.up_to_date.append(publication_id)
            current[publication_id] = source
    if not jobs:
        return []
    publications, problems = load_all([job.path for job in jobs])
    report.problems.extend(problems)
    by_file = {publication.source.path: publication for publication in publications}
    ready = []
    for job in jobs:
        job.publication = by_file.get(job.shown)
        if job.publication is None:
            continue  # its problems are reported
        owner = current.get(job.publication.id)
        if owner is not None:
            report.problems.append(Problem(job.publication.where("id"), "id",
                                           f"two publications would share dist/{job.publication.id}/ (the other is {owner})",
                                           job.publication.id))
            continue
        ready.append(job)
    return ready


# ---- making publications: here, or in worker processes that each set up the engines once ----

@dataclass(frozen=True)
class _Made:
    publication_id: str
    artifacts: list[Artifact]


@dataclass(frozen=True)
class _Failed:
    problems: list[Problem]


_worker_publisher = None


def _start_worker(configuration: Configuration) -> None:
    global _worker_publisher
    from .publish import Publisher
    _worker_publisher = Publisher(configuration)


def _make_in_worker(path: Path, shown: str, names: tuple[str, ...]) -> _Made | _Failed:
    from .model import load_publication
    try:
        publication = load_publication(path, shown)
        return _Made(publication.id, _worker_publisher.artifacts(publication, names))
    except GongwenError as error:
        return _Failed(error.problems)


def _make_all(jobs: list[_Job], configuration: Configuration, workers: int) -> Iterator[tuple[_Job, _Made | _Failed]]:
    """Every job's outcome, as the jobs finish."""
    if not jobs:
        return
    if workers <= 1:
        yield from _make_here(jobs, configuration)
        return
    parts = _parts(jobs, workers)
    if len(parts) == 1:
        yield from _make_here(jobs, configuration)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    # Fork where there is one: workers inherit the loaded configuration and start at once.
    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    waiting = {id(job): len([part for part in parts if part[0] is job]) for job in jobs}
    gathered: dict[int, list[_Made | _Failed]] = {id(job): [] for job in jobs}
    with ProcessPoolExecutor(max_workers=min(workers, len(parts)), mp_context=context,
                             initializer=_start_worker, initargs=(configuration,)) as pool:
        futures = {pool.submit(_make_in_worker, job.path, job.shown, names): job for job, names in parts}
        for future in as_completed(futures):
            job = futures[future]
            gathered[id(job)].append(future.result())
            waiting[id(job)] -= 1
            if waiting[id(job)] == 0:
                yield job, _joined(gathered.pop(id(job)))


def _parts(jobs: list[_Job], workers: int) -> list[tuple[_Job, tuple[str, ...]]]:
    """The work for the pool. With fewer publications than workers (one edited file, a single cold
    build), a publication's artifacts are split between workers: the briefing in one, the notice
    and the summary in another, each worker starting its own engine at the same time."""
    if len(jobs) >= workers:
        return [(job, job.names) for job in jobs]
    parts = []
    for job in jobs:
        pdf_first = tuple(name for name in job.names if name == BRIEFING)
        rest = tuple(name for name in job.names if name != BRIEFING)
        parts.extend((job, names) for names in (pdf_first, rest) if names)
    return parts


def _joined(outcomes: list[_Made | _Failed]) -> _Made | _Failed:
    """One publication's outcome from its parts: made only if every part was."""
    failed = [problem for outcome in outcomes if isinstance(outcome, _Failed) for problem in outcome.problems]
    if failed:
        return _Failed(list(dict.fromkeys(failed)))
    artifacts = sorted((artifact for outcome in outcomes for artifact in outcome.artifacts),
                       key=lambda artifact: ARTIFACT_NAMES.index(artifact.path.rsplit("/", 1)[1]))
    return _Made(outcomes[0].publication_id, artifacts)


def _make_here(jobs: list[_Job], configuration: Configuration) -> Iterator[tuple[_Job, _Made | _Failed]]:
    from .publish import Publisher
    try:
        publisher = Publisher(configuration)
    except GongwenError as error:
        for job in jobs:
            yield job, _Failed(error.problems)
        return
    for job in jobs:
        try:
            yield job, _Made(job.publication.id, publisher.artifacts(job.publication, job.names))
        except GongwenError as error:
            yield job, _Failed(error.problems)
