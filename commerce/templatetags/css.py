"""`css_string`: text put inside a quoted CSS string (PDF page footers), escaped the
CSS way (`\\22 `), not the JavaScript way (`\\u0022`, which CSS prints literally)."""

from django import template
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

_SAFE = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,-_'&()")


@register.filter(name="css_string")
def css_string(value: object) -> SafeString:
    out = []
    for ch in str(value):
        if ch in _SAFE or (ord(ch) > 127 and ch.isprintable()):
            out.append(ch)
        else:
            # A hex escape ends at the space after it (CSS Syntax 3, "escape").
            out.append(f"\\{ord(ch):X} ")
    return mark_safe("".join(out))  # noqa: S308 (every unsafe character is escaped)
