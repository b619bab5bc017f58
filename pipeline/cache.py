"""The user's cache folder: content-addressed files that make later builds cheaper (never needed for correctness).

`$GONGWEN_CACHE_DIR`, else `$XDG_CACHE_HOME/gongwen`, else `~/.cache/gongwen`. Everything in it is
named by the hash of what it holds or of what it was made from, so it can be deleted at any time.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from .output import atomic_write


def cache_folder() -> Path:
    configured = os.environ.get("GONGWEN_CACHE_DIR")
    if configured:
        return Path(configured).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "gongwen"


def stored(kind: str, data: bytes, suffix: str) -> Path:
    """`data` as a file in the cache, named by its SHA-256; written once."""
    path = cache_folder() / kind / f"{hashlib.sha256(data).hexdigest()}{suffix}"
    if not path.is_file():
        atomic_write(path, data)
    return path
