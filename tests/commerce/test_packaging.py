"""pyproject.toml states its license the way setuptools expects it now: an SPDX string
(PEP 639), not the deprecated `{ text = … }` table that made every `make dev` install
print three warnings, with a build backend that reads it."""

import tomllib
from pathlib import Path

from django.conf import settings


def test_the_license_is_an_spdx_string_read_by_the_build_backend():
    pyproject = tomllib.loads((Path(settings.BASE_DIR) / "pyproject.toml").read_text())

    assert pyproject["project"]["license"] == "AGPL-3.0-or-later"
    assert "setuptools>=77" in pyproject["build-system"]["requires"]
    classifiers = pyproject["project"].get("classifiers", [])
    assert not [c for c in classifiers if c.startswith("License ::")]  # refused beside SPDX
