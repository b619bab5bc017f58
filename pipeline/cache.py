"""Folders outside the output: the user's cache (kept between builds) and this process's scratch folder.

The cache is `$GONGWEN_CACHE_DIR`, else `$XDG_CACHE_HOME/gongwen`, else `~/.cache/gongwen`; what it
holds only saves work (font file hashes, faces prepared for cutting), so it can be deleted at any time. The
scratch folder holds what a build needs for a moment (each document's cut-down fonts) and goes when the process
ends.
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import shutil
import tempfile
from pathlib import Path

from .files import atomic_write, file_sha256


def cache_folder() -> Path:
    configured = os.environ.get("GONGWEN_CACHE_DIR")
    if configured:
        return Path(configured).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "gongwen"


@functools.cache
def scratch_folder() -> Path:
    """A private temporary folder for this process, removed when it exits."""
    folder = Path(tempfile.mkdtemp(prefix="gongwen-")).resolve()
    owner = os.getpid()

    def remove() -> None:
        if os.getpid() == owner:  # a forked worker must not remove its parent's folder
            shutil.rmtree(folder, ignore_errors=True)

    atexit.register(remove)
    return folder


_DIGESTS_FILE = "file-digests.json"


class FileDigests:
    """SHA-256 of large files that seldom change (fonts), remembered in the cache by path, size and
    modification time, so a build that changes nothing does not read 100 MB of fonts again."""

    def __init__(self) -> None:
        self._path = cache_folder() / _DIGESTS_FILE
        try:
            self._known = json.loads(self._path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self._known = {}
        if not isinstance(self._known, dict):
            self._known = {}
        self._changed = False

    def __call__(self, path: str) -> str:
        status = os.stat(path)
        stamp = [status.st_size, status.st_mtime_ns]
        known = self._known.get(path)
        if isinstance(known, list) and len(known) == 3 and known[:2] == stamp and isinstance(known[2], str):
            return known[2]
        digest = file_sha256(Path(path))
        self._known[path] = [*stamp, digest]
        self._changed = True
        return digest

    def save(self) -> None:
        """Remember new digests; the cache is a convenience, so a folder that cannot be written is passed over."""
        if not self._changed:
            return
        try:
            atomic_write(self._path, json.dumps(self._known, sort_keys=True).encode("utf-8"))
        except Exception:  # noqa: BLE001 — any failure here only costs the next build a re-read
            return
        self._changed = False


@functools.cache
def file_digests() -> FileDigests:
    """The process's one memo of file digests."""
    return FileDigests()
