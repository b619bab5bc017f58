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
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import OutputError, Problem, Where, shown_path
from ..files import make_folder, refuse_blocked, sha256
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
from .tree import LINK, Folder, InTheWayError, TooLargeError, is_temporary

EDITED = "edited"
LOCK_WAITING = "another gongwen build is writing into this folder; waiting for it to finish"
LOCK_ATTEMPTS = 5
"""Times the lock is taken again when the folder was removed or replaced while the build waited for it."""
NO_HARD_LINKS = {errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EMLINK, errno.EXDEV}
"""Errors of a file system that cannot give an edited file a second name: it is copied instead."""
COPY_LIMIT = 1 << 40
"""No limit worth the name on an edited file copied aside: it is the user's and must be kept whole."""


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
class Written:
    """What writing one publication did: the artifacts written and the edited files kept beside them."""

    paths: list[Path]
    kept: list[Path]


@dataclass(frozen=True)
class _Target:
    """An artifact about to be written, and the SHA-256 of the file in its place (None: no file)."""

    artifact: Artifact
    on_disk: str | None


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
    ):
        self.root = root
        self.about = about
        self.force = force
        self.manifest = manifest
        self._waiting = waiting
        self._folder: Folder | None = None
        self.records = Records()
        self._on_disk: dict[str, bytes | None] = {}  # the records files as they are in the folder
        self._by_source: dict[str, list[str]] = {}

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
                self._root.remove(name)
            elif is_folder:
                try:
                    folder = self._root.folder(name, create=False)
                except InTheWayError:
                    continue  # swapped for something else just now: its records are forgotten below
                if folder is None:
                    continue
                with folder:
                    for inner, inner_is_folder in folder.names():
                        if is_temporary(inner) and not inner_is_folder:
                            folder.remove(inner)
                    for path in by_publication.pop(name, []):
                        self._settle(folder, path)
        for paths in by_publication.values():  # no folder of that name, or a link or a file in its place
            for path in paths:
                self.records.forget(path)
        self._index_sources()

    def _settle(self, folder: Folder, path: str) -> None:
        """Make the record of `path` say what the file in place is: ours (as recorded, or the bytes of a
        rename that was under way), someone's edit, or nothing."""
        record = self.records.artifacts[path]
        try:
            status = folder.regular_file(record.name)
            if status is None:
                self.records.forget(path)
                return
            if record.replacing is None and self.records.seen.get(path) == Stat.of(status):
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
            self.records.artifacts[path] = record.settled()
        if digest == record.sha256:
            self.records.seen[path] = Stat.of(status)
        # else someone's edit: its `seen` no longer matches, so every build reads it again (and writes nothing)

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
    ) -> Written:
        """Write one publication's artifacts, all or none; an edited artifact stops it unless forced.
        With `source` and `inputs`, the manifest remembers what each artifact was made from."""
        if not artifacts:
            return Written([], [])
        folder_name = artifacts[0].path.split("/", 1)[0]
        assert all(artifact.path.split("/", 1)[0] == folder_name for artifact in artifacts), "one publication"
        assert publication_id in (None, folder_name), "artifacts go to their publication's folder"
        try:
            folder = self._root.folder(folder_name, create=True)
        except InTheWayError as in_the_way:
            raise OutputError(self._in_the_way(in_the_way, folder=True)) from None
        except OSError as error:
            raise self._cannot(error) from None
        assert folder is not None, "made when missing"
        with folder:
            return self._write_into(folder, artifacts, source, inputs)

    def _write_into(
        self, folder: Folder, artifacts: list[Artifact], source: str | None, inputs: dict[str, str] | None
    ) -> Written:
        targets, edited = self._targets(folder, artifacts)
        staged: list[str] = []
        before = self.records.copy()
        try:
            for target in targets:
                staged.append(folder.stage(target.artifact.data))  # (1)
            kept = [self._keep(folder, target.artifact.name) for target in edited]
            for target in targets:
                self._pending(target)
            if source is not None:
                self._claim(folder.path.name, source)
            self._write_manifest()  # (2)
        except BaseException as error:
            self.records = before
            self._index_sources()
            for temporary in staged:
                _quietly(folder.remove, temporary)
            if isinstance(error, OSError):
                raise self._cannot(error) from None
            raise
        renamed = 0
        try:
            for target, temporary in zip(targets, staged, strict=True):
                folder.replace(temporary, target.artifact.name)  # (3)
                renamed += 1
            folder.sync()
        except OSError as error:
            for temporary in staged[renamed:]:
                _quietly(folder.remove, temporary)
            for target in targets:
                self._settle(folder, target.artifact.path)
            _quietly(self._write_records)
            raise self._cannot(error) from None
        self._placed(folder, targets, inputs or {})  # (4)
        try:
            self._write_records()
        except OSError as error:
            raise self._cannot(error) from None
        return Written([self.root / target.artifact.path for target in targets], kept)

    def _targets(self, folder: Folder, artifacts: list[Artifact]) -> tuple[list[_Target], list[_Target]]:
        """Each artifact with the file in its place, and those files that are someone's edits; an OutputError
        for a link, a folder or a device in the way, and for edits unless forced."""
        targets, problems = [], []
        for artifact in artifacts:
            try:
                targets.append(_Target(artifact, self._identify(folder, artifact)))
            except InTheWayError as in_the_way:
                problems.append(self._in_the_way(in_the_way, folder=False))
            except OSError as error:
                raise self._cannot(error) from None
        edited = [target for target in targets if target.on_disk is not None and not self._ours(target)]
        if edited and not self.force:
            edits = [self._edited_problem(folder.path / target.artifact.name, target) for target in edited]
            problems = edits + problems
        if problems:
            raise OutputError(problems)
        return targets, edited

    def _identify(self, folder: Folder, artifact: Artifact) -> str | None:
        """The SHA-256 of the file in the artifact's place (None when there is none), read only when its
        status is not the one recorded."""
        status = folder.regular_file(artifact.name)
        if status is None:
            return None
        record = self.records.artifacts.get(artifact.path)
        if record is not None and self.records.seen.get(artifact.path) == Stat.of(status):
            return record.sha256
        return folder.sha256(artifact.name)[0]

    def _ours(self, target: _Target) -> bool:
        """Whether the file in place is bytes gongwen wrote there, or the very bytes about to be written
        (replacing those loses nothing: a reproducible build after the manifest was lost)."""
        record = self.records.artifacts.get(target.artifact.path)
        return target.on_disk == target.artifact.sha256 or (record is not None and target.on_disk == record.sha256)

    def _pending(self, target: _Target) -> None:
        """Step 2 for one artifact: its new bytes, the bytes they replace, and no inputs yet."""
        artifact = target.artifact
        record = ArtifactRecord(artifact.path, len(artifact.data), artifact.sha256, artifact.pages)
        if target.on_disk is not None and target.on_disk != artifact.sha256:
            previous = self.records.artifacts.get(artifact.path)
            record = ArtifactRecord(record.path, record.size, record.sha256, record.pages, target.on_disk, previous)
        self.records.artifacts[artifact.path] = record
        self.records.seen.pop(artifact.path, None)
        self.records.forget_inputs(artifact.path)

    def _claim(self, publication_id: str, source: str) -> None:
        """The publication is now `source`'s (a renamed content file takes over its folder)."""
        record = self.records.publications.get(publication_id)
        if record is None or record.source != source:
            self.records.publications[publication_id] = PublicationRecord(source, {})
            self._index_sources()

    def _placed(self, folder: Folder, targets: list[_Target], inputs: dict[str, str]) -> None:
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
                self.records.forget(path)
            else:
                self.records.seen[path] = Stat.of(status)
        record = self.records.publications.get(publication_id)
        if record is not None:
            made = {target.artifact.name for target in targets if target.artifact.path in self.records.artifacts}
            new_inputs = {**record.inputs, **{name: key for name, key in inputs.items() if name in made}}
            self.records.publications[publication_id] = PublicationRecord(record.source, new_inputs)

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

    def _edited_problem(self, path: Path, target: _Target) -> Problem:
        recorded = target.artifact.path in self.records.artifacts
        why = (
            f"changed since it was built (its SHA-256 is not the one in {MANIFEST})"
            if recorded
            else f"not listed in {MANIFEST}, so it may hold someone's work"
        )
        return Problem(
            Where(shown_path(path)),
            "",
            f"{why}; it was left as it is: keep the edits under another name, "
            f"or rebuild with --force, which keeps them as {edited_name(path).name}",
        )


def _quietly(action: Callable[..., object], *arguments: object) -> None:
    """Tidying after a failure: a second failure must not hide the first."""
    with contextlib.suppress(OSError):
        action(*arguments)
