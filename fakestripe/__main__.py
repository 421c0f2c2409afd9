"""`python -m fakestripe [--host 127.0.0.1] [--port 12111] [--snapshot PATH]
[--webhook URL --webhook-secret whsec_…]`"""

from __future__ import annotations

import argparse
import ipaddress
import logging
import os
import signal
import sys
import threading

from . import API_VERSION


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fakestripe", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind")
    parser.add_argument("--port", type=int, default=12111)
    parser.add_argument("--snapshot", help="JSON file loaded at start and saved on exit")
    parser.add_argument("--snapshot-interval", type=float, default=5.0)
    parser.add_argument("--webhook", help="URL receiving platform and Connect events")
    parser.add_argument("--webhook-secret", help="signing secret of the --webhook endpoints")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO,
        format="fakestripe %(levelname)s %(message)s",
    )
    if not _loopback(args.host):
        parser.error("fakestripe only listens on a loopback address")
    if bool(args.webhook) != bool(args.webhook_secret):
        parser.error("--webhook and --webhook-secret go together")
    if args.webhook_secret and not args.webhook_secret.startswith("whsec_"):
        parser.error("--webhook-secret must start with whsec_")

    from .server import FakeStripe
    from .snapshot import AutoSaver, load

    server = FakeStripe(args.host, args.port)
    app = server.app
    app.snapshot_path = args.snapshot
    saver = None
    if args.snapshot:
        from pathlib import Path

        if Path(args.snapshot).exists():
            try:
                count = load(app, args.snapshot)
                logging.info("loaded %d objects from %s", count, args.snapshot)
            except (OSError, ValueError, KeyError) as exc:
                logging.warning("ignoring unreadable snapshot %s: %s", args.snapshot, exc)
        saver = AutoSaver(app, args.snapshot, args.snapshot_interval).start()
    if args.webhook:
        _register_webhooks(app, args.webhook, args.webhook_secret)

    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    server.start()
    _warm_up()
    print(f"fakestripe {API_VERSION} listening on {server.url}", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
        if saver is not None:
            saver.stop()
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
    # Skip tearing down a large heap object by object: everything worth keeping is saved.
    os._exit(0)


def _register_webhooks(app, url: str, secret: str) -> None:
    """Two endpoints sharing one secret: platform events and Connect events."""
    from .resources.events import add_endpoint

    store = app.store
    with store.lock:
        for ident in list(store.collection("platform", "webhook_endpoint")):
            we = store.objects[ident]
            if we["url"] == url and store.priv(ident).get("secret") == secret:
                store.delete(ident)  # from a loaded snapshot: replace, not duplicate
        add_endpoint(store, url, ["*"], False, "platform events (--webhook)", secret=secret)
        add_endpoint(store, url, ["*"], True, "Connect events (--webhook)", secret=secret)


def _warm_up() -> None:
    """Compile the parameter schemas in the background so first calls are fast."""

    def run():
        from . import app as app_module
        from . import params

        for routes in list(app_module.ROUTES.values()):
            for r in routes:
                if r.params:
                    try:
                        params.schema(r.params)
                    except Exception:  # a schema the SDK lacks: fails loudly on use instead
                        logging.exception("no schema %s", r.params)

    threading.Thread(target=run, daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
