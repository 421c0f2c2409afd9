"""schemathesis against the generated OpenAPI document, in-process through the WSGI app.

Every operation the document lists is tested (a new resource joins by being in the
schema), with a fixed seed and a bounded number of examples, positive and negative, with
a key holding every scope over a portal with one object of each kind: no 5xx, every
answer fits the schema (status, content type, headers, body), nothing the schema forbids
is accepted, and a method an operation does not have is refused.
"""

from __future__ import annotations

import itertools
import zlib
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from api.v1 import openapi_document
from commerce.catalog import services as catalog
from commerce.customers import services as customers
from commerce.events import endpoints
from tests.factories import InvoiceFactory, QuoteFactory, SubscriptionFactory
from tests.payments.support import fakestripe_account, make_link, paid_payment

from .conftest import ApiClient

SEED = 17
MAX_EXAMPLES = 12

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    unsupported_method,
]

DOCUMENT = openapi_document()
schema = schemathesis.openapi.from_dict(DOCUMENT)
schema.config.seed = SEED
schema.config.generation.update(max_examples=MAX_EXAMPLES)
schema.app = get_wsgi_application()

_keys = itertools.count()

# Cases are partly made at collection, before any key exists: they carry this stand-in,
# which the test swaps for its own key's secret.
PLACEHOLDER = "chk_live_placeholder"


@schema.auth(refresh_interval=None)
class BearerKey:
    """Through schemathesis's auth, so its negative cases without the header stay so."""

    def get(self, case: Any, ctx: Any) -> str:
        return PLACEHOLDER

    def set(self, case: Any, data: str, ctx: Any) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


def _item_paths() -> dict[str, str]:
    """Each list's path and the path parameter of its items:
    /api/v1/products -> product_id (from /api/v1/products/{product_id})."""
    found = {}
    for path in DOCUMENT["paths"]:
        head, _, last = path.rpartition("/")
        if last.startswith("{") and last.endswith("}") and head in DOCUMENT["paths"]:
            found[head] = last[1:-1]
    return found


@pytest.fixture
def seeded(stripe_hub, portal, super_admin, make_key, client, settings):
    """One object of each kind in the portal, and each path parameter's real id (read
    back through the lists, so a resource added later is covered when it is seeded)."""
    # The fuzzer's burst is not what the rate limit is about (test_concurrency.py is).
    settings.API_RATE_LIMIT_PER_SECOND = 0
    catalog.product_create(portal=portal, name="Seeded product", unit_price=1_000)
    customers.contact_create(portal=portal, email="seeded@example.org")
    make_link(portal, super_admin)
    paid_payment(stripe_hub, fakestripe_account(stripe_hub, portal), amount=5_000)
    endpoints.endpoint_create(portal=portal, url="https://93.184.216.34/hooks")
    QuoteFactory(portal=portal)
    InvoiceFactory(portal=portal)
    SubscriptionFactory(portal=portal)
    secret = make_key().secret
    api = ApiClient(client, secret)
    ids = {}
    for path, param in _item_paths().items():
        listed = api.get(path.removeprefix("/api/v1")).json().get("data") or []
        assert listed, f"seed an object for {path} above, so its operations meet a real one"
        ids[param] = listed[0]["id"]
    # The WSGI app closes the database connection after each request, as in production;
    # within the test's transaction it must stay open (as Django's test client arranges).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield secret, ids
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _with_key(case: Any, secret: str) -> None:
    if (case.headers or {}).get("Authorization") == f"Bearer {PLACEHOLDER}":
        case.headers["Authorization"] = f"Bearer {secret}"
    # Generated Idempotency-Keys repeat across cases with other bodies, which is a 409
    # every time (tests/api/test_lists_and_idempotency.py tests that): a valid case gets
    # a key of its own, so it reaches the operation.
    mode = case.meta.generation.mode if case.meta else None
    if "Idempotency-Key" in (case.headers or {}) and mode is not None and mode.is_positive:
        case.headers["Idempotency-Key"] = f"fuzz-{next(_keys)}"


def _on_seeded_objects(case: Any, ids: dict[str, str]) -> None:
    """Half of the valid cases (chosen from the case itself, so a seed replays them) are
    sent to real objects: a random id only ever reaches the 404 path."""
    mode = case.meta.generation.mode if case.meta else None
    if not case.path_parameters or mode is None or not mode.is_positive:
        return
    if zlib.crc32(repr((case.path_parameters, case.body, case.query)).encode()) % 2:
        return
    case.path_parameters = {
        name: ids.get(name, value) for name, value in case.path_parameters.items()
    }


@pytest.mark.django_db
@schema.parametrize()
@hypothesis_settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_api_keeps_its_schema(case, seeded):
    secret, ids = seeded
    _with_key(case, secret)
    _on_seeded_objects(case, ids)
    case.call_and_validate(checks=CHECKS)
