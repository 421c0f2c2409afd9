"""PaymentMethods of type card (docs.stripe.com/api/payment_methods)."""

from __future__ import annotations

import time
from typing import Any

from ..app import Ctx, route
from ..errors import StripeError, invalid, missing, not_found
from .cards import TOKENS, Decline, card_for, fingerprint
from .common import address, new_metadata, update_metadata


def _billing(value: Any) -> dict[str, Any]:
    value = value or {}
    return {
        "address": address(value.get("address")),
        "email": value.get("email") or None,
        "name": value.get("name") or None,
        "phone": value.get("phone") or None,
        "tax_id": None,
    }


def build_card_pm(ctx: Ctx, card_params: dict[str, Any], billing: Any, metadata: Any):
    """A card PaymentMethod from raw card data (Stripe.js / test numbers)."""
    number = str(card_params.get("number", "")).replace(" ", "")
    if not number:
        raise missing("card[number]")
    card = card_for(number)
    try:
        exp_month = int(card_params.get("exp_month") or 0)
        exp_year = int(card_params.get("exp_year") or 0)
    except ValueError:
        exp_month = exp_year = 0
    if exp_year and exp_year < 100:
        exp_year += 2000
    if not 1 <= exp_month <= 12:
        # docs.stripe.com/declines/codes: invalid_expiry_month
        raise StripeError(
            402,
            "Your card's expiration month is invalid.",
            type="card_error",
            code="invalid_expiry_month",
            param="card[exp_month]",
        )
    year_now = time.gmtime(ctx.now()).tm_year
    if exp_year < year_now or exp_year > year_now + 50:
        raise StripeError(
            402,
            "Your card's expiration year is invalid.",
            type="card_error",
            code="invalid_expiry_year",
            param="card[exp_year]",
        )
    cvc = card_params.get("cvc")
    billing_details = _billing(billing)
    return _pm(ctx, number, card, exp_month, exp_year, cvc, billing_details, metadata)


def _pm(ctx, number, card, exp_month, exp_year, cvc, billing_details, metadata):
    store = ctx.store
    pm = {
        "id": store.new_id("pm"),
        "object": "payment_method",
        "allow_redisplay": "unspecified",
        "billing_details": billing_details,
        "card": {
            "brand": card.brand,
            "checks": {
                "address_line1_check": "pass" if billing_details["address"]["line1"] else None,
                "address_postal_code_check": "pass"
                if billing_details["address"]["postal_code"]
                else None,
                "cvc_check": "pass" if cvc else None,
            },
            "country": card.country,
            "display_brand": card.brand,
            "exp_month": exp_month,
            "exp_year": exp_year,
            "fingerprint": fingerprint(number),
            "funding": card.funding,
            "generated_from": None,
            "last4": number[-4:],
            "networks": {"available": [card.brand], "preferred": None},
            "regulated_status": "unregulated",
            "three_d_secure_usage": {"supported": True},
            "wallet": None,
        },
        "created": ctx.now(),
        "customer": None,
        "livemode": False,
        "metadata": new_metadata(metadata),
        "type": "card",
    }
    store.insert(ctx.owner, pm, {"number": number, "off_session_ready": False})
    return pm


def resolve_payment_method(ctx: Ctx, ident: Any, param: str) -> dict[str, Any]:
    """An existing PaymentMethod, or a fresh one for a `pm_card_*` test id
    (docs.stripe.com/testing#cards: each use creates a new PaymentMethod)."""
    if not isinstance(ident, str) or not ident:
        raise invalid(f"Invalid {param}", param=param)
    number = TOKENS.get(ident)
    if number is not None:
        card = card_for(number)
        year = time.gmtime(ctx.now()).tm_year + 3
        return _pm(ctx, number, card, 12, year, "123", _billing(None), None)
    obj = ctx.store.objects.get(ident)
    if obj is None or obj["object"] != "payment_method" or ctx.store.owner[ident] != ctx.owner:
        raise not_found("PaymentMethod", ident, param)
    return obj


def card_of(ctx: Ctx, pm: dict[str, Any]):
    return card_for(ctx.store.priv(pm["id"])["number"])


def decline_error(decline: Decline, **extra: Any) -> StripeError:
    return StripeError(
        402,
        decline.message,
        type="card_error",
        code=decline.code,
        decline_code=decline.decline_code,
        extra=extra,
    )


def attach(ctx: Ctx, pm: dict[str, Any], customer: dict[str, Any]) -> None:
    """docs.stripe.com/api/payment_methods/attach (and the 0341 card: attaching works)."""
    if pm.get("customer") == customer["id"]:
        return
    if pm.get("customer"):
        raise invalid(
            "The payment method you provided has already been attached to a customer.",
            code="payment_method_unexpected_state",
        )
    card = card_of(ctx, pm)
    if card.decline is not None and card.decline_on_setup:
        raise decline_error(card.decline, payment_method=dict(pm))
    pm["customer"] = customer["id"]
    ctx.store.touch()
    ctx.emit("payment_method.attached", pm, {"customer": None})


@route("POST", "/v1/payment_methods", "PaymentMethodCreateParams", publishable=True)
def create_payment_method(ctx: Ctx):
    p = ctx.params
    if not p.get("type"):
        raise missing("type")
    if p["type"] != "card":
        raise invalid(
            f"fakestripe supports payment methods of type card only, not {p['type']}.",
            param="type",
        )
    if p.get("payment_method") or p.get("customer"):
        # docs.stripe.com/connect/cloning-customers-across-accounts: cloning a PM
        raise invalid(
            "Cloning PaymentMethods is not supported by fakestripe.", param="payment_method"
        )
    card_params = p.get("card")
    if not card_params:
        raise missing("card")
    token = card_params.get("token") if isinstance(card_params, dict) else None
    if token and token in TOKENS:
        card_params = {"number": TOKENS[token], "exp_month": 12, "exp_year": 2099, "cvc": "123"}
    return build_card_pm(ctx, card_params, p.get("billing_details"), p.get("metadata"))


@route("GET", "/v1/payment_methods/{payment_method}", "PaymentMethodRetrieveParams")
def retrieve_payment_method(ctx: Ctx, payment_method: str):
    return resolve_payment_method(ctx, payment_method, "payment_method")


@route("POST", "/v1/payment_methods/{payment_method}", "PaymentMethodUpdateParams")
def update_payment_method(ctx: Ctx, payment_method: str):
    pm = ctx.store.get(ctx.owner, "payment_method", payment_method, "payment_method")
    p = ctx.params
    previous: dict[str, Any] = {}
    if "billing_details" in p:
        previous["billing_details"] = pm["billing_details"]
        merged = dict(pm["billing_details"])
        for key, value in (p["billing_details"] or {}).items():
            merged[key] = address(value) if key == "address" else (value or None)
        pm["billing_details"] = merged
    card = p.get("card") or {}
    if card:
        previous["card"] = dict(pm["card"])
        for key in ("exp_month", "exp_year"):
            if key in card:
                pm["card"][key] = card[key]
    if "allow_redisplay" in p:
        previous["allow_redisplay"] = pm["allow_redisplay"]
        pm["allow_redisplay"] = p["allow_redisplay"]
    update_metadata(pm, p.get("metadata"), previous)
    if previous:
        ctx.store.touch()
        ctx.emit("payment_method.updated", pm, previous)
    return pm


@route("POST", "/v1/payment_methods/{payment_method}/attach", "PaymentMethodAttachParams")
def attach_payment_method(ctx: Ctx, payment_method: str):
    if not ctx.params.get("customer"):
        raise missing("customer")
    pm = resolve_payment_method(ctx, payment_method, "payment_method")
    customer = ctx.store.get(ctx.owner, "customer", ctx.params["customer"], "customer")
    attach(ctx, pm, customer)
    return pm


@route("POST", "/v1/payment_methods/{payment_method}/detach", "PaymentMethodDetachParams")
def detach_payment_method(ctx: Ctx, payment_method: str):
    pm = ctx.store.get(ctx.owner, "payment_method", payment_method, "payment_method")
    if not pm.get("customer"):
        raise invalid(
            "The payment method you provided is not attached to a customer so detachment is impossible.",
            code="payment_method_unexpected_state",
        )
    previous = {"customer": pm["customer"]}
    customer = ctx.store.objects.get(pm["customer"])
    if customer and customer.get("invoice_settings", {}).get("default_payment_method") == pm["id"]:
        customer["invoice_settings"]["default_payment_method"] = None
    pm["customer"] = None
    ctx.store.touch()
    ctx.emit("payment_method.detached", pm, previous)
    return pm


def _list(ctx: Ctx, customer: str | None, url: str):
    p = ctx.params
    kind = p.get("type")
    if customer:
        ctx.store.get(ctx.owner, "customer", customer, "customer")

    def keep(pm: dict[str, Any]) -> bool:
        return (customer is None or pm.get("customer") == customer) and (
            kind is None or pm["type"] == kind
        )

    return ctx.store.list_page(ctx.owner, "payment_method", p, url, keep)


@route("GET", "/v1/payment_methods", "PaymentMethodListParams")
def list_payment_methods(ctx: Ctx):
    # docs.stripe.com/api/payment_methods/list: without `customer`, only PMs of no customer
    customer = ctx.params.get("customer")
    if not customer:
        p = ctx.params
        return ctx.store.list_page(
            ctx.owner,
            "payment_method",
            p,
            "/v1/payment_methods",
            lambda pm: pm.get("customer") is None and p.get("type") in (None, pm["type"]),
        )
    return _list(ctx, customer, "/v1/payment_methods")


@route("GET", "/v1/customers/{customer}/payment_methods", "CustomerListPaymentMethodsParams")
def list_customer_payment_methods(ctx: Ctx, customer: str):
    return _list(ctx, customer, f"/v1/customers/{customer}/payment_methods")


@route(
    "GET",
    "/v1/customers/{customer}/payment_methods/{payment_method}",
    "CustomerRetrievePaymentMethodParams",
)
def retrieve_customer_payment_method(ctx: Ctx, customer: str, payment_method: str):
    ctx.store.get(ctx.owner, "customer", customer, "customer")
    pm = ctx.store.get(ctx.owner, "payment_method", payment_method, "payment_method")
    if pm.get("customer") != customer:
        raise not_found("PaymentMethod", payment_method, "payment_method")
    return pm
