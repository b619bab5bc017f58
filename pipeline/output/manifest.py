"""Stage 4, write: the output folder's records — `manifest.json`, `SHA256SUMS` — and the merge of
a sliced build's manifests."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from ..errors import OutputError, Problem, Where, shown_path
from ..files import atomic_write, file_sha256

MANIFEST = "manifest.json"
CHECKSUMS = "SHA256SUMS"


def manifest_bytes(manifest: dict[str, Any]) -> bytes:
    """The manifest as it is written: sorted keys, two-space indents, UTF-8 text."""
    return (json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")


def write_checksums(root: Path, artifacts: dict[str, dict[str, Any]]) -> None:
    """SHA256SUMS in the form `sha256sum -c` checks."""
    sums = "".join(f"{entry['sha256']}  {path}\n" for path, entry in sorted(artifacts.items()))
    atomic_write(root / CHECKSUMS, sums.encode("utf-8"))


SHARD_MANIFEST = re.compile(r"manifest-(\d+)-of-(\d+)\.json")


def merge_shard_manifests(root: Path) -> int:
    """Join the manifests of a build made in slices (`--shard K/N`) into `manifest.json` and
    `SHA256SUMS`, after checking that every slice is there, that they were made alike, and that
    every artifact on disk is the one its slice recorded. Returns the number of artifacts."""
    where = Where(shown_path(root))
    manifests = [json.loads(path.read_text(encoding="utf-8")) for path in _slices(root, where)]
    first = manifests[0]
    problems = _unlike(manifests, where)
    artifacts: dict[str, dict[str, Any]] = {}
    publications: dict[str, dict[str, Any]] = {}
    for manifest in manifests:
        for path, entry in manifest.get("artifacts", {}).items():
            if path in artifacts:
                problems.append(Problem(where, "", f"{path} is in two slices"))
            artifacts[path] = entry
        publications.update(manifest.get("publications", {}))
    problems += _not_as_recorded(root, artifacts)
    if problems:
        raise OutputError(problems)
    about = {key: first[key] for key in first if key not in ("artifacts", "publications")}
    merged = {**about, "artifacts": dict(sorted(artifacts.items())), "publications": dict(sorted(publications.items()))}
    atomic_write(root / MANIFEST, manifest_bytes(merged))
    write_checksums(root, artifacts)
    return len(artifacts)


def _slices(root: Path, where: Where) -> list[Path]:
    """The slices' manifests in order, 1 to N, when all N of one build are here."""
    found = {}
    for path in sorted(root.glob("manifest-*-of-*.json")):
        match = SHARD_MANIFEST.fullmatch(path.name)
        if match:
            found[(int(match.group(1)), int(match.group(2)))] = path
    if not found:
        raise OutputError(Problem(where, "", "no manifest-K-of-N.json here: build with --shard K/N first"))
    counts = {count for _, count in found}
    if len(counts) != 1:
        mixed = ", ".join(map(str, sorted(counts)))
        raise OutputError(Problem(where, "", f"slices of different builds are mixed: of {mixed}"))
    count = counts.pop()
    missing = [number for number in range(1, count + 1) if (number, count) not in found]
    if missing:
        raise OutputError(Problem(where, "", f"slices {', '.join(map(str, missing))} of {count} are missing"))
    return [found[(number, count)] for number in range(1, count + 1)]


def _unlike(manifests: list[dict[str, Any]], where: Where) -> list[Problem]:
    """Slices made with another tool, variant, fonts or vocabularies than the first."""
    first = manifests[0]
    return [
        Problem(
            where,
            key,
            f"slice {number} was made with another {key} than slice 1; "
            "build every slice with the same tool, settings, fonts and vocabularies",
        )
        for number, manifest in enumerate(manifests[1:], start=2)
        for key in ("tool", "version", "pdf_variant", "fonts", "vocabularies")
        if manifest.get(key) != first.get(key)
    ]


def _not_as_recorded(root: Path, artifacts: dict[str, dict[str, Any]]) -> list[Problem]:
    problems = []
    for path, entry in artifacts.items():
        target = root / path
        if not target.is_file():
            problems.append(Problem(Where(shown_path(target)), "", "listed in a slice's manifest but not here"))
        elif file_sha256(target) != entry["sha256"]:
            problems.append(Problem(Where(shown_path(target)), "", "its SHA-256 is not the one its slice recorded"))
    return problems
