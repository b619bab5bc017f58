"""Stage 1, content: YAML with positions → a validated, immutable publication.

This module holds what even a build with nothing to do needs of content files — the name of the
defaults file, the size limit and the bounded read — so that such a build loads nothing else of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import ContentError, Problem, Where
from ..files import TooLargeError, read_bounded

DEFAULTS_FILE = "_defaults.yaml"
"""Values every publication in the same folder inherits (deep-merged; the publication's own win)."""

CHANGED_DURING_BUILD = "the file changed while the build was running; build again to make it from what it holds now"


@dataclass(frozen=True)
class ContentDigests:
    """SHA-256 of a content file's bytes and of its folder's `_defaults.yaml` ("" when there is none), as the build
    fingerprinted them: a worker makes the publication only from those bytes."""

    content: str
    defaults: str


MAX_FILE_BYTES = 1024 * 1024
"""Content files (and `_defaults.yaml`) larger than this (1 MiB, about 300 000 Chinese characters) are refused."""


def read_bytes(path: Path, shown_as: str | None = None) -> bytes:
    """The bytes of a content file or `_defaults.yaml`, read only as far as `MAX_FILE_BYTES` + 1: a larger file is
    refused before it is read whole (or hashed, see `incremental`)."""
    name = shown_as or str(path)
    try:
        return read_bounded(path, MAX_FILE_BYTES)
    except TooLargeError as error:
        raise ContentError(
            Problem(
                Where(name),
                "",
                f"the file is larger than the limit of {MAX_FILE_BYTES // 1024} KiB",
                f"{error.size // 1024} KiB",
            )
        ) from None
    except OSError as error:
        raise ContentError(Problem(Where(name), "", f"cannot read the file: {error.strerror or error}")) from None
