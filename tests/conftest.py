"""Shared fixtures: what many tests read is built once per session; a test that changes it works on a copy.

Helpers that are not fixtures (paths, content, running the command line) are in `helpers.py`.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from helpers import CONTENT, SEED_CONTENT, copy_project, invoke, write_small_project

# The benchmarks measure and are run by `make bench`, never collected as tests.
collect_ignore = ["benchmarks"]


@pytest.fixture(scope="session")
def seed_dist(tmp_path_factory) -> Path:
    """dist/ of the seed content, built once through the library API."""
    from pipeline.build import build
    from pipeline.config import load_configuration

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


@pytest.fixture
def small_project(tmp_path) -> Path:
    """A project folder holding content/small.yaml, not built yet; outputs go to out/ inside it."""
    return write_small_project(tmp_path / "project")


@pytest.fixture(scope="session")
def small_built(tmp_path_factory) -> Path:
    """`small_project` built once by the command line (`build -o out content`); read it, never change it."""
    project = write_small_project(tmp_path_factory.mktemp("small-built") / "project")
    result = invoke("build", "-o", "out", "content", cwd=project)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["built small: out/small/ (briefing.pdf, summary.docx, notice.pdf)"]
    return project


@pytest.fixture
def built_small_project(small_built, tmp_path) -> Path:
    """A writable copy of `small_built`: a project whose out/ the command line has just built."""
    return copy_project(small_built, tmp_path / "project")
