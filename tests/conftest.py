"""Shared fixtures: the seed built once per test session through the library API."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.build import build
from pipeline.config import load_configuration

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "content"
SEED_CONTENT = CONTENT / "genertec-2015.yaml"
SEED_ARTICLE = ROOT / "tests" / "fixtures" / "seed-article.txt"  # the source article, as published
SEED_ID = "genertec-2015"

# The benchmarks measure and are run by `make bench`, never collected as tests.
collect_ignore = ["benchmarks"]


@pytest.fixture(scope="session")
def seed_dist(tmp_path_factory) -> Path:
    """dist/ of the seed content, built once."""
    output = tmp_path_factory.mktemp("seed") / "dist"
    configuration = load_configuration(CONTENT, {"output": str(output)})
    report = build([SEED_CONTENT], configuration)
    assert report.problems == [], [str(problem) for problem in report.problems]
    return output


@pytest.fixture
def seed_copy(tmp_path) -> Path:
    """A writable copy of the seed content file in a project folder of its own."""
    folder = tmp_path / "project"
    (folder / "content").mkdir(parents=True)
    target = folder / "content" / "seed.yaml"
    shutil.copy(SEED_CONTENT, target)
    return target


def run_cli(*args: str, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    """The real command line, in a process of its own."""
    return subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=cwd, capture_output=True, text=True,
                          env=env, timeout=600)
