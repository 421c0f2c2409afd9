"""SetupIntents (docs.stripe.com/api/setup_intents, /payments/save-and-reuse)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from .. import PLATFORM
from ..app import Ctx, route
from ..errors import StripeError, invalid
from .accounts import APPLICATION_ID
from .common import new_metadata, set_fields, update_metadata
from .payment_intents import client_visible
from .payment_methods import attach, build_card_pm, card_of, resolve_payment_method

SETUP_AUTH_FAILURE = (
    "The latest attempt to set up the payment method has failed because authentication failed."
)


@route("POST", "/v1/setup_intents", "SetupIntentCreateParams")
def create_setup_intent(ctx: Ctx):
    p = ctx.params
    store = ctx.store
    if p.get("customer"):
        store.get(ctx.owner, "customer", p["customer"], "customer")
    ident = store.new_id("seti")
    given = p.get("automatic_payment_methods")
    automatic = (
        {"allow_redirects": given.get("allow_redirects", "always"), "enabled": given["enabled"]}
        if given
        else (
            None
            if p.get("allowed_payment_method_types")
            else {"allow_redirects": "always", "enabled": True}
        )
    )
    si = {
        "id": ident,
        "object": "setup_intent",
        "application": APPLICATION_ID if ctx.owner != PLATFORM else None,
        "automatic_payment_methods": automatic,
        "cancellation_reason": None,
        "client_secret": f"{ident}_secret_{store.new_id('x')[2:]}",
        "created": ctx.now(),
        "customer": p.get("customer"),
        "description": p.get("description"),
        "flow_directions": p.get("flow_directions"),
        "last_setup_error": None,
        "latest_attempt": None,
        "livemode": False,
        "mandate": None,
        "metadata": new_metadata(p.get("metadata")),
        "next_action": None,
        "on_behalf_of": None,
        "payment_method": None,
        "payment_method_configuration_details": None,
        "payment_method_options": {
            "card": {
                "mandate_options": None,
                "network": None,
                "request_three_d_secure": "automatic",
            }
        },
        "payment_method_types": ["card"],
        "single_use_mandate": None,
        "status": "requires_payment_method",
        "usage": p.get("usage") or "off_session",
    }
    if p.get("payment_method"):
        pm = resolve_payment_method(ctx, p["payment_method"], "payment_method")
        si["payment_method"] = pm["id"]
        si["status"] = "requires_confirmation"
    store.insert(ctx.owner, si, {})
    ctx.emit("setup_intent.created", si)
    if p.get("confirm"):
        _confirm(ctx, si, p)
    return si


@route("GET", "/v1/setup_intents/{intent}", "SetupIntentRetrieveParams", publishable=True)
def retrieve_setup_intent(ctx: Ctx, intent: str):
    si = ctx.store.get(ctx.owner, "setup_intent", intent, "intent")
    return client_visible(ctx, si, "setup_intent")


@route("POST", "/v1/setup_intents/{intent}", "SetupIntentUpdateParams")
def update_setup_intent(ctx: Ctx, intent: str):
    si = ctx.store.get(ctx.owner, "setup_intent", intent, "intent")
    p = ctx.params
    previous: dict[str, Any] = {}
    if p.get("customer"):
        ctx.store.get(ctx.owner, "customer", p["customer"], "customer")
    set_fields(si, p, ("customer", "description"), previous)
    if p.get("payment_method"):
        pm = resolve_payment_method(ctx, p["payment_method"], "payment_method")
        si["payment_method"] = pm["id"]
        if si["status"] == "requires_payment_method":
            si["status"] = "requires_confirmation"
    update_metadata(si, p.get("metadata"), previous)
    ctx.store.touch()
    return si


@route("POST", "/v1/setup_intents/{intent}/confirm", "SetupIntentConfirmParams", publishable=True)
def confirm_setup_intent(ctx: Ctx, intent: str):
    si = ctx.store.get(ctx.owner, "setup_intent", intent, "intent")
    client_visible(ctx, si, "setup_intent")
    p = ctx.params
    if si["status"] not in ("requires_payment_method", "requires_confirmation", "requires_action"):
        raise StripeError(
            400,
            f"You cannot confirm this SetupIntent because it has a status of {si['status']}.",
            code="setup_intent_unexpected_state",
            extra={"setup_intent": dict(si)},
        )
    if p.get("payment_method_data"):
        data = p["payment_method_data"]
        if data.get("type") != "card" or not data.get("card"):
            raise invalid(
                "fakestripe supports payment_method_data[type]=card only.",
                param="payment_method_data[type]",
            )
        si["payment_method"] = build_card_pm(ctx, data["card"], data.get("billing_details"), None)[
            "id"
        ]
    elif p.get("payment_method"):
        si["payment_method"] = resolve_payment_method(ctx, p["payment_method"], "payment_method")[
            "id"
        ]
    _confirm(ctx, si, p)
    return si


def _confirm(ctx: Ctx, si: dict[str, Any], p: dict[str, Any]) -> None:
    if not si["payment_method"]:
        raise StripeError(
            400,
            "You cannot confirm this SetupIntent because it's missing a payment method.",
            code="setup_intent_unexpected_state",
            extra={"setup_intent": dict(si)},
        )
    pm = ctx.store.objects[si["payment_method"]]
    card = card_of(ctx, pm)
    if card.decline is not None and card.decline_on_setup:
        # docs.stripe.com/testing#declined-payments: declines also fail card setup
        si["last_setup_error"] = {
            "code": card.decline.code,
            "decline_code": card.decline.decline_code,
            "doc_url": f"https://docs.stripe.com/error-codes/{card.decline.code.replace('_', '-')}",
            "message": card.decline.message,
            "payment_method": dict(pm),
            "type": "card_error",
        }
        si["payment_method"] = None
        si["status"] = "requires_payment_method"
        ctx.store.touch()
        ctx.emit("setup_intent.setup_failed", si)
        raise StripeError(
            402,
            card.decline.message,
            type="card_error",
            code=card.decline.code,
            decline_code=card.decline.decline_code,
            extra={"setup_intent": dict(si), "payment_method": dict(pm)},
        )
    if card.three_ds is not None:
        # docs.stripe.com/testing#authentication-and-setup: 3155 and 3184 authenticate on setup
        base = ctx.app.base_url
        url = f"{base}/3ds/{si['id']}?client_secret={quote(si['client_secret'])}"
        if ctx.owner != PLATFORM:
            url += f"&account={ctx.owner}"
        if p.get("return_url") and not p.get("use_stripe_sdk"):
            url += f"&return_url={quote(p['return_url'], safe='')}"
            si["next_action"] = {
                "type": "redirect_to_url",
                "redirect_to_url": {"return_url": p["return_url"], "url": url},
            }
        else:
            si["next_action"] = {
                "type": "use_stripe_sdk",
                "use_stripe_sdk": {"type": "three_d_secure_redirect", "stripe_js": url},
            }
        si["status"] = "requires_action"
        ctx.store.touch()
        ctx.emit("setup_intent.requires_action", si)
        return
    _succeed(ctx, si, pm)


def _succeed(ctx: Ctx, si: dict[str, Any], pm: dict[str, Any]) -> None:
    if si["customer"]:
        customer = ctx.store.objects.get(si["customer"])
        if customer is not None:
            attach(ctx, pm, customer)
    if si["usage"] == "off_session":
        ctx.store.priv(pm["id"])["off_session_ready"] = True
    si["status"] = "succeeded"
    si["next_action"] = None
    si["last_setup_error"] = None
    ctx.store.touch()
    ctx.emit("setup_intent.succeeded", si)


def complete_authentication(ctx: Ctx, si: dict[str, Any], success: bool) -> None:
    if si["status"] != "requires_action":
        return
    pm = ctx.store.objects[si["payment_method"]]
    if success:
        _succeed(ctx, si, pm)
        return
    si["last_setup_error"] = {
        "code": "setup_intent_authentication_failure",
        "doc_url": "https://docs.stripe.com/error-codes/setup-intent-authentication-failure",
        "message": SETUP_AUTH_FAILURE,
        "payment_method": dict(pm),
        "type": "invalid_request_error",
    }
    si["payment_method"] = None
    si["next_action"] = None
    si["status"] = "requires_payment_method"
    ctx.store.touch()
    ctx.emit("setup_intent.setup_failed", si)


@route("POST", "/v1/setup_intents/{intent}/cancel", "SetupIntentCancelParams")
def cancel_setup_intent(ctx: Ctx, intent: str):
    si = ctx.store.get(ctx.owner, "setup_intent", intent, "intent")
    if si["status"] in ("succeeded", "canceled", "processing"):
        raise StripeError(
            400,
            f"You cannot cancel this SetupIntent because it has a status of {si['status']}.",
            code="setup_intent_unexpected_state",
            extra={"setup_intent": dict(si)},
        )
    si["status"] = "canceled"
    si["cancellation_reason"] = ctx.params.get("cancellation_reason")
    si["next_action"] = None
    ctx.store.touch()
    ctx.emit("setup_intent.canceled", si)
    return si


@route("GET", "/v1/setup_intents", "SetupIntentListParams")
def list_setup_intents(ctx: Ctx):
    customer = ctx.params.get("customer")
    pm = ctx.params.get("payment_method")

    def keep(si: dict[str, Any]) -> bool:
        return (customer is None or si["customer"] == customer) and (
            pm is None or si["payment_method"] == pm
        )

    return ctx.store.list_page(ctx.owner, "setup_intent", ctx.params, "/v1/setup_intents", keep)
