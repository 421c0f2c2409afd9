"""Check JSON objects against the type definitions shipped in the `stripe` SDK.

Every resource class in the SDK (e.g. `stripe.PaymentIntent` and its nested classes)
carries annotations generated from Stripe's OpenAPI spec. This module resolves them and
validates a decoded JSON object:

- unknown keys fail;
- a field annotated without `Optional` must be present and non-null;
- `Literal[...]` values are enforced, also when the SDK widens an enum with `| str`
  for forward compatibility (a value outside the documented enum is "impossible");
- `ExpandableField[X]` accepts an id string or an object of type X;
- `ListObject[X]` and the event's untyped `data.object` are checked recursively,
  the latter through the SDK's own `OBJECT_CLASSES` mapping.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import sys
import types
import typing
from functools import cache
from typing import Any, ForwardRef, Literal, Union

import stripe
from stripe._list_object import ListObject
from stripe._object_classes import OBJECT_CLASSES
from stripe._stripe_object import StripeObject, UntypedStripeObject

NoneType = type(None)


class ShapeError(AssertionError):
    pass


def _type_checking_namespace(module: types.ModuleType) -> dict[str, Any]:
    """Names the module imports under `if TYPE_CHECKING:` (used by its string annotations)."""
    namespace: dict[str, Any] = {}
    try:
        tree = ast.parse(inspect.getsource(module))
    except (OSError, TypeError):
        return namespace
    for node in tree.body:
        if not (isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING"):
            continue
        for stmt in node.body:
            if isinstance(stmt, ast.ImportFrom) and stmt.module:
                try:
                    target = importlib.import_module(stmt.module)
                except ImportError:
                    continue
                for alias in stmt.names:
                    if hasattr(target, alias.name):
                        namespace[alias.asname or alias.name] = getattr(target, alias.name)
    return namespace


@cache
def _namespace(module_name: str) -> dict[str, Any]:
    module = sys.modules[module_name]
    namespace = dict(vars(module))
    namespace.update(_type_checking_namespace(module))
    namespace.setdefault("stripe", stripe)
    return namespace


@cache
def fields_of(cls: type) -> dict[str, Any]:
    """The resolved annotations of an SDK class (without ClassVars)."""
    namespace = dict(_namespace(cls.__module__))
    # Nested classes refer to their siblings and to the outer class by bare name.
    outer_name = cls.__qualname__.split(".")[0]
    outer = getattr(sys.modules[cls.__module__], outer_name)
    namespace[outer_name] = outer
    for scope in _enclosing(cls):
        namespace.update({k: v for k, v in vars(scope).items() if isinstance(v, type)})
    hints: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        if klass in (object, StripeObject, dict) or not klass.__module__.startswith("stripe"):
            continue
        for name, annotation in vars(klass).get("__annotations__", {}).items():
            if name.startswith("_"):
                continue
            resolved = _resolve(annotation, namespace)
            if typing.get_origin(resolved) is typing.ClassVar:
                continue
            hints[name] = resolved
    return hints


def _enclosing(cls: type) -> list[type]:
    parts = cls.__qualname__.split(".")
    scopes: list[type] = []
    current: Any = sys.modules[cls.__module__]
    for part in parts:
        current = getattr(current, part)
        scopes.append(current)
    return scopes


def _resolve(annotation: Any, namespace: dict[str, Any]) -> Any:
    if isinstance(annotation, str):
        annotation = ForwardRef(annotation)
    if isinstance(annotation, ForwardRef):
        return eval(annotation.__forward_arg__, namespace)
    origin = typing.get_origin(annotation)
    if origin is None or origin is Literal:
        return annotation
    args = tuple(_resolve(a, namespace) for a in typing.get_args(annotation))
    if origin is Union or origin is types.UnionType:
        return Union[args]  # noqa: UP007
    try:
        return origin[args] if len(args) != 1 else origin[args[0]]
    except TypeError:
        return annotation[args] if hasattr(annotation, "__getitem__") else annotation


def class_for_object(name: str) -> type | None:
    entry = OBJECT_CLASSES.get(name)
    if entry is None:
        return None
    module_name, class_name = entry
    return getattr(importlib.import_module(module_name), class_name)


def check_object(value: Any, cls: type | None = None, path: str = "") -> None:
    """Validate one decoded JSON object (its `object` names the class if not given)."""
    if not isinstance(value, dict):
        raise ShapeError(f"{path or '<root>'}: expected an object, got {type(value).__name__}")
    if cls is None:
        cls = class_for_object(value.get("object", ""))
        if cls is None:
            raise ShapeError(f"{path or '<root>'}: unknown object type {value.get('object')!r}")
    if cls is ListObject or (isinstance(cls, type) and issubclass(cls, ListObject)):
        _check_list(value, Any, path)
        return
    hints = fields_of(cls)
    if value.get("deleted") is True and "deleted" in hints:
        # A deleted object is a stub {id, object, deleted} (docs.stripe.com/api/customers/delete)
        unknown = set(value) - {"id", "object", "deleted"}
        if unknown:
            raise ShapeError(
                f"{path or '<root>'}: unexpected keys on a deleted object: {sorted(unknown)}"
            )
        return
    for key in value:
        if key not in hints:
            raise ShapeError(f"{path}.{key}: unknown key for {cls.__qualname__}".lstrip("."))
    for key, annotation in hints.items():
        where = f"{path}.{key}".lstrip(".")
        if key not in value:
            if not _nullable(annotation):
                raise ShapeError(f"{where}: required by {cls.__qualname__} but missing")
            continue
        _check(value[key], annotation, where)


def _nullable(annotation: Any) -> bool:
    return typing.get_origin(annotation) is Union and NoneType in typing.get_args(annotation)


def _check(value: Any, annotation: Any, path: str) -> None:
    if annotation is Any:
        if (
            isinstance(value, dict)
            and isinstance(value.get("object"), str)
            and class_for_object(value["object"]) is not None
        ):
            check_object(value, None, path)
        return
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is Union:
        _check_union(value, args, path)
        return
    if origin is Literal:
        if not any(type(v) is type(value) and v == value for v in args):
            raise ShapeError(f"{path}: {value!r} is not one of {list(args)}")
        return
    if origin in (list, typing.List):  # noqa: UP006
        if not isinstance(value, list):
            raise ShapeError(f"{path}: expected a list, got {value!r}")
        for i, item in enumerate(value):
            _check(item, args[0] if args else Any, f"{path}[{i}]")
        return
    if origin in (dict, typing.Dict):  # noqa: UP006
        if not isinstance(value, dict):
            raise ShapeError(f"{path}: expected a dict, got {value!r}")
        for k, v in value.items():
            _check(v, args[1] if len(args) > 1 else Any, f"{path}[{k}]")
        return
    base = origin or annotation
    if base is UntypedStripeObject:
        if not isinstance(value, dict):
            raise ShapeError(f"{path}: expected an object, got {value!r}")
        for k, v in value.items():
            _check(v, args[0] if args else Any, f"{path}.{k}")
        return
    if isinstance(base, type) and issubclass(base, ListObject):
        _check_list(value, args[0] if args else Any, path)
        return
    if isinstance(base, type) and issubclass(base, StripeObject):
        check_object(value, base, path)
        return
    if annotation is NoneType:
        if value is not None:
            raise ShapeError(f"{path}: expected null")
        return
    if annotation is bool:
        if not isinstance(value, bool):
            raise ShapeError(f"{path}: expected a boolean, got {value!r}")
        return
    if annotation is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ShapeError(f"{path}: expected an integer, got {value!r}")
        return
    if annotation is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ShapeError(f"{path}: expected a number, got {value!r}")
        return
    if annotation is str:
        if not isinstance(value, str):
            raise ShapeError(f"{path}: expected a string, got {value!r}")
        return
    if isinstance(annotation, type) and not isinstance(value, annotation):
        raise ShapeError(f"{path}: expected {annotation.__name__}, got {value!r}")


def _check_union(value: Any, args: tuple[Any, ...], path: str) -> None:
    if value is None:
        if NoneType in args:
            return
        raise ShapeError(f"{path}: null is not allowed here")
    options = [a for a in args if a is not NoneType]
    literals = [a for a in options if typing.get_origin(a) is Literal]
    allowed_any = [v for lit in literals for v in typing.get_args(lit)]
    if any(type(v) is type(value) and v == value for v in allowed_any):
        return
    if literals and isinstance(value, str):
        # `Literal[...] | str` is the SDK's forward-compatible enum: the value must still
        # be one the API documents for this version.
        allowed = [v for lit in literals for v in typing.get_args(lit)]
        if value in allowed:
            return
        if not any(o is not str and typing.get_origin(o) is not Literal for o in options):
            raise ShapeError(f"{path}: {value!r} is not one of {allowed}")
    errors = []
    for option in options:
        if typing.get_origin(option) is Literal:
            continue
        try:
            _check(value, option, path)
            return
        except ShapeError as exc:
            errors.append(str(exc))
    if isinstance(value, dict) and len(errors) > 1:
        # An expandable object: report the object's own problem, not "expected a string".
        raise ShapeError(errors[-1])
    raise ShapeError(errors[-1] if errors else f"{path}: {value!r} does not match {args}")


def _check_list(value: Any, item: Any, path: str) -> None:
    if not isinstance(value, dict) or value.get("object") != "list":
        raise ShapeError(f"{path}: expected a list object, got {value!r}")
    allowed = {"object", "data", "has_more", "url"}
    for key in value:
        if key not in allowed:
            raise ShapeError(f"{path}.{key}: unknown key for a list")
    if not isinstance(value.get("has_more"), bool) or not isinstance(value.get("url"), str):
        raise ShapeError(f"{path}: list needs has_more and url")
    for i, entry in enumerate(value.get("data", [])):
        _check(entry, item, f"{path}.data[{i}]")


def check_response(body: Any) -> None:
    """Check any JSON document the server returned (object, list or error)."""
    if isinstance(body, dict) and "error" in body and "object" not in body:
        check_error(body["error"])
        return
    check_object(body)


ERROR_KEYS = {
    "type",
    "code",
    "decline_code",
    "message",
    "param",
    "doc_url",
    "payment_intent",
    "setup_intent",
    "payment_method",
    "charge",
    "request_log_url",
    "advice_code",
    "network_decline_code",
    "network_advice_code",
    "payment_method_type",
    "source",
}
ERROR_TYPES = {
    "api_error",
    "card_error",
    "idempotency_error",
    "invalid_request_error",
    "rate_limit_error",
    "authentication_error",
    "permission_error",
}


def check_error(error: Any) -> None:
    """Stripe's error object (docs.stripe.com/api/errors)."""
    if not isinstance(error, dict):
        raise ShapeError(f"error: expected an object, got {error!r}")
    unknown = set(error) - ERROR_KEYS
    if unknown:
        raise ShapeError(f"error: unknown keys {sorted(unknown)}")
    if error.get("type") not in ERROR_TYPES:
        raise ShapeError(f"error.type: {error.get('type')!r}")
    if not isinstance(error.get("message"), str):
        raise ShapeError("error.message: required string")
    if "payment_intent" in error:
        check_object(error["payment_intent"], None, "error.payment_intent")
    if "setup_intent" in error:
        check_object(error["setup_intent"], None, "error.setup_intent")
