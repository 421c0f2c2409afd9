"""Writes the API's OpenAPI document to docs/openapi.json (`make openapi`); with --check,
fails when the file differs from what the code generates."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from api.v1 import openapi_document

DEFAULT_PATH = Path(settings.BASE_DIR) / "docs" / "openapi.json"


def rendered() -> str:
    return json.dumps(openapi_document(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


class Command(BaseCommand):
    help = "Writes docs/openapi.json from the API's code."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--check", action="store_true", help="Only compare, write nothing.")

    def handle(self, *args: Any, check: bool = False, **options: Any) -> None:
        text = rendered()
        if check:
            if not DEFAULT_PATH.exists() or DEFAULT_PATH.read_text() != text:
                raise CommandError("docs/openapi.json is out of date: run `make openapi`.")
            self.stdout.write("docs/openapi.json is up to date.")
            return
        DEFAULT_PATH.write_text(text)
        self.stdout.write(f"Wrote {DEFAULT_PATH}.")
