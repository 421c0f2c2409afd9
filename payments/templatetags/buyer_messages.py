"""`{% buyer_messages_json %}`: the buyer's error sentences (payments/stripe/buyer_messages.py)
as a JSON data block (`<script id="buyer-messages" type="application/json">`) for the
hosted pages' scripts, which map Stripe.js's errors with it."""

from __future__ import annotations

from django import template
from django.utils.html import json_script
from django.utils.safestring import SafeString

from payments.stripe.buyer_messages import browser_table

register = template.Library()


@register.simple_tag
def buyer_messages_json() -> SafeString:
    return json_script(browser_table(), "buyer-messages")
