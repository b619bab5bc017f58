"""Stage 4, write: the output folder, the one place that writes into it.

A build opens the folder before it plans: it takes the folder's lock (a second build waits for
it), and only then reads the manifest, removes temporary files a killed build left, and checks each
recorded artifact against the file in place — its size, times and inode first, its SHA-256 only
where those differ. A missing file is forgotten (it will be made again), a file that is neither
what was recorded nor being renamed is someone's edit.

Each publication is written in four steps, so that whatever instant a build is killed at, the
records either match the files or make the next build make them again:

1. every artifact is staged in a complete, flushed temporary file beside its target;
2. the manifest records the new bytes of each artifact with the bytes they replace (`replacing`,
   `previous`) and no inputs for them: nothing is yet known to be made from anything;
3. the temporary files are renamed into place and the publication's folder is flushed;
4. the manifest records the inputs of the bytes now in place and each file's `seen` view, then
   `SHA256SUMS` is written.

A build killed between 2 and 4 leaves each file holding the old bytes or the new ones; the next
build settles each record to what is there and, without inputs, makes the artifact again. Every
write below the folder goes through `tree.Folder` (no link is followed below the root), and any
`OSError` — a full disk, a file-size limit, a read-only or forbidden folder — is one line naming the
folder; what is in place stays, and the records stay what they were or what the next build repairs.

Edits never block a build. A file found edited is recorded as it is (`edited`, its own SHA-256), so
`SHA256SUMS` still checks and the next build need not read it again. When its artifact must be made
again, the edit stays where it is and the new bytes go beside it under a fresh name
(`summary.fresh.docx`), written in the same four steps; the edited record points at it (`fresh`),
and the publication is up to date. The person then takes the fresh file — deletes the edit (the
next build moves the fresh file into place, making nothing) or copies it over the edit (the next
build takes the file for gongwen's own and removes the duplicate) — or keeps editing; either way the
records settle to what is there. `--force` instead keeps the edit under `.edited` and writes the new
bytes in its place, as it always did. A folder opened `read_only` (for `gongwen status` and `gongwen
diff`) is neither locked nor changed: what a build would settle is settled in memory only.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..artifacts import artifact_of, fresh_name
from ..errors import OutputError, Problem, Where, shown_path
from ..files import is_temporary, make_folder, refuse_blocked, sha256
from .manifest import (
    CHECKSUMS,
    MANIFEST,
    MANIFEST_LIMIT,
    ArtifactRecord,
    PublicationRecord,
    Records,
    Stat,
    checksums_bytes,
    manifest_bytes,
    read_records,
)
from .tree import LINK, Folder, InTheWayError, TooLargeError

EDITED = "edited"
LOCK_WAITING = "another gongwen build is writing into this folder; waiting for it to finish"
LOCK_ATTEMPTS = 5
"""Times the lock is taken again when the folder was removed or replaced while the build waited for it."""
NO_HARD_LINKS = {errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EMLINK, errno.EXDEV}
"""Errors of a file system that cannot give an edited file a second name: it is copied instead."""
COPY_LIMIT = 1 << 40
"""No limit worth the name on an edited file copied aside: it is the user's and must be kept whole."""
FRESH_NAMES = 100
"""Fresh names tried beside one edited file (summary.fresh.docx … summary.fresh-100.docx) before giving up: each
taken one holds someone's work, and a hundred of those is a folder to tidy, not to add to."""


def edited_name(path: Path, number: int = 1) -> Path:
    """Where an edited artifact is kept: summary.docx → summary.edited.docx (then summary.edited-2.docx …)."""
    mark = EDITED if number == 1 else f"{EDITED}-{number}"
    return path.with_name(f"{path.stem}.{mark}{path.suffix}")


@dataclass(frozen=True)
class Artifact:
    """One output file: where it goes under the output folder and what it holds."""

    path: str  # relative to the output folder: <id>/<artifact name>
    data: bytes
    pages: int | None = None

    @property
    def sha256(self) -> str:
        return sha256(self.data)

    @property
    def name(self) -> str:
        return self.path.split("/", 1)[1]


@dataclass(frozen=True)
class KeptEdit:
    """A file edited by hand and kept as it is, and the file beside it holding gongwen's version (None: there is
    none; the edit was made from the bytes the current inputs make)."""

    path: Path
    fresh: Path | None


@dataclass(frozen=True)
class Written:
    """What writing one publication did: the files written, the edited files `--force` kept under another name,
    and the edited files kept in place with the rebuilt version beside them."""

    paths: list[Path]
    kept: list[Path]
    kept_edits: list[KeptEdit] = field(default_factory=list)


@dataclass(frozen=True)
class _OnDisk:
    """The file in an artifact's place: its SHA-256 and size."""

    sha256: str
    size: int


@dataclass(frozen=True)
class _Target:
    """Bytes about to be written, the file in their place (None: no file), and the artifact they are (`slot`: its
    path, whose inputs they are made from; a fresh file beside an edit is written at another path)."""

    artifact: Artifact
    on_disk: _OnDisk | None
    slot: str


@dataclass
class _Plan:
    """How one publication's artifacts are written: the targets, the edited files to keep under `.edited` names
    (`--force`), the edited records to keep in place with a fresh file beside them, and fresh files made obsolete."""

    targets: list[_Target] = field(default_factory=list)
    forced: list[_Target] = field(default_factory=list)
    edits: list[ArtifactRecord] = field(default_factory=list)
    obsolete: list[str] = field(default_factory=list)


class OutputFolder:
    """The output folder: artifacts, `manifest.json` (or a slice's `manifest-K-of-N.json`) and `SHA256SUMS`.

    Open it (`OutputFolder(...).open()`, or `with`) before asking what is up to date: opening takes
    the lock, which is held until `close`, so the records read are the ones the build writes over.
    """

    def __init__(
        self,
        root: Path,
        about: dict[str, Any],
        *,
        force: bool = False,
        manifest: str = MANIFEST,
        waiting: Callable[[Problem], None] | None = None,
        read_only: bool = False,
    ):
        self.root = root
        self.about = about
        self.force = force
        self.manifest = manifest
        self.read_only = read_only
        self._waiting = waiting
        self._folder: Folder | None = None
        self.records = Records()
        self._on_disk: dict[str, bytes | None] = {}  # the records files as they are in the folder
        self._by_source: dict[str, list[str]] = {}
        self.moved: dict[str, str] = {}  # read-only: an artifact whose fresh file a build would move into place
        self.unlisted: set[str] = set()  # files in publication folders that no record lists (<id>/<name>)

    @property
    def _checksums(self) -> bool:
        """A slice of a build leaves SHA256SUMS to `gongwen manifest merge`."""
        return self.manifest == MANIFEST

    # ---- opening: the lock first, then the records, the leftovers and the files ----

    def open(self) -> OutputFolder:
        """Lock the folder, then read and check its records. A folder that is not there yet has nothing to
        read: it is made and locked at the first write (and read then, in case a build made it meanwhile),
        so a build that writes nothing leaves no empty folder behind."""
        refuse_blocked(self.root)
        if os.path.lexists(self.root):
            self._attach()
        return self

    def _attach(self) -> None:
        if self.read_only:
            try:
                self._folder = Folder.open_root(self.root)
            except OSError as error:
                raise self._cannot(error, "read") from None
            self._read_records()
            self._check_files()
            return
        make_folder(self.root)
        try:
            self._folder = self._lock()
            self._read_records()
            self._check_files()
        except OSError as error:
            self.close()
            raise self._cannot(error) from None
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> OutputFolder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._folder is not None:
            self._folder.close()  # closing the descriptor releases the lock
            self._folder = None

    def _lock(self) -> Folder:
        """The root, locked; a build that finds it locked says so once and waits its turn."""
        told = False
        for _ in range(LOCK_ATTEMPTS):
            folder = Folder.open_root(self.root)
            try:
                try:
                    fcntl.flock(folder.descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    if self._waiting is not None and not told:
                        self._waiting(Problem(Where(shown_path(self.root)), "", LOCK_WAITING))
                        told = True
                    fcntl.flock(folder.descriptor, fcntl.LOCK_EX)
            except BaseException:
                folder.close()
                raise
            if folder.same_as(self.root):
                return folder
            folder.close()  # removed or replaced while this build waited: lock the folder that is there now
            make_folder(self.root)
        raise OutputError(Problem(Where(shown_path(self.root)), "", "the folder kept being replaced while locking it"))

    @property
    def _root(self) -> Folder:
        """The locked folder, made now if this is the first write into a folder that was not there."""
        if self._folder is None:
            self._attach()
        assert self._folder is not None, "attached"
        return self._folder

    def _read(self, name: str) -> bytes | None:
        """A records file as it is; something that is no file of ours counts as damaged, never as absent."""
        try:
            return self._root.read(name, MANIFEST_LIMIT)
        except (InTheWayError, TooLargeError):
            return b""

    def _read_records(self) -> None:
        data = self._read(self.manifest)
        self._on_disk[self.manifest] = data
        self.records = read_records(data)
        if self._checksums:
            self._on_disk[CHECKSUMS] = self._read(CHECKSUMS)

    def _check_files(self) -> None:
        """Remove temporary files left by a killed build, and settle every record to the file in place."""
        by_publication: dict[str, list[str]] = {}
        for path, record in self.records.artifacts.items():
            by_publication.setdefault(record.publication_id, []).append(path)
        for name, is_folder in self._root.names():
            if is_temporary(name) and not is_folder:
                self._tidy(self._root, name)
            elif is_folder:
                try:
                    folder = self._root.folder(name, create=False)
                except InTheWayError:
                    continue  # swapped for something else just now: its records are forgotten below
                if folder is None:
                    continue
                with folder:
                    found = folder.names()
                    for inner, inner_is_folder in found:
                        if is_temporary(inner) and not inner_is_folder:
                            self._tidy(folder, inner)
                    self._settle_publication(folder, by_publication.pop(name, []))
                    self.unlisted |= {
                        f"{name}/{inner}" for inner, inner_is_folder in found if not is_temporary(inner)
                    } - set(self.records.artifacts)
        for paths in by_publication.values():  # no folder of that name, or a link or a file in its place
            for path in paths:
                self.records.forget(path)
        self._index_sources()

    def _tidy(self, folder: Folder, name: str) -> None:
        if not self.read_only:
            folder.remove(name)

    def _settle_publication(self, folder: Folder, paths: list[str]) -> None:
        """Settle a publication's records: each artifact with the fresh file beside it, then fresh files that no
        edited artifact points at any more (gongwen's own copies, no longer wanted: removed)."""
        for path in sorted(paths):
            if path in self.records.artifacts and artifact_of(path.split("/", 1)[1]) == path.split("/", 1)[1]:
                self._settle(folder, path)
        wanted = {record.fresh for record in self.records.artifacts.values() if record.fresh is not None}
        for path in sorted(paths):
            record = self.records.artifacts.get(path)
            if record is not None and record.path != record.slot and path not in wanted:
                self._drop_fresh(folder, path)

    def _settle(self, folder: Folder, path: str) -> None:
        """Make the record of the artifact at `path` (and of the fresh file beside it, if any) say what the files in
        place are: ours (as recorded, or the bytes of a rename that was under way), someone's edit, or nothing."""
        record = self.records.artifacts.get(path)
        if record is None:
            return
        if record.path != record.slot:  # a fresh file: settled with the artifact it stands beside
            if record.slot in self.records.artifacts:
                self._settle(folder, record.slot)
            else:
                self._drop_fresh(folder, path)
            return
        try:
            status = folder.regular_file(record.name)
            if status is None:
                self._missing(folder, record)
                return
            if record.replacing is None and self.records.seen.get(path) == Stat.of(status):
                self._check_fresh(folder, record)
                return
            digest, status = folder.sha256(record.name)
        except (InTheWayError, FileNotFoundError):
            self.records.forget(path)
            return
        if record.replacing is not None:
            self.records.forget_inputs(path)  # a rename was under way: made again, whichever bytes are there
            if digest != record.sha256:
                if record.previous is None:
                    self.records.forget(path)
                    return
                record = record.previous
            record = record.settled()
            self.records.artifacts[path] = record
        self._identified(folder, record, digest, status)

    def _identified(self, folder: Folder, record: ArtifactRecord, digest: str, status: os.stat_result) -> None:
        """Record what the file at `record.path`, read just now, is."""
        path = record.path
        fresh = self._fresh_of(record)
        if digest == record.sha256:
            self.records.seen[path] = Stat.of(status)
            self._check_fresh(folder, record)
        elif fresh is not None and digest == fresh.sha256:  # the fresh file copied over the edit: gongwen's bytes
            self.records.artifacts[path] = replace(fresh, path=path)
            self.records.seen[path] = Stat.of(status)
            self._drop_fresh(folder, fresh.path)
        else:  # someone's edit, recorded as it is: SHA256SUMS still checks, and the next build need not read it
            self.records.artifacts[path] = record.as_edit(status.st_size, digest, fresh.path if fresh else None)
            self.records.seen[path] = Stat.of(status)
            if fresh is not None:
                self._check_fresh(folder, self.records.artifacts[path])

    def _fresh_of(self, record: ArtifactRecord) -> ArtifactRecord | None:
        return self.records.artifacts.get(record.fresh) if record.edited and record.fresh is not None else None

    def _check_fresh(self, folder: Folder, record: ArtifactRecord) -> None:
        """The fresh file beside an edit must hold the bytes recorded for it; if not, it is no longer gongwen's."""
        fresh = self._fresh_of(record)
        if record.fresh is None or (fresh is not None and self._holds(folder, fresh)):
            return
        self.records.forget(record.fresh)
        self.records.artifacts[record.path] = replace(record, fresh=None)

    def _holds(self, folder: Folder, record: ArtifactRecord) -> bool:
        """Whether the file at `record.path` holds bytes of gongwen's (read only when its status changed): the ones
        recorded, or — while a rename was under way — the ones they were replacing; its record settles to those
        bytes, and its `seen` view is taken."""
        try:
            status = folder.regular_file(record.name)
            if status is None:
                return False
            if record.replacing is None and self.records.seen.get(record.path) == Stat.of(status):
                return True
            digest, status = folder.sha256(record.name)
        except (InTheWayError, FileNotFoundError):
            return False
        if record.replacing is not None and digest == record.replacing and record.previous is not None:
            record = record.previous  # killed before the rename: the earlier bytes, still gongwen's
        if digest != record.sha256:
            return False
        self.records.artifacts[record.path] = record.settled()
        self.records.seen[record.path] = Stat.of(status)
        return True

    def _missing(self, folder: Folder, record: ArtifactRecord) -> None:
        """The artifact's file is gone. Beside an edit that was deleted, the fresh file takes its place (gongwen's
        bytes from the recorded inputs: nothing to make); otherwise the artifact will be made again."""
        fresh = self._fresh_of(record)
        if fresh is None or not self._holds(folder, fresh):
            self.records.forget(record.path)  # a fresh file it pointed at is tidied as an orphan
            return
        if self.read_only:
            self.moved[record.path] = fresh.path
        else:
            folder.replace(fresh.name, record.name)
            folder.sync()
        status = folder.regular_file(record.name) if not self.read_only else None
        self.records.forget(fresh.path)
        self.records.artifacts[record.path] = replace(fresh, path=record.path).settled()
        if status is not None:
            self.records.seen[record.path] = Stat.of(status)

    def _drop_fresh(self, folder: Folder, path: str) -> None:
        """A fresh file no edited artifact points at: removed when it still holds gongwen's bytes, then forgotten."""
        record = self.records.artifacts.get(path)
        if record is not None and not self.read_only and self._holds(folder, record):
            folder.remove(record.name)
        self.records.forget(path)

    def _index_sources(self) -> None:
        self._by_source = {}
        for publication_id, record in sorted(self.records.publications.items()):
            self._by_source.setdefault(record.source, []).append(publication_id)

    def names(self) -> list[str]:
        """The names of the files (not folders) in the output folder itself."""
        return [name for name, is_folder in self._root.names() if not is_folder]

    def read(self, name: str) -> bytes | None:
        """A file of the output folder itself, as `manifest.json` is read (no link followed, size limited)."""
        try:
            return self._root.read(name, MANIFEST_LIMIT)
        except TooLargeError:
            return b""
        except InTheWayError as in_the_way:
            raise OutputError(self._in_the_way(in_the_way, folder=False)) from None
        except OSError as error:
            raise self._cannot(error, "read") from None

    # ---- what the build asks before it makes anything ----

    def up_to_date(self, source: str, inputs: dict[str, str]) -> tuple[str | None, set[str]]:
        """The publication built last from `source`, and which of its artifacts are in place and were made
        from these very inputs (edited or not: an edit is no reason to make an artifact again)."""
        best: tuple[str | None, set[str]] = (None, set())
        for publication_id in self._by_source.get(source, []):
            recorded = self.records.publications[publication_id].inputs
            fresh = {
                name
                for name, key in inputs.items()
                if recorded.get(name) == key and f"{publication_id}/{name}" in self.records.artifacts
            }
            if best[0] is None or len(fresh) > len(best[1]):
                best = (publication_id, fresh)
        return best

    def owner(self, publication_id: str) -> str | None:
        """The content file whose artifacts are in `<root>/<publication_id>/`, if the records name one."""
        record = self.records.publications.get(publication_id)
        if record is None or not any(item.publication_id == publication_id for item in self.records.artifacts.values()):
            return None
        return record.source

    # ---- writing one publication ----

    def write(
        self,
        artifacts: list[Artifact],
        publication_id: str | None = None,
        source: str | None = None,
        inputs: dict[str, str] | None = None,
        components: dict[str, dict[str, str]] | None = None,
    ) -> Written:
        """Write one publication's artifacts, all or none. An edited artifact is kept as it is and the new bytes go
        beside it under a fresh name (with `force`: the edit is kept under an `.edited` name and replaced). With
        `source` and `inputs` (and each input's fingerprint apart, `components`), the manifest remembers what each
        artifact was made from."""
        if not artifacts:
            return Written([], [])
        folder_name = artifacts[0].path.split("/", 1)[0]
        assert all(artifact.path.split("/", 1)[0] == folder_name for artifact in artifacts), "one publication"
        assert publication_id in (None, folder_name), "artifacts go to their publication's folder"
        assert not self.read_only, "a folder opened read-only is not written"
        try:
            folder = self._root.folder(folder_name, create=True)
        except InTheWayError as in_the_way:
            raise OutputError(self._in_the_way(in_the_way, folder=True)) from None
        except OSError as error:
            raise self._cannot(error) from None
        assert folder is not None, "made when missing"
        with folder:
            return self._write_into(folder, artifacts, source, inputs or {}, components or {})

    def _write_into(
        self,
        folder: Folder,
        artifacts: list[Artifact],
        source: str | None,
        inputs: dict[str, str],
        components: dict[str, dict[str, str]],
    ) -> Written:
        plan = self._plan(folder, artifacts)
        staged, kept = self._stage(folder, plan, source)  # (1) and (2)
        renamed = 0
        try:
            for target, temporary in zip(plan.targets, staged, strict=True):
                folder.replace(temporary, target.artifact.name)  # (3)
                renamed += 1
            folder.sync()
            for path in plan.obsolete:
                self._drop_fresh(folder, path)
        except OSError as error:
            for temporary in staged[renamed:]:
                _quietly(folder.remove, temporary)
            for target in plan.targets:
                self._settle(folder, target.slot)
            _quietly(self._write_records)
            raise self._cannot(error) from None
        self._placed(folder, plan.targets, inputs, components)  # (4)
        try:
            self._write_records()
        except OSError as error:
            raise self._cannot(error) from None
        kept_edits = [
            KeptEdit(self.root / edit.path, self.root / edit.fresh if edit.fresh else None) for edit in plan.edits
        ]
        return Written([self.root / target.artifact.path for target in plan.targets], kept, kept_edits)

    def _stage(self, folder: Folder, plan: _Plan, source: str | None) -> tuple[list[str], list[Path]]:
        """Steps 1 and 2: every artifact in a flushed temporary file, forced edits kept under `.edited` names, and
        the manifest recording the new bytes (with no inputs) and the edits kept in place. On any failure nothing of
        this publication is left: the temporary files are removed and the records are what they were."""
        staged: list[str] = []
        before = self.records.copy()
        try:
            for target in plan.targets:
                staged.append(folder.stage(target.artifact.data))
            kept = [self._keep(folder, target.artifact.name) for target in plan.forced]
            for target in plan.targets:
                self._pending(target)
            for edit in plan.edits:
                self.records.artifacts[edit.path] = edit
            if source is not None:
                self._claim(folder.path.name, source)
            self._write_manifest()
        except BaseException as error:
            self.records = before
            self._index_sources()
            for temporary in staged:
                _quietly(folder.remove, temporary)
            if isinstance(error, OSError):
                raise self._cannot(error) from None
            raise
        return staged, kept

    def _plan(self, folder: Folder, artifacts: list[Artifact]) -> _Plan:
        """Where each artifact goes: in its place, or — in the place of someone's edit — beside it under a fresh name
        (with `force`: in its place, the edit kept under an `.edited` name). An OutputError for a link, a folder or
        a device in the way."""
        plan, problems = _Plan(), []
        for artifact in artifacts:
            try:
                target = _Target(artifact, self._identify(folder, artifact.path), artifact.path)
                record = self.records.artifacts.get(artifact.path)
                if target.on_disk is None or self._ours(target):
                    plan.targets.append(target)
                elif self.force:
                    plan.targets.append(target)
                    plan.forced.append(target)
                else:
                    fresh = self._fresh_place(folder, artifact, record)
                    plan.targets.append(fresh)
                    plan.edits.append(self._edit_record(artifact.path, target.on_disk, fresh.artifact.path))
                    continue
                if record is not None and record.fresh is not None:
                    plan.obsolete.append(record.fresh)  # gongwen's version is back in place: the fresh file goes
            except InTheWayError as in_the_way:
                problems.append(self._in_the_way(in_the_way, folder=False))
            except OSError as error:
                raise self._cannot(error) from None
        if problems:
            raise OutputError(problems)
        return plan

    def _edit_record(self, path: str, on_disk: _OnDisk, fresh: str) -> ArtifactRecord:
        record = self.records.artifacts.get(path) or ArtifactRecord(path, 0, on_disk.sha256, None)
        return record.as_edit(on_disk.size, on_disk.sha256, fresh)

    def _fresh_place(self, folder: Folder, artifact: Artifact, record: ArtifactRecord | None) -> _Target:
        """Where the new bytes of an edited artifact go: the fresh file it already has, else the first fresh name
        that is free or gongwen's (summary.fresh.docx, summary.fresh-2.docx …); one that holds someone's file is
        skipped, never replaced."""
        publication_id, name = artifact.path.split("/", 1)
        candidates = [record.fresh] if record is not None and record.fresh is not None else []
        candidates += [f"{publication_id}/{fresh_name(name, number)}" for number in range(1, FRESH_NAMES + 1)]
        for path in dict.fromkeys(candidates):
            fresh = Artifact(path, artifact.data, artifact.pages)
            try:
                target = _Target(fresh, self._identify(folder, path), artifact.path)
            except InTheWayError:
                continue
            if target.on_disk is None or self._ours(target):
                return target
        where = Where(shown_path(self.root / artifact.path))
        message = f"edited by hand, and the names for the rebuilt file beside it are all taken (up to {FRESH_NAMES})"
        raise OutputError(Problem(where, "", message + "; remove some of them"))

    def _identify(self, folder: Folder, path: str) -> _OnDisk | None:
        """The SHA-256 and size of the file at `path` (None when there is none), read only when its status is not
        the one recorded."""
        name = path.split("/", 1)[1]
        status = folder.regular_file(name)
        if status is None:
            return None
        record = self.records.artifacts.get(path)
        if record is not None and record.replacing is None and self.records.seen.get(path) == Stat.of(status):
            return _OnDisk(record.sha256, status.st_size)
        digest, status = folder.sha256(name)
        return _OnDisk(digest, status.st_size)

    def _ours(self, target: _Target) -> bool:
        """Whether the file in place is bytes gongwen wrote there, or the very bytes about to be written
        (replacing those loses nothing: a reproducible build after the manifest was lost)."""
        record = self.records.artifacts.get(target.artifact.path)
        assert target.on_disk is not None, "a file is in place"
        digest = target.on_disk.sha256
        return digest == target.artifact.sha256 or (
            record is not None and not record.edited and digest == record.sha256
        )

    def _pending(self, target: _Target) -> None:
        """Step 2 for one artifact: its new bytes, the bytes they replace, and no inputs yet."""
        artifact = target.artifact
        record = ArtifactRecord(artifact.path, len(artifact.data), artifact.sha256, artifact.pages)
        if target.on_disk is not None and target.on_disk.sha256 != artifact.sha256:
            previous = self.records.artifacts.get(artifact.path)
            record = replace(record, replacing=target.on_disk.sha256, previous=previous)
        self.records.artifacts[artifact.path] = record
        self.records.seen.pop(artifact.path, None)
        self.records.forget_inputs(target.slot)

    def _claim(self, publication_id: str, source: str) -> None:
        """The publication is now `source`'s (a renamed content file takes over its folder)."""
        record = self.records.publications.get(publication_id)
        if record is None or record.source != source:
            self.records.publications[publication_id] = PublicationRecord(source, {})
            self._index_sources()

    def _placed(
        self, folder: Folder, targets: list[_Target], inputs: dict[str, str], components: dict[str, dict[str, str]]
    ) -> None:
        """Step 4 in memory: the bytes are in place, so their records settle and their inputs are known."""
        publication_id = folder.path.name
        for target in targets:
            path = target.artifact.path
            self.records.artifacts[path] = self.records.artifacts[path].settled()
            try:
                status = folder.regular_file(target.artifact.name)
            except InTheWayError:
                status = None
            if status is None:  # replaced by something else this very moment: not ours any more
                self._settle(folder, target.slot)
            else:
                self.records.seen[path] = Stat.of(status)
        record = self.records.publications.get(publication_id)
        if record is not None:
            made = {target.slot.split("/", 1)[1] for target in targets if self._is_ours(target.artifact.path)}
            self.records.publications[publication_id] = PublicationRecord(
                record.source,
                {**record.inputs, **{name: key for name, key in inputs.items() if name in made}},
                {**record.components, **{name: value for name, value in components.items() if name in made}},
            )

    def _is_ours(self, path: str) -> bool:
        record = self.records.artifacts.get(path)
        return record is not None and not record.edited

    def strays(self, publication_ids: set[str]) -> list[Path]:
        """Files in these publications' folders that gongwen did not make and no record lists: edits `--force` kept
        aside, a fresh file someone edited, anything put there (a file written in this build is listed)."""
        return [
            self.root / path
            for path in sorted(self.unlisted - set(self.records.artifacts))
            if path.split("/", 1)[0] in publication_ids
        ]

    def edits(self, publication_ids: set[str]) -> list[KeptEdit]:
        """The files of these publications that are edited by hand, with the fresh file beside each, if any."""
        return [
            KeptEdit(self.root / record.path, self.root / record.fresh if record.fresh else None)
            for record in self.records.edited()
            if record.publication_id in publication_ids
        ]

    def _keep(self, folder: Folder, name: str) -> Path:
        """Keep an edited file under a free `.edited` name before it is replaced: a second name for the same
        file (no copy, no clobbering), or a copy where the file system has no hard links."""
        number = 1
        while True:
            kept = edited_name(Path(name), number).name
            try:
                try:
                    folder.link(name, kept)
                except OSError as error:
                    if error.errno not in NO_HARD_LINKS:
                        raise
                    folder.create(kept, folder.read(name, COPY_LIMIT) or b"")
                self.unlisted.add(f"{folder.path.name}/{kept}")
                return folder.path / kept
            except FileExistsError:
                number += 1

    # ---- the records ----

    def finish(self) -> None:
        """Write the records where they differ from the folder's: after a killed build, a full disk, a
        removed or replaced artifact, a deleted `SHA256SUMS`. A folder that never had records gets none."""
        try:
            self._write_records()
        except OSError as error:
            raise self._cannot(error) from None

    def write_records(self) -> None:
        """Write the records even if there is nothing in them (an empty slice must still say it was built)."""
        try:
            self._write_records(always=True)
        except OSError as error:
            raise self._cannot(error) from None

    def _write_records(self, *, always: bool = False) -> None:
        self._write_manifest(always=always)
        if self._checksums:
            self._write_file(CHECKSUMS, checksums_bytes(self.records), always)

    def _write_manifest(self, *, always: bool = True) -> None:
        self._write_file(self.manifest, manifest_bytes(self.about, self.records), always)

    def _write_file(self, name: str, data: bytes, always: bool) -> None:
        on_disk = self._on_disk.get(name)
        if on_disk == data or (on_disk is None and not always and not self.records.artifacts):
            return
        temporary = self._root.stage(data)
        try:
            self._root.replace(temporary, name)
        except BaseException:
            _quietly(self._root.remove, temporary)
            raise
        self._on_disk[name] = data
        self._root.sync()

    def adopt(self, about: dict[str, Any], records: Records) -> None:
        """Take a merged build's records as this folder's: every artifact must be here, a regular file
        holding the recorded bytes, whose `seen` view is taken now. One problem per artifact that is not."""
        problems, seen = [], {}
        for path, record in sorted(records.artifacts.items()):
            shown = Where(shown_path(self.root / path))
            try:
                folder = self._root.folder(record.publication_id, create=False)
                if folder is None:
                    problems.append(Problem(shown, "", "listed in a slice's manifest but not here"))
                    continue
                with folder:
                    if folder.regular_file(record.name) is None:
                        problems.append(Problem(shown, "", "listed in a slice's manifest but not here"))
                        continue
                    digest, status = folder.sha256(record.name)
            except InTheWayError as in_the_way:
                problems.append(self._in_the_way(in_the_way, folder=in_the_way.path.name == record.publication_id))
                continue
            except OSError as error:
                raise self._cannot(error) from None
            if digest != record.sha256:
                problems.append(Problem(shown, "", "its SHA-256 is not the one its slice recorded"))
            seen[path] = Stat.of(status)
        if problems:
            raise OutputError(problems)
        self.about = about
        self.records = Records(dict(records.artifacts), dict(records.publications), seen)
        self.write_records()

    # ---- problems ----

    def _cannot(self, error: OSError, doing: str = "write") -> OutputError:
        """Any failure of the file system, in one line naming the folder: ENOSPC, EFBIG, EDQUOT, EROFS, EACCES …"""
        reason = error.strerror or str(error)
        return OutputError(
            Problem(
                Where(shown_path(self.root)),
                "",
                f"cannot {doing}: {reason} (files already in place are kept; the next build completes the records)",
            )
        )

    def _in_the_way(self, in_the_way: InTheWayError, *, folder: bool) -> Problem:
        where = Where(shown_path(in_the_way.path))
        if in_the_way.what == LINK:
            return Problem(
                where, "", "a symbolic link is in the way; nothing is written through links below the output"
            )
        if folder:
            message = (
                f"cannot create the output folder: {shown_path(in_the_way.path)} is {in_the_way.what}, not a folder"
            )
            return Problem(where, "", message)
        return Problem(where, "", "cannot write: a folder or other non-file is in the way")


def _quietly(action: Callable[..., object], *arguments: object) -> None:
    """Tidying after a failure: a second failure must not hide the first."""
    with contextlib.suppress(OSError):
        action(*arguments)
