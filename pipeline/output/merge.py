"""Stage 4, write: joining the slices of a build made with `--shard K/N` into one `manifest.json`
and `SHA256SUMS`, after checking that every slice is there, that all were made alike, and that
every artifact they list is inside the folder and holds the bytes its slice recorded."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..errors import OutputError, Problem, Where, shown_path
from .folder import OutputFolder
from .manifest import ABOUT_KEYS, Records, read_slice

MAX_SLICES = 256
"""GitHub Actions runs at most 256 jobs from one matrix: more slices than that is a typo, and listing
the missing ones of a count without bound would take memory without bound."""

SLICE_MANIFEST = re.compile(r"manifest-(\d+)-of-(\d+)\.json")

_WHAT_DIFFERS = {
    "tool": "tool",
    "version": "version of gongwen",
    "pdf_variant": "PDF variant",
    "fonts": "fonts",
    "formats": "formats (pdf, ofd)",
    "vocabularies": "vocabularies (the words of each kind of tour)",
    "shared_inputs": "templates, reference document, settings (one_sided, word_fonts …) or SOURCE_DATE_EPOCH",
}


def shard_manifest(number: int, count: int) -> str:
    """The manifest a slice writes instead of manifest.json."""
    return f"manifest-{number}-of-{count}.json"


def merge_shard_manifests(root: Path) -> int:
    """Join the slices' manifests in `root` into its `manifest.json` and `SHA256SUMS`; the number of artifacts."""
    where = Where(shown_path(root))
    with OutputFolder(root, {}).open() as folder:
        slices = _slices(folder, root, where)
        read: list[tuple[dict[str, Any], Records]] = []
        problems = []
        for name in slices:
            try:
                read.append(read_slice(folder.read(name) or b""))
            except ValueError as error:
                problems.append(Problem(Where(shown_path(root / name)), "", f"not a slice that can be merged: {error}"))
        if problems:
            raise OutputError(problems)
        problems = _unlike([about for about, _ in read], where)
        merged = Records()
        for _, records in read:
            for path, record in records.artifacts.items():
                if path in merged.artifacts:
                    problems.append(Problem(where, "", f"{path} is in two slices"))
                merged.artifacts[path] = record
            merged.publications.update(records.publications)
        if problems:
            raise OutputError(problems)
        folder.adopt(read[0][0], merged)
        return len(merged.artifacts)


def _slices(folder: OutputFolder, root: Path, where: Where) -> list[str]:
    """The slices' manifests in order, 1 to N, when all N of one build are here."""
    found: dict[tuple[int, int], str] = {}
    problems = []
    for name in sorted(folder.names()):
        match = SLICE_MANIFEST.fullmatch(name)
        if not match:
            continue
        number, count = int(match.group(1)), int(match.group(2))
        here = Where(shown_path(root / name))
        if not 1 <= count <= MAX_SLICES:
            problems.append(Problem(here, "", f"a build in more than {MAX_SLICES} slices is not supported"))
        elif not 1 <= number <= count or name != shard_manifest(number, count):
            problems.append(Problem(here, "", "not a slice of a build: expected manifest-K-of-N.json, 1 ≤ K ≤ N"))
        else:
            found[(number, count)] = name
    if problems:
        raise OutputError(problems)
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


def _unlike(abouts: list[dict[str, Any]], where: Where) -> list[Problem]:
    """Slices made with another tool, variant, fonts or shared inputs than the first."""
    first = abouts[0]
    return [
        Problem(
            where,
            key,
            f"slice {number} was made with other {_WHAT_DIFFERS[key]} than slice 1; "
            "build every slice with the same tool, settings and fonts",
        )
        for number, about in enumerate(abouts[1:], start=2)
        for key in ABOUT_KEYS
        if about.get(key) != first.get(key)
    ]
