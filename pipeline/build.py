"""The library API: find content files, check them, and build the publications that need it.

`check(paths)` loads and validates. `build(paths, configuration)` skips every artifact whose inputs
have not changed since the output folder's last build (see `incremental`), makes the rest — in this
process, or over a pool of worker processes that each start the engines once — and hands each
publication's artifacts to the output folder, the only writer. A publication is made completely
in memory before any of its files is written, so one that fails leaves its earlier artifacts as
they were, and the others still build. An artifact edited by hand never stops a build: it is kept,
and the rebuilt one goes beside it (`strict` makes any edited artifact a problem). `--shard K/N`
builds a deterministic slice, for a CI matrix. The command line is a thin layer over these
functions; the tests call them directly.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__
from .artifacts import ARTIFACTS, ArtifactType
from .config import Configuration
from .content import ContentDigests
from .errors import ContentError, GongwenError, Problem, Where, shown_path
from .incremental import CONTENT, DEFAULTS, Fingerprints, content_digests, recorded_components, vocabulary_digests
from .lazy import lazy_import
from .output.folder import KeptEdit, OutputFolder, Written
from .output.manifest import MANIFEST
from .output.merge import MAX_SLICES, shard_manifest
from .typeset.fonts import ResolvedFace, font_inventory, resolve_fonts

if TYPE_CHECKING:
    from . import faults, workers
    from .content import model, vocabulary
    from .typeset import prepared
else:
    faults = lazy_import("pipeline.faults")  # what no stage expected: only when something fails
    # A build with nothing to do reads no content file and makes nothing: the model's records (10 ms),
    # process pools and the engines load only when a content file changed.
    model = lazy_import("pipeline.content.model")
    vocabulary = lazy_import("pipeline.content.vocabulary")
    workers = lazy_import("pipeline.workers")
    prepared = lazy_import("pipeline.typeset.prepared")

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


def _load_each(
    files: list[Path], vocabularies: Mapping[str, vocabulary.Vocabulary] | None = None
) -> tuple[dict[Path, model.Publication], list[Problem]]:
    """The publication of each file and every problem found in them; two files claiming one id are both left out,
    and so is one whose vocabulary cannot be told (among the built-in ones, unless `vocabularies` are given)."""
    loaded: dict[Path, model.Publication] = {}
    problems = []
    for path in files:
        try:
            publication = model.load_publication(path, shown_path(path))
            vocabulary.vocabulary_for(publication, vocabularies or vocabulary.BUILTIN)
            loaded[path] = publication
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


def load_all(
    files: list[Path], vocabularies: Mapping[str, vocabulary.Vocabulary] | None = None
) -> tuple[list[model.Publication], list[Problem]]:
    """The publications of `files` and every problem found in them (see `_load_each`)."""
    loaded, problems = _load_each(files, vocabularies)
    return list(loaded.values()), problems


def check(
    paths: list[Path], vocabularies: Mapping[str, vocabulary.Vocabulary] | None = None
) -> list[model.Publication]:
    """Validate content files; raise ContentError listing every problem."""
    publications, problems = load_all(discover(paths), vocabularies)
    if problems:
        raise ContentError(problems)
    return publications


def searched(paths: list[Path]) -> str:
    """The files and folders a command looked in, as a message names them: `content/, more/x.yaml`."""
    return ", ".join(shown_path(path) + ("/" if path.is_dir() else "") for path in paths) or "nothing"


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
    warnings: list[Problem] = field(default_factory=list)  # built all the same: a line spaced beyond the limit
    refused: list[str] = field(default_factory=list)  # content files (as shown) that were not built: see problems
    kept: list[Path] = field(default_factory=list)  # edited artifacts kept under .edited names by --force
    kept_edits: list[KeptEdit] = field(default_factory=list)  # edited artifacts kept in place, rebuilt beside them
    edited: list[KeptEdit] = field(default_factory=list)  # every edited artifact of the publications built or current
    strays: list[Path] = field(default_factory=list)  # files no record lists in those publications' folders


@dataclass
class BuildEvents:
    """What a build tells its caller as it goes (the command line draws progress from it)."""

    planned: Callable[[int, int], None] | None = None  # (publications to make, publications up to date)
    built: Callable[[str, Written], None] | None = None  # (publication id, what was written)
    failed: Callable[[list[Problem]], None] | None = None
    waiting: Callable[[Problem], None] | None = None  # another build holds the output folder: this one waits
    preparing: Callable[[int], None] | None = None  # (font faces to prepare for cutting, once per machine)


@dataclass(frozen=True)
class Prepared:
    """What every publication of a build is made with besides its content: the resolved faces, and the fingerprints
    of the templates, fonts, reference document and settings."""

    faces: dict[str, ResolvedFace]
    fingerprints: Fingerprints
    vocabularies: Mapping[str, vocabulary.Vocabulary]


def prepare(configuration: Configuration) -> Prepared:
    """Resolve the fonts and digest the shared inputs; a GongwenError for a font, a template folder, a reference
    document or SOURCE_DATE_EPOCH that is wrong."""
    faces = resolve_fonts(configuration.settings.fonts.as_dict(), configuration.where())
    templates, reference_doc = configuration.template_folders(), configuration.reference_document()
    vocabularies = configuration.vocabularies()
    return Prepared(faces, Fingerprints.of(configuration, faces, templates, reference_doc), vocabularies)


PREPARE_FACES_AT = 8
"""A build with this many publications to make first prepares the font faces it lacks for cutting, once per machine
(about 0.1 s a face): the cuts of 8 publications save about that. Any build uses the faces prepared before it."""


def _prepare_faces(faces: dict[str, ResolvedFace], publications: int, events: BuildEvents) -> None:
    """For a build of `PREPARE_FACES_AT` publications or more, prepare for cutting the faces that lack it
    (`typeset.prepared.prepare_face`) before the workers start: they find them in the cache. A face that cannot be
    prepared is cut the slower way; a smaller build never waits for a preparation (it uses those made before), nor
    imports the module that makes one."""
    if publications < PREPARE_FACES_AT:
        return
    unprepared = list({(face.path, face.index): face for face in faces.values() if prepared.preparable(face)}.values())
    if unprepared and events.preparing:
        events.preparing(len(unprepared))
    for face in unprepared:
        prepared.prepare_face(face)


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
    strict: bool = False,
    jobs: int = 1,
    shard: Shard | None = None,
    events: BuildEvents | None = None,
) -> BuildReport:
    """Build what is out of date under `paths`; problems are collected, not raised, so the others still build.

    An artifact edited since it was built is kept as it is and the rebuilt one is written beside it
    (`report.kept_edits`); `strict` makes every edited artifact of the publications built a problem,
    after the build. `force` rebuilds everything and keeps each edited artifact under an `.edited`
    name instead, writing the new one in its place. `jobs` > 1 makes publications in that many
    worker processes.
    """
    events = events or BuildEvents()
    report = BuildReport()
    files = discover(paths)
    sources = {path: source_name(path, configuration) for path in files}
    if shard is not None:
        files = [path for path in files if shard.holds(sources[path])]
    if not files and shard is None:
        return report
    try:
        prepared = prepare(configuration)
    except GongwenError as error:
        report.problems.extend(error.problems)
        report.refused.extend(shown_path(path) for path in files)
        return report
    fingerprints = prepared.fingerprints
    about = {
        "tool": "gongwen",
        "version": __version__,
        "pdf_variant": configuration.settings.pdf_variant,
        "formats": sorted(set(configuration.settings.formats)),
        "fonts": font_inventory(prepared.faces),
        "shared_inputs": {"pdf": fingerprints.pdf, "word": fingerprints.word, "ofd": fingerprints.ofd},
        "vocabularies": vocabulary_digests(prepared.vocabularies),
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
        report.refused.extend(shown_path(path) for path in files)
        return report
    with output:
        # Every publication will be made (`--force`, or nothing built here yet): the workers set up their engines
        # while the content is read and checked, rather than after.
        every_one = force or not output.records.artifacts
        started = workers.start_early(configuration, jobs, len(files)) if every_one else None
        try:
            jobs_to_do, components = _plan(
                files, sources, fingerprints, output, force, report, configuration, prepared.vocabularies
            )
            _prepare_faces(prepared.faces, len(jobs_to_do), events)
            if events.planned:
                events.planned(len(jobs_to_do), len(report.up_to_date))
            for job, outcome in workers.make_all(jobs_to_do, configuration, jobs, started):
                _write(job, outcome, output, report, events, components[job.source])
        finally:
            if started is not None:
                started.close()
        try:
            if not files:  # an empty slice still says so, or the merge would take it for a missing one
                output.write_records()
            elif not report.problems:  # a build that refuses something repairs nothing either
                output.finish()
        except GongwenError as error:
            report.problems.extend(error.problems)
        publication_ids = {*report.built, *report.up_to_date}
        report.edited, report.strays = output.edits(publication_ids), output.strays(publication_ids)
    if strict:
        report.problems.extend(strict_problem(edit) for edit in report.edited)
        report.problems.extend(stray_problem(path) for path in report.strays)
    return report


def stray_problem(path: Path) -> Problem:
    """`--strict`: a file gongwen did not make in a publication's folder would ship with it."""
    return Problem(
        Where(shown_path(path)),
        "",
        f"not made by gongwen ({MANIFEST} does not list it), and --strict allows nothing else in a publication's "
        "folder: move it out of the output folder",
    )


def strict_problem(edit: KeptEdit) -> Problem:
    """`--strict`: an artifact edited by hand is an error, so that a release never ships one unnoticed."""
    if edit.fresh is not None:
        advice = f"copy {shown_path(edit.fresh)} over it to take the rebuilt one, or delete it"
    else:
        advice = "delete it to have it made again"
    return Problem(
        Where(shown_path(edit.path)), "", f"edited by hand, and --strict allows no edited artifact: {advice}"
    )


def kept_edit_notice(edit: KeptEdit, publication_id: str) -> Problem:
    """What a build says when it kept an edited artifact and wrote the rebuilt one beside it."""
    assert edit.fresh is not None, "a kept edit has its rebuilt version beside it"
    compare = f"`gongwen diff {publication_id}` shows what differs; " if edit.path.suffix == ".docx" else ""
    return Problem(
        Where(shown_path(edit.path)),
        "",
        f"edited by hand, so it is kept as it is; the rebuilt one is {shown_path(edit.fresh)} ({compare}copy it over "
        "the edited file, or delete the edited file, to take it)",
    )


def _write(
    job: workers.Job,
    outcome: workers.Outcome,
    output: OutputFolder,
    report: BuildReport,
    events: BuildEvents,
    components: dict[str, dict[str, str]],
) -> None:
    """Hand one publication's artifacts to the output folder, and say how it went."""
    try:
        if isinstance(outcome, workers.Failed):
            raise GongwenError(outcome.problems)
        written = output.write(outcome.artifacts, outcome.publication_id, job.source, job.inputs, components)
    except GongwenError as error:
        problems = error.problems
    except Exception as error:  # noqa: BLE001 a publication boundary (see pipeline.faults): the records stay what
        # a build killed at this point would leave, which the next build settles
        problems = [faults.internal_error(job.publication.source.path, error)]
    else:
        report.kept.extend(written.kept)
        report.kept_edits.extend(written.kept_edits)
        report.warnings.extend(outcome.warnings)
        report.built.append(outcome.publication_id)
        if events.built:
            events.built(outcome.publication_id, written)
        return
    report.problems.extend(problems)
    report.refused.append(shown_path(job.path))
    if events.failed:
        events.failed(problems)


@dataclass(frozen=True)
class _Stale:
    """A content file with at least one artifact to make."""

    path: Path
    source: str
    inputs: dict[str, str]
    wanted: tuple[ArtifactType, ...]
    digests: ContentDigests


def _plan(
    files: list[Path],
    sources: dict[Path, str],
    fingerprints: Fingerprints,
    output: OutputFolder,
    force: bool,
    report: BuildReport,
    configuration: Configuration,
    vocabularies: Mapping[str, vocabulary.Vocabulary],
) -> tuple[list[workers.Job], dict[str, dict[str, dict[str, str]]]]:
    """What must be made: every artifact whose inputs changed (all, with `force`), and the components of the
    inputs of each content file to make. Content that changed is loaded here, so mistakes and shared ids are
    found before any engine starts."""
    stale: list[_Stale] = []
    components: dict[str, dict[str, dict[str, str]]] = {}
    current: dict[str, str] = {}  # id → content file, for publications wholly up to date
    for path in files:
        source = sources[path]
        try:
            content = content_digests(path)  # read only as far as the size limit
            inputs = fingerprints.inputs(content)
            publication_id, fresh = (None, set()) if force else output.up_to_date(source, inputs)
        except GongwenError as error:
            report.problems.extend(error.problems)
            report.refused.append(shown_path(path))
            continue
        except Exception as error:  # noqa: BLE001 a publication boundary (see pipeline.faults)
            report.problems.append(faults.internal_error(shown_path(path), error))
            report.refused.append(shown_path(path))
            continue
        wanted = tuple(artifact for artifact in ARTIFACTS if artifact.name in inputs and artifact.name not in fresh)
        if wanted:
            stale.append(_Stale(path, source, inputs, wanted, ContentDigests(content[CONTENT], content[DEFAULTS])))
            components[source] = recorded_components(fingerprints.components(content))
        else:
            assert publication_id is not None, "a publication with every artifact fresh was built before"
            report.up_to_date.append(publication_id)
            current[publication_id] = source
    if not stale:
        return [], components
    return _jobs(stale, current, output, report, configuration, vocabularies), components


def _jobs(
    stale: list[_Stale],
    current: dict[str, str],
    output: OutputFolder,
    report: BuildReport,
    configuration: Configuration,
    vocabularies: Mapping[str, vocabulary.Vocabulary],
) -> list[workers.Job]:
    """A job for each stale content file that loads without a problem and whose id is its own."""
    by_file, problems = _load_each([item.path for item in stale], vocabularies)
    report.problems.extend(problems)
    jobs = []
    for item in stale:
        publication = by_file.get(item.path)
        problem = None
        if publication is not None:
            owner = current.get(publication.id)
            recorded = output.owner(publication.id)
            if owner is not None:
                problem = _shared_folder(publication, owner)
            elif recorded is not None and recorded != item.source and _source_exists(recorded, configuration):
                problem = _claimed(publication, recorded, output)
        if publication is None or problem is not None:
            report.problems.extend([problem] if problem else [])  # else its problems are reported
            report.refused.append(shown_path(item.path))
            continue
        jobs.append(workers.Job(publication, item.path, item.source, item.inputs, item.wanted, item.digests))
    return jobs
