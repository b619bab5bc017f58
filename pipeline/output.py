"""Stage 4, write (files): the one place that writes into the output folder.

Every file is written to a temporary name in its target folder and renamed into place only when
complete, so a failed or killed build never leaves a partial file under a final name. The
manifest records each artifact's size, SHA-256 and page count, and `SHA256SUMS` lists the same
hashes in the form `sha256sum -c` checks.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .errors import OutputError, Problem, Where

MANIFEST = "manifest.json"
CHECKSUMS = "SHA256SUMS"
TEMPORARY_PREFIX = ".gongwen-"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def atomic_write(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that `path` only ever holds a complete file."""
    folder = path.parent
    _make_folder(folder)
    handle, temporary = tempfile.mkstemp(prefix=TEMPORARY_PREFIX, suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise


def _make_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        blocker = next((parent for parent in [folder, *folder.parents] if parent.exists() and not parent.is_dir()), folder)
        raise OutputError(Problem(Where(str(folder)), "", f"cannot create the output folder: {blocker} is a file, not a folder")) from None
    except OSError as error:
        raise OutputError(Problem(Where(str(folder)), "", f"cannot create the output folder: {error.strerror}")) from None


@dataclass(frozen=True)
class Artifact:
    """One output file: where it goes under the output folder and what it holds."""

    path: str          # relative to the output folder, with forward slashes
    data: bytes
    pages: int | None = None

    @property
    def sha256(self) -> str:
        return sha256(self.data)


@dataclass
class OutputFolder:
    root: Path
    entries: dict[str, dict] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.entries = self._read_manifest().get("artifacts", {})

    def _read_manifest(self) -> dict:
        try:
            return json.loads((self.root / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def write(self, artifacts: list[Artifact]) -> list[Path]:
        """Write one publication's artifacts, each atomically; returns the paths written."""
        written = []
        for artifact in artifacts:
            target = self.root / artifact.path
            try:
                atomic_write(target, artifact.data)
            except OSError as error:
                raise OutputError(Problem(Where(str(target)), "", f"cannot write: {error.strerror or error}")) from None
            self.entries[artifact.path] = {
                "path": artifact.path,
                "size": len(artifact.data),
                "sha256": artifact.sha256,
                "pages": artifact.pages,
            }
            written.append(target)
        return written

    def write_manifest(self, extra: dict) -> None:
        """manifest.json and SHA256SUMS for everything the folder holds now."""
        artifacts = {path: self.entries[path] for path in sorted(self.entries) if (self.root / path).is_file()}
        manifest = {**extra, "artifacts": artifacts}
        atomic_write(self.root / MANIFEST, (json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8"))
        sums = "".join(f"{entry['sha256']}  {path}\n" for path, entry in artifacts.items())
        atomic_write(self.root / CHECKSUMS, sums.encode("utf-8"))
