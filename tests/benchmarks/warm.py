"""The seed's documents made warm in one process: what a worker pays per document once the engines are loaded.

    python tests/benchmarks/warm.py [--runs 15] [--content FILE] [--profile OUT.prof]

Each document (briefing, notice, summary) is made once to warm up, then `--runs` times, alternating; the median
and the quartiles of each (wall clock), the median CPU time of the process, and the load average are printed.
`--profile` writes a cProfile of the timed runs (cProfile inflates call-heavy code: confirm with a sampling
profiler, `py-spy record -- python warm.py`).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--content", type=Path, default=ROOT / "content" / "genertec-2015.yaml")
    parser.add_argument("--profile", type=Path)
    parser.add_argument("--only", choices=("briefing", "notice", "summary"), action="append")
    arguments = parser.parse_args(argv)

    from pipeline.artifacts import BRIEFING, NOTICE, SUMMARY
    from pipeline.config import load_configuration
    from pipeline.content.model import load_publication
    from pipeline.publisher import Publisher

    publisher = Publisher(load_configuration(ROOT))
    publication = load_publication(arguments.content)
    documents = {"briefing": BRIEFING, "notice": NOTICE, "summary": SUMMARY}
    chosen = {name: documents[name] for name in (arguments.only or documents)}
    for artifact in chosen.values():  # warm up: engines loaded, fonts cut, templates compiled
        publisher.artifacts(publication, (artifact,))
    times: dict[str, list[float]] = {name: [] for name in chosen}
    cpu: dict[str, list[float]] = {name: [] for name in chosen}
    profiler = cProfile.Profile() if arguments.profile else None
    for _ in range(arguments.runs):
        for name, artifact in chosen.items():
            if profiler:
                profiler.enable()
            started, started_cpu = time.perf_counter(), time.process_time()
            publisher.artifacts(publication, (artifact,))
            times[name].append(time.perf_counter() - started)
            cpu[name].append(time.process_time() - started_cpu)
            if profiler:
                profiler.disable()
    if profiler:
        profiler.dump_stats(str(arguments.profile))
    print(f"load average {os.getloadavg()[0]:.2f} · {arguments.runs} runs · {arguments.content.name}")
    for name, values in times.items():
        quartiles = statistics.quantiles(values, n=4) if len(values) > 1 else [values[0]] * 3
        print(
            f"  {name:9} median {statistics.median(values) * 1000:7.1f} ms"
            f"   (quartiles {quartiles[0] * 1000:.1f}–{quartiles[2] * 1000:.1f} ms)"
            f"   CPU median {statistics.median(cpu[name]) * 1000:7.1f} ms"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
