"""A real local HTTP receiver standing in for a group robot: records every request, answers each
from a script (``fail`` times an HTTP 500 or a platform error first, then success)."""

from __future__ import annotations

import http.server
import json
import threading
import urllib.parse
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Received:
    path: str
    query: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    fail: int = 0  # answer this many requests with a failure first
    failure: str = "http"  # "http": HTTP 500; "platform": 200 with errcode 310000 (a bad signature)
    success: bytes = b'{"errcode":0,"errmsg":"ok"}'
    requests: list[Received] = field(default_factory=list)
    url: str = ""

    def start(self) -> Receiver:
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                parts = urllib.parse.urlsplit(self.path)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                query = dict(urllib.parse.parse_qsl(parts.query))
                receiver.requests.append(Received(parts.path, query, body))
                if len(receiver.requests) <= receiver.fail:
                    if receiver.failure == "http":
                        self.send_response(500)
                        self.end_headers()
                        return
                    self._answer(b'{"errcode":310000,"errmsg":"sign not match"}')
                    return
                self._answer(receiver.success)

            def _answer(self, data: bytes) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                return

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
