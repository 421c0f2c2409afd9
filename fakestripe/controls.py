"""Test controls under /_fake/ (JSON in and out, loopback only, no API key).

Every path is documented in fakestripe/README.md.
"""

from __future__ import annotations

import json
import re
from typing import Any

from . import PLATFORM
from .app import App, Ctx, Failure
from .errors import StripeError
from .server import json_response


class ControlError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def handle(app: App, method: str, path: str, query: str, body: bytes):
    try:
        data = json.loads(body) if body.strip() else {}
        if not isinstance(data, dict):
            raise ControlError(400, "the body must be a JSON object")
    except ValueError:
        return json_response(400, {"error": "the body must be JSON"})
    for pattern, verb, fn in _CONTROLS:
        m = pattern.fullmatch(path.rstrip("/") or "/")
        if m and verb == method:
            try:
                return json_response(200, fn(app, data, *m.groups()))
            except ControlError as exc:
                return json_response(exc.status, {"error": str(exc)})
            except KeyError as exc:
                return json_response(404, {"error": f"no such object: {exc.args[0]}"})
            except (ValueError, TypeError) as exc:
                return json_response(400, {"error": str(exc)})
            except StripeError as exc:
                return json_response(exc.status, exc.body())
    return json_response(404, {"error": f"unknown control {method} {path}"})


_CONTROLS: list[tuple[re.Pattern[str], str, Any]] = []


def control(verb: str, pattern: str):
    def register(fn):
        _CONTROLS.append((re.compile(pattern), verb, fn))
        return fn

    return register


@control("GET", r"/_fake/health")
def health(app: App, data):
    return {"ok": True, "url": app.base_url}


@control("POST", r"/_fake/reset")
def reset(app: App, data):
    app.reset()
    return {"ok": True}


# --- accounts ---------------------------------------------------------------------


def _change(app: App, account: str, change: str, **options):
    from .resources.accounts import change_account

    return change_account(app, account, change, **options)


@control("POST", r"/_fake/accounts/([^/]+)/verify")
def verify(app: App, data, account):
    return _change(app, account, "verify")


@control("POST", r"/_fake/accounts/([^/]+)/submit_pending")
def submit_pending(app: App, data, account):
    return _change(app, account, "submit_pending")


@control("POST", r"/_fake/accounts/([^/]+)/require_information")
def require_information(app: App, data, account):
    return _change(
        app,
        account,
        "require_information",
        due=data.get("due", "currently_due"),
        fields=data.get("fields"),
    )


@control("POST", r"/_fake/accounts/([^/]+)/reject")
def reject(app: App, data, account):
    reason = data.get("reason", "rejected.fraud")
    if not str(reason).startswith("rejected."):
        raise ControlError(
            400, "reason must be one of rejected.fraud, rejected.terms_of_service, …"
        )
    return _change(app, account, "reject", reason=reason)


@control("POST", r"/_fake/accounts/([^/]+)/deauthorize")
def deauthorize(app: App, data, account):
    from .resources.accounts import deauthorize as do

    do(app, account)
    return {"ok": True, "account": account}


# --- failures, clock, stats, config ----------------------------------------------


@control("POST", r"/_fake/failures")
def add_failure(app: App, data):
    failure = Failure(data)
    with app.failure_lock:
        app.failures.append(failure)
    return {"failures": [f.as_dict() for f in app.failures]}


@control("GET", r"/_fake/failures")
def list_failures(app: App, data):
    return {"failures": [f.as_dict() for f in app.failures]}


@control("DELETE", r"/_fake/failures")
def clear_failures(app: App, data):
    with app.failure_lock:
        app.failures.clear()
    return {"failures": []}


@control("GET", r"/_fake/clock")
def clock(app: App, data):
    with app.store.lock:
        return {"now": app.store.now(), "offset": app.store.clock_offset}


@control("POST", r"/_fake/clock/advance")
def advance(app: App, data):
    from .resources.charges import release_pending
    from .resources.payouts import run_schedule

    seconds = float(data.get("seconds", 0))
    if seconds < 0:
        raise ControlError(400, "the clock only moves forward")
    with app.store.lock:
        app.store.clock_offset += seconds
        release_pending(app.store)
        if app.store.config.get("automatic_payouts", True):
            run_schedule(app)
        app.store.touch()
        return {"now": app.store.now(), "offset": app.store.clock_offset}


@control("GET", r"/_fake/stats")
def stats(app: App, data):
    counts = dict(app.stats)
    return {"total": sum(counts.values()), "calls": counts}


@control("POST", r"/_fake/stats/reset")
def reset_stats(app: App, data):
    with app.idem_lock:
        app.stats.clear()
        app.request_log.clear()
    return {"total": 0, "calls": {}}


@control("GET", r"/_fake/requests")
def requests_log(app: App, data):
    """Every API request since the last reset, in order of arrival: `at` is when it
    arrived, in seconds on this server's monotonic clock (only differences mean
    anything), `call` the endpoint as in /_fake/stats."""
    with app.idem_lock:
        log = list(app.request_log)
    return {"requests": [{"at": at, "call": call} for at, call in log]}


@control("GET", r"/_fake/config")
def get_config(app: App, data):
    d = app.dispatcher
    return {
        "balance_transaction_delay": bool(app.store.config.get("balance_transaction_delay")),
        "automatic_payouts": bool(app.store.config.get("automatic_payouts", True)),
        "webhook_attempts": d.attempts,
        "webhook_retry_delay": d.base_delay,
        "webhook_timeout": d.timeout,
    }


@control("POST", r"/_fake/config")
def set_config(app: App, data):
    known = {
        "automatic_payouts",
        "balance_transaction_delay",
        "webhook_attempts",
        "webhook_retry_delay",
        "webhook_timeout",
    }
    unknown = set(data) - known
    if unknown:
        raise ControlError(400, f"unknown settings: {sorted(unknown)}")
    if "automatic_payouts" in data:
        app.store.config["automatic_payouts"] = bool(data["automatic_payouts"])
    if "balance_transaction_delay" in data:
        app.store.config["balance_transaction_delay"] = bool(data["balance_transaction_delay"])
    d = app.dispatcher
    d.attempts = int(data.get("webhook_attempts", d.attempts))
    d.base_delay = float(data.get("webhook_retry_delay", d.base_delay))
    d.timeout = float(data.get("webhook_timeout", d.timeout))
    return get_config(app, {})


# --- payouts ----------------------------------------------------------------------


@control("POST", r"/_fake/payouts/run")
def payouts_run(app: App, data):
    """Runs the automatic payout schedule now, without moving the clock."""
    from .resources.charges import release_pending
    from .resources.payouts import run_schedule

    with app.store.lock:
        release_pending(app.store)
        return {"created": run_schedule(app)}


@control("POST", r"/_fake/payouts/fail_next")
def payouts_fail_next(app: App, data):
    """The account's next automatic payout fails on its arrival date."""
    from .resources.payouts import FAILURE_MESSAGES

    account = data.get("account")
    code = data.get("failure_code", "account_closed")
    if not account:
        raise ControlError(400, "account is required")
    if code not in FAILURE_MESSAGES:
        raise ControlError(400, f"failure_code must be one of {sorted(FAILURE_MESSAGES)}")
    with app.store.lock:
        found = app.store.find(account)
        if found is None or found[1]["object"] != "account":
            raise KeyError(account)
        failure = {
            "failure_code": code,
            "failure_message": data.get("failure_message") or FAILURE_MESSAGES[code],
        }
        app.store.payouts.setdefault("fail_next", {})[account] = failure
        app.store.touch()
        return {"account": account, **failure}


@control("POST", r"/_fake/balance/settle")
def settle(app: App, data):
    from .resources.charges import settle_delayed

    return {"settled": settle_delayed(app)}


# --- payments ---------------------------------------------------------------------


@control("POST", r"/_fake/charges/([^/]+)/dispute")
def dispute(app: App, data, charge_id):
    from .resources.charges import create_dispute

    with app.store.lock:
        found = app.store.find(charge_id)
        if found is None or found[1]["object"] != "charge":
            raise KeyError(charge_id)
        owner, charge = found
        if charge["status"] != "succeeded":
            raise ControlError(400, "only a succeeded charge can be disputed")
        return create_dispute(app, owner, charge)


@control("POST", r"/_fake/intents/([^/]+)/authenticate")
def authenticate(app: App, data, intent_id):
    """Complete or fail a pending 3DS challenge, as the challenge page does."""
    outcome = data.get("outcome", "complete")
    if outcome not in ("complete", "fail"):
        raise ControlError(400, "outcome must be complete or fail")
    return complete_challenge(app, intent_id, outcome == "complete")


def complete_challenge(app: App, intent_id: str, success: bool) -> dict[str, Any]:
    from .resources import payment_intents, setup_intents

    with app.store.lock:
        found = app.store.find(intent_id)
        if found is None or found[1]["object"] not in ("payment_intent", "setup_intent"):
            raise KeyError(intent_id)
        owner, intent = found
        ctx = Ctx(app, owner, "secret", "req_3ds", None)
        module = payment_intents if intent["object"] == "payment_intent" else setup_intents
        module.complete_authentication(ctx, intent, success)
        return intent


# --- webhooks ----------------------------------------------------------------------


@control("POST", r"/_fake/webhooks/flush")
def flush(app: App, data):
    return app.dispatcher.flush(float(data.get("timeout", 30)))


@control("GET", r"/_fake/webhooks/log")
def webhook_log(app: App, data):
    with app.store.lock:
        return {"attempts": list(app.dispatcher.log)}


@control("POST", r"/_fake/webhook_endpoints")
def add_webhook_endpoint(app: App, data):
    from .resources.events import add_endpoint

    if not data.get("url"):
        raise ControlError(400, "url is required")
    with app.store.lock:
        return add_endpoint(
            app.store,
            data["url"],
            data.get("enabled_events") or ["*"],
            bool(data.get("connect")),
            data.get("description"),
            None,
            None,
            data.get("secret"),
        )


# --- bulk seeding (benchmarks) ----------------------------------------------------


@control("POST", r"/_fake/seed")
def seed(app: App, data):
    """Create `count` objects quickly: half customers, half succeeded PaymentIntents."""
    from .resources.customers import create_customer
    from .resources.payment_intents import create_payment_intent

    count = int(data.get("count", 1000))
    owner = data.get("account") or PLATFORM
    ids: dict[str, list[str]] = {"customer": [], "payment_intent": []}
    with app.store.lock:
        ctx = Ctx(app, owner, "secret", "req_seed", None)
        for i in range(count):
            if i % 2 == 0:
                ctx.params = {"email": f"seed{i}@example.com", "metadata": {"seed": str(i)}}
                ids["customer"].append(create_customer(ctx)["id"])
            else:
                ctx.params = {
                    "amount": 1000 + i % 500,
                    "currency": "usd",
                    "payment_method": "pm_card_visa",
                    "confirm": True,
                    "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
                }
                ids["payment_intent"].append(create_payment_intent(ctx)["id"])
        total = len(app.store.objects)
    return {"created": count, "stored_objects": total, "sample": {k: v[:5] for k, v in ids.items()}}


@control("POST", r"/_fake/snapshot/save")
def save_snapshot(app: App, data):
    from .snapshot import save

    path = data.get("path") or getattr(app, "snapshot_path", None)
    if not path:
        raise ControlError(400, "no snapshot path (start with --snapshot or pass path)")
    return {"saved": save(app, path), "path": str(path)}
