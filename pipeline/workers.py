"""Making publications: in this process, or in worker processes that each set up the engines once.

The main process plans and writes; workers only make artifacts in memory and send them back. With
fewer publications than workers, a publication's artifacts are split between workers, so a single
cold build starts two engines at once.
"""

from __future__ import annotations

import multiprocessing
import tempfile
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .artifacts import ARTIFACTS, BRIEFING_TEMPLATE, ArtifactType
from .config import Configuration
from .content.model import Publication, load_publication
from .errors import GongwenError, Problem, Where, shown_path
from .lazy import lazy_import
from .output.folder import Artifact

if TYPE_CHECKING:
    from . import publisher
else:
    publisher = lazy_import("pipeline.publisher")  # the engines load when the first publication is made


@dataclass(frozen=True)
class Job:
    """One publication to make: its content file as the manifest and the messages name it, and the artifacts wanted."""

    publication: Publication
    path: Path
    source: str
    inputs: dict[str, str]
    wanted: tuple[ArtifactType, ...]


@dataclass(frozen=True)
class Made:
    publication_id: str
    artifacts: list[Artifact]
    warnings: list[Problem] = field(default_factory=list)  # made, but with something the user should look at


@dataclass(frozen=True)
class Failed:
    problems: list[Problem]


Outcome = Made | Failed

_worker_publisher: publisher.Publisher | None = None


def _start_worker(configuration: Configuration) -> None:
    global _worker_publisher
    _worker_publisher = publisher.Publisher(configuration)


def _cannot_make(error: OSError) -> Failed:
    """A full disk or a file-size limit met by the engines' working files: one line, no traceback. Every
    worker says the same line (the folder they all work in), so it is said once."""
    reason = error.strerror or str(error)
    return Failed([Problem(Where(shown_path(tempfile.gettempdir())), "", f"cannot write working files: {reason}")])


def _make_in_worker(path: Path, shown: str, wanted: tuple[ArtifactType, ...]) -> Outcome:
    assert _worker_publisher is not None, "the pool's initializer sets the publisher up"
    try:
        publication = load_publication(path, shown)
        artifacts = _worker_publisher.artifacts(publication, wanted)
        return Made(publication.id, artifacts, _worker_publisher.warnings)
    except GongwenError as error:
        return Failed(error.problems)
    except OSError as error:
        return _cannot_make(error)


def make_all(jobs: list[Job], configuration: Configuration, workers: int) -> Iterator[tuple[Job, Outcome]]:
    """Every job's outcome, as the jobs finish."""
    if not jobs:
        return
    parts = _parts(jobs, workers)
    if workers <= 1 or len(parts) == 1:
        yield from _make_here(jobs, configuration)
        return
    # Fork where there is one: workers inherit the loaded configuration and start at once.
    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    waiting = {id(job): len([part for part in parts if part[0] is job]) for job in jobs}
    gathered: dict[int, list[Outcome]] = {id(job): [] for job in jobs}
    with ProcessPoolExecutor(
        max_workers=min(workers, len(parts)), mp_context=context, initializer=_start_worker, initargs=(configuration,)
    ) as pool:
        futures = {
            pool.submit(_make_in_worker, job.path, job.publication.source.path, wanted): job for job, wanted in parts
        }
        for future in as_completed(futures):
            job = futures[future]
            gathered[id(job)].append(future.result())
            waiting[id(job)] -= 1
            if waiting[id(job)] == 0:
                yield job, _joined(gathered.pop(id(job)))


def _parts(jobs: list[Job], workers: int) -> list[tuple[Job, tuple[ArtifactType, ...]]]:
    """The work for the pool. With fewer publications than workers (one edited file, a single cold
    build), a publication's artifacts are split between workers: the briefing (in each format, from
    one layout) in one, the notice and the summary in another, each worker starting its own engine
    at the same time."""
    if len(jobs) >= workers:
        return [(job, job.wanted) for job in jobs]
    parts: list[tuple[Job, tuple[ArtifactType, ...]]] = []
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


def _make_here(jobs: list[Job], configuration: Configuration) -> Iterator[tuple[Job, Outcome]]:
    try:
        maker = publisher.Publisher(configuration)
    except GongwenError as error:
        for job in jobs:
            yield job, Failed(error.problems)
        return
    for job in jobs:
        try:
            artifacts = maker.artifacts(job.publication, job.wanted)
            yield job, Made(job.publication.id, artifacts, maker.warnings)
        except GongwenError as error:
            yield job, Failed(error.problems)
        except OSError as error:
            yield job, _cannot_make(error)
