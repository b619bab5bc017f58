"""Files written whole or not at all, and their hashes: shared by the output folder, the cache and the
commands that write one file.

A file is written to a temporary name (`.gongwen-….tmp`) beside its target, flushed to disk and
renamed into place, so its final name only ever holds a complete file.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import stat
import tempfile
from pathlib import Path

from .errors import OutputError, Problem, Where, shown_path

TEMPORARY_PREFIX = ".gongwen-"
TEMPORARY_SUFFIX = ".tmp"


def is_temporary(name: str) -> bool:
    """Whether a file of that name is one of gongwen's temporary files (`stage`, the output folder's writes)."""
    return name.startswith(TEMPORARY_PREFIX) and name.endswith(TEMPORARY_SUFFIX)


_READ_CHUNK = 1 << 16


class TooLargeError(Exception):
    """A file read with a limit holds more than the limit; `size` is what it holds, as far as is known."""

    def __init__(self, size: int):
        super().__init__(f"{size} bytes")
        self.size = size


def read_bounded(path: Path, limit: int) -> bytes:
    """The bytes of the regular file at `path` (links followed), reading at most `limit` + 1 bytes: a file over
    the limit raises TooLargeError before it is read into memory. It is opened without blocking, so a FIFO or
    a device in a file's place is an error, not a hang or an endless read."""
    handle = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        status = os.fstat(handle)
        if not stat.S_ISREG(status.st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        if status.st_size > limit:
            raise TooLargeError(status.st_size)
        chunks, total = [], 0
        while chunk := os.read(handle, min(_READ_CHUNK, limit + 1 - total)):
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:  # it grew since fstat
                raise TooLargeError(max(total, os.fstat(handle).st_size))
        return b"".join(chunks)
    finally:
        os.close(handle)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_sha256(path: Path) -> str:
    with path.open("rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


def atomic_write(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that `path` only ever holds a complete file."""
    make_folder(path.parent)
    temporary = stage(path, data)
    os.replace(temporary, path)
    sync_folder(path.parent)


def stage(path: Path, data: bytes) -> Path:
    """`data` in a complete, flushed temporary file beside `path`."""
    handle, temporary = tempfile.mkstemp(prefix=TEMPORARY_PREFIX, suffix=TEMPORARY_SUFFIX, dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o644)
    except BaseException:
        remove(Path(temporary))
        raise
    return Path(temporary)


def remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def sync_folder(folder: Path) -> None:
    """Make the renames in `folder` durable: a rename lives in the folder, not in the file."""
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def blocker(folder: Path) -> Path | None:
    """The nearest existing part of `folder`'s path that is not a folder, if any."""
    for part in [folder, *folder.parents]:
        if part.exists() or part.is_symlink():
            return None if part.is_dir() else part
    return None


def refuse_blocked(folder: Path) -> None:
    """Raise OutputError when a file stands where `folder` or one of its parents should be."""
    found = blocker(folder)
    if found is not None:
        message = f"cannot create the output folder: {shown_path(found)} is a file, not a folder"
        raise OutputError(Problem(Where(shown_path(folder)), "", message))


def make_folder(folder: Path) -> None:
    refuse_blocked(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        message = f"cannot create the output folder: {error.strerror or error}"
        raise OutputError(Problem(Where(shown_path(folder)), "", message)) from None
