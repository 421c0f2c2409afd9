"""Signed webhook delivery with retries (docs.stripe.com/webhooks).

A background thread posts each event to each matching endpoint with
`Stripe-Signature: t=…,v1=HMAC-SHA256("{t}.{body}")` (docs.stripe.com/webhooks#verify-manually)
and retries non-2xx answers and connection errors with exponential backoff — a few
short attempts, as in test mode (docs.stripe.com/webhooks#retries).
"""

from __future__ import annotations

import hashlib
import heapq
import hmac
import http.client
import itertools
import json
import logging
import threading
import time
from typing import Any
from urllib.parse import urlsplit

from . import PLATFORM

log = logging.getLogger("fakestripe.webhooks")


def sign(payload: bytes, secret: str, timestamp: int) -> str:
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


class Dispatcher:
    def __init__(self, app) -> None:
        self.app = app
        self.queue: list[
            tuple[float, int, str, str, int]
        ] = []  # due, seq, event, endpoint, attempt
        self.cond = threading.Condition()
        self.seq = itertools.count()
        self.inflight = 0
        self.attempts = 4
        self.base_delay = 1.0
        self.timeout = 5.0
        self.thread: threading.Thread | None = None
        self.log: list[dict[str, Any]] = []  # recent delivery attempts, for /_fake/webhooks

    # --- endpoints ---------------------------------------------------------------
    def endpoints_for(self, owner: str, type_: str) -> list[dict[str, Any]]:
        store = self.app.store
        coll = store.collections.get((PLATFORM, "webhook_endpoint"))
        if coll is None or not coll.live:
            return []
        connect = owner != PLATFORM
        out = []
        for ident in coll:
            we = store.objects[ident]
            if we["status"] != "enabled" or store.priv(ident).get("connect", False) != connect:
                continue
            events = we["enabled_events"]
            if "*" in events or type_ in events:
                out.append(we)
        return out

    # --- queue -------------------------------------------------------------------
    def enqueue(self, event_id: str, endpoint_ids: list[str]) -> None:
        now = time.monotonic()
        with self.cond:
            for we in endpoint_ids:
                heapq.heappush(self.queue, (now, next(self.seq), event_id, we, 1))
            self.cond.notify()
        if self.thread is None:
            self.thread = threading.Thread(
                target=self._run, name="fakestripe-webhooks", daemon=True
            )
            self.thread.start()

    def clear(self) -> None:
        """Forget queued deliveries and restore the default retry settings."""
        with self.cond:
            self.queue.clear()
            self.log.clear()
        self.attempts, self.base_delay, self.timeout = 4, 1.0, 5.0

    def pending(self) -> int:
        with self.cond:
            return len(self.queue) + self.inflight

    def _run(self) -> None:
        while True:
            with self.cond:
                while not self.queue or self.queue[0][0] > time.monotonic():
                    timeout = self.queue[0][0] - time.monotonic() if self.queue else None
                    self.cond.wait(timeout)
                item = heapq.heappop(self.queue)
                self.inflight += 1
            try:
                self._attempt(item)
            except Exception:  # keep the thread alive whatever happens
                log.exception("webhook delivery crashed")
            finally:
                with self.cond:
                    self.inflight -= 1
                    self.cond.notify_all()

    def flush(self, timeout: float = 30.0) -> dict[str, int]:
        """Deliver everything queued now (retries included, once each) and wait."""
        delivered = failed = 0
        deadline = time.monotonic() + timeout
        with self.cond:
            while self.inflight and time.monotonic() < deadline:
                self.cond.wait(0.05)
            items = list(self.queue)
            self.queue.clear()
            self.inflight += len(items)
        try:
            for item in sorted(items, key=lambda i: i[1]):
                if self._attempt(item):
                    delivered += 1
                else:
                    failed += 1
        finally:
            with self.cond:
                self.inflight -= len(items)
                self.cond.notify_all()
        return {"delivered": delivered, "failed": failed, "pending": self.pending()}

    # --- one attempt -------------------------------------------------------------
    def _attempt(self, item: tuple[float, int, str, str, int]) -> bool:
        _, _, event_id, endpoint_id, attempt = item
        store = self.app.store
        with store.lock:
            event = store.objects.get(event_id)
            endpoint = store.objects.get(endpoint_id)
            if event is None or endpoint is None:
                return False
            secret = store.priv(endpoint_id).get("secret", "")
            url = endpoint["url"]
            # Rendered in the endpoint's API version, which is the pinned one.
            payload = json.dumps(event, indent=2).encode()
        status, error = self._post(url, payload, secret)
        ok = status is not None and 200 <= status < 300
        with store.lock:
            self.log.append(
                {
                    "event": event_id,
                    "endpoint": endpoint_id,
                    "attempt": attempt,
                    "status": status,
                    "error": error,
                    "ok": ok,
                }
            )
            del self.log[:-500]
            deliveries = store.priv(event_id).setdefault("deliveries", {})
            if ok:
                deliveries[endpoint_id] = "delivered"
            elif attempt >= self.attempts:
                deliveries[endpoint_id] = "failed"
            else:
                deliveries[endpoint_id] = "retrying"
            event["pending_webhooks"] = sum(
                1 for state in deliveries.values() if state in ("pending", "retrying")
            )
            store.touch()
        if not ok and attempt < self.attempts:
            due = time.monotonic() + self.base_delay * (2 ** (attempt - 1))
            with self.cond:
                heapq.heappush(
                    self.queue, (due, next(self.seq), event_id, endpoint_id, attempt + 1)
                )
                self.cond.notify()
        return ok

    def _post(self, url: str, payload: bytes, secret: str) -> tuple[int | None, str | None]:
        parts = urlsplit(url)
        cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        conn = cls(parts.hostname or "127.0.0.1", parts.port, timeout=self.timeout)
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
            "Stripe-Signature": sign(payload, secret, int(time.time())),
        }
        try:
            conn.request("POST", path, body=payload, headers=headers)
            response = conn.getresponse()
            response.read()
            return response.status, None
        except OSError as exc:
            return None, str(exc)
        finally:
            conn.close()
