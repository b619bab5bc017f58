"""Stage 4, write: file operations below the output folder, relative to open folder descriptors.

The output folder itself may be a symbolic link (a share mounted elsewhere); nothing below it is
ever reached through one. Each folder below it is opened with `O_NOFOLLOW` relative to its parent's
descriptor, and files are created (`O_EXCL | O_NOFOLLOW`), read, renamed and removed relative to
their folder's descriptor, so a link swapped in below the root between two steps can never
redirect a read or a write. What stands where a folder or a file should be is an `InTheWayError`.

Every call goes through the `os` module at call time (`os.write`, `os.fsync`, `os.replace` …),
so a test can hook them to kill or fail a build at any one of them.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
from pathlib import Path

from ..files import TEMPORARY_PREFIX, TEMPORARY_SUFFIX

FILE_MODE = 0o644
"""Artifacts are read by people and web servers other than the builder: world-readable, like `cp` makes them."""

_NOT_FOLLOWED = os.O_NOFOLLOW | os.O_CLOEXEC
_FOLDER = os.O_RDONLY | os.O_DIRECTORY | _NOT_FOLLOWED
_READ_CHUNK = 1 << 20


LINK, FOLDER, FILE, SPECIAL = "a symbolic link", "a folder", "a file", "a special file"


class InTheWayError(Exception):
    """Something other than the expected kind of entry stands at `name` in `folder`: LINK, FOLDER, FILE or SPECIAL."""

    def __init__(self, folder: Path, name: str, what: str):
        super().__init__(f"{folder / name}: {what}")
        self.path = folder / name
        self.what = what


class TooLargeError(Exception):
    """A file read with a limit holds more than the limit."""


def _kind(status: os.stat_result) -> str:
    if stat.S_ISLNK(status.st_mode):
        return LINK
    if stat.S_ISDIR(status.st_mode):
        return FOLDER
    return FILE if stat.S_ISREG(status.st_mode) else SPECIAL


_OPEN: set[int] = set()
"""Descriptors of the open folders of this process (the output root's holds the build's lock)."""


def _forget_in_child() -> None:
    """A forked worker must not keep the output folder locked: a lock taken with flock lives as long as any
    process holds a descriptor of it, and a worker orphaned by a killed build would hold it for ever."""
    for descriptor in _OPEN:
        with contextlib.suppress(OSError):
            os.close(descriptor)
    _OPEN.clear()


os.register_at_fork(after_in_child=_forget_in_child)


class Folder:
    """An open folder: every operation is relative to its descriptor and follows no link below it."""

    def __init__(self, descriptor: int, path: Path):
        self.descriptor = descriptor
        self.path = path  # for messages only
        _OPEN.add(descriptor)

    @classmethod
    def open_root(cls, path: Path) -> Folder:
        """The output folder itself, following links: it may be a share mounted elsewhere."""
        return cls(os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC), path)

    def close(self) -> None:
        if self.descriptor in _OPEN:
            _OPEN.discard(self.descriptor)
            os.close(self.descriptor)
        self.descriptor = -1

    def __enter__(self) -> Folder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def lstat(self, name: str) -> os.stat_result | None:
        """The entry `name` itself (a link is not followed); None when there is none."""
        try:
            return os.stat(name, dir_fd=self.descriptor, follow_symlinks=False)
        except FileNotFoundError:
            return None

    def regular_file(self, name: str) -> os.stat_result | None:
        """The regular file `name`, None when there is nothing; an InTheWayError for a link, a folder, a device."""
        status = self.lstat(name)
        if status is not None and not stat.S_ISREG(status.st_mode):
            raise InTheWayError(self.path, name, _kind(status))
        return status

    def folder(self, name: str, *, create: bool) -> Folder | None:
        """The folder `name` below this one (made when `create`); None when it is not there and not made."""
        status = self.lstat(name)
        if status is None:
            if not create:
                return None
            with contextlib.suppress(FileExistsError):  # made meanwhile: opened below, and refused if no folder
                os.mkdir(name, 0o755, dir_fd=self.descriptor)
        elif not stat.S_ISDIR(status.st_mode):
            raise InTheWayError(self.path, name, _kind(status))
        try:
            return Folder(os.open(name, _FOLDER, dir_fd=self.descriptor), self.path / name)
        except OSError as error:  # swapped for a link or a file since it was looked at
            status = self.lstat(name)
            if status is None or stat.S_ISDIR(status.st_mode):
                raise error from None
            raise InTheWayError(self.path, name, _kind(status)) from None

    def _open_file(self, name: str) -> int:
        try:
            # O_NONBLOCK: a FIFO put where a file should be must not hang the build (no effect on files)
            return os.open(name, os.O_RDONLY | os.O_NONBLOCK | _NOT_FOLLOWED, dir_fd=self.descriptor)
        except OSError as error:
            status = self.lstat(name)
            if status is not None and not stat.S_ISREG(status.st_mode):
                raise InTheWayError(self.path, name, _kind(status)) from None
            raise error from None

    def read(self, name: str, limit: int) -> bytes | None:
        """The bytes of the regular file `name` (None when there is none), reading at most `limit` + 1 bytes."""
        try:
            handle = self._open_file(name)
        except FileNotFoundError:
            return None
        try:
            if not stat.S_ISREG(os.fstat(handle).st_mode):
                raise InTheWayError(self.path, name, SPECIAL)
            chunks, total = [], 0
            while chunk := os.read(handle, min(_READ_CHUNK, limit + 1 - total)):
                chunks.append(chunk)
                total += len(chunk)
                if total > limit:
                    raise TooLargeError(name)
            return b"".join(chunks)
        finally:
            os.close(handle)

    def sha256(self, name: str) -> tuple[str, os.stat_result]:
        """The SHA-256 of the regular file `name`, and its status read from the same open file."""
        handle = self._open_file(name)
        try:
            status = os.fstat(handle)
            if not stat.S_ISREG(status.st_mode):
                raise InTheWayError(self.path, name, _kind(status))
            digest = hashlib.sha256()
            while chunk := os.read(handle, _READ_CHUNK):
                digest.update(chunk)
            return digest.hexdigest(), status
        finally:
            os.close(handle)

    def create(self, name: str, data: bytes) -> None:
        """A new file `name` holding `data`, flushed; FileExistsError when the name is taken."""
        handle = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOT_FOLLOWED, FILE_MODE, dir_fd=self.descriptor)
        try:
            os.fchmod(handle, FILE_MODE)  # whatever the umask: artifacts are for readers other than the builder
            view = memoryview(data)
            while view:
                view = view[os.write(handle, view) :]
            os.fsync(handle)
        except BaseException:
            os.close(handle)
            self.remove(name)
            raise
        os.close(handle)

    def stage(self, data: bytes) -> str:
        """`data` in a complete, flushed temporary file in this folder; its name."""
        while True:
            name = f"{TEMPORARY_PREFIX}{os.urandom(6).hex()}{TEMPORARY_SUFFIX}"
            try:
                self.create(name, data)
                return name
            except FileExistsError:
                continue

    def replace(self, source: str, target: str) -> None:
        """Rename `source` over `target` in this folder, atomically (a link at `target` is replaced, not followed)."""
        os.replace(source, target, src_dir_fd=self.descriptor, dst_dir_fd=self.descriptor)

    def link(self, source: str, target: str) -> None:
        """A second name for the file `source`; FileExistsError when `target` is taken."""
        os.link(source, target, src_dir_fd=self.descriptor, dst_dir_fd=self.descriptor, follow_symlinks=False)

    def remove(self, name: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name, dir_fd=self.descriptor)

    def sync(self) -> None:
        """Make the renames in this folder durable: a rename lives in the folder, not in the file."""
        os.fsync(self.descriptor)

    def names(self) -> list[tuple[str, bool]]:
        """The entries of this folder: each name, and whether it is a folder (not a link to one)."""
        with os.scandir(self.descriptor) as entries:
            return [(entry.name, entry.is_dir(follow_symlinks=False)) for entry in entries]

    def same_as(self, path: Path) -> bool:
        """Whether `path` still names this very folder (it was not removed or replaced meanwhile)."""
        try:
            here, there = os.fstat(self.descriptor), os.stat(path)
        except OSError:
            return False
        return (here.st_dev, here.st_ino) == (there.st_dev, there.st_ino)
