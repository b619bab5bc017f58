"""Shared fixtures: what many tests read — the seed, the corpus of real notices — is built once per session; a test
that changes it works on a copy.

Helpers that are not fixtures (paths, content, running the command line) are in `helpers.py`.
"""

from __future__ import annotations

import os
import shutil
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import corpus
import pytest
from helpers import (
    ROOT,
    SEED_CONTENT,
    Ran,
    copy_project,
    invoke,
    make_notice,
    repository_configuration,
    small_content,
    write_small_project,
)
from hypothesis import settings

from pipeline.build import build, default_jobs
from pipeline.config import load_configuration

# Property tests: `make test` runs the same examples every time (a gate that fails only when the code changed);
# `HYPOTHESIS_PROFILE=explore make test` draws new ones at random, and keeps what fails in .hypothesis/ to be
# replayed: run it now and then, and add what it finds as an @example.
settings.register_profile("repeatable", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))

# The benchmarks measure and are run by `make bench`, never collected as tests.
collect_ignore = ["benchmarks"]


@pytest.fixture(scope="session", autouse=True)
def _engines_warm(tmp_path_factory):
    """Builds make publications in worker processes forked from this one. With the engines imported and a first
    document made here once (WeasyPrint's import and one-time set-up: about a second on a loaded machine), every
    build's workers start warm, as a resident process would."""
    make_notice(tmp_path_factory.mktemp("warm"), "warm", small_content())


@pytest.fixture(scope="session")
def seed_dist(tmp_path_factory) -> Path:
    """dist/ of the seed content, built once through the library API."""
    output = tmp_path_factory.mktemp("seed") / "dist"
    configuration = repository_configuration({"output": str(output)})
    report = build([SEED_CONTENT], configuration)
    assert report.problems == [], [str(problem) for problem in report.problems]
    return output


@pytest.fixture(scope="session")
def corpus_dist(tmp_path_factory) -> Path:
    """dist/ of every corpus file (tests/corpus), built once, over as many workers as there are CPUs."""
    output = tmp_path_factory.mktemp("corpus") / "dist"
    configuration = load_configuration(corpus.FOLDER, {"output": str(output)}, ROOT / "pyproject.toml")
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


@pytest.fixture(scope="session")
def seed_built(tmp_path_factory) -> tuple[Path, Ran]:
    """A project holding the seed as content/seed.yaml, built once by the command line (`build content/seed.yaml
    -o out`), and what the command printed; read it, never change it."""
    project = tmp_path_factory.mktemp("seed-built") / "project"
    (project / "content").mkdir(parents=True)
    shutil.copy(SEED_CONTENT, project / "content" / "seed.yaml")
    result = invoke("build", str(project / "content" / "seed.yaml"), "-o", str(project / "out"), cwd=project)
    return project, result


@pytest.fixture
def built_seed_project(seed_built, tmp_path) -> Path:
    """A writable copy of `seed_built`: a project whose out/ the command line has just built."""
    project, result = seed_built
    assert result.returncode == 0, result.stderr
    return copy_project(project, tmp_path / "project")


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
    assert result.stdout.splitlines() == ["built small: out/small/ (briefing.pdf, summary.docx, notice.pdf)", "1 built"]
    return project


@pytest.fixture
def built_small_project(small_built, tmp_path) -> Path:
    """A writable copy of `small_built`: a project whose out/ the command line has just built."""
    return copy_project(small_built, tmp_path / "project")


# ---- immune to the repository's configuration files ----


class SearchedTheRepositoryError(AssertionError):
    """A test looked for its configuration and would have found the repository's own."""


@pytest.fixture(scope="session", autouse=True)
def _no_configuration_search_finds_the_repository():
    """A search for the configuration that finds a file of this repository fails the test that made it: a
    gongwen.toml someone keeps here would replace the [tool.gongwen] table and change what the test checks. Tests
    name the repository's configuration (`helpers.repository_configuration`, `--config pyproject.toml`) or build in
    a project folder of their own."""
    from pipeline import config

    search = config.find_project

    def guarded(start: Path) -> config.Project:
        project = search(start)
        if project.file is not None and project.file.resolve().is_relative_to(ROOT):
            raise SearchedTheRepositoryError(
                f"a test searched from {start} and found {project.file}: name the repository's configuration "
                "(helpers.repository_configuration, --config pyproject.toml) or build in a project of its own"
            )
        return project

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(config, "find_project", guarded)
        yield


# ---- work started before the first test ----

EARLY = pytest.StashKey[Future]()


@pytest.fixture(scope="session", autouse=True)
def _early_work(request, tmp_path_factory):
    """Start the work of every selected test marked `early(start=…)` before the first test runs.

    Such work runs real processes for seconds (a build killed in the middle of a batch, a build under another
    clock, a build on a pseudo-terminal, a linter): started first, it runs beside the in-process tests instead
    of after them, and each test checks what its work did when its turn comes (the `early` fixture).

    `start(folder, env, **parameters)` gets a folder of its own, the environment the session started with and
    the test's parameters; with `once=True`, one run of `start(folder, env)` serves every test marked with it.
    It runs in a thread while other tests run in this process and may change its environment or working
    folder: it names every path in full and gives `env` to every process it starts."""
    pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="early")
    environment = dict(os.environ)
    shared: dict[object, Future] = {}
    for item in request.session.items:
        marker = item.get_closest_marker("early")
        if marker is None:
            continue
        start = marker.kwargs["start"]
        if marker.kwargs.get("once"):
            if start not in shared:
                shared[start] = pool.submit(start, tmp_path_factory.mktemp("early"), dict(environment))
            item.stash[EARLY] = shared[start]
        else:
            parameters = item.callspec.params if hasattr(item, "callspec") else {}
            item.stash[EARLY] = pool.submit(start, tmp_path_factory.mktemp("early"), dict(environment), **parameters)
    yield
    pool.shutdown(wait=True, cancel_futures=True)


@pytest.fixture
def early(request):
    """What this test's early work returned (see `_early_work`), once it is done; its exception, if it failed."""
    return request.node.stash[EARLY].result()
