"""PaymentIntents (docs.stripe.com/api/payment_intents, /payments/paymentintents/lifecycle)."""

from __future__ import annotations

import contextlib
from typing import Any
from urllib.parse import quote

from .. import PLATFORM
from ..app import Ctx, route
from ..errors import StripeError, invalid, missing, not_found
from .accounts import APPLICATION_ID
from .cards import AUTH_REQUIRED
from .charges import build_charge, create_dispute, settle_charge
from .common import new_metadata, set_fields, update_metadata
from .payment_methods import attach, card_of, resolve_payment_method

# docs.stripe.com/currencies#minimum-and-maximum-charge-amounts
MINIMUM = {"usd": 50, "eur": 50, "gbp": 30, "cad": 50, "aud": 50, "jpy": 50, "chf": 50}
AUTH_FAILURE = (
    "The provided PaymentMethod has failed authentication. You can provide "
    "payment_method_data or a new PaymentMethod to attempt to fulfill this PaymentIntent again."
)
CANCELABLE = {
    "requires_payment_method",
    "requires_capture",
    "requires_confirmation",
    "requires_action",
    "processing",
}


def _card_options() -> dict[str, Any]:
    return {
        "card": {
            "installments": None,
            "mandate_options": None,
            "network": None,
            "request_three_d_secure": "automatic",
        }
    }


def _automatic(p: dict[str, Any]) -> dict[str, Any] | None:
    # docs.stripe.com/payments/payment-methods/integration-options: since 2023-08-16,
    # automatic payment methods are on unless payment method types are given.
    given = p.get("automatic_payment_methods")
    if given:
        return {
            "allow_redirects": given.get("allow_redirects", "always"),
            "enabled": given["enabled"],
        }
    if p.get("allowed_payment_method_types"):
        return None
    return {"allow_redirects": "always", "enabled": True}


def check_amount(amount: int, currency: str, param: str = "amount") -> None:
    minimum = MINIMUM.get(currency, 50)
    if amount < minimum:
        raise invalid(
            f"Amount must be at least {minimum / 100:.2f} {currency}",
            param=param,
            code="amount_too_small",
        )
    if amount > 99999999:
        raise invalid(
            "Amount must be no more than $999,999.99", param=param, code="amount_too_large"
        )


def client_visible(ctx: Ctx, obj: dict[str, Any], kind: str) -> dict[str, Any]:
    """Publishable-key calls must present the intent's client secret (docs.stripe.com/js)."""
    if ctx.key_type == "publishable":
        secret = ctx.params.get("client_secret") or ctx.params.get("_client_secret")
        if secret != obj.get("client_secret"):
            raise not_found(kind, obj["id"])
    return obj


@route("POST", "/v1/payment_intents", "PaymentIntentCreateParams")
def create_payment_intent(ctx: Ctx):
    p = ctx.params
    store = ctx.store
    currency = p["currency"].lower()
    check_amount(p["amount"], currency)
    if p.get("application_fee_amount") is not None and ctx.owner == PLATFORM:
        # docs.stripe.com/connect/direct-charges#collect-fees
        raise invalid(
            "Can only apply an application_fee_amount when the PaymentIntent is attempting a "
            "direct payment (using an OAuth key or Stripe-Account header) or destination "
            "payment (using `transfer_data[destination]`).",
            param="application_fee_amount",
        )
    if p.get("customer"):
        store.get(ctx.owner, "customer", p["customer"], "customer")
    ident = store.new_id("pi")
    pi = {
        "id": ident,
        "object": "payment_intent",
        "allowed_payment_method_types": p.get("allowed_payment_method_types"),
        "amount": p["amount"],
        "amount_capturable": 0,
        "amount_details": {"tip": {}},
        "amount_received": 0,
        "application": APPLICATION_ID if ctx.owner != PLATFORM else None,
        "application_fee_amount": p.get("application_fee_amount"),
        "automatic_payment_methods": _automatic(p),
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": p.get("capture_method") or "automatic_async",
        "client_secret": f"{ident}_secret_{store.new_id('x')[2:]}",
        "confirmation_method": p.get("confirmation_method") or "automatic",
        "created": ctx.now(),
        "currency": currency,
        "customer": p.get("customer"),
        "customer_account": None,
        "description": p.get("description"),
        "excluded_payment_method_types": p.get("excluded_payment_method_types"),
        "last_payment_error": None,
        "latest_charge": None,
        "livemode": False,
        "managed_payments": None,
        "metadata": new_metadata(p.get("metadata")),
        "next_action": None,
        "on_behalf_of": None,
        "payment_method": None,
        "payment_method_configuration_details": None,
        "payment_method_options": _card_options(),
        "payment_method_types": ["card"],
        "processing": None,
        "receipt_email": p.get("receipt_email"),
        "review": None,
        "setup_future_usage": p.get("setup_future_usage"),
        "shipping": None,
        "source": None,
        "statement_descriptor": p.get("statement_descriptor"),
        "statement_descriptor_suffix": p.get("statement_descriptor_suffix"),
        "status": "requires_payment_method",
        "transfer_data": None,
        "transfer_group": p.get("transfer_group"),
    }
    if p.get("payment_method"):
        pm = resolve_payment_method(ctx, p["payment_method"], "payment_method")
        pi["payment_method"] = pm["id"]
        pi["status"] = "requires_confirmation"
    store.insert(ctx.owner, pi, {})
    ctx.emit("payment_intent.created", pi)
    if p.get("confirm"):
        _confirm(ctx, pi, p)
    return pi


@route("GET", "/v1/payment_intents/{intent}", "PaymentIntentRetrieveParams", publishable=True)
def retrieve_payment_intent(ctx: Ctx, intent: str):
    pi = ctx.store.get(ctx.owner, "payment_intent", intent, "intent")
    return client_visible(ctx, pi, "payment_intent")


@route("POST", "/v1/payment_intents/{intent}", "PaymentIntentUpdateParams")
def update_payment_intent(ctx: Ctx, intent: str):
    pi = ctx.store.get(ctx.owner, "payment_intent", intent, "intent")
    p = ctx.params
    if pi["status"] in ("succeeded", "canceled", "processing"):
        raise StripeError(
            400,
            f"This PaymentIntent's amount could not be updated because it has a status of "
            f"{pi['status']}. You may only update the amount of a PaymentIntent with one of "
            "the following statuses: requires_payment_method, requires_confirmation, "
            "requires_action.",
            code="payment_intent_unexpected_state",
        )
    previous: dict[str, Any] = {}
    if "amount" in p:
        check_amount(p["amount"], p.get("currency", pi["currency"]))
    if p.get("customer"):
        ctx.store.get(ctx.owner, "customer", p["customer"], "customer")
    set_fields(
        pi,
        p,
        (
            "amount",
            "currency",
            "customer",
            "description",
            "receipt_email",
            "setup_future_usage",
            "application_fee_amount",
            "statement_descriptor",
            "statement_descriptor_suffix",
            "transfer_group",
            "capture_method",
        ),
        previous,
    )
    if p.get("payment_method"):
        pm = resolve_payment_method(ctx, p["payment_method"], "payment_method")
        previous["payment_method"] = pi["payment_method"]
        pi["payment_method"] = pm["id"]
        if pi["status"] == "requires_payment_method":
            pi["status"] = "requires_confirmation"
    update_metadata(pi, p.get("metadata"), previous)
    ctx.store.touch()
    return pi


@route(
    "POST", "/v1/payment_intents/{intent}/confirm", "PaymentIntentConfirmParams", publishable=True
)
def confirm_payment_intent(ctx: Ctx, intent: str):
    pi = ctx.store.get(ctx.owner, "payment_intent", intent, "intent")
    client_visible(ctx, pi, "payment_intent")
    p = ctx.params
    if pi["status"] not in ("requires_payment_method", "requires_confirmation", "requires_action"):
        raise StripeError(
            400,
            f"You cannot confirm this PaymentIntent because it has a status of {pi['status']}.",
            code="payment_intent_unexpected_state",
            extra={"payment_intent": dict(pi)},
        )
    for name in ("receipt_email", "setup_future_usage"):
        if name in p:
            pi[name] = p[name] or None
    if p.get("payment_method_data"):
        from .payment_methods import build_card_pm

        data = p["payment_method_data"]
        if data.get("type") != "card" or not data.get("card"):
            raise invalid(
                "fakestripe supports payment_method_data[type]=card only.",
                param="payment_method_data[type]",
            )
        pm = build_card_pm(ctx, data["card"], data.get("billing_details"), data.get("metadata"))
        pi["payment_method"] = pm["id"]
    elif p.get("payment_method"):
        pm = resolve_payment_method(ctx, p["payment_method"], "payment_method")
        pi["payment_method"] = pm["id"]
    _confirm(ctx, pi, p)
    return pi


def _confirm(ctx: Ctx, pi: dict[str, Any], p: dict[str, Any]) -> None:
    store = ctx.store
    if not pi["payment_method"]:
        raise StripeError(
            400,
            "You cannot confirm this PaymentIntent because it's missing a payment method. To "
            "confirm the PaymentIntent with a PaymentMethod, update it with a payment_method "
            "first or pass payment_method to this request.",
            code="payment_intent_unexpected_state",
            extra={"payment_intent": dict(pi)},
        )
    off_session = bool(p.get("off_session"))
    if off_session and not pi["customer"]:
        raise invalid("off_session can only be used with a customer.", param="off_session")
    auto = pi["automatic_payment_methods"]
    if (
        auto
        and auto.get("enabled")
        and auto.get("allow_redirects") != "never"
        and not off_session
        and not p.get("return_url")
        and ctx.key_type == "secret"
    ):
        # docs.stripe.com/payments/payment-intents/verifying-status: redirect-capable
        # payment methods need a return_url when confirming.
        raise invalid(
            "This PaymentIntent is configured to accept payment methods enabled in your "
            "Dashboard, because some of these payment methods might redirect your customer off "
            "of your page, you must provide a `return_url`. If you don't want to accept "
            "redirect-based payment methods, set `automatic_payment_methods[enabled]` to `true` "
            "and `automatic_payment_methods[allow_redirects]` to `never` when creating Setup "
            "Intents and Payment Intents.",
            param="return_url",
        )
    pm = store.objects[pi["payment_method"]]
    priv = store.priv(pi["id"])
    priv["off_session"] = off_session
    priv["return_url"] = p.get("return_url")
    card = card_of(ctx, pm)
    pm_ready = store.priv(pm["id"]).get("off_session_ready")
    # docs.stripe.com/testing#authentication-and-setup: 3155 needs 3DS on-session and
    # succeeds off-session once set up; 3184 always asks.
    needs_auth = card.three_ds == "always" or (
        card.three_ds == "setup" and (not off_session or not pm_ready)
    )
    if needs_auth and off_session:
        # docs.stripe.com/payments/save-and-reuse#charge-saved-payment-method
        _fail(ctx, pi, pm, AUTH_REQUIRED)
    if needs_auth:
        if p.get("error_on_requires_action"):
            _fail(ctx, pi, pm, AUTH_REQUIRED)
        _require_action(ctx, pi, p)
        return
    _attempt(ctx, pi, pm, three_d_secure=False)


def _require_action(ctx: Ctx, pi: dict[str, Any], p: dict[str, Any]) -> None:
    base = ctx.app.base_url
    url = f"{base}/3ds/{pi['id']}?client_secret={quote(pi['client_secret'])}"
    acct = ctx.owner if ctx.owner != PLATFORM else ""
    if acct:
        url += f"&account={acct}"
    if p.get("return_url") and not p.get("use_stripe_sdk"):
        url += f"&return_url={quote(p['return_url'], safe='')}"
        pi["next_action"] = {
            "type": "redirect_to_url",
            "redirect_to_url": {"return_url": p["return_url"], "url": url},
        }
    else:
        pi["next_action"] = {
            "type": "use_stripe_sdk",
            "use_stripe_sdk": {"type": "three_d_secure_redirect", "stripe_js": url},
        }
    pi["status"] = "requires_action"
    ctx.store.touch()
    ctx.emit("payment_intent.requires_action", pi)


def _attempt(ctx: Ctx, pi: dict[str, Any], pm: dict[str, Any], three_d_secure: bool) -> None:
    card = card_of(ctx, pm)
    if card.decline is not None:
        _fail(ctx, pi, pm, card.decline)
    manual = pi["capture_method"] == "manual"
    charge = build_charge(
        ctx,
        pi=pi,
        pm=pm,
        amount=pi["amount"],
        decline=None,
        capture=not manual,
        three_d_secure=three_d_secure,
    )
    pi["latest_charge"] = charge["id"]
    pi["next_action"] = None
    pi["last_payment_error"] = None
    if manual:
        # docs.stripe.com/payments/place-a-hold-on-a-payment-method
        pi["status"] = "requires_capture"
        pi["amount_capturable"] = pi["amount"]
    else:
        settle_charge(ctx, charge, pi["application_fee_amount"])
        pi["status"] = "succeeded"
        pi["amount_received"] = pi["amount"]
    _save_for_future(ctx, pi, pm)
    ctx.store.touch()
    ctx.emit("charge.succeeded", charge)
    if manual:
        ctx.emit("payment_intent.amount_capturable_updated", pi)
    else:
        ctx.emit("payment_intent.succeeded", pi)
    if card.dispute and not manual:
        create_dispute(ctx.app, ctx.owner, charge)


def _save_for_future(ctx: Ctx, pi: dict[str, Any], pm: dict[str, Any]) -> None:
    # docs.stripe.com/payments/save-during-payment: setup_future_usage attaches the PM
    if pi["setup_future_usage"] and pi["customer"]:
        customer = ctx.store.objects.get(pi["customer"])
        if customer is not None and pm.get("customer") in (None, pi["customer"]):
            attach(ctx, pm, customer)
            if pi["setup_future_usage"] == "off_session":
                ctx.store.priv(pm["id"])["off_session_ready"] = True


def _fail(ctx: Ctx, pi: dict[str, Any], pm: dict[str, Any], decline) -> None:
    """A declined attempt: a failed charge, the PI back to requires_payment_method,
    and a 402 card_error carrying the PI (docs.stripe.com/declines)."""
    charge = build_charge(ctx, pi=pi, pm=pm, amount=pi["amount"], decline=decline, capture=False)
    error = {
        "charge": charge["id"],
        "code": decline.code,
        "decline_code": decline.decline_code,
        "doc_url": f"https://docs.stripe.com/error-codes/{decline.code.replace('_', '-')}",
        "message": decline.message,
        "payment_method": dict(pm),
        "type": "card_error",
    }
    pi["last_payment_error"] = error
    pi["latest_charge"] = charge["id"]
    pi["payment_method"] = None
    pi["next_action"] = None
    pi["status"] = "requires_payment_method"
    ctx.store.touch()
    ctx.emit("charge.failed", charge)
    ctx.emit("payment_intent.payment_failed", pi)
    raise StripeError(
        402,
        decline.message,
        type="card_error",
        code=decline.code,
        decline_code=decline.decline_code,
        extra={"charge": charge["id"], "payment_intent": dict(pi), "payment_method": dict(pm)},
    )


def complete_authentication(ctx: Ctx, pi: dict[str, Any], success: bool) -> None:
    """The 3DS challenge page's outcome (docs.stripe.com/testing#regulatory-cards)."""
    if pi["status"] != "requires_action":
        return
    pm = ctx.store.objects[pi["payment_method"]]
    if success:
        # A decline after authentication is recorded on the PI (last_payment_error).
        with contextlib.suppress(StripeError):
            _attempt(ctx, pi, pm, three_d_secure=True)
        return
    pi["last_payment_error"] = {
        "code": "payment_intent_authentication_failure",
        "doc_url": "https://docs.stripe.com/error-codes/payment-intent-authentication-failure",
        "message": AUTH_FAILURE,
        "payment_method": dict(pm),
        "type": "invalid_request_error",
    }
    pi["payment_method"] = None
    pi["next_action"] = None
    pi["status"] = "requires_payment_method"
    ctx.store.touch()
    ctx.emit("payment_intent.payment_failed", pi)


@route("POST", "/v1/payment_intents/{intent}/capture", "PaymentIntentCaptureParams")
def capture_payment_intent(ctx: Ctx, intent: str):
    pi = ctx.store.get(ctx.owner, "payment_intent", intent, "intent")
    p = ctx.params
    if pi["status"] != "requires_capture":
        raise StripeError(
            400,
            "This PaymentIntent could not be captured because it has a status of "
            f"{pi['status']}. Only a PaymentIntent with one of the following statuses may be "
            "captured: requires_capture.",
            code="payment_intent_unexpected_state",
            extra={"payment_intent": dict(pi)},
        )
    amount = p.get("amount_to_capture", pi["amount_capturable"])
    if amount > pi["amount_capturable"] or amount <= 0:
        raise invalid(
            "The amount to capture must be a positive integer less than or equal to the "
            "amount capturable.",
            param="amount_to_capture",
            code="amount_too_large",
        )
    if "application_fee_amount" in p:
        pi["application_fee_amount"] = p["application_fee_amount"]
    update_metadata(pi, p.get("metadata"), {})
    charge = ctx.store.objects[pi["latest_charge"]]
    charge["captured"] = True
    charge["amount_captured"] = amount
    settle_charge(ctx, charge, pi["application_fee_amount"])
    if amount < charge["amount"]:
        # docs.stripe.com/payments/place-a-hold-on-a-payment-method#capture-funds:
        # the remainder is released (refunded).
        charge["amount_refunded"] = charge["amount"] - amount
    pi["amount_capturable"] = 0
    pi["amount_received"] = amount
    pi["status"] = "succeeded"
    ctx.store.touch()
    ctx.emit("charge.captured", charge)
    ctx.emit("payment_intent.succeeded", pi)
    return pi


@route("POST", "/v1/payment_intents/{intent}/cancel", "PaymentIntentCancelParams")
def cancel_payment_intent(ctx: Ctx, intent: str):
    pi = ctx.store.get(ctx.owner, "payment_intent", intent, "intent")
    if pi["status"] not in CANCELABLE:
        raise StripeError(
            400,
            "You cannot cancel this PaymentIntent because it has a status of "
            f"{pi['status']}. Only a PaymentIntent with one of the following statuses may be "
            "canceled: requires_payment_method, requires_capture, requires_confirmation, "
            "requires_action, processing.",
            code="payment_intent_unexpected_state",
            extra={"payment_intent": dict(pi)},
        )
    if pi["status"] == "requires_capture":
        charge = ctx.store.objects[pi["latest_charge"]]
        charge["amount_refunded"] = charge["amount"]
        charge["refunded"] = True
        ctx.emit("charge.refunded", charge, {"amount_refunded": 0, "refunded": False})
    pi["status"] = "canceled"
    pi["canceled_at"] = ctx.now()
    pi["cancellation_reason"] = ctx.params.get("cancellation_reason")
    pi["amount_capturable"] = 0
    pi["next_action"] = None
    ctx.store.touch()
    ctx.emit("payment_intent.canceled", pi)
    return pi


@route("GET", "/v1/payment_intents", "PaymentIntentListParams")
def list_payment_intents(ctx: Ctx):
    customer = ctx.params.get("customer")
    predicate = (lambda pi: pi["customer"] == customer) if customer else None
    return ctx.store.list_page(
        ctx.owner, "payment_intent", ctx.params, "/v1/payment_intents", predicate
    )


__all__ = ["missing"]
