"""Customers (docs.stripe.com/api/customers)."""

from __future__ import annotations

from typing import Any

from ..app import Ctx, route
from ..store import random_token
from .common import address, new_metadata, set_fields, update_metadata


def _shipping(value: Any) -> dict[str, Any] | None:
    if not value:
        return None
    return {
        "address": address(value.get("address")),
        "name": value.get("name"),
        "phone": value.get("phone"),
    }


@route("POST", "/v1/customers", "CustomerCreateParams")
def create_customer(ctx: Ctx):
    p = ctx.params
    store = ctx.store
    ident = store.new_id("cus", 14)
    settings = p.get("invoice_settings") or {}
    customer = {
        "id": ident,
        "object": "customer",
        "address": address(p["address"]) if p.get("address") else None,
        "balance": p.get("balance", 0),
        "created": ctx.now(),
        "currency": None,
        "default_source": None,
        "delinquent": False,
        "description": p.get("description"),
        "discount": None,
        "email": p.get("email"),
        "invoice_prefix": p.get("invoice_prefix") or random_token(8).upper(),
        "invoice_settings": {
            "custom_fields": None,
            "default_payment_method": None,
            "footer": settings.get("footer"),
            "rendering_options": None,
        },
        "livemode": False,
        "metadata": new_metadata(p.get("metadata")),
        "name": p.get("name"),
        "next_invoice_sequence": p.get("next_invoice_sequence", 1),
        "phone": p.get("phone"),
        "preferred_locales": list(p.get("preferred_locales") or []),
        "shipping": _shipping(p.get("shipping")),
        "tax_exempt": p.get("tax_exempt") or "none",
        "test_clock": None,
    }
    store.insert(ctx.owner, customer)
    if p.get("payment_method"):
        # docs.stripe.com/api/customers/create#payment_method: attached on creation
        from .payment_methods import attach, resolve_payment_method

        pm = resolve_payment_method(ctx, p["payment_method"], "payment_method")
        attach(ctx, pm, customer)
    if settings.get("default_payment_method"):
        _set_default_pm(ctx, customer, settings["default_payment_method"], {})
    ctx.emit("customer.created", customer)
    return customer


def _set_default_pm(ctx: Ctx, customer: dict[str, Any], ident: Any, previous: dict[str, Any]):
    settings = customer["invoice_settings"]
    if ident == "":
        new = None
    else:
        pm = ctx.store.get(
            ctx.owner, "payment_method", ident, "invoice_settings[default_payment_method]"
        )
        if pm.get("customer") != customer["id"]:
            from ..errors import invalid

            raise invalid(
                f"No such PaymentMethod: '{ident}'; It's possible this PaymentMethod exists on "
                "one of your connected accounts, or it is not attached to this customer.",
                param="invoice_settings[default_payment_method]",
                code="resource_missing",
            )
        new = ident
    if settings["default_payment_method"] != new:
        previous["invoice_settings"] = dict(settings)
        settings["default_payment_method"] = new


@route("GET", "/v1/customers/{customer}", "CustomerRetrieveParams")
def retrieve_customer(ctx: Ctx, customer: str):
    obj = ctx.store.objects.get(customer)
    if obj is not None and obj.get("deleted") and ctx.store.owner.get(customer) == ctx.owner:
        return obj
    return ctx.store.get(ctx.owner, "customer", customer)


@route("POST", "/v1/customers/{customer}", "CustomerUpdateParams")
def update_customer(ctx: Ctx, customer: str):
    obj = ctx.store.get(ctx.owner, "customer", customer)
    p = ctx.params
    previous: dict[str, Any] = {}
    set_fields(obj, p, ("email", "name", "description", "phone", "balance", "tax_exempt"), previous)
    if "preferred_locales" in p:
        previous["preferred_locales"] = obj["preferred_locales"]
        obj["preferred_locales"] = list(p["preferred_locales"] or [])
    if "address" in p:
        previous["address"] = obj["address"]
        obj["address"] = address(p["address"]) if p["address"] else None
    if "shipping" in p:
        previous["shipping"] = obj["shipping"]
        obj["shipping"] = _shipping(p["shipping"])
    update_metadata(obj, p.get("metadata"), previous)
    settings = p.get("invoice_settings") or {}
    if "default_payment_method" in settings:
        _set_default_pm(ctx, obj, settings["default_payment_method"], previous)
    if previous:
        ctx.store.touch()
        ctx.emit("customer.updated", obj, previous)
    return obj


@route("DELETE", "/v1/customers/{customer}", "CustomerDeleteParams")
def delete_customer(ctx: Ctx, customer: str):
    obj = ctx.store.get(ctx.owner, "customer", customer)
    ctx.emit("customer.deleted", obj)
    ctx.store.delete(customer)
    # docs.stripe.com/api/customers/delete: a deleted customer can still be retrieved
    tomb = {"id": customer, "object": "customer", "deleted": True}
    ctx.store.insert_unlisted(ctx.owner, tomb)
    return tomb


@route("GET", "/v1/customers", "CustomerListParams")
def list_customers(ctx: Ctx):
    email = ctx.params.get("email")
    predicate = (lambda c: c.get("email") == email) if email else None
    return ctx.store.list_page(ctx.owner, "customer", ctx.params, "/v1/customers", predicate)


__all__ = ["set_fields"]
