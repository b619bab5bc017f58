"""Preview stage, serving: the page, its images and the made files to a browser on this machine, and nothing else.

Inspection material is confidential, so the server is private by default, as notebook servers are:

- it listens on 127.0.0.1 only, and answers only requests whose `Host` is `127.0.0.1:PORT` or
  `localhost:PORT`, so a page elsewhere cannot reach it by pointing a name of its own at
  127.0.0.1 (DNS rebinding);
- every URL starts with a random token that only the printed URL carries; without it, 404;
- it maps no URL onto the file system: the page, its script and stylesheet, and each view's
  page images and made files are looked up by exact name in memory. A path with `..`, `.`, an
  empty segment, or an encoded `/`, `\\` or `%` inside a segment is refused before any lookup, so
  neither `.git/`, the content tree nor anything a symbolic link points at can be named;
- responses are not cached, not framed, not sniffed and send no referrer, and the page's
  content security policy allows its own script, styles, images and event stream only.

The page follows the publication through server-sent events: one `view` event, carrying the
view as JSON, per new version.
"""

from __future__ import annotations

import errno
import hmac
import html
import importlib.resources
import secrets
import string
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote, unquote, urlsplit

from ..errors import Problem, SetupError, Where
from .session import Preview

LOOPBACK = "127.0.0.1"
DEFAULT_PORT = 9704
"""The standard's number; when it is taken and no port was asked for, the system chooses a free one."""

HOST_NAMES = ("127.0.0.1", "localhost")
TOKEN_BYTES = 24
"""192 random bits in the URL: not guessable, and short enough to read in a terminal."""

KEEPALIVE_SECONDS = 15.0
"""An event stream with nothing to say sends a comment this often, so a closed page is noticed."""

_STATIC = importlib.resources.files(__package__) / "static"
STATIC_FILES = {
    "preview.js": "text/javascript; charset=utf-8",
    "preview.css": "text/css; charset=utf-8",
    "icon.svg": "image/svg+xml",
}
_PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


class PreviewServer(ThreadingHTTPServer):
    """The preview's HTTP server on 127.0.0.1; `url` is the one address that opens it."""

    daemon_threads = True  # event streams end with the process

    def __init__(self, preview: Preview, port: int | None = None) -> None:
        self.preview = preview
        self.token = secrets.token_urlsafe(TOKEN_BYTES)
        try:
            super().__init__((LOOPBACK, DEFAULT_PORT if port is None else port), _Handler)
        except OSError as error:
            if port is None and error.errno == errno.EADDRINUSE:
                super().__init__((LOOPBACK, 0), _Handler)
            else:
                raise SetupError(
                    Problem(Where(f"{LOOPBACK}:{port}"), "", f"cannot listen: {error.strerror}; choose another --port")
                ) from None
        self.port: int = self.server_address[1]
        self.hosts = {f"{name}:{self.port}" for name in HOST_NAMES}

    @property
    def url(self) -> str:
        """The index of publications, or the one publication's page."""
        views = self.preview.publications()
        page = f"p/{quote(views[0].key, safe='')}/" if len(views) == 1 else ""
        return f"http://{LOOPBACK}:{self.port}/{self.token}/{page}"

    def close(self) -> None:
        self.preview.stop()
        self.shutdown()
        self.server_close()


def request_segments(target: str) -> list[str] | None:
    """The decoded segments of a request's path, or None for anything that is not a plain path: `..`, `.`,
    empty segments, and `/`, `\\`, `%` or control characters inside a segment, encoded or not."""
    path = urlsplit(target).path
    if not path.startswith("/") or target.startswith("//"):
        return None
    raw = path[1:].split("/")
    segments = []
    for index, part in enumerate(raw):
        try:
            decoded = unquote(part, errors="strict") if "%" in part else part
        except UnicodeDecodeError:
            return None
        if part == "" and index == len(raw) - 1:
            segments.append("")  # a trailing slash
            continue
        if (
            decoded in ("", ".", "..")
            or any(char in decoded for char in "/\\%")
            or any(ord(char) < 0x20 or ord(char) == 0x7F for char in decoded)
        ):
            return None
        segments.append(decoded)
    return segments


class _Handler(BaseHTTPRequestHandler):
    server: PreviewServer
    server_version = "gongwen-preview"
    sys_version = ""

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 the name is http.server's
        """Requests are not logged: the terminal belongs to the command's own lines."""

    def do_HEAD(self) -> None:  # noqa: N802 http.server's name
        self._answer(head=True)

    def do_GET(self) -> None:  # noqa: N802 http.server's name
        self._answer(head=False)

    def _answer(self, head: bool) -> None:
        hosts = self.headers.get_all("Host") or []
        if len(hosts) != 1 or hosts[0].lower() not in self.server.hosts:
            self._send(HTTPStatus.FORBIDDEN, b"this preview answers to 127.0.0.1 and localhost only\n", "text/plain")
            return
        segments = request_segments(self.path)
        if not segments or not hmac.compare_digest(segments[0].encode(), self.server.token.encode()):
            self._not_found()
            return
        self._route(segments[1:], head)

    def _route(self, route: list[str], head: bool) -> None:
        preview = self.server.preview
        match route:
            case []:
                self._redirect(f"/{self.server.token}/")
            case [""]:
                self._send(HTTPStatus.OK, _index(preview).encode("utf-8"), "text/html; charset=utf-8", head, page=True)
            case ["static", name] if name in STATIC_FILES:
                self._send(HTTPStatus.OK, (_STATIC / name).read_bytes(), STATIC_FILES[name], head)
            case ["p", key] if key and preview.view(key) is not None:
                self._redirect(f"/{self.server.token}/p/{quote(key, safe='')}/")
            case ["p", key, ""] if (view := preview.view(key)) is not None:
                self._send(HTTPStatus.OK, _page(view.title, view.source), "text/html; charset=utf-8", head, page=True)
            case ["p", key, "view"] if (view := preview.view(key)) is not None:
                self._send(HTTPStatus.OK, view.to_json().encode("utf-8"), "application/json", head)
            case ["p", key, "events"] if not head and preview.view(key) is not None:
                self._events(key)
            case ["p", key, name] if (found := preview.blob(key, name)) is not None:
                self._send(HTTPStatus.OK, found[0], found[1], head, download=name)
            case _:
                self._not_found()

    def _common_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Cross-Origin-Resource-Policy", "same-origin")
        self.send_header("X-Frame-Options", "DENY")

    def _send(
        self,
        status: HTTPStatus,
        body: bytes,
        content_type: str,
        head: bool = False,
        *,
        page: bool = False,
        download: str = "",
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self._common_headers()
        if page:
            self.send_header("Content-Security-Policy", _PAGE_POLICY)
        if download.endswith((".pdf", ".docx")):
            disposition = "inline" if download.endswith(".pdf") else "attachment"
            self.send_header("Content-Disposition", f'{disposition}; filename="{download}"')
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _not_found(self) -> None:
        self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain")

    def _redirect(self, location: str) -> None:
        self.send_response(HTTPStatus.FOUND)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self._common_headers()
        self.end_headers()

    def _events(self, key: str) -> None:
        """Server-sent events: the current view, then each new one, until the page or the preview closes."""
        preview = self.server.preview
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self._common_headers()
        self.end_headers()
        sent = -1
        try:
            while not preview.stopped:
                view = preview.wait(key, sent, KEEPALIVE_SECONDS)
                if view is None:
                    return
                if view.version > sent:
                    sent = view.version
                    self.wfile.write(f"id: {view.version}\nevent: view\ndata: {view.to_json()}\n\n".encode())
                else:
                    self.wfile.write(b": still here\n\n")
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            return  # the page was closed


def _template(name: str) -> string.Template:
    return string.Template((_STATIC / name).read_text(encoding="utf-8"))


def _page(title: str, source: str) -> bytes:
    return _template("page.html").substitute(title=html.escape(title), source=html.escape(source)).encode("utf-8")


def _index(preview: Preview) -> str:
    items = "\n".join(
        f'<li><a href="p/{quote(view.key, safe="")}/">{html.escape(view.title)}</a> '
        f"<code>{html.escape(view.source)}</code></li>"
        for view in preview.publications()
    )
    return _template("index.html").substitute(items=items or "<li>no content files found</li>")
