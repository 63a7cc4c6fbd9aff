"""A recording relay between a real Rasa and the action server: every call Rasa makes is
forwarded as it came (headers and body) and kept with the answer, so the calls of a real
Rasa 3.6 conversation can be replayed in CI (tests/e2e/test_rasa_action_server.py), where Rasa
itself is not installed.

    relay = Recorder("http://127.0.0.1:5055"); relay.start(); ... relay.save(path)
"""

from __future__ import annotations

import gzip
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

FORWARDED = ("authorization", "content-type", "content-encoding")


class Recorder:
    def __init__(self, target: str) -> None:
        self.target = target
        self.calls: list[dict[str, Any]] = []
        recorder = self

        class Relay(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k: v for k, v in self.headers.items() if k.lower() in FORWARDED}
                answer = httpx.post(recorder.target + self.path, content=body, headers=headers,
                                    timeout=60)  # fmt: skip
                if self.headers.get("Content-Encoding") == "deflate":
                    import zlib

                    body = zlib.decompress(body)
                recorder.calls.append(
                    {"body": json.loads(body), "status": answer.status_code,
                     "response": answer.json()}
                )  # fmt: skip
                self.send_response(answer.status_code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Relay)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> None:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def save(self, path: Path, rasa_version: str) -> None:
        data = {"rasa_version": rasa_version, "calls": self.calls}
        path.write_bytes(gzip.compress(json.dumps(data, ensure_ascii=False).encode(), mtime=0))
