"""Stage 4, write: the output folder's records — `manifest.json` and `SHA256SUMS` — as small records,
read leniently from the folder's own manifest and strictly from a slice's.

`manifest.json` holds what the build was made with (`about`: tool, version, PDF variant, fonts and
the fingerprints of the inputs every publication shares), and three tables:

- `artifacts`: each artifact's path, size, SHA-256 and page count — the bytes, portable between
  machines; while its file is being renamed into place also `replacing` (the SHA-256 of the bytes
  in place before) and `previous` (their record, if they had one). A file edited by hand is
  recorded as it is now, with `edited: true` (and no page count); when gongwen rebuilt it since,
  `fresh` names the file beside it that holds gongwen's version (`summary.fresh.docx`), which has
  a record of its own;
- `publications`: for each publication, the content file that made it, the fingerprint of the
  inputs of each artifact whose bytes are in place — in its own file, or in its fresh file beside
  an edit — (the incremental build), and the fingerprint of each input apart (`components`:
  content, defaults, templates, fonts …), so that `gongwen status` can say which one changed;
- `seen`: this folder's own view of each artifact file (size, modification and change times,
  inode), so a build with nothing to do notices a replaced or rewritten file without reading it.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from dataclasses import dataclass, field, replace
from typing import Any

from ..artifacts import FILE_NAME_PATTERN, ID_PATTERN, artifact_of

MANIFEST = "manifest.json"
CHECKSUMS = "SHA256SUMS"
MANIFEST_LIMIT = 32 << 20
"""A manifest of 32 MiB records some 100 000 artifacts; a larger file is not one gongwen wrote."""
ABOUT_KEYS = ("tool", "version", "pdf_variant", "formats", "fonts", "vocabularies", "shared_inputs")
"""What a build was made with; slices of one build agree on all of it (the same inputs the incremental build uses)."""

_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Stat:
    """What the file system says of a file without reading it: any replacement or rewrite changes it."""

    size: int
    mtime_ns: int
    ctime_ns: int
    inode: int

    @classmethod
    def of(cls, status: os.stat_result) -> Stat:
        return cls(status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino)

    def as_json(self) -> dict[str, int]:
        return {"size": self.size, "mtime_ns": self.mtime_ns, "ctime_ns": self.ctime_ns, "inode": self.inode}

    @classmethod
    def from_json(cls, found: object) -> Stat | None:
        if not isinstance(found, dict):
            return None
        values = [found.get(key) for key in ("size", "mtime_ns", "ctime_ns", "inode")]
        numbers = [value for value in values if isinstance(value, int) and not isinstance(value, bool)]
        return cls(*numbers) if len(numbers) == len(values) else None


@dataclass(frozen=True)
class ArtifactRecord:
    """One file's bytes: as gongwen wrote them, or as someone edited them (`edited`, with the `fresh` file beside it
    that holds gongwen's version, if it was rebuilt since); `replacing` and `previous` only while it is renamed
    into place."""

    path: str  # relative to the output folder: <id>/<file name>
    size: int
    sha256: str
    pages: int | None
    replacing: str | None = None  # SHA-256 of the bytes in place before the rename
    previous: ArtifactRecord | None = None  # their record, if they had one
    edited: bool = False  # the bytes are someone's edit, kept as they are
    fresh: str | None = None  # on an edited record: the path of the file holding gongwen's version

    @property
    def publication_id(self) -> str:
        return self.path.split("/", 1)[0]

    @property
    def name(self) -> str:
        return self.path.split("/", 1)[1]

    @property
    def slot(self) -> str:
        """The artifact this file is: its own path, or for a fresh file the path of the edited one it stands beside."""
        return f"{self.publication_id}/{artifact_of(self.name) or self.name}"

    def settled(self) -> ArtifactRecord:
        return replace(self, replacing=None, previous=None)

    def as_edit(self, size: int, digest: str, fresh: str | None) -> ArtifactRecord:
        """The record of someone's edit in this file's place."""
        return ArtifactRecord(self.path, size, digest, None, edited=True, fresh=fresh)

    def as_json(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"path": self.path, "size": self.size, "sha256": self.sha256, "pages": self.pages}
        if self.edited:
            entry["edited"] = True
            if self.fresh is not None:
                entry["fresh"] = self.fresh
        if self.replacing is not None:
            entry["replacing"] = self.replacing
            if self.previous is not None:
                entry["previous"] = self.previous.as_json()
        return entry

    @classmethod
    def from_json(cls, path: str, found: object) -> ArtifactRecord:
        """The record of `path`; ValueError saying what is wrong when `found` is not one."""
        if not isinstance(found, dict):
            raise ValueError(f"artifacts.{path}: expected a mapping")
        if found.get("path", path) != path:
            raise ValueError(f"artifacts.{path}: its path is {found.get('path')!r}")
        size, digest, pages = found.get("size"), found.get("sha256"), found.get("pages")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise ValueError(f"artifacts.{path}.size: expected a whole number")
        if not isinstance(digest, str) or not _SHA256.fullmatch(digest):
            raise ValueError(f"artifacts.{path}.sha256: expected 64 hexadecimal digits")
        if pages is not None and (not isinstance(pages, int) or isinstance(pages, bool)):
            raise ValueError(f"artifacts.{path}.pages: expected a whole number")
        replacing = found.get("replacing")
        if replacing is not None and (not isinstance(replacing, str) or not _SHA256.fullmatch(replacing)):
            raise ValueError(f"artifacts.{path}.replacing: expected 64 hexadecimal digits")
        edited, fresh = found.get("edited", False), found.get("fresh")
        if not isinstance(edited, bool):
            raise ValueError(f"artifacts.{path}.edited: expected true or false")
        if fresh is not None and (not edited or not isinstance(fresh, str) or not _is_fresh_of(fresh, path)):
            raise ValueError(f"artifacts.{path}.fresh: expected the path of its fresh file, beside an edited one")
        previous = found.get("previous")
        return cls(
            path,
            size,
            digest,
            pages,
            replacing,
            cls.from_json(path, previous).settled() if replacing is not None and previous is not None else None,
            edited,
            fresh,
        )


def _is_fresh_of(fresh: str, path: str) -> bool:
    """Whether `fresh` names a rebuilt version of the artifact at `path`, in the same folder."""
    folder, _, name = path.partition("/")
    fresh_folder, _, fresh_file = fresh.partition("/")
    return fresh_folder == folder and fresh_file != name and artifact_of(fresh_file) == name


@dataclass(frozen=True)
class PublicationRecord:
    """The content file that made a publication, and each artifact's input fingerprint (for bytes in place only):
    the one that decides (`inputs`) and each input's apart (`components`), which say what changed."""

    source: str
    inputs: dict[str, str] = field(default_factory=dict)
    components: dict[str, dict[str, str]] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        components = {name: dict(sorted(value.items())) for name, value in sorted(self.components.items())}
        return {"source": self.source, "inputs": dict(sorted(self.inputs.items())), "components": components}

    def without(self, name: str) -> PublicationRecord:
        """This record with nothing known of artifact `name`'s inputs."""
        return replace(
            self,
            inputs={key: value for key, value in self.inputs.items() if key != name},
            components={key: value for key, value in self.components.items() if key != name},
        )

    @classmethod
    def from_json(cls, publication_id: str, found: object) -> PublicationRecord:
        if not isinstance(found, dict) or not isinstance(found.get("source"), str):
            raise ValueError(f"publications.{publication_id}: expected a mapping with a source")
        inputs = found.get("inputs", {})
        if not _text_mapping(inputs):
            raise ValueError(f"publications.{publication_id}.inputs: expected a mapping of text")
        components = found.get("components", {})
        if not isinstance(components, dict) or not all(_text_mapping(value) for value in components.values()):
            components = {}  # only explains what changed: without it, `status` says the inputs were not recorded
        return cls(found["source"], dict(inputs), {name: dict(value) for name, value in components.items()})


def _text_mapping(found: object) -> bool:
    return isinstance(found, dict) and all(
        isinstance(key, str) and isinstance(value, str) for key, value in found.items()
    )


@dataclass
class Records:
    """The three tables of a manifest."""

    artifacts: dict[str, ArtifactRecord] = field(default_factory=dict)
    publications: dict[str, PublicationRecord] = field(default_factory=dict)
    seen: dict[str, Stat] = field(default_factory=dict)

    def copy(self) -> Records:
        return Records(dict(self.artifacts), dict(self.publications), dict(self.seen))

    def forget_inputs(self, path: str) -> None:
        """The artifact at `path` is no longer known to be made from its recorded inputs."""
        publication_id, name = path.split("/", 1)
        record = self.publications.get(publication_id)
        if record is not None and (name in record.inputs or name in record.components):
            self.publications[publication_id] = record.without(name)

    def edited(self) -> list[ArtifactRecord]:
        """The records of files edited by hand, by path."""
        return [record for _, record in sorted(self.artifacts.items()) if record.edited]

    def forget(self, path: str) -> None:
        """No artifact of gongwen's is at `path`."""
        self.artifacts.pop(path, None)
        self.seen.pop(path, None)
        self.forget_inputs(path)

    def as_json(self) -> dict[str, Any]:
        artifacts = {path: self.artifacts[path].as_json() for path in sorted(self.artifacts)}
        present = {record.publication_id for record in self.artifacts.values()}
        publications = {
            name: self.publications[name].as_json() for name in sorted(self.publications) if name in present
        }
        seen = {path: self.seen[path].as_json() for path in sorted(self.seen) if path in self.artifacts}
        return {"artifacts": artifacts, "publications": publications, "seen": seen}


def manifest_bytes(about: dict[str, Any], records: Records) -> bytes:
    """The manifest as it is written: sorted keys, two-space indents, UTF-8 text."""
    manifest = {**{key: about[key] for key in ABOUT_KEYS if key in about}, **records.as_json()}
    return (json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")


def checksums_bytes(records: Records) -> bytes:
    """SHA256SUMS in the form `sha256sum -c` checks, for every settled artifact."""
    return "".join(
        f"{record.sha256}  {path}\n" for path, record in sorted(records.artifacts.items()) if record.replacing is None
    ).encode("utf-8")


ARTIFACT_PATH = re.compile(ID_PATTERN + "/(?:" + FILE_NAME_PATTERN + ")")
"""Where an artifact may be: <id>/<artifact name>, or <id>/<its fresh name> beside an edit; nothing else in a
manifest is read or checked."""


def read_records(data: bytes | None) -> Records:
    """The folder's own records, leniently: what is damaged records nothing, so it is made again, never trusted."""
    try:
        manifest = json.loads(data) if data is not None else None
    except ValueError:
        return Records()
    if not isinstance(manifest, dict):
        return Records()
    records = Records()
    for table, reader in (("artifacts", _artifact), ("publications", _publication), ("seen", _seen)):
        found = manifest.get(table)
        if isinstance(found, dict):
            for key, value in found.items():
                if isinstance(key, str):
                    reader(records, key, value)
    return records


def _artifact(records: Records, path: str, value: object) -> None:
    if ARTIFACT_PATH.fullmatch(path):
        with contextlib.suppress(ValueError):  # not trusted: a file there is someone's until it is made again
            records.artifacts[path] = ArtifactRecord.from_json(path, value)


def _publication(records: Records, publication_id: str, value: object) -> None:
    with contextlib.suppress(ValueError):
        records.publications[publication_id] = PublicationRecord.from_json(publication_id, value)


def _seen(records: Records, path: str, value: object) -> None:
    found = Stat.from_json(value)
    if found is not None:
        records.seen[path] = found


def read_slice(data: bytes) -> tuple[dict[str, Any], Records]:
    """A slice's `about` and records, strictly: ValueError with the first thing wrong. Its `seen` table is
    not read (the files were copied since), and no entry may be under way or outside `<id>/<artifact>`."""
    try:
        manifest = json.loads(data)
    except ValueError as error:
        raise ValueError(f"not JSON ({error})") from None
    if not isinstance(manifest, dict) or manifest.get("tool") != "gongwen":
        raise ValueError("not a manifest written by gongwen")
    about = {key: manifest.get(key) for key in ABOUT_KEYS}
    artifacts, publications = manifest.get("artifacts"), manifest.get("publications", {})
    if not isinstance(artifacts, dict) or not isinstance(publications, dict):
        raise ValueError("artifacts and publications must be mappings")
    records = Records()
    for path, value in artifacts.items():
        if not ARTIFACT_PATH.fullmatch(path):
            raise ValueError(f"artifacts: {json.dumps(path, ensure_ascii=False)} is not <id>/<artifact name>")
        record = ArtifactRecord.from_json(path, value)
        if record.replacing is not None:
            raise ValueError(f"artifacts.{path}: still being renamed into place (the slice's build was killed)")
        records.artifacts[path] = record
    for publication_id, value in publications.items():
        records.publications[publication_id] = PublicationRecord.from_json(publication_id, value)
    return about, records
