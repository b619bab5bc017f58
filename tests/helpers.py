"""What the test modules share, other than fixtures: the repository's paths, content to build, and two ways to run
the command line. Fixtures live in `conftest.py` and reach the tests through pytest; no test module imports another.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "content"
SEED_CONTENT = CONTENT / "genertec-2015.yaml"
SEED_ARTICLE = ROOT / "tests" / "fixtures" / "seed-article.txt"  # the source article, as published
SEED_ID = "genertec-2015"
SEED = SEED_CONTENT.read_text(encoding="utf-8")
REPOSITORY_CONFIG = ROOT / "pyproject.toml"
"""The repository's own configuration ([tool.gongwen]), named wherever a test builds the repository's content: never
searched for, so a gongwen.toml someone keeps in the checkout changes no test (conftest.py refuses a search that
would find the repository's configuration)."""


def repository_configuration(overrides: dict | None = None, root: Path = ROOT):
    """The configuration of the repository at `root` as the tests use it: its pyproject.toml, named."""
    from pipeline.config import load_configuration

    return load_configuration(root / "content", overrides or {}, root / "pyproject.toml")


# ---- running the command line ----


@dataclass(frozen=True)
class Ran:
    """What a command printed and how it ended, in the shape of `subprocess.CompletedProcess`."""

    returncode: int
    stdout: str
    stderr: str


def invoke(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> Ran:
    """The command line in this process: the same `main` with its own error handling (click's test runner),
    in `cwd` (messages name paths relative to the working folder), with `env` added to the environment.

    An exception the command does not turn into a message is raised here, so a test fails on it, where the real
    command line would print a traceback. Use `run_cli` when the process itself is the point: a kill, a clock, a
    hash seed, an environment read once at start-up, a lock held by another process, what a fresh process imports.
    """
    from click.testing import CliRunner

    from pipeline.cli import main

    with contextlib.chdir(cwd or Path.cwd()):
        result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    return Ran(result.exit_code, result.stdout, result.stderr)


def run_cli(*args: str, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    """The real command line, in a process of its own."""
    return subprocess.run(
        [sys.executable, "-m", "pipeline", *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=600
    )


def copy_project(built: Path, target: Path) -> Path:
    """A writable copy of a project folder, outputs included: bytes and modification times as they were built."""
    shutil.copytree(built, target, symlinks=True)
    return target


# ---- content ----

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


def write_small_project(folder: Path) -> Path:
    """A project folder holding content/small.yaml; outputs go to out/ inside it."""
    (folder / "content").mkdir(parents=True)
    (folder / "content" / "small.yaml").write_text(small_content(), encoding="utf-8")
    return folder


def build_text(folder: Path, name: str, text: str, **overrides) -> Path:
    """Build `text` as publication `name` through the library API into folder/dist; its output folder."""
    from pipeline.build import build
    from pipeline.config import load_configuration
    from pipeline.errors import GongwenError

    source = folder / f"{name}.yaml"
    source.write_text(text, encoding="utf-8")
    configuration = load_configuration(folder, {"output": str(folder / "dist"), **overrides})
    report = build([source], configuration)
    if report.problems:
        raise GongwenError(report.problems)
    return folder / "dist" / name


def make_notice(folder: Path, name: str, text: str, **overrides) -> Path:
    """Only the notice of `text` (the bytes a build writes), as folder/name/notice.pdf: for tests that read nothing
    else, it saves making the briefing and the summary."""
    from pipeline.artifacts import NOTICE
    from pipeline.config import load_configuration
    from pipeline.content.model import load_publication
    from pipeline.publisher import Publisher

    source = folder / f"{name}.yaml"
    source.write_text(text, encoding="utf-8")
    [notice] = Publisher(load_configuration(folder, overrides)).artifacts(load_publication(source), (NOTICE,))
    path = folder / name / NOTICE.name
    path.parent.mkdir()
    path.write_bytes(notice.data)
    return path


# Mistakes in the seed: (replace this, with that) → the field path, a fragment of the message and the value shown.
# `test_content_errors.py` checks each one's message; `test_hostile_input.py` runs them through the command line.
SEED_MISTAKES = {
    "hours in Chinese": (
        "    start: 8:00",
        "    start: 8点",
        "notice.hours.ranges[0].start",
        "expected a time written HH:MM",
        '"8点"',
    ),
    "hour 25": ("    end: 20:00", "    end: 25:00", "notice.hours.ranges[0].end", "expected a time", '"25:00"'),
    "end before start": (
        "    end: 20:00",
        "    end: 7:30",
        "notice.hours.ranges[0].end",
        "must be later than the start (8:00)",
        '"7:30"',
    ),
    "impossible date": ("date: 2015-03-02", "date: 2015-02-30", "date", "not a real date", '"2015-02-30"'),
    "reversed period": (
        "    end: 2015-04-30",
        "    end: 2015-02-28",
        "notice.period.end",
        "ends before it starts",
        '"2015-02-28"',
    ),
    "unknown field": ("issuer: 中央第十巡视组", "isuer: 中央第十巡视组", "isuer", "did you mean 'issuer'", None),
    "wrong type": ("  points:\n", "  points: 12\n  old_points:\n", "summary.old_points", "unknown field", None),
    "channel type": (
        "    - type: phone",
        "    - type: fax",
        "notice.channels[0].type",
        "expected one of phone, mailbox, email, web, visit",
        '"fax"',
    ),
    "schema version": ("schema: 1", "schema: 2", "schema", "expected one of 1", '"2"'),
    "bad id": ("schema: 1", "schema: 1\nid: Genertec_2015", "id", "lower-case letters", '"Genertec_2015"'),
    "yes is not a boolean": (
        "schema: 1",
        "schema: 1\noptions:\n  normalize_punctuation: yes",
        "options.normalize_punctuation",
        "expected true or false",
        '"yes"',
    ),
    "printed_by alone": (
        "schema: 1",
        "schema: 1\nprinted_by: 中央巡视办",
        "printed_on",
        "give printed_on with printed_by",
        None,
    ),
    "bad document number": (
        "schema: 1",
        "schema: 1\nnumber: 中巡发[2015]第03号",
        "number",
        "must read like 中巡发〔2015〕3号",
        None,
    ),
}
