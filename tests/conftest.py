"""Shared fixtures: the seed and the corpus, each built once per test session through the library API."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import corpus
import pytest

from pipeline.build import build, default_jobs
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


@pytest.fixture(scope="session")
def corpus_dist(tmp_path_factory) -> Path:
    """dist/ of every corpus file (tests/corpus), built once, over as many workers as there are CPUs."""
    output = tmp_path_factory.mktemp("corpus") / "dist"
    configuration = load_configuration(corpus.FOLDER, {"output": str(output)})
    report = build(corpus.FILES, configuration, jobs=default_jobs())
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
    return subprocess.run(
        [sys.executable, "-m", "pipeline", *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=600
    )


SMALL_CONTENT = """\
schema: 1
title: {title}
issuer: 中央第十巡视组
date: 2015-03-02
briefing:
  sections:
    - heading: 会议概况
      paragraphs:
        - {paragraph}
summary:
  points:
    - 中央第十巡视组进驻中国通用技术集团公司开展专项巡视。
notice:
  team: 中央第十巡视组
  unit: 中国通用技术集团公司
  period: {{start: 2015-03-01, end: 2015-04-30}}
  hours: {{start: 8:00, end: 20:00}}
  channels:
    - {{type: phone, value: 010-68334749}}
  scope: {scope}
"""


def small_content(
    title: str = "中央巡视组召开动员会",
    paragraph: str = "根据中央统一部署，巡视组近日进驻开展专项巡视工作。",
    scope: str = "中央巡视组主要受理来信来电来访。",
) -> str:
    """A short, valid content file (one page each), for tests that build many times."""
    return SMALL_CONTENT.format(title=title, paragraph=paragraph, scope=scope)


@pytest.fixture
def small_project(tmp_path) -> Path:
    """A project folder holding content/small.yaml; outputs go to out/ inside it."""
    folder = tmp_path / "project"
    (folder / "content").mkdir(parents=True)
    (folder / "content" / "small.yaml").write_text(small_content(), encoding="utf-8")
    return folder
