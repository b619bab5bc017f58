"""WeasyPrint's system libraries found from one reading of the loader's cache (`pipeline/pdf/libraries.py`): the
same libraries `ctypes.util.find_library` finds, without its search for every name WeasyPrint tries."""

from __future__ import annotations

import ctypes.util
import json
import subprocess
import sys

import pytest

from pipeline.pdf import libraries

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the loader's cache is glibc's")

# Every name WeasyPrint tries for its libraries on Linux, found or not (`weasyprint/text/ffi.py`).
WEASYPRINT_NAMES = (
    "libgobject-2.0-0", "gobject-2.0-0", "gobject-2.0", "libgobject-2.0.so.0",
    "libpango-1.0-0", "pango-1.0-0", "pango-1.0", "libpango-1.0.so.0",
    "libharfbuzz-0", "harfbuzz", "harfbuzz-0.0", "libharfbuzz.so.0",
    "libharfbuzz-subset-0", "harfbuzz-subset", "harfbuzz-subset-0.0", "libharfbuzz-subset.so.0",
    "libharfbuzz-vector-0", "harfbuzz-vector", "harfbuzz-vector-0.0", "libharfbuzz-vector.so.0",
    "libfontconfig-1", "fontconfig-1", "fontconfig", "libfontconfig.so.1",
    "libpangoft2-1.0-0", "pangoft2-1.0-0", "pangoft2-1.0", "libpangoft2-1.0.so.0",
)  # fmt: skip


COUNTING = """
import collections, json, subprocess
runs = collections.Counter()
original = subprocess.Popen.__init__
def counted(self, args, *rest, **options):
    runs[(args if isinstance(args, str) else args[0]).rsplit("/", 1)[-1]] += 1
    original(self, args, *rest, **options)
subprocess.Popen.__init__ = counted
"""

STARTED = """
import pipeline.pdf.engine
from weasyprint.text.ffi import pango
assert pango.pango_version() > 0
print(json.dumps(runs))
"""


def count_searches(setup: str) -> dict[str, int]:
    """How many times a fresh interpreter that runs `setup` and imports the PDF engine runs each program."""
    script = "\n".join((COUNTING, setup, STARTED))
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_each_name_is_found_as_find_library_finds_it():
    listing = libraries._listing()
    assert listing is not None, "ldconfig -p lists the loader's cache"
    found = {name: libraries.listed_library(listing, name) for name in WEASYPRINT_NAMES}
    assert found == {name: ctypes.util.find_library(name) for name in WEASYPRINT_NAMES}
    assert found["gobject-2.0"] == "libgobject-2.0.so.0" and found["harfbuzz"] == "libharfbuzz.so.0"


def test_the_engine_is_imported_reading_the_loader_s_cache_once():
    runs = count_searches("")
    assert runs.get("ldconfig") == 1, runs
    assert not runs.get("gcc") and not runs.get("cc") and not runs.get("ld"), runs


def test_without_the_listing_the_platform_s_own_search_is_used():
    runs = count_searches("import pipeline.pdf.libraries as l; l._listing = lambda: None")
    assert runs.get("ldconfig", 0) > 1, runs  # find_library's own: one run for each name it is asked


def test_an_empty_listing_still_loads_the_engine():
    # Every name answered "not found": WeasyPrint opens its libraries by their file names (libpango-1.0.so.0 …).
    runs = count_searches("import pipeline.pdf.libraries as l; l._listing = lambda: b'0 libs found in cache'")
    assert runs.get("ldconfig", 0) == 0, runs


FAILING_INSIDE = """
import contextlib, cffi
import pipeline.pdf.libraries as l
found = l.found_from_one_listing
def refused(*args, **options):
    raise OSError("no library")
@contextlib.contextmanager
def failing():
    with found() as listed:
        original, cffi.FFI.dlopen = cffi.FFI.dlopen, refused
        try:
            yield listed
        finally:
            cffi.FFI.dlopen = original
l.found_from_one_listing = failing
"""


def test_an_import_that_fails_with_the_listing_s_answers_is_made_again_with_the_platform_s():
    # Nothing loads while the listing answers: the import is made again, outside it, and the engine starts.
    runs = count_searches(FAILING_INSIDE)
    assert runs.get("ldconfig", 0) >= 1, runs
