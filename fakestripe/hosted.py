"""Stand-ins for pages Stripe hosts: Connect onboarding behind Account Links, the 3D Secure
challenge, the Payment Element iframe and receipts."""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from . import API_VERSION
from .app import App
from .server import html_response, json_response, redirect, static_file
from .store import random_token


def handle(app: App, method: str, path: str, query: str, headers: dict[str, str], body: bytes):
    parts = path.strip("/").split("/")
    if path == "/":
        return json_response(
            200, {"fakestripe": True, "api_version": API_VERSION, "url": app.base_url}
        )
    if parts[:2] == ["connect", "onboarding"] and len(parts) == 3:
        form = _form(body) if method == "POST" else {}
        return onboarding(app, method, parts[2], form)
    if parts[0] == "3ds" and len(parts) == 2:
        args = _form(query.encode())
        if method == "POST":
            args.update(_form(body))
        return three_ds(app, method, parts[1], args)
    if parts == ["elements", "payment"]:
        return static_file("elements.html")
    if parts[0] == "receipts" and len(parts) == 2:
        return receipt(app, parts[1])
    return json_response(
        404,
        {
            "error": {
                "type": "invalid_request_error",
                "message": f"Unrecognized request URL ({method}: {path}).",
            }
        },
    )


def _form(raw: bytes) -> dict[str, str]:
    return {
        k: v[0] for k, v in parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True).items()
    }


def _page(title: str, inner: str, frame: bool = False) -> str:
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title><link rel="stylesheet" href="/static/hosted.css"></head>
<body{' class="frame"' if frame else ""}><div class="card">{inner}</div></body></html>"""


def _with_query(url: str, params: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = parts.query + ("&" if parts.query else "") + urlencode(params)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


# --- Connect onboarding (docs.stripe.com/connect/standard-accounts#create-link) -----------

CHOICES = {
    "verify": (
        "Submit and verify now",
        "Details are submitted and verified: charges and payouts are enabled.",
    ),
    "pending": (
        "Submit, verification pending",
        "Details are submitted; Stripe is still verifying them.",
    ),
    "leave": ("Leave without finishing", "Return to the platform without submitting anything."),
}


def onboarding(app: App, method: str, token: str, form: dict[str, str]):
    store = app.store
    with store.lock:
        link = store.links.get(token)
        now = store.now()
        if link is None:
            return html_response(
                404,
                _page(
                    "Link not found",
                    _message(
                        "This link is not valid.", "Ask the platform for a new onboarding link."
                    ),
                ),
            )
        account = store.objects.get(link["account"])
        if account is None or store.priv(link["account"]).get("deauthorized"):
            return html_response(
                410,
                _page("Account unavailable", _message("This account is no longer connected.", "")),
            )
        if method == "GET":
            # docs.stripe.com/api/account_links: single-use, expiring links; a used or
            # expired link sends the user to refresh_url to get a new one.
            if link["used"] or now >= link["expires_at"]:
                return _refresh(link)
            link["used"] = True
            link["nonce"] = random_token(20)
            store.touch()
            return html_response(200, _onboarding_page(app, token, link, account))
        if form.get("nonce") != link.get("nonce") or link.get("submitted"):
            return _refresh(link)
        choice = form.get("choice")
        if choice not in CHOICES:
            return html_response(400, _page("Unknown choice", _message("Unknown choice.", "")))
        link["submitted"] = True
        store.touch()
    from .resources.accounts import change_account

    if choice == "verify":
        change_account(app, link["account"], "verify")
    elif choice == "pending":
        change_account(app, link["account"], "submit_pending")
    # return_url carries no state: the platform re-fetches the account.
    if not link.get("return_url"):
        return html_response(200, _page("Done", _message("You can close this window.", "")))
    return redirect(link["return_url"], 303)


def _refresh(link: dict[str, Any]):
    if link.get("refresh_url"):
        return redirect(link["refresh_url"])
    return html_response(
        410,
        _page(
            "Link expired", _message("This link has expired.", "Ask the platform for a new one.")
        ),
    )


def _message(title: str, text: str) -> str:
    return f"""<header><div class="logo">S</div><div><h1>{html.escape(title)}</h1>
<p>fakestripe</p></div></header><main><p>{html.escape(text)}</p></main>"""


def _onboarding_page(app: App, token: str, link: dict[str, Any], account: dict[str, Any]) -> str:
    name = (
        (account.get("business_profile") or {}).get("name") or account.get("email") or account["id"]
    )
    due = (account.get("requirements") or {}).get("currently_due") or []
    buttons = []
    for value, (label, help_text) in CHOICES.items():
        cls = "primary" if value == "verify" else ""
        buttons.append(
            f'<button type="submit" name="choice" value="{value}" class="{cls}">'
            f"<strong>{html.escape(label)}</strong><span>{html.escape(help_text)}</span></button>"
        )
    inner = f"""<header><div class="logo">S</div><div><h1>Set up payments for {html.escape(name)}</h1>
<p>Commerce Hub (fakestripe) uses Stripe to get you paid</p></div></header>
<main><span class="badge">Test mode</span>
<dl><dt>Account</dt><dd>{html.escape(account["id"])}</dd>
<dt>Email</dt><dd>{html.escape(account.get("email") or "—")}</dd>
<dt>Link</dt><dd>{html.escape(link["type"])}</dd>
<dt>Due</dt><dd>{html.escape(", ".join(due) or "nothing")}</dd></dl>
<form method="post" action="/connect/onboarding/{html.escape(token)}" class="choices">
<input type="hidden" name="nonce" value="{html.escape(link["nonce"])}">
{"".join(buttons)}
</form>
<p class="note">This page stands in for Stripe's hosted onboarding. Each choice sends account.updated to the platform's Connect webhook.</p>
</main>"""
    return _page("Stripe Connect onboarding (fakestripe)", inner)


# --- 3D Secure challenge (docs.stripe.com/testing#regulatory-cards) -------------------------


def three_ds(app: App, method: str, intent_id: str, args: dict[str, str]):
    store = app.store
    with store.lock:
        found = store.find(intent_id)
        if found is None or found[1]["object"] not in ("payment_intent", "setup_intent"):
            return html_response(404, _page("Not found", _message("Unknown payment.", "")))
        intent = found[1]
        if args.get("client_secret") != intent["client_secret"]:
            return html_response(403, _page("Forbidden", _message("Invalid client secret.", "")))
        intent_snapshot = dict(intent)
    return_url = args.get("return_url")
    if method == "GET":
        return html_response(200, _three_ds_page(intent_snapshot, args, framed=not return_url))
    outcome = args.get("outcome")
    if outcome not in ("complete", "fail"):
        return html_response(400, _page("Bad request", _message("Unknown outcome.", "")))
    from .controls import complete_challenge

    intent = complete_challenge(app, intent_id, outcome == "complete")
    if return_url:
        key = intent["object"]
        ok = intent["status"] in ("succeeded", "processing", "requires_capture")
        return redirect(
            _with_query(
                return_url,
                {
                    key: intent["id"],
                    f"{key}_client_secret": intent["client_secret"],
                    "redirect_status": "succeeded" if ok else "failed",
                },
            ),
            303,
        )
    done = f"""<script>window.parent.postMessage({{type: "fakestripe-3ds-done", intent: {intent["id"]!r},
outcome: {outcome!r}}}, "*");</script>"""
    return html_response(
        200,
        _page(
            "Authentication finished", _message("Authentication finished.", "") + done, frame=True
        ),
    )


def _three_ds_page(intent: dict[str, Any], args: dict[str, str], framed: bool) -> str:
    if intent["object"] == "payment_intent":
        amount = f"{intent['amount'] / 100:,.2f} {intent['currency'].upper()}"
        what = f'<div class="amount">{html.escape(amount)}</div>'
    else:
        what = '<div class="amount">Save card</div>'
    hidden = "".join(
        f'<input type="hidden" name="{k}" value="{html.escape(v)}">'
        for k, v in args.items()
        if k in ("client_secret", "return_url", "account")
    )
    inner = f"""<header><div class="logo">3D</div><div><h1>3D Secure 2 test page</h1>
<p>fakestripe · {html.escape(intent["id"])}</p></div></header>
<main class="center"><span class="badge">Test mode</span>{what}
<p class="note">Your bank asks you to confirm this purchase. Choose the outcome of the challenge.</p>
<form method="post" class="choices">{hidden}
<button type="submit" name="outcome" value="complete" class="primary"><strong>Complete authentication</strong></button>
<button type="submit" name="outcome" value="fail" class="danger"><strong>Fail authentication</strong></button>
</form></main>"""
    return _page("3D Secure authentication (fakestripe)", inner, frame=framed)


def receipt(app: App, charge_id: str):
    store = app.store
    with store.lock:
        found = store.find(charge_id)
        if found is None or found[1]["object"] != "charge":
            return html_response(404, _page("Not found", _message("Unknown receipt.", "")))
        charge = dict(found[1])
    amount = f"{charge['amount'] / 100:,.2f} {charge['currency'].upper()}"
    inner = f"""<header><div class="logo">S</div><div><h1>Receipt</h1><p>fakestripe</p></div></header>
<main><div class="amount">{html.escape(amount)}</div><dl><dt>Charge</dt><dd>{html.escape(charge["id"])}</dd>
<dt>Status</dt><dd>{html.escape(charge["status"])}</dd><dt>Refunded</dt><dd>{charge["amount_refunded"] / 100:,.2f}</dd></dl></main>"""
    return html_response(200, _page("Receipt", inner))
