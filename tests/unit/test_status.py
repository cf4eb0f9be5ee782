"""``marsad status`` helpers: finding a worker's web port and reading its readiness."""

from __future__ import annotations

import json
import os
import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from marsad import status


def test_listening_ports_of_this_process() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        if not os.path.exists("/proc/net/tcp"):
            pytest.skip("no /proc")
        assert port in status.listening_ports(os.getpid())
    assert status.listening_ports(2**22 + 7) == []  # no such process


@pytest.mark.parametrize(("code", "body", "shown"), [
    (200, {"ready": True, "assigned_partitions": 7, "database": True}, "ready, 7 partition(s)"),
    (503, {"ready": False, "assigned_partitions": 3, "database": False},
     "database unreachable"),
    (503, {"ready": False, "assigned_partitions": 0, "database": True}, "no partitions"),
])
def test_probe_worker_reads_ready_and_not_ready(code: int, body: dict, shown: str) -> None:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            payload = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        answer = status.probe_worker("127.0.0.1", server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
    assert answer == body
    assert shown in status._health(answer)


def test_probe_worker_nothing_there() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert status.probe_worker("127.0.0.1", port) is None
    assert "no answer" in status._health(None)
