"""The corpus: content files transcribed from notices that 巡视, 巡察 and 督察 offices published, for tests that
need real content — central, provincial, city, county and institution teams; split hours, five channels,
no e-mail, visit addresses, long unit lists.

Each file opens with comment lines that say where it comes from and what it is:

    # source: http://…            (or why no address is known)
    # kind: 巡察 · level: city · research: xc01 (…)
    # what was transcribed, what gongwen's defaults supply, and anything assumed

and holds a notice as published (full-width punctuation restored), with a short briefing and
summary composed from the notice. `entries()` lists them with those facts; `FILES` are their paths,
for `pipeline.build.build`. Tests build them once per session (the `corpus_dist` fixture of
conftest.py) and read the artifacts back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

FOLDER = Path(__file__).resolve().parent
FILES = sorted(FOLDER.glob("*.yaml"))

_SOURCE = re.compile(r"^# source: (.+)$", re.M)
_KIND = re.compile(r"^# kind: (\S+) · level: (\S+)", re.M)


@dataclass(frozen=True)
class Entry:
    """One corpus file and what its header says."""

    path: Path
    source: str  # the source address, or why there is none
    tour: str  # 巡视, 巡察 or 督察: the word the outputs must use
    level: str  # central, provincial, city, county, institution

    @property
    def id(self) -> str:
        """The publication's id: its output folder's name."""
        return self.path.stem

    @property
    def url(self) -> str | None:
        return self.source if self.source.startswith(("http://", "https://")) else None


def entries() -> list[Entry]:
    """Every corpus file, in name order."""
    found = []
    for path in FILES:
        head = path.read_text(encoding="utf-8").split("\nschema:", 1)[0]
        source, kind = _SOURCE.search(head), _KIND.search(head)
        if source is None or kind is None:
            raise ValueError(f"{path.name}: the header lacks its '# source:' or '# kind: … · level: …' line")
        found.append(Entry(path, source.group(1).strip(), kind.group(1), kind.group(2)))
    return found
