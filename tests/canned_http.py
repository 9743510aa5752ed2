"""A canned HTTP server for the tests of commands that call a stack (`caseway sla explain` and the like): a handler
answers JSON; `serving` runs it on a free port and clears what it saw."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class CannedJson(BaseHTTPRequestHandler):
    """Subclasses answer in do_GET with `answer`; `seen` is what was asked (the subclass decides what to record)."""

    seen: list[Any] = []

    def answer(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, fmt: str, *args: Any) -> None:
        pass


@contextmanager
def serving(handler: type[CannedJson]) -> Iterator[str]:
    """The base URL of `handler` served on a free port, until the block ends."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    handler.seen.clear()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
