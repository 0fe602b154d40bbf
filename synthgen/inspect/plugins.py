"""``synthgen list``: every generator, writer and reader with its options, from their schemas."""

from __future__ import annotations

import enum
import typing
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from synthgen.config import FloatRange, IntRange, _unwrap
from synthgen.registry import GENERATORS, READERS, WRITERS, Registry


def describe_plugins() -> str:
    lines: list[str] = []
    registries = (
        ("Generators", GENERATORS),
        ("Writers", WRITERS),
        ("Readers (synthgen convert --from)", READERS),
    )
    for title, registry in registries:
        lines.append(f"{title}:")
        lines += _describe(registry)
        lines.append("")
    lines.append(
        "Options are recipe keys (readers': convert flags); see scenes/ for complete recipes."
    )
    return "\n".join(lines)


def _describe(registry: Registry) -> list[str]:
    out = []
    for name in registry.names():
        cls = registry.get(name)
        doc = (cls.__doc__ or cls.config_type.__doc__ or "").strip().splitlines()
        out.append(f"  {name}: {doc[0] if doc else ''}")
        rows = list(_fields(cls.config_type, ""))
        width = max((len(r[0]) for r in rows), default=0)
        out += [f"      {key:<{width}}  {text}" for key, text in rows]
    return out


def _fields(model: type[BaseModel], prefix: str) -> Iterator[tuple[str, str]]:
    for name, field in model.model_fields.items():
        if name == "kind":
            continue
        key = prefix + name
        tp = _unwrap(field.annotation)
        if isinstance(tp, type) and issubclass(tp, BaseModel) and tp not in (FloatRange, IntRange):
            yield from _fields(tp, key + ".")
            continue
        default = _default(field)
        if field.is_required():
            text = _type_name(tp) + " (required)"
        elif default == "None":
            text = _type_name(tp) + " (optional)"
        else:
            text = f"{_type_name(tp)} = {default}"
        if field.description:
            text += f"  {field.description}"
        yield key, text


def _default(field: Any) -> str | None:
    if field.is_required():
        return None
    if field.default is not PydanticUndefined:
        value = field.default
    elif field.default_factory is not None:
        value = field.default_factory()
    else:
        return None
    if isinstance(value, FloatRange | IntRange):
        return f"[{value.min}, {value.max}]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_plain(k)}: {_plain(v)}" for k, v in value.items()) + "}"
    return _plain(value)


def _plain(value: Any) -> str:
    return str(value.value) if isinstance(value, enum.Enum) else str(value)


def _type_name(tp: Any) -> str:
    if tp in (FloatRange, IntRange):
        return "range"
    origin = typing.get_origin(tp)
    if origin is typing.Literal:
        return "|".join(str(a) for a in typing.get_args(tp))
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return "|".join(str(m.value) for m in tp)
    if origin is dict:
        key, value = (_type_name(_unwrap(a)) for a in typing.get_args(tp))
        return f"{{{key}: {value}}}"
    if origin is not None:
        return getattr(origin, "__name__", str(origin))
    return getattr(tp, "__name__", str(tp))
