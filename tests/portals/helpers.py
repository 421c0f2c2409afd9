"""Small builders shared by the portals tests."""

from __future__ import annotations

import io
import re

from django.core import mail
from PIL import Image


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (64, 64)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (79, 70, 229)).save(buffer, format=fmt)
    return buffer.getvalue()


def link_in(message: mail.EmailMessage, path_fragment: str) -> str:
    """The first absolute link in the e-mail's text body that contains `path_fragment`,
    as a path (the test client does not want the scheme and host)."""
    for url in re.findall(r"https?://\S+", message.body):
        if path_fragment in url:
            return re.sub(r"^https?://[^/]+", "", url)
    raise AssertionError(f"no link with {path_fragment!r} in:\n{message.body}")


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []
