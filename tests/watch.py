"""Watching a folder tree for new files with Linux inotify (through ctypes), so a test can act the moment one
appears."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import select
import struct
from pathlib import Path

IN_CREATE = 0x100
IN_ISDIR = 0x40000000
_EVENT = struct.Struct("iIII")  # watch descriptor, mask, cookie, length of the name that follows

_libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)


class TreeWatch:
    """Reports every file and folder created under a folder, including folders created later."""

    def __init__(self, root: Path):
        self.fd = _libc.inotify_init1(os.O_CLOEXEC)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1 failed")
        self.folders: dict[int, Path] = {}
        self.pending: list[Path] = []
        self._add(root)

    def _add(self, folder: Path) -> None:
        descriptor = _libc.inotify_add_watch(self.fd, os.fsencode(folder), IN_CREATE)
        if descriptor < 0:
            raise OSError(ctypes.get_errno(), f"inotify_add_watch {folder} failed")
        self.folders[descriptor] = folder
        # Whatever was created before the watch began is reported too.
        for entry in sorted(folder.iterdir()):
            self._seen(entry)

    def _seen(self, path: Path) -> None:
        self.pending.append(path)
        if path.is_dir() and not path.is_symlink():
            self._add(path)

    def created(self, timeout: float) -> list[Path]:
        """Paths created since the last call; waits up to `timeout` seconds for the first one."""
        if not self.pending:
            ready, _, _ = select.select([self.fd], [], [], timeout)
            if ready:
                data = os.read(self.fd, 1 << 16)
                offset = 0
                while offset < len(data):
                    descriptor, mask, _, length = _EVENT.unpack_from(data, offset)
                    name = data[offset + _EVENT.size : offset + _EVENT.size + length].rstrip(b"\0")
                    offset += _EVENT.size + length
                    if descriptor in self.folders and mask & IN_CREATE:
                        self._seen(self.folders[descriptor] / os.fsdecode(name))
        found, self.pending = self.pending, []
        return found

    def close(self) -> None:
        os.close(self.fd)
