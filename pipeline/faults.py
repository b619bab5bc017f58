"""Faults no stage expected: one line at the publication they stopped, the details in a log in the cache folder.

Every stage turns what it expects to go wrong into located problems (`errors.py`). Anything else — a
bug, a library's exception on input nobody foresaw — is caught where one publication's work begins and
ends (`workers.py` in the worker, `build.py` in the main process), so that the other publications still
build: it becomes `<file>: internal error: <type>: <message> (details in <log>)`, and the traceback goes
into a file of the cache folder's `logs/`, never into the output folder.
"""

from __future__ import annotations

import datetime
import os
import platform
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__
from .cache import cache_folder
from .errors import Problem, Where, shown_path
from .lazy import lazy_import

if TYPE_CHECKING:
    import traceback
else:
    traceback = lazy_import("traceback")  # 4 ms: only when there is a fault to report

LOG_FOLDER = "logs"
MESSAGE_LIMIT = 200
"""Characters of an exception's message in the one line; the log holds all of it."""


def internal_error(source: str, error: BaseException) -> Problem:
    """The one line for an unexpected exception while `source` (a content file, as shown) was being made;
    its traceback is written to a new log file. An interruption behind `error` is raised again instead: Ctrl-C
    that arrives while a module is imported on first use leaves that module half made, and the next except clause
    that names one of its exceptions fails with an AttributeError in its place; the build stops, as Ctrl-C asks,
    rather than failing that file and every file after it."""
    interruption = _interruption_behind(error)
    if interruption is not None:
        raise interruption from None
    log = write_log(source, "".join(traceback.format_exception(error)))
    details = f"details in {shown_path(log)}" if log else "no details: the cache folder cannot be written"
    message = " ".join(str(error).split())
    if len(message) > MESSAGE_LIMIT:
        message = message[: MESSAGE_LIMIT - 1] + "…"
    text = f"{type(error).__name__}: {message}" if message else type(error).__name__
    return Problem(Where(source), "", f"internal error: {text} ({details})")


def _interruption_behind(error: BaseException) -> BaseException | None:
    """The KeyboardInterrupt or SystemExit `error` was raised while handling, if any."""
    seen: set[int] = set()
    cause: BaseException | None = error
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, KeyboardInterrupt | SystemExit):
            return cause
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return None


def write_log(source: str, details: str) -> Path | None:
    """A new log file in the cache folder holding `details`; None if it cannot be written."""
    now = datetime.datetime.now(datetime.UTC)
    folder = cache_folder() / LOG_FOLDER
    path = folder / f"internal-error-{now:%Y%m%dT%H%M%S}-{os.urandom(4).hex()}.log"
    header = (
        f"gongwen {__version__}, Python {platform.python_version()}, {platform.platform()}, process {os.getpid()}\n"
        f"{now.isoformat()}: while making {source}\n\n"
    )
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8", errors="backslashreplace") as log:
            log.write(header + details)
    except OSError:
        return None
    return path
