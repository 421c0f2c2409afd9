"""The OpenAPI document and the interactive docs."""

import json
from pathlib import Path

import pytest
from openapi_spec_validator import OpenAPIV31SpecValidator

from api.management.commands.api_openapi import rendered
from api.v1 import openapi_document

pytestmark = pytest.mark.django_db

DOCS = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


def test_docs_openapi_json_matches_the_code():
    assert DOCS.read_text() == rendered(), "run `make openapi` and commit docs/openapi.json"


def test_the_document_is_openapi_3_1_served_without_a_key(client):
    document = client.get("/api/v1/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    assert "/api/v1/products" in document["paths"]
    assert "/api/v1/contacts/{contact_id}" in document["paths"]
    assert json.loads(DOCS.read_text())["paths"].keys() == document["paths"].keys()


def test_the_docs_page_loads_only_local_files(client):
    page = client.get("/api/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower() and "https://" not in page


def test_the_document_is_a_valid_openapi_3_1_document(client):
    document = client.get("/api/v1/openapi.json").json()
    assert document == json.loads(json.dumps(openapi_document()))
    assert document["openapi"].startswith("3.1.")
    # Raises with the first violation, checked against the 3.1 specification's schema.
    OpenAPIV31SpecValidator(document).validate()
