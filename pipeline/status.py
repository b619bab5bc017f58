"""Where each publication stands, without building: for every artifact, up to date, to be rebuilt (and which input
changed), edited by hand, or missing.

It reads what a build reads before it makes anything — the content files, the configuration, the
fonts' and templates' fingerprints, the output folder's records — and compares each artifact's
recorded inputs with the current ones, one input at a time (`incremental.changed_components`). The
output folder is opened read-only: not locked, nothing removed, renamed or written; a file edited
since the last build is found as a build would find it. No engine starts.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .build import discover, prepare, source_name
from .config import Configuration
from .errors import ContentError, shown_path
from .incremental import Fingerprints, changed_components, content_digests, recorded_components
from .lazy import lazy_import
from .output.folder import OutputFolder

if TYPE_CHECKING:
    from .content import model
else:
    model = lazy_import("pipeline.content.model")  # only for content files never built: their id

UP_TO_DATE, TO_BE_REBUILT, EDITED, MISSING = "up to date", "to be rebuilt", "edited by hand", "missing"
STATES = (UP_TO_DATE, TO_BE_REBUILT, EDITED, MISSING)
"""Each artifact is in one of these, in the order the count line names them."""
NOT_RECORDED = "inputs not recorded (an interrupted build, or one by an older gongwen)"


@dataclass(frozen=True)
class ArtifactStatus:
    """One artifact: its state, the inputs changed since it was made, and the file beside an edit, if any."""

    name: str
    state: str
    changed: tuple[str, ...] = ()
    fresh: Path | None = None  # gongwen's version beside an edit
    moved: Path | None = None  # missing: this fresh file takes its place at the next build, nothing is made

    def describe(self) -> str:
        """`to be rebuilt: content, template changed`, as `gongwen status` prints it."""
        why = f"{', '.join(self.changed)} changed" if self.changed and self.changed != (NOT_RECORDED,) else NOT_RECORDED
        if self.state == TO_BE_REBUILT:
            return f"{TO_BE_REBUILT}: {why}"
        if self.state == MISSING:
            return f"{MISSING}: the next build moves {shown_path(self.moved)} into its place" if self.moved else MISSING
        if self.state == EDITED:
            text = EDITED + (f"; gongwen's version is {shown_path(self.fresh)}" if self.fresh else "")
            return text + (f"; to be rebuilt beside it: {why}" if self.changed else "")
        return self.state

    def as_json(self) -> dict[str, Any]:
        return {
            "artifact": self.name,
            "state": self.state,
            "changed": list(self.changed),
            "fresh": shown_path(self.fresh) if self.fresh else None,
            "moved": shown_path(self.moved) if self.moved else None,
        }


@dataclass(frozen=True)
class PublicationStatus:
    """A content file, the publication it makes, and where each of its artifacts stands (or why none can be made)."""

    source: Path
    publication_id: str
    artifacts: tuple[ArtifactStatus, ...] = ()
    problem: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "source": shown_path(self.source),
            "id": self.publication_id,
            "problem": self.problem,
            "artifacts": [artifact.as_json() for artifact in self.artifacts],
        }


def status(paths: list[Path], configuration: Configuration) -> list[PublicationStatus]:
    """Where every publication of `paths` stands; a GongwenError when fonts, templates or the output cannot be read."""
    files = discover(paths)
    if not files:
        return []
    fingerprints = prepare(configuration).fingerprints
    with OutputFolder(configuration.output_folder(), {}, read_only=True).open() as output:
        return [_publication(path, source_name(path, configuration), fingerprints, output) for path in files]


def _publication(path: Path, source: str, fingerprints: Fingerprints, output: OutputFolder) -> PublicationStatus:
    try:
        content = content_digests(path)
    except OSError as error:
        return PublicationStatus(path, path.stem, problem=f"cannot read the file: {error.strerror or error}")
    inputs = fingerprints.inputs(content)
    components = recorded_components(fingerprints.components(content))
    publication_id, current = output.up_to_date(source, inputs)
    if publication_id is None:  # never built: its id is in the file
        try:
            publication_id = model.load_publication(path, shown_path(path)).id
        except ContentError as error:
            count = len(error.problems)
            problem = f"{count} problem{'s' if count != 1 else ''} in the content; `gongwen check` lists them"
            return PublicationStatus(path, path.stem, problem=problem)
    record = output.records.publications.get(publication_id)
    artifacts = []
    for name in inputs:  # the artifacts of the configured formats
        recorded = record.components.get(name) if record is not None else None
        changed: tuple[str, ...] = ()
        if name not in current:
            changed = tuple(changed_components(recorded, components[name])) if recorded else (NOT_RECORDED,)
        artifacts.append(_artifact(output, f"{publication_id}/{name}", name, changed))
    return PublicationStatus(path, publication_id, tuple(artifacts))


def _artifact(output: OutputFolder, path: str, name: str, changed: tuple[str, ...]) -> ArtifactStatus:
    record = output.records.artifacts.get(path)
    if path in output.moved:
        return ArtifactStatus(name, MISSING, moved=output.root / output.moved[path])
    if record is None:
        return ArtifactStatus(name, MISSING)
    if record.edited:
        return ArtifactStatus(name, EDITED, changed, output.root / record.fresh if record.fresh else None)
    return ArtifactStatus(name, TO_BE_REBUILT if changed else UP_TO_DATE, changed)


def counts(publications: list[PublicationStatus]) -> str:
    """`4 up to date, 1 to be rebuilt, 1 edited by hand`: artifacts counted by state (and content files that cannot
    be built); what is zero is left out."""
    found = dict.fromkeys(STATES, 0)
    for publication in publications:
        for artifact in publication.artifacts:
            found[artifact.state] += 1
    parts = [f"{count} {state}" for state, count in found.items() if count]
    unbuildable = sum(publication.problem is not None for publication in publications)
    if unbuildable:
        parts.append(f"{unbuildable} content file{'s' if unbuildable != 1 else ''} with problems")
    return ", ".join(parts) or "no content files"
