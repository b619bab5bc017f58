"""The live preview's figures: from a saved edit of the seed to its new page images, and memory over many edits.

The real command (`gongwen preview --port 0 FILE`) runs in a fresh process, on a copy of the seed,
with a cache folder of its own. A client does what the page does: it follows the event stream and,
when a view names new page images for the edited document, fetches them. The time counted is from
the moment the edited file is closed to the moment the last new image has arrived. After each edit
the client waits for the preview to settle (every artifact made) before the next one, so each edit
is measured alone. Memory is the process's resident set (VmRSS) after the first render and after
the last edit, each read at rest (a moment after the preview has finished its make).

Run alone: `.venv/bin/python tests/benchmarks/preview.py [--edits N] [--memory-edits N]`; `make bench`
includes these rows.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SEED = ROOT / "content" / "genertec-2015.yaml"
GONGWEN = Path(sys.executable).with_name("gongwen")
START_SECONDS = 120  # the first render starts the engines
STEP_SECONDS = 30  # one edit, at most
AT_REST_SECONDS = 0.3  # memory is read this long after a make, once the preview has tidied up after it
KIB_PER_MIB = 1024

# What an edit changes: notice.scope (the notice and the summary) or a briefing paragraph.
NOTICE_TEXT = "scope: 中央巡视组主要受理"
BRIEFING_TEXT = "- 根据中央统一部署"


class PreviewBenchmarkError(RuntimeError):
    pass


@dataclass
class PreviewFigures:
    first_view_seconds: float = 0.0  # process start → first complete view with its images fetched
    notice_seconds: list[float] = field(default_factory=list)
    briefing_seconds: list[float] = field(default_factory=list)
    resident_after_first_mib: float = 0.0
    resident_after_edits_mib: float = 0.0
    edits_for_memory: int = 0
    resident_every_20_edits_mib: list[float] = field(default_factory=list)  # does it level off?


def resident_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / KIB_PER_MIB
    raise PreviewBenchmarkError("no VmRSS in /proc (not Linux?)")


def resident_at_rest(pid: int) -> float:
    time.sleep(AT_REST_SECONDS)
    return resident_mib(pid)


class Client:
    """The page's part: the event stream, read on a thread, and fetching images."""

    def __init__(self, port: int, prefix: str) -> None:
        self.port = port
        self.prefix = prefix  # /TOKEN/p/KEY/
        self.views: queue.Queue[tuple[float, dict]] = queue.Queue()
        self._connection = http.client.HTTPConnection("127.0.0.1", port, timeout=START_SECONDS)
        self._connection.request("GET", prefix + "events", headers={"Host": f"127.0.0.1:{port}"})
        response = self._connection.getresponse()
        if response.status != 200:
            raise PreviewBenchmarkError(f"the event stream answered {response.status}")
        self._thread = threading.Thread(target=self._read, args=(response,), daemon=True)
        self._thread.start()

    def _read(self, response: http.client.HTTPResponse) -> None:
        try:
            for raw in response:
                if raw.startswith(b"data: "):
                    self.views.put((time.monotonic(), json.loads(raw[6:])))
        except (OSError, ValueError):
            return

    def fetch(self, name: str) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=STEP_SECONDS)
        connection.request("GET", self.prefix + name, headers={"Host": f"127.0.0.1:{self.port}"})
        response = connection.getresponse()
        body = response.read()
        connection.close()
        if response.status != 200 or not body.startswith(b"\x89PNG"):
            raise PreviewBenchmarkError(f"{name}: {response.status}")

    def next_view(self, deadline: float) -> dict:
        try:
            return self.views.get(timeout=max(deadline - time.monotonic(), 0.01))[1]
        except queue.Empty:
            raise PreviewBenchmarkError("no view came in time") from None

    def until(self, test, seconds: float) -> dict:
        deadline = time.monotonic() + seconds
        while True:
            view = self.next_view(deadline)
            if view["problems"]:
                raise PreviewBenchmarkError(f"the preview reports: {view['problems']}")
            if test(view):
                return view

    def close(self) -> None:
        self._connection.close()


def _settled(view: dict) -> bool:
    return view["state"] == "ok"


def measure(edits: int, memory_edits: int, scratch: Path, cache: Path) -> PreviewFigures:
    """`edits` timed edits of each document, then `memory_edits` edits in all for the memory figure."""
    project = scratch / "preview-project"
    (project / "content").mkdir(parents=True)
    content = project / "content" / "seed.yaml"
    shutil.copy(SEED, content)
    (project / "gongwen.toml").write_text('output = "out"\n', encoding="utf-8")
    figures = PreviewFigures()
    started = time.monotonic()
    process = subprocess.Popen(
        [str(GONGWEN), "preview", "--port", "0", str(content)],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "GONGWEN_CACHE_DIR": str(cache)},
    )
    try:
        line = process.stdout.readline()
        if " at http://127.0.0.1:" not in line:
            raise PreviewBenchmarkError(f"gongwen preview did not start: {line}{process.stderr.read()}")
        address = line.split(" at http://127.0.0.1:", 1)[1].strip()
        port, prefix = int(address.split("/", 1)[0]), "/" + address.split("/", 1)[1]
        client = Client(port, prefix)
        view = client.until(_settled, START_SECONDS)
        for names in view["pages"].values():
            for name in names:
                client.fetch(name)
        figures.first_view_seconds = time.monotonic() - started
        figures.resident_after_first_mib = resident_at_rest(process.pid)

        original = content.read_text(encoding="utf-8")
        marks = {NOTICE_TEXT: "", BRIEFING_TEXT: ""}  # the latest words added after each anchor: lengths stay put
        for number in range(max(edits * 2, memory_edits)):
            artifact, anchor = ("notice.pdf", NOTICE_TEXT) if number % 2 == 0 else ("briefing.pdf", BRIEFING_TEXT)
            before = view["pages"][artifact]
            marks[anchor] = f"第{number % 10}次" if marks[anchor] != f"第{number % 10}次" else "又一次"
            text = original
            for text_anchor, mark in marks.items():
                text = text.replace(text_anchor, text_anchor + mark, 1)
            content.write_text(text, encoding="utf-8")
            saved = time.monotonic()
            shown = client.until(lambda view, a=artifact, b=before: view["pages"].get(a, b) != b, STEP_SECONDS)
            for name in set(shown["pages"][artifact]) - set(before):
                client.fetch(name)
            seconds = time.monotonic() - saved
            if number < edits * 2:
                (figures.notice_seconds if artifact == "notice.pdf" else figures.briefing_seconds).append(seconds)
            view = shown if _settled(shown) else client.until(_settled, STEP_SECONDS)
            figures.edits_for_memory = number + 1
            if figures.edits_for_memory % 20 == 0:
                figures.resident_every_20_edits_mib.append(round(resident_at_rest(process.pid), 1))
        figures.resident_after_edits_mib = resident_at_rest(process.pid)
        client.close()
        if (project / "out").exists():
            raise PreviewBenchmarkError("the preview wrote into the output folder")
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            raise PreviewBenchmarkError("gongwen preview did not stop on Ctrl-C") from None
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--edits", type=int, default=7, help="timed edits of each document (default 7)")
    parser.add_argument("--memory-edits", type=int, default=200, help="edits in all, for memory (default 200)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="gongwen-preview-bench-") as scratch:
        figures = measure(args.edits, args.memory_edits, Path(scratch), Path(scratch) / "cache")
    print(json.dumps(figures.__dict__, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
