"""Same input, same bytes: builds in other processes, folders, clocks and caches agree to the byte.

Each comparison is between a build in this process (the user's cache, this process's hash seed, the real clock)
and one in a process of its own under `faketime`, with empty caches and another hash seed.
"""

from __future__ import annotations

import datetime
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import docx
import pypdf
import pytest
from helpers import ROOT, SEED_CONTENT, SEED_ID, invoke, repository_configuration

from pipeline.content.model import load_publication
from pipeline.publisher import Publisher

OTHER_CLOCK = "2031-07-01 12:34:56"
ARTIFACTS = ("briefing.pdf", "summary.docx", "notice.pdf")


def fresh_project(folder: Path) -> Path:
    (folder / "content").mkdir(parents=True)
    shutil.copy(SEED_CONTENT, folder / "content" / f"{SEED_ID}.yaml")
    return folder


def isolated_environment(project: Path, hash_seed: str, environment: dict[str, str]) -> dict[str, str]:
    """Empty per-user caches (gongwen's subset fonts among them) and a hash seed of its own; no SOURCE_DATE_EPOCH."""
    env = {key: value for key, value in environment.items() if key not in ("SOURCE_DATE_EPOCH", "GONGWEN_CACHE_DIR")}
    env.update(
        HOME=str(project / "home"),
        XDG_CACHE_HOME=str(project / "cache"),
        PYTHONHASHSEED=hash_seed,
        PYTHONPATH=str(ROOT),
    )
    return env


def build_elsewhere(folder: Path, environment: dict[str, str], *options: str, hash_seed: str) -> Path:
    """The seed built by `gongwen build` in a process of its own, under another clock, with empty caches and
    `hash_seed`; its output folder."""
    project = fresh_project(folder / "elsewhere")
    faketime = shutil.which("faketime", path=environment.get("PATH"))
    command = [faketime, OTHER_CLOCK, sys.executable, "-m", "pipeline", "build", "-q", "-o", "dist"]
    result = subprocess.run(
        [*command, *options, "content"],
        cwd=project,
        env=isolated_environment(project, hash_seed, environment),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    return project / "dist"


def test_faketime_changes_the_clock_a_build_sees(tmp_path):
    """The clock really differs in the second build below, or the comparison would prove less."""
    result = subprocess.run(
        [shutil.which("faketime"), OTHER_CLOCK, sys.executable, "-c", "import time; print(time.time())"],
        capture_output=True,
        text=True,
        check=True,
    )
    seen = datetime.datetime.fromtimestamp(float(result.stdout), datetime.UTC)
    assert seen.year == 2031


@pytest.mark.slow
@pytest.mark.early(start=lambda folder, env: build_elsewhere(folder, env, "--force", hash_seed="2"))
def test_two_builds_in_different_folders_processes_clocks_and_caches_agree_to_the_byte(seed_dist, early):
    first, second = seed_dist, early  # built in this process, and elsewhere
    assert (first / "SHA256SUMS").read_text() == (second / "SHA256SUMS").read_text()
    for name in ARTIFACTS:
        assert (first / SEED_ID / name).read_bytes() == (second / SEED_ID / name).read_bytes(), name
    assert len((first / "SHA256SUMS").read_text().splitlines()) == len(ARTIFACTS)


@pytest.mark.slow
@pytest.mark.early(start=lambda folder, env: build_elsewhere(folder, env, "--pdf-variant", "pdf/a-3b", hash_seed="3"))
def test_archival_variant_is_reproducible_too(tmp_path, monkeypatch, early):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    here = fresh_project(tmp_path / "one")
    result = invoke("build", "-q", "-o", "dist", "--pdf-variant", "pdf/a-3b", "content", cwd=here)
    assert result.returncode == 0, result.stderr
    first, second = here / "dist", early
    assert (first / "SHA256SUMS").read_text() == (second / "SHA256SUMS").read_text()


def pdf_dates(path: Path) -> tuple[str, str]:
    info = pypdf.PdfReader(str(path)).metadata
    return info["/CreationDate"], info["/ModDate"]


def test_document_dates_come_from_the_content(seed_dist):
    for name in ("briefing.pdf", "notice.pdf"):
        assert pdf_dates(seed_dist / SEED_ID / name) == ("D:20150302000000Z", "D:20150302000000Z")
    properties = docx.Document(str(seed_dist / SEED_ID / "summary.docx")).core_properties
    moment = datetime.datetime(2015, 3, 2, tzinfo=datetime.UTC)
    assert (properties.created, properties.modified) == (moment, moment)


def test_zip_entries_carry_a_fixed_time(seed_dist):
    with zipfile.ZipFile(seed_dist / SEED_ID / "summary.docx") as archive:
        assert {entry.date_time for entry in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


@pytest.mark.parametrize("epoch, stamp", [("1700000000", "D:20231114221320Z")])
def test_source_date_epoch_overrides_the_content_date(tmp_path, monkeypatch, epoch, stamp):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch)
    publisher = Publisher(repository_configuration({"output": str(tmp_path / "dist")}))
    artifacts = {Path(artifact.path).name: artifact for artifact in publisher.artifacts(load_publication(SEED_CONTENT))}
    (tmp_path / "notice.pdf").write_bytes(artifacts["notice.pdf"].data)
    (tmp_path / "summary.docx").write_bytes(artifacts["summary.docx"].data)
    assert pdf_dates(tmp_path / "notice.pdf") == (stamp, stamp)
    created = docx.Document(str(tmp_path / "summary.docx")).core_properties.created
    assert created == datetime.datetime.fromtimestamp(int(epoch), datetime.UTC)
