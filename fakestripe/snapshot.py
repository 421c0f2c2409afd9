"""Optional persistence: the whole store as one JSON file (memory only by default)."""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path
from typing import Any

from .app import App

log = logging.getLogger("fakestripe")
FORMAT = 1


def save(app: App, path: str | os.PathLike[str]) -> int:
    """Write the store atomically; returns the number of objects saved."""
    store = app.store
    with store.lock:
        objects = [
            [ident, store.owner[ident], obj, store.private.get(ident)]
            for ident, obj in store.objects.items()
            if store.owner[ident] != "*"
        ]
        data: dict[str, Any] = {
            "format": FORMAT,
            "clock_offset": store.clock_offset,
            "config": store.config,
            "links": store.links,
            "pending_bts": store.pending_bts,
            "unsettled": store.unsettled,
            "payouts": store.payouts,
            "listed": {f"{o}|{k}": list(c) for (o, k), c in store.collections.items()},
            "objects": objects,
        }
        text = json.dumps(data)
        version = store.version
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(target.suffix + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, target)
    app.saved_version = version
    return len(objects)


def load(app: App, path: str | os.PathLike[str]) -> int:
    """Replace the store with a snapshot; returns the number of objects loaded."""
    data = json.loads(Path(path).read_text())
    if data.get("format") != FORMAT:
        raise ValueError(f"unsupported snapshot format {data.get('format')!r}")
    store = app.store
    with store.lock:
        app.reset()
        store.clock_offset = float(data.get("clock_offset", 0))
        store.config.update(data.get("config") or {})
        store.links = data.get("links") or {}
        store.pending_bts = data.get("pending_bts") or []
        store.unsettled = data.get("unsettled") or []
        store.payouts = data.get("payouts") or {}
        for ident, owner, obj, private in data["objects"]:
            store.objects[ident] = obj
            store.owner[ident] = owner
            if private is not None:
                store.private[ident] = private
        for key, ids in data.get("listed", {}).items():
            owner, kind = key.split("|", 1)
            coll = store.collection(owner, kind)
            for ident in ids:
                obj = store.objects.get(ident)
                if obj is not None:
                    coll.add(ident, obj.get("created") or 0)
        app.saved_version = store.version
    return len(data["objects"])


class AutoSaver:
    """Saves periodically when something changed, and once more on stop()."""

    def __init__(self, app: App, path: str, interval: float = 5.0) -> None:
        self.app = app
        self.path = path
        self.interval = interval
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name="fakestripe-snapshot", daemon=True)

    def start(self) -> AutoSaver:
        self.thread.start()
        return self

    def _run(self) -> None:
        while not self.stopped.wait(self.interval):
            self.save_if_dirty()

    def save_if_dirty(self) -> None:
        if getattr(self.app, "saved_version", None) != self.app.store.version:
            try:
                save(self.app, self.path)
            except OSError:
                log.exception("fakestripe: could not save the snapshot to %s", self.path)

    def stop(self) -> None:
        self.stopped.set()
        self.save_if_dirty()
