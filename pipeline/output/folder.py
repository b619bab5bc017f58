"""Stage 4, write: the output folder, the one place that writes into it.

Every file is written to a temporary name (`.gongwen-…`) in its target folder and renamed into
place only when complete, so a failed or killed build never leaves a partial file under a final
name. A publication's files are all written before any is renamed, so a write that fails leaves
that publication as it was.

The manifest records each artifact's size, SHA-256 and page count, and `SHA256SUMS` lists the same
hashes in the form `sha256sum -c` checks. The manifest is also how edits are noticed: an artifact
whose bytes no longer match its record was changed by someone, and is never overwritten silently.
"""

from __future__ import annotations

import fcntl
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import OutputError, Problem, Where, shown_path
from ..files import (
    TEMPORARY_PREFIX,
    TEMPORARY_SUFFIX,
    atomic_write,
    file_sha256,
    make_folder,
    refuse_blocked,
    remove,
    sha256,
    stage,
    sync_folder,
)
from .manifest import MANIFEST, manifest_bytes, write_checksums

EDITED = "edited"


def _records(found: object, key: str, kind: type) -> dict[str, dict[str, Any]]:
    """The entries of a manifest table that hold `key` of the right kind; anything else is left out."""
    if not isinstance(found, dict):
        return {}
    return {
        name: entry for name, entry in found.items() if isinstance(entry, dict) and isinstance(entry.get(key), kind)
    }


def edited_name(path: Path, number: int = 1) -> Path:
    """Where an edited artifact is kept: summary.docx → summary.edited.docx (then summary.edited-2.docx …)."""
    mark = EDITED if number == 1 else f"{EDITED}-{number}"
    return path.with_name(f"{path.stem}.{mark}{path.suffix}")


@dataclass(frozen=True)
class Artifact:
    """One output file: where it goes under the output folder and what it holds."""

    path: str  # relative to the output folder, with forward slashes
    data: bytes
    pages: int | None = None

    @property
    def sha256(self) -> str:
        return sha256(self.data)


@dataclass(frozen=True)
class Written:
    """What writing one publication did: the artifacts written and the edited files kept beside them."""

    paths: list[Path]
    kept: list[Path]


class OutputFolder:
    """The output folder: artifacts, `manifest.json` and `SHA256SUMS`.

    While a publication's files are renamed into place, its manifest records say which bytes each
    file may hold, the old or the new; a build killed at that moment leaves nothing that the next
    build would take for someone's edit. Only one build writes into a folder at a time.
    """

    def __init__(self, root: Path, about: dict, *, force: bool = False, manifest: str = MANIFEST):
        self.root = root
        self.about = about
        self.force = force
        self.manifest = manifest
        refuse_blocked(root)
        self.entries, self.publications = self._read_records()
        self._lock: int | None = None

    def _read_records(self) -> tuple[dict[str, dict], dict[str, dict]]:
        """The artifact and publication records of the manifest; a missing or damaged manifest records nothing."""
        try:
            manifest = json.loads((self.root / self.manifest).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}, {}
        if not isinstance(manifest, dict):
            return {}, {}
        return _records(manifest.get("artifacts"), "sha256", str), _records(
            manifest.get("publications"), "inputs", dict
        )

    def up_to_date(self, source: str, inputs: dict[str, str]) -> tuple[str | None, set[str]]:
        """The publication built last from `source`, and which of its artifacts were made from these
        very inputs and are still in place (edited or not: an edit is no reason to rebuild)."""
        for publication_id, record in self.publications.items():
            if record.get("source") == source:
                fresh = {
                    name
                    for name, key in inputs.items()
                    if record["inputs"].get(name) == key and (self.root / publication_id / name).is_file()
                }
                return publication_id, fresh
        return None, set()

    def write(
        self,
        artifacts: list[Artifact],
        publication_id: str | None = None,
        source: str | None = None,
        inputs: dict[str, str] | None = None,
    ) -> Written:
        """Write one publication's artifacts, all or none; an edited artifact stops it unless forced.
        With `inputs`, the manifest remembers what each artifact was made from (the incremental build)."""
        self._open()
        targets = [(artifact, self.root / artifact.path) for artifact in artifacts]
        on_disk = {artifact.path: file_sha256(target) for artifact, target in targets if target.is_file()}
        edited = [
            target
            for artifact, target in targets
            if artifact.path in on_disk and not self._recorded(artifact.path, on_disk[artifact.path])
        ]
        if edited and not self.force:
            raise OutputError([self._edited_problem(target) for target in edited])
        not_files = [target for _, target in targets if target.exists() and not target.is_file()]
        if not_files:
            raise OutputError(
                [
                    Problem(Where(shown_path(target)), "", "cannot write: a folder or other non-file is in the way")
                    for target in not_files
                ]
            )
        staged = self._stage_all(targets)
        kept = [self._keep(target) for target in edited]
        self._record(artifacts, on_disk)
        if publication_id is not None and source is not None and inputs is not None:
            self._remember_inputs(publication_id, source, inputs, artifacts)
        self._write_manifest(pending={artifact.path for artifact in artifacts})
        for temporary, target in staged:
            os.replace(temporary, target)
        for folder in {target.parent for _, target in targets}:
            sync_folder(folder)
        for artifact, _ in targets:
            self.entries[artifact.path].pop("replacing", None)
        self._write_records()
        return Written([target for _, target in targets], kept)

    def _stage_all(self, targets: list[tuple[Artifact, Path]]) -> list[tuple[Path, Path]]:
        """Every artifact in a complete temporary file beside its target; none of them if one fails."""
        staged: list[tuple[Path, Path]] = []
        try:
            for artifact, target in targets:
                make_folder(target.parent)
                staged.append((stage(target, artifact.data), target))
        except OSError as error:
            for temporary, _ in staged:
                remove(temporary)
            where = Where(shown_path(self.root))
            raise OutputError(Problem(where, "", f"cannot write: {error.strerror or error}")) from None
        except BaseException:
            for temporary, _ in staged:
                remove(temporary)
            raise
        return staged

    def _record(self, artifacts: list[Artifact], on_disk: dict[str, str]) -> None:
        """The artifacts' manifest entries, each with the hash it replaces while the renames are under way."""
        for artifact in artifacts:
            entry: dict[str, Any] = {
                "path": artifact.path,
                "size": len(artifact.data),
                "sha256": artifact.sha256,
                "pages": artifact.pages,
            }
            previous = on_disk.get(artifact.path)
            if previous is not None and previous != artifact.sha256:
                entry["replacing"] = previous
            self.entries[artifact.path] = entry

    def _remember_inputs(
        self, publication_id: str, source: str, inputs: dict[str, str], artifacts: list[Artifact]
    ) -> None:
        """What each written artifact was made from, for the incremental build."""
        record = self.publications.setdefault(publication_id, {"source": source, "inputs": {}})
        if record.get("source") != source:
            record.update(source=source, inputs={})
        written = {artifact.path for artifact in artifacts}
        record["inputs"].update({name: key for name, key in inputs.items() if f"{publication_id}/{name}" in written})

    def _recorded(self, path: str, digest: str) -> bool:
        """Whether `digest` is bytes this folder's manifest says gongwen wrote at `path`."""
        entry = self.entries.get(path)
        return entry is not None and digest in (entry["sha256"], entry.get("replacing"))

    def _edited_problem(self, target: Path) -> Problem:
        entry = self.entries.get(target.relative_to(self.root).as_posix())
        why = (
            f"changed since it was built (its SHA-256 is not the one in {MANIFEST})"
            if entry
            else f"not listed in {MANIFEST}, so it may hold someone's work"
        )
        return Problem(
            Where(shown_path(target)),
            "",
            f"{why}; it was left as it is: keep the edits under another name, "
            f"or rebuild with --force, which keeps them as {edited_name(target).name}",
        )

    def _keep(self, target: Path) -> Path:
        """Keep an edited file under a free `.edited` name before it is replaced (a hard link: no copy,
        no clobbering)."""
        number = 1
        while True:
            kept = edited_name(target, number)
            try:
                os.link(target, kept)
                return kept
            except FileExistsError:
                number += 1
            except OSError:  # a file system without hard links
                try:
                    with kept.open("xb") as stream:
                        stream.write(target.read_bytes())
                        os.fsync(stream.fileno())
                    return kept
                except FileExistsError:
                    number += 1

    def _open(self) -> None:
        """Create and lock the folder, and remove temporary files that a killed build left behind."""
        if self._lock is not None:
            return
        make_folder(self.root)
        handle = os.open(self.root, os.O_RDONLY)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(handle)
            raise OutputError(
                Problem(
                    Where(shown_path(self.root)),
                    "",
                    "another gongwen build is writing into this folder; wait for it to finish",
                )
            ) from None
        self._lock = handle
        for stale in self.root.rglob(f"{TEMPORARY_PREFIX}*{TEMPORARY_SUFFIX}"):
            remove(stale)

    def close(self) -> None:
        if self._lock is not None:
            os.close(self._lock)  # closing the descriptor releases the lock
            self._lock = None

    def _write_manifest(self, pending: frozenset[str] | set[str] = frozenset()) -> dict[str, dict[str, Any]]:
        """The manifest for every artifact the folder holds now, and those about to be renamed into it."""
        artifacts = {
            path: self.entries[path] for path in sorted(self.entries) if path in pending or (self.root / path).is_file()
        }
        present = {path.split("/", 1)[0] for path in artifacts}
        publications = {name: self.publications[name] for name in sorted(self.publications) if name in present}
        manifest = {**self.about, "artifacts": artifacts, "publications": publications}
        atomic_write(self.root / self.manifest, manifest_bytes(manifest))
        return artifacts

    def _write_records(self) -> None:
        """The manifest, and SHA256SUMS for every artifact the folder holds now (a shard's part of a
        build leaves SHA256SUMS to `gongwen manifest merge`)."""
        artifacts = self._write_manifest()
        if self.manifest == MANIFEST:
            write_checksums(self.root, artifacts)
