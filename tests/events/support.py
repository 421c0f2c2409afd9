"""A webhook receiver for the tests, and an implementation of Standard Webhooks'
signature check written from the spec (hmac + base64), independent of the
`standardwebhooks` package the hub signs with."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def spec_signature_valid(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """True when one `v1,` signature of the header is base64(HMAC-SHA256(key,
    f"{id}.{timestamp}.{body}")), the key being the base64 after `whsec_`."""
    headers = {k.lower(): v for k, v in headers.items()}
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    given = [
        part.split(",", 1)[1]
        for part in headers["webhook-signature"].split(" ")
        if part.startswith("v1,")
    ]
    return any(hmac.compare_digest(expected, g) for g in given)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float
    status: int = 200

    @property
    def json(self) -> dict:
        return json.loads(self.body)

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]


@dataclass
class Behaviour:
    statuses: list[int] = field(default_factory=list)  # answered in turn, then `status`
    status: int = 200
    delay: float = 0.0
    fail_ratio: float = 0.0  # answer 500 to this share of requests (at random)
    max_failures_per_id: int = 0  # with fail_ratio: then succeed (0: no limit)
    body: bytes = b"ok"
    headers: dict[str, str] = field(default_factory=dict)


class WebhookReceiver:
    """A threaded HTTP server recording every POST; its behaviour per path can be set."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.lock = threading.Lock()
        self.behaviours: dict[str, Behaviour] = {}
        self.failures: dict[tuple[str, str], int] = {}
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body leave at once

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with outer.lock:
                    b = outer.behaviours.setdefault(self.path, Behaviour())
                    status = b.statuses.pop(0) if b.statuses else b.status
                    key = (self.path, self.headers.get("webhook-id", ""))
                    limit = b.max_failures_per_id
                    unlucky = b.fail_ratio and random.random() < b.fail_ratio
                    if unlucky and (not limit or outer.failures.get(key, 0) < limit):
                        status = 500
                        outer.failures[key] = outer.failures.get(key, 0) + 1
                    headers = {k.lower(): v for k, v in self.headers.items()}
                    outer.received.append(Received(self.path, headers, body, time.time(), status))
                if b.delay:
                    time.sleep(b.delay)
                self.send_response(status)
                for name, value in b.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(b.body)))
                self.end_headers()
                self.wfile.write(b.body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str = "/hook", **behaviour) -> str:
        self.behaviours[path] = Behaviour(**behaviour)
        return self.base + path

    def at(self, path: str = "/hook") -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.path == path]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
