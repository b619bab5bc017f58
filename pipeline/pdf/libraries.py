"""Stage 4, write (PDF engine adapter): WeasyPrint's system libraries found from one reading of the loader's cache.

WeasyPrint looks for each library it loads under several names, one platform's after another
(`libgobject-2.0-0`, `gobject-2.0-0`, `gobject-2.0`, …), and cffi asks `ctypes.util.find_library` for each
name it cannot open directly. On Linux every such question runs `ldconfig -p`, and a name that is not there
then `gcc` and `ld` as well: about 11 ms a name, and sixteen names are not there, so importing the engine took
0.2 s longer than loading its libraries. While the engine is imported, `find_library` here reads `ldconfig
-p` once and answers every name from that listing, as its first step would have. Where there is no such
listing (no glibc `ldconfig`, another platform) or a library is missing from it, nothing is changed: an import
that fails with the listing's answers is made again with `find_library`'s own.
"""

from __future__ import annotations

import contextlib
import ctypes.util
import os
import re
import struct
import subprocess
import sys
from collections.abc import Iterator

_LDCONFIG = "/sbin/ldconfig"

# As ctypes names the C library's ABI in `ldconfig -p` (`ctypes.util._findSoname_ldconfig`); others are "libc6…".
_ABI = {
    "x86_64-64": "libc6,x86-64",
    "ppc64-64": "libc6,64bit",
    "sparc64-64": "libc6,64bit",
    "s390x-64": "libc6,64bit",
    "ia64-64": "libc6,IA-64",
}


def _listing() -> bytes | None:
    """The loader's cache as `ldconfig -p` lists it; None where it cannot be read."""
    if not sys.platform.startswith("linux") or os.environ.get("LD_LIBRARY_PATH"):
        return None  # elsewhere, or libraries outside the cache: find_library's own search
    try:
        listed = subprocess.run(
            [_LDCONFIG, "-p"],
            stdin=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            env={"LC_ALL": "C", "LANG": "C"},
            check=False,
        ).stdout
    except OSError:
        return None
    return listed or None


def listed_library(listing: bytes, name: str) -> str | None:
    """The file name `ctypes.util.find_library(name)` finds first in `listing`: the first library called
    lib<name>.… for this interpreter's ABI."""
    machine = f"{os.uname().machine}-{struct.calcsize('l') * 8}"
    pattern = rb"\s+(lib%s\.[^\s]+)\s+\(%s" % (re.escape(os.fsencode(name)), _ABI.get(machine, "libc6").encode())
    found = re.search(pattern, listing)
    return os.fsdecode(found.group(1)) if found else None


@contextlib.contextmanager
def found_from_one_listing() -> Iterator[bool]:
    """While inside, `ctypes.util.find_library` answers from one reading of the loader's cache; yields whether
    it does (False: the platform's own search is left as it is)."""
    listing = _listing()
    if listing is None:
        yield False
        return
    original = ctypes.util.find_library
    ctypes.util.find_library = lambda name: listed_library(listing, name)
    try:
        yield True
    finally:
        ctypes.util.find_library = original


def forget_modules(prefix: str) -> None:
    """Modules under `prefix` dropped from `sys.modules`, so that importing them runs them again."""
    for module in [name for name in sys.modules if name == prefix or name.startswith(prefix + ".")]:
        del sys.modules[module]
