"""Request-parameter validation driven by the `*Params` TypedDicts shipped in the SDK.

The SDK generates one TypedDict per endpoint from Stripe's OpenAPI spec (e.g.
`stripe.params.PaymentIntentCreateParams`). Compiling them gives exactly the parameters
Stripe accepts for the pinned version: anything else is `parameter_unknown`, a missing
required key is `parameter_missing`, a bad integer `parameter_invalid_integer`
(docs.stripe.com/error-codes). Values are converted from form strings to ints/bools.
"""

from __future__ import annotations

import importlib
import re
import sys
import types
import typing
from functools import cache
from typing import Any, Literal, Union

from .errors import StripeError, invalid, missing, unknown

# Keys of stripe's RequestOptions: client-side options, never sent as parameters.
_REQUEST_OPTIONS = {
    "api_key",
    "stripe_version",
    "stripe_account",
    "stripe_context",
    "max_network_retries",
    "idempotency_key",
    "content_type",
    "headers",
}
_INT = re.compile(r"-?\d+\Z")


class Node:
    def clean(self, value: Any, path: str) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError


class AnyNode(Node):
    def clean(self, value: Any, path: str) -> Any:
        return value


class Str(Node):
    def clean(self, value: Any, path: str) -> Any:
        if not isinstance(value, str):
            raise invalid(f"Invalid string: {_show(value)}", param=path)
        return value


class Int(Node):
    def clean(self, value: Any, path: str) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and _INT.match(value):
            return int(value)
        raise invalid(
            f"Invalid integer: {_show(value)}", param=path, code="parameter_invalid_integer"
        )


class Float(Node):
    def clean(self, value: Any, path: str) -> Any:
        try:
            return float(value)
        except (TypeError, ValueError):
            raise invalid(f"Invalid decimal: {_show(value)}", param=path) from None


class Bool(Node):
    def clean(self, value: Any, path: str) -> Any:
        if isinstance(value, bool):
            return value
        if value in ("true", "false"):
            return value == "true"
        raise invalid(f"Invalid boolean: {_show(value)}", param=path)


class Enum(Node):
    def __init__(self, values: tuple[str, ...], open_: bool) -> None:
        self.values = values
        self.open = open_

    def clean(self, value: Any, path: str) -> Any:
        if not isinstance(value, str):
            raise invalid(f"Invalid string: {_show(value)}", param=path)
        if self.open or value in self.values:
            return value
        choices = ", ".join(v for v in self.values if v)
        raise invalid(f"Invalid {path}: must be one of {choices}", param=path)


class ListOf(Node):
    def __init__(self, item: Node) -> None:
        self.item = item

    def clean(self, value: Any, path: str) -> Any:
        if isinstance(value, dict) and all(_INT.match(k) for k in value):
            value = [value[k] for k in sorted(value, key=int)]
        if not isinstance(value, list):
            raise invalid(f"Invalid array: {path}", param=path)
        return [self.item.clean(v, f"{path}[{i}]") for i, v in enumerate(value)]


class MapOf(Node):
    def __init__(self, item: Node) -> None:
        self.item = item

    def clean(self, value: Any, path: str) -> Any:
        if not isinstance(value, dict):
            raise invalid(f"Invalid object: {path}", param=path)
        return {k: self.item.clean(v, f"{path}[{k}]") for k, v in value.items()}


class Obj(Node):
    """A TypedDict; its fields are compiled on first use (the SDK's schemas are large)."""

    def __init__(self) -> None:
        self.fields: dict[str, Node] = {}
        self.raw: dict[str, Any] = {}
        self.namespace: dict[str, Any] = {}
        self.seen: dict[type, Obj] = {}
        self.required: frozenset[str] = frozenset()

    def field(self, key: str) -> Node | None:
        node = self.fields.get(key)
        if node is None and key in self.raw:
            node = self.fields[key] = _compile(self.raw[key], self.namespace, self.seen)
        return node

    def names(self) -> set[str]:
        return set(self.raw)

    def clean(self, value: Any, path: str) -> Any:
        if not isinstance(value, dict):
            raise invalid(f"Invalid object: {path}", param=path)
        out = {}
        for key, item in value.items():
            where = f"{path}[{key}]" if path else key
            node = self.field(key)
            if node is None:
                raise unknown(where)
            out[key] = node.clean(item, where)
        for key in self.required:
            if key not in value:
                raise missing(f"{path}[{key}]" if path else key)
        return out


class OneOf(Node):
    """`Literal[''] | X` (emptyable: '' unsets) or another union."""

    def __init__(self, options: list[Node], empty_ok: bool) -> None:
        self.options = options
        self.empty_ok = empty_ok

    def clean(self, value: Any, path: str) -> Any:
        if value == "" and self.empty_ok:
            return ""
        first: StripeError | None = None
        for option in self.options:
            try:
                return option.clean(value, path)
            except StripeError as exc:
                first = first or exc
        assert first is not None
        raise first


def _show(value: Any) -> str:
    return value if isinstance(value, str) else type(value).__name__


@cache
def schema(name: str) -> Obj:
    """The compiled schema of `stripe.params.<name>` (e.g. "CustomerCreateParams")."""
    params = importlib.import_module("stripe.params")
    cls = getattr(params, name)
    return _compile_typed_dict(cls, {})


def _compile_typed_dict(cls: type, seen: dict[type, Obj]) -> Obj:
    if cls in seen:
        return seen[cls]
    node = Obj()
    seen[cls] = node
    node.namespace = vars(sys.modules[cls.__module__])
    node.seen = seen
    node.raw = {k: a for k, a in cls.__annotations__.items() if k not in _REQUEST_OPTIONS}
    node.required = frozenset(set(getattr(cls, "__required_keys__", ())) & set(node.raw))
    return node


def _resolve(annotation: Any, namespace: dict[str, Any]) -> Any:
    if isinstance(annotation, typing.ForwardRef):
        annotation = annotation.__forward_arg__
    if isinstance(annotation, str):
        annotation = eval(annotation, dict(namespace))  # SDK source text, not input
    origin = typing.get_origin(annotation)
    if origin is not None and getattr(origin, "_name", None) in ("NotRequired", "Required"):
        return _resolve(typing.get_args(annotation)[0], namespace)
    if repr(origin).endswith(("NotRequired", "Required")):
        return _resolve(typing.get_args(annotation)[0], namespace)
    return annotation


def _compile(annotation: Any, namespace: dict[str, Any], seen: dict[type, Obj]) -> Node:
    annotation = _resolve(annotation, namespace)
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if annotation is Any:
        return AnyNode()
    if annotation is str:
        return Str()
    if annotation is int:
        return Int()
    if annotation is bool:
        return Bool()
    if annotation is float:
        return Float()
    if origin is Literal:
        return Enum(tuple(args), open_=False)
    if origin is Union or origin is types.UnionType:
        return _compile_union(args, namespace, seen)
    if origin in (list, typing.List):  # noqa: UP006
        return ListOf(_compile(args[0], namespace, seen))
    if origin in (dict, typing.Dict):  # noqa: UP006
        return MapOf(_compile(args[1], namespace, seen) if len(args) > 1 else AnyNode())
    if isinstance(annotation, type) and hasattr(annotation, "__required_keys__"):
        return _compile_typed_dict(annotation, seen)
    if getattr(origin, "__name__", "") == "UntypedStripeObject":
        return MapOf(_compile(args[0], namespace, seen) if args else AnyNode())
    return AnyNode()


def _compile_union(args: tuple[Any, ...], namespace: dict[str, Any], seen: dict[type, Obj]) -> Node:
    literals: list[str] = []
    others: list[Any] = []
    for arg in args:
        if typing.get_origin(arg) is Literal:
            literals.extend(typing.get_args(arg))
        elif arg is not type(None):
            others.append(arg)
    empty_ok = "" in literals
    literals = [v for v in literals if v != ""]
    if literals:
        # The SDK widens enums with `| str` for forward compatibility; the API itself
        # rejects values outside the enum of the pinned version.
        others = [o for o in others if o is not str]
        enum = Enum(tuple(literals), open_=False)
        if not others:
            return OneOf([enum], empty_ok) if empty_ok else enum
        return OneOf([enum, *(_compile(o, namespace, seen) for o in others)], empty_ok)
    nodes = [_compile(o, namespace, seen) for o in others]
    typed = [n for n in nodes if not isinstance(n, AnyNode)]
    nodes = typed or nodes
    if len(nodes) == 1 and not empty_ok:
        return nodes[0]
    return OneOf(nodes, empty_ok)


def clean(name: str | None, raw: dict[str, Any]) -> dict[str, Any]:
    """Validate and convert raw form parameters against `stripe.params.<name>`."""
    if name is None:
        if raw:
            raise unknown(next(iter(raw)))
        return raw
    return schema(name).clean(raw, "")
