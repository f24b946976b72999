"""HTTP for the witness: the server answering tlog-witness requests, and a small client.

Standard library only (``http.server``, ``urllib``): the witness runs on an agency's own machine
with nothing but Python and ``cryptography``.

Routes, under an optional prefix (``--prefix``):

* ``POST /add-checkpoint`` — c2sp.org/tlog-witness@v1.0.0;
* ``GET /<hex SHA-256 of the origin>/checkpoint`` — the latest checkpoint it cosigned for that log,
  with the log's signatures and its cosignatures (tlog-witness "Monitor Retrieval"); 404 if none;
* ``GET /`` — the witness's name and verifier keys, one per line.
"""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from custody.audit.tlog import origin_hash

from .core import MAX_REQUEST_BYTES, Answer, Witness, WitnessError

USER_AGENT = "custody-witness/1"


class WitnessServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], witness: Witness, prefix: str = "", quiet: bool = False
    ) -> None:
        self.witness = witness
        self.prefix = prefix.rstrip("/")
        self.quiet = quiet
        super().__init__(address, WitnessHandler)


class WitnessHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as tlog-witness recommends
    server: WitnessServer

    def _send(self, answer: Answer) -> None:
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(answer.body)

    def _path(self) -> str | None:
        path = self.path.split("?", 1)[0]
        prefix = self.server.prefix
        if prefix:
            if not path.startswith(prefix + "/"):
                return None
            path = path[len(prefix) :]
        return path

    def do_POST(self) -> None:
        path = self._path()
        if path != "/add-checkpoint":
            self._send(Answer(404, b"not found\n"))
            return
        try:
            length = int(self.headers.get("Content-Length") or "-1")
        except ValueError:
            length = -1
        if length < 0:
            self._send(Answer(411, b"Content-Length required\n"))
            self.close_connection = True
            return
        if length > MAX_REQUEST_BYTES:
            self._send(Answer(413, b"request too large\n"))
            self.close_connection = True
            return
        body = self.rfile.read(length)
        try:
            answer = self.server.witness.add_checkpoint(body)
        except WitnessError as exc:
            answer = Answer(500, f"{exc}\n".encode())
        if answer.status != 200 and not self.server.quiet:
            print(f"refused ({answer.status} {answer.kind}): {answer.text.strip()}", file=sys.stderr)
        self._send(answer)

    def do_GET(self) -> None:
        path = self._path()
        witness = self.server.witness
        if path == "/":
            lines = [f"witness {witness.name}", *(f"vkey {k.vkey}" for k in witness.vkeys)]
            self._send(Answer(200, ("\n".join(lines) + "\n").encode("utf-8")))
            return
        parts = (path or "").strip("/").split("/")
        if len(parts) == 2 and parts[1] == "checkpoint":
            try:
                with witness.locked():
                    state = witness.load_state()
            except WitnessError as exc:
                self._send(Answer(500, f"{exc}\n".encode()))
                return
            for origin, held in state.items():
                if origin_hash(origin) == parts[0]:
                    self._send(Answer(200, held.note.encode("utf-8")))
                    return
        self._send(Answer(404, b"not found\n"))

    do_HEAD = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        if not self.server.quiet:
            super().log_message(format, *args)


# -- client ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    status: int  # 0: no answer (network error)
    body: bytes
    content_type: str = ""
    error: str = ""

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


def request(
    url: str,
    *,
    method: str = "GET",
    data: bytes | None = None,
    content_type: str | None = None,
    token: str | None = None,
    timeout: float = 10.0,
) -> Reply:
    """One HTTP exchange; never raises for network or HTTP errors (status 0 with ``error``)."""
    headers = {"User-Agent": USER_AGENT, "Accept": "*/*"}
    if content_type:
        headers["Content-Type"] = content_type
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return Reply(response.status, response.read(), response.headers.get("Content-Type", ""))
    except urllib.error.HTTPError as exc:
        body = exc.read() if exc.fp is not None else b""
        return Reply(exc.code, body, exc.headers.get("Content-Type", "") if exc.headers else "")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return Reply(0, b"", error=str(reason))


def add_checkpoint(url: str, body: bytes, *, timeout: float = 10.0) -> Reply:
    """``POST <submission prefix>/add-checkpoint``."""
    return request(url.rstrip("/") + "/add-checkpoint", method="POST", data=body, timeout=timeout)


def monitored_checkpoint(url: str, origin: str, *, timeout: float = 10.0) -> Reply:
    """``GET <monitoring prefix>/<origin hash>/checkpoint``."""
    return request(f"{url.rstrip('/')}/{origin_hash(origin)}/checkpoint", timeout=timeout)
