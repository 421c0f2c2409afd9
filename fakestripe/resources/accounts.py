"""Accounts and Account Links (docs.stripe.com/api/accounts, /api/account_links)."""

from __future__ import annotations

from typing import Any

from .. import PLATFORM
from ..app import Ctx, route
from ..errors import StripeError, invalid
from ..store import Store, random_token
from .common import new_metadata, set_fields, snapshot, sub_list, update_metadata

PLATFORM_ACCOUNT_ID = "acct_1FakeStripePlatform00"
APPLICATION_ID = "ca_FakeStripeCommerceHubApp00"
LINK_TTL = 300  # docs.stripe.com/api/account_links/object: expires_at, Stripe's example 300 s

# What a new US Standard account typically has to provide
# (docs.stripe.com/connect/required-verification-information).
INITIAL_DUE = [
    "business_profile.mcc",
    "business_profile.url",
    "business_type",
    "external_account",
    "representative.first_name",
    "representative.last_name",
    "tos_acceptance.date",
    "tos_acceptance.ip",
]
PENDING_FIELDS = ["representative.verification.document", "company.tax_id"]


def bootstrap(store: Store) -> None:
    """The platform's own account and its Connect application."""
    platform = build_account(store, PLATFORM_ACCOUNT_ID, {"email": "platform@example.com"})
    platform["business_profile"]["name"] = "Commerce Hub platform (fakestripe)"
    _set_verified(platform, store.now())
    store.insert_unlisted(PLATFORM, platform)
    store.insert_unlisted(
        "*", {"id": APPLICATION_ID, "object": "application", "name": "Commerce Hub (fakestripe)"}
    )


def _requirements(due: list[str], disabled: str | None) -> dict[str, Any]:
    return {
        "alternatives": [],
        "current_deadline": None,
        "currently_due": list(due),
        "disabled_reason": disabled,
        "errors": [],
        "eventually_due": list(due),
        "past_due": [],
        "pending_verification": [],
    }


def build_account(store: Store, ident: str, p: dict[str, Any]) -> dict[str, Any]:
    bp = p.get("business_profile") or {}
    controller = p.get("controller") or {}
    kind = p.get("type") or _type_from_controller(controller)
    return {
        "id": ident,
        "object": "account",
        "business_profile": {
            "annual_revenue": None,
            "estimated_worker_count": None,
            "mcc": bp.get("mcc"),
            "minority_owned_business_designation": None,
            "name": bp.get("name"),
            "product_description": bp.get("product_description"),
            "support_address": None,
            "support_email": bp.get("support_email"),
            "support_phone": bp.get("support_phone"),
            "support_url": bp.get("support_url"),
            "url": bp.get("url"),
        },
        "business_type": p.get("business_type"),
        "capabilities": {"card_payments": "inactive", "transfers": "inactive"},
        "charges_enabled": False,
        "controller": _controller(kind, controller),
        "country": p.get("country") or "US",
        "created": store.now(),
        "default_currency": p.get("default_currency") or "usd",
        "details_submitted": False,
        "email": p.get("email"),
        "external_accounts": sub_list(f"/v1/accounts/{ident}/external_accounts"),
        "future_requirements": _requirements([], None),
        "metadata": new_metadata(p.get("metadata")),
        "payouts_enabled": False,
        "requirements": _requirements(INITIAL_DUE, "requirements.past_due"),
        "settings": {
            "bacs_debit_payments": {"display_name": None, "service_user_number": None},
            "branding": {
                "icon": None,
                "logo": None,
                "primary_color": None,
                "secondary_color": None,
            },
            "card_issuing": {"tos_acceptance": {"date": None, "ip": None}},
            "card_payments": {
                "decline_on": {"avs_failure": False, "cvc_failure": False},
                "statement_descriptor_prefix": None,
                "statement_descriptor_prefix_kana": None,
                "statement_descriptor_prefix_kanji": None,
            },
            "dashboard": {"display_name": bp.get("name"), "timezone": "Etc/UTC"},
            "invoices": {"default_account_tax_ids": None, "hosted_payment_method_save": "offer"},
            "payments": {
                "statement_descriptor": None,
                "statement_descriptor_kana": None,
                "statement_descriptor_kanji": None,
                "statement_descriptor_prefix_kana": None,
                "statement_descriptor_prefix_kanji": None,
            },
            "payouts": {
                "debit_negative_balances": True,
                "schedule": {"delay_days": 2, "interval": "daily"},
                "statement_descriptor": None,
            },
            "sepa_debit_payments": {},
        },
        "tos_acceptance": {"date": None, "ip": None, "user_agent": None},
        "type": kind,
    }


def _type_from_controller(controller: dict[str, Any]) -> str:
    # docs.stripe.com/connect/migrate-to-controller-properties: a full Stripe dashboard,
    # Stripe-collected requirements and account-paid fees is what `standard` meant.
    dashboard = (controller.get("stripe_dashboard") or {}).get("type")
    if not controller or dashboard in (None, "full"):
        return "standard"
    return "express" if dashboard == "express" else "custom"


def _controller(kind: str, given: dict[str, Any]) -> dict[str, Any]:
    standard = kind == "standard"
    fees = (given.get("fees") or {}).get("payer") or ("account" if standard else "application")
    losses = (given.get("losses") or {}).get("payments") or (
        "stripe" if standard else "application"
    )
    collection = given.get("requirement_collection") or (
        "application" if kind == "custom" else "stripe"
    )
    dashboard = {"standard": "full", "express": "express"}.get(kind, "none")
    return {
        "fees": {"payer": fees},
        "is_controller": True,
        "losses": {"payments": losses},
        "requirement_collection": collection,
        "stripe_dashboard": {"type": dashboard},
        "type": "application",
    }


# --- API ------------------------------------------------------------------------


@route("POST", "/v1/accounts", "AccountCreateParams")
def create_account(ctx: Ctx):
    p = ctx.params
    if ctx.owner != PLATFORM:
        raise StripeError(
            400, "Only a platform can create connected accounts.", code="account_invalid"
        )
    if p.get("type") and p.get("controller"):
        # docs.stripe.com/api/accounts/create: `type` or controller properties
        raise invalid("You cannot specify both `type` and `controller`.", param="controller")
    store = ctx.store
    account = build_account(store, store.new_id("acct", 16), p)
    store.insert(PLATFORM, account)
    return account


@route("GET", "/v1/accounts/{account}", "AccountRetrieveParams")
def retrieve_account(ctx: Ctx, account: str):
    return visible_account(ctx, account)


@route("GET", "/v1/account", "AccountRetrieveCurrentParams")
def retrieve_current(ctx: Ctx):
    if ctx.owner == PLATFORM:
        return ctx.store.objects[PLATFORM_ACCOUNT_ID]
    return ctx.store.objects[ctx.owner]


def visible_account(ctx: Ctx, ident: str) -> dict[str, Any]:
    if ident in (PLATFORM_ACCOUNT_ID, ctx.owner) and ctx.owner == PLATFORM:
        return ctx.store.objects[PLATFORM_ACCOUNT_ID]
    if ctx.owner not in (PLATFORM, ident):
        raise StripeError(
            403,
            f"The provided key does not have access to account '{ident}'.",
            code="account_invalid",
        )
    account = ctx.store.get(PLATFORM, "account", ident, "account")
    if ctx.store.priv(ident).get("deauthorized"):
        raise StripeError(
            403,
            f"The provided key does not have access to account '{ident}' (or that account "
            "does not exist). Application access may have been revoked.",
            code="account_invalid",
        )
    return account


@route("POST", "/v1/accounts/{account}", "AccountUpdateParams")
def update_account(ctx: Ctx, account: str):
    obj = visible_account(ctx, account)
    p = ctx.params
    before = snapshot(obj)
    previous: dict[str, Any] = {}
    set_fields(obj, p, ("email", "business_type", "default_currency"), previous)
    update_metadata(obj, p.get("metadata"), previous)
    for key, value in (p.get("business_profile") or {}).items():
        if key in obj["business_profile"] and not isinstance(value, dict):
            obj["business_profile"][key] = value or None
    if p.get("business_profile"):
        previous["business_profile"] = before["business_profile"]
    if previous and obj["id"] != PLATFORM_ACCOUNT_ID:
        ctx.emit("account.updated", obj, previous, owner=obj["id"])
    ctx.store.touch()
    return obj


@route("DELETE", "/v1/accounts/{account}", "AccountDeleteParams")
def delete_account(ctx: Ctx, account: str):
    # docs.stripe.com/api/accounts/delete: test-mode accounts can be deleted
    obj = visible_account(ctx, account)
    if obj["id"] == PLATFORM_ACCOUNT_ID or ctx.owner != PLATFORM:
        raise invalid("You cannot delete your own account.")
    ctx.store.delete(account)
    return {"id": account, "object": "account", "deleted": True}


@route("GET", "/v1/accounts", "AccountListParams")
def list_accounts(ctx: Ctx):
    if ctx.owner != PLATFORM:
        return {"object": "list", "data": [], "has_more": False, "url": "/v1/accounts"}
    store = ctx.store
    return store.list_page(
        PLATFORM,
        "account",
        ctx.params,
        "/v1/accounts",
        lambda a: not store.priv(a["id"]).get("deauthorized"),
    )


@route("POST", "/v1/account_links", "AccountLinkCreateParams")
def create_account_link(ctx: Ctx):
    p = ctx.params
    account = visible_account(ctx, p["account"])
    if account["id"] == PLATFORM_ACCOUNT_ID:
        raise invalid("You cannot create an account link for your own account.", param="account")
    for name in ("refresh_url", "return_url"):
        if p.get(name) and not str(p[name]).startswith(("http://", "https://")):
            raise invalid(f"Not a valid URL: {name}", param=name, code="url_invalid")
    now = ctx.now()
    token = random_token(24)
    ctx.store.links[token] = {
        "account": account["id"],
        "refresh_url": p.get("refresh_url"),
        "return_url": p.get("return_url"),
        "type": p["type"],
        "expires_at": now + LINK_TTL,
        "used": False,
    }
    ctx.store.touch()
    return {
        "object": "account_link",
        "created": now,
        "expires_at": now + LINK_TTL,
        "url": f"{ctx.app.base_url}/connect/onboarding/{token}",
    }


# --- state changes (hosted onboarding page and /_fake controls) --------------------


def _set_verified(account: dict[str, Any], now: int) -> None:
    account["details_submitted"] = True
    account["charges_enabled"] = True
    account["payouts_enabled"] = True
    account["capabilities"] = {"card_payments": "active", "transfers": "active"}
    account["requirements"] = _requirements([], None)
    account["future_requirements"] = _requirements([], None)
    account["tos_acceptance"] = {"date": now, "ip": "127.0.0.1", "user_agent": "fakestripe"}
    bp = account["business_profile"]
    bp["mcc"] = bp["mcc"] or "5734"
    bp["url"] = bp["url"] or "https://example.com"
    account["business_type"] = account["business_type"] or "company"


def change_account(app, ident: str, change: str, **options: Any) -> dict[str, Any]:
    """Apply an onboarding/verification outcome and emit account.updated
    (docs.stripe.com/connect/handling-api-verification, /connect/webhooks)."""
    store = app.store
    with store.lock:
        account = store.objects.get(ident)
        if account is None or account["object"] != "account" or ident == PLATFORM_ACCOUNT_ID:
            raise KeyError(ident)
        before = snapshot(account)
        now = store.now()
        if change == "verify":
            _set_verified(account, now)
        elif change == "submit_pending":
            account["details_submitted"] = True
            account["charges_enabled"] = False
            account["payouts_enabled"] = False
            account["capabilities"] = {"card_payments": "pending", "transfers": "pending"}
            account["tos_acceptance"] = {"date": now, "ip": "127.0.0.1", "user_agent": "fakestripe"}
            req = _requirements([], "requirements.pending_verification")
            req["pending_verification"] = list(PENDING_FIELDS)
            account["requirements"] = req
        elif change == "require_information":
            _require(account, options.get("due", "currently_due"), options.get("fields"), now)
        elif change == "reject":
            reason = options.get("reason") or "rejected.fraud"
            account["charges_enabled"] = False
            account["payouts_enabled"] = False
            account["capabilities"] = {"card_payments": "inactive", "transfers": "inactive"}
            account["requirements"]["disabled_reason"] = reason
        else:
            raise ValueError(change)
        previous = {k: before[k] for k in account if account[k] != before.get(k)}
        store.touch()
        if previous:
            app.events.emit(ident, "account.updated", account, previous, None, None)
        return account


def _require(account: dict[str, Any], due: str, fields: Any, now: int) -> None:
    # docs.stripe.com/connect/handling-api-verification: past_due fields are also
    # currently_due; past_due disables charges and payouts.
    if due not in ("currently_due", "past_due", "eventually_due"):
        raise ValueError("due must be currently_due, past_due or eventually_due")
    fields = list(fields or ["individual.verification.document"])
    req = account["requirements"]
    for name in ("currently_due", "eventually_due", "past_due"):
        req[name] = list(req.get(name) or [])
    for f in fields:
        if f not in req["eventually_due"]:
            req["eventually_due"].append(f)
        if due in ("currently_due", "past_due") and f not in req["currently_due"]:
            req["currently_due"].append(f)
        if due == "past_due" and f not in req["past_due"]:
            req["past_due"].append(f)
    if due == "currently_due":
        req["current_deadline"] = now + 14 * 86400
    if due == "past_due":
        req["current_deadline"] = None
        req["disabled_reason"] = "requirements.past_due"
        account["charges_enabled"] = False
        account["payouts_enabled"] = False
        account["capabilities"] = {"card_payments": "inactive", "transfers": "inactive"}


def deauthorize(app, ident: str) -> None:
    """The account disconnects the platform (docs.stripe.com/connect/webhooks):
    `account.application.deauthorized` with the application as data.object; from then
    on calls with its Stripe-Account answer 403 account_invalid."""
    store = app.store
    with store.lock:
        account = store.objects.get(ident)
        if account is None or account["object"] != "account" or ident == PLATFORM_ACCOUNT_ID:
            raise KeyError(ident)
        application = store.objects[APPLICATION_ID]
        app.events.emit(ident, "account.application.deauthorized", application, None, None, None)
        store.priv(ident)["deauthorized"] = True
        store.touch()
