"""The library API: find content files, check them, and build the publications that need it.

`check(paths)` loads and validates. `build(paths, configuration)` skips every artifact whose inputs
have not changed since the output folder's last build (see `incremental`), makes the rest — in this
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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__
from .artifacts import ARTIFACTS, ArtifactType
from .config import Configuration
from .errors import ContentError, GongwenError, Problem, Where, shown_path
from .incremental import Fingerprints, content_digest
from .lazy import lazy_import
from .output.folder import OutputFolder, Written
from .output.manifest import MANIFEST
from .output.merge import MAX_SLICES, shard_manifest
from .typeset.fonts import font_inventory, resolve_fonts

if TYPE_CHECKING:
    from . import faults, workers
    from .content import model
else:
    faults = lazy_import("pipeline.faults")  # what no stage expected: only when something fails
    # A build with nothing to do reads no content file and makes nothing: the model's records (10 ms),
    # process pools and the engines load only when a content file changed.
    model = lazy_import("pipeline.content.model")
    workers = lazy_import("pipeline.workers")

CONTENT_SUFFIXES = (".yaml", ".yml")


def discover(paths: list[Path]) -> list[Path]:
    """Content files named by `paths`: files as given, folders searched for *.yaml (not _*.yaml)."""
    found: list[Path] = []
    problems = []
    for path in paths:
        if path.is_dir():
            found.extend(
                sorted(
                    item
                    for item in path.rglob("*")
                    if item.suffix in CONTENT_SUFFIXES and item.is_file() and not item.name.startswith(("_", "."))
                )
            )
        elif path.is_file():
            found.append(path)
        else:
            problems.append(Problem(Where(shown_path(path)), "", "no such file or folder"))
    if problems:
        raise ContentError(problems)
    return list(dict.fromkeys(found))


def _shared_folder(publication: model.Publication, other: str) -> Problem:
    """Two content files claim one output folder: which of them it should hold is for the user to say."""
    return Problem(
        publication.where("id"),
        "id",
        f"two publications would share dist/{publication.id}/ (the other is {other})",
        publication.id,
    )


def _claimed(publication: model.Publication, recorded: str, output: OutputFolder) -> Problem:
    """A content file claims an id whose folder another, still existing, content file made."""
    return Problem(
        publication.where("id"),
        "id",
        f"{shown_path(output.root / publication.id)}/ holds the publication of {recorded}, which still exists; "
        "give one of them another id, or remove the other file",
        publication.id,
    )


def _load_each(files: list[Path]) -> tuple[dict[Path, model.Publication], list[Problem]]:
    """The publication of each file and every problem found in them; two files claiming one id are both left out."""
    loaded: dict[Path, model.Publication] = {}
    problems = []
    for path in files:
        try:
            loaded[path] = model.load_publication(path, shown_path(path))
        except ContentError as error:
            problems.extend(error.problems)
        except Exception as error:  # noqa: BLE001 a publication boundary: what no stage expected stops this file alone
            problems.append(faults.internal_error(shown_path(path), error))
    first_seen: dict[str, model.Publication] = {}
    shared: set[str] = set()
    for publication in loaded.values():
        earlier = first_seen.setdefault(publication.id, publication)
        if earlier is not publication:
            shared.add(publication.id)
            problems.append(_shared_folder(publication, earlier.source.path))
    return {path: publication for path, publication in loaded.items() if publication.id not in shared}, problems


def load_all(files: list[Path]) -> tuple[list[model.Publication], list[Problem]]:
    """The publications of `files` and every problem found in them; two files claiming one id are both left out."""
    loaded, problems = _load_each(files)
    return list(loaded.values()), problems


def check(paths: list[Path]) -> list[model.Publication]:
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
    def parse(cls, text: str) -> Shard:
        match = re.fullmatch(r"\s*(\d{1,9})\s*/\s*(\d{1,9})\s*", text)
        if not match or not 1 <= int(match.group(1)) <= int(match.group(2)):
            raise ValueError(f"expected K/N with 1 ≤ K ≤ N, e.g. 2/4 (got {text!r})")
        if int(match.group(2)) > MAX_SLICES:
            raise ValueError(f"at most {MAX_SLICES} slices, as many as one CI matrix runs (got {text!r})")
        return cls(int(match.group(1)), int(match.group(2)))

    def holds(self, source: str) -> bool:
        return int(hashlib.sha256(source.encode("utf-8")).hexdigest()[:12], 16) % self.count == self.number - 1

    @property
    def manifest(self) -> str:
        return shard_manifest(self.number, self.count)


def source_name(path: Path, configuration: Configuration) -> str:
    """A content file as the manifest names it: relative to the project folder, so it survives a move. The
    folders are resolved, the file's own name is not: two links to one file are two publications."""
    absolute = path.absolute().parent.resolve() / path.name
    try:
        return absolute.relative_to(configuration.root.resolve()).as_posix()
    except ValueError:
        return absolute.as_posix()


def _source_exists(source: str, configuration: Configuration) -> bool:
    return (configuration.root.resolve() / source).exists()


@dataclass
class BuildReport:
    problems: list[Problem] = field(default_factory=list)
    built: list[str] = field(default_factory=list)
    up_to_date: list[str] = field(default_factory=list)  # publications whose every artifact was current
    kept: list[Path] = field(default_factory=list)  # edited artifacts kept under .edited names by --force


@dataclass
class BuildEvents:
    """What a build tells its caller as it goes (the command line draws progress from it)."""

    planned: Callable[[int, int], None] | None = None  # (publications to make, publications up to date)
    built: Callable[[str, Written], None] | None = None  # (publication id, what was written)
    failed: Callable[[list[Problem]], None] | None = None
    waiting: Callable[[Problem], None] | None = None  # another build holds the output folder: this one waits


def default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def build(
    paths: list[Path],
    configuration: Configuration,
    *,
    force: bool = False,
    jobs: int = 1,
    shard: Shard | None = None,
    events: BuildEvents | None = None,
) -> BuildReport:
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
    about = {
        "tool": "gongwen",
        "version": __version__,
        "pdf_variant": settings.pdf_variant,
        "fonts": font_inventory(faces),
        "shared_inputs": {"pdf": fingerprints.pdf, "word": fingerprints.word},
    }
    output = OutputFolder(
        configuration.output_folder(),
        about,
        force=force,
        manifest=shard.manifest if shard else MANIFEST,
        waiting=events.waiting,
    )
    try:
        output.open()  # the lock first: what is read next is what this build writes over
    except GongwenError as error:
        report.problems.extend(error.problems)
        return report
    with output:
        jobs_to_do = _plan(files, sources, fingerprints, output, force, report, configuration)
        if events.planned:
            events.planned(len(jobs_to_do), len(report.up_to_date))
        if jobs_to_do:
            for job, outcome in workers.make_all(jobs_to_do, configuration, jobs):
                _write(job, outcome, output, report, events)
        try:
            if not files:  # an empty slice still says so, or the merge would take it for a missing one
                output.write_records()
            elif not report.problems:  # a build that refuses something repairs nothing either
                output.finish()
        except GongwenError as error:
            report.problems.extend(error.problems)
    return report


def _write(
    job: workers.Job, outcome: workers.Outcome, output: OutputFolder, report: BuildReport, events: BuildEvents
) -> None:
    """Hand one publication's artifacts to the output folder, and say how it went."""
    try:
        if isinstance(outcome, workers.Failed):
            raise GongwenError(outcome.problems)
        written = output.write(outcome.artifacts, outcome.publication_id, job.source, job.inputs)
    except GongwenError as error:
        problems = error.problems
    except Exception as error:  # noqa: BLE001 a publication boundary (see pipeline.faults): the records stay what
        # a build killed at this point would leave, which the next build settles
        problems = [faults.internal_error(job.publication.source.path, error)]
    else:
        report.kept.extend(written.kept)
        report.built.append(outcome.publication_id)
        if events.built:
            events.built(outcome.publication_id, written)
        return
    report.problems.extend(problems)
    if events.failed:
        events.failed(problems)


@dataclass(frozen=True)
class _Stale:
    """A content file with at least one artifact to make."""

    path: Path
    source: str
    inputs: dict[str, str]
    wanted: tuple[ArtifactType, ...]


def _plan(
    files: list[Path],
    sources: dict[Path, str],
    fingerprints: Fingerprints,
    output: OutputFolder,
    force: bool,
    report: BuildReport,
    configuration: Configuration,
) -> list[workers.Job]:
    """What must be made: every artifact whose inputs changed (all, with `force`). Content that
    changed is loaded here, so mistakes and shared ids are found before any engine starts."""
    stale: list[_Stale] = []
    current: dict[str, str] = {}  # id → content file, for publications wholly up to date
    for path in files:
        source = sources[path]
        try:
            inputs = fingerprints.inputs(content_digest(path))  # read only as far as the size limit
            publication_id, fresh = (None, set()) if force else output.up_to_date(source, inputs)
        except GongwenError as error:
            report.problems.extend(error.problems)
            continue
        except Exception as error:  # noqa: BLE001 a publication boundary (see pipeline.faults)
            report.problems.append(faults.internal_error(shown_path(path), error))
            continue
        wanted = tuple(artifact for artifact in ARTIFACTS if artifact.name not in fresh)
        if wanted:
            stale.append(_Stale(path, source, inputs, wanted))
        else:
            assert publication_id is not None, "a publication with every artifact fresh was built before"
            report.up_to_date.append(publication_id)
            current[publication_id] = source
    if not stale:
        return []
    by_file, problems = _load_each([item.path for item in stale])
    report.problems.extend(problems)
    jobs = []
    for item in stale:
        publication = by_file.get(item.path)
        if publication is None:
            continue  # its problems are reported
        owner = current.get(publication.id)
        if owner is not None:
            report.problems.append(_shared_folder(publication, owner))
            continue
        recorded = output.owner(publication.id)
        if recorded is not None and recorded != item.source and _source_exists(recorded, configuration):
            report.problems.append(_claimed(publication, recorded, output))
            continue
        jobs.append(workers.Job(publication, item.path, item.source, item.inputs, item.wanted))
    return jobs
