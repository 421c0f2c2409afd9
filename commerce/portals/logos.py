"""Checks an uploaded logo with Pillow before it is stored.

The logo is served publicly (buyer pages, e-mails), so only raster formats that
browsers render without scripting are accepted. SVG can carry script and is refused.
The content type is taken from what Pillow finds in the bytes, never from the upload.
"""

from __future__ import annotations

import io
import warnings

from django.core.exceptions import ValidationError
from PIL import Image, UnidentifiedImageError

MAX_LOGO_BYTES = 512 * 1024
MAX_LOGO_SIDE = 4096
CONTENT_TYPES = {
    "PNG": "image/png",
    "JPEG": "image/jpeg",
    "WEBP": "image/webp",
    "GIF": "image/gif",
}
ACCEPT = ",".join(CONTENT_TYPES.values())
NOT_AN_IMAGE = "Upload a PNG, JPEG, WebP or GIF image. SVG and other files aren't accepted."


def logo_content_type(data: bytes) -> str:
    """Returns the content type of a valid logo, or raises ValidationError with a
    message that can be shown to the user as is."""
    if not data:
        raise ValidationError("The file is empty.", code="empty")
    if len(data) > MAX_LOGO_BYTES:
        raise ValidationError(
            f"The logo is {len(data) // 1024} KB; the limit is {MAX_LOGO_BYTES // 1024} KB.",
            code="too_large",
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                image_format = image.format or ""
                width, height = image.size
                image.verify()
    except (UnidentifiedImageError, Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise ValidationError(NOT_AN_IMAGE, code="invalid_image") from None
    except Exception:  # Pillow raises many types for truncated or corrupt files
        raise ValidationError(
            "That image is damaged or incomplete. Export it again and retry.", code="corrupt"
        ) from None
    if image_format not in CONTENT_TYPES:
        raise ValidationError(NOT_AN_IMAGE, code="invalid_format")
    if width > MAX_LOGO_SIDE or height > MAX_LOGO_SIDE:
        raise ValidationError(
            f"The logo is {width} by {height} pixels; use at most {MAX_LOGO_SIDE} on each side.",
            code="too_big",
        )
    return CONTENT_TYPES[image_format]
