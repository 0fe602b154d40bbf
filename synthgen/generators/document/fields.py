"""Field values of a page: Faker and numeric sources, derived fields, locale formats.

Derived fields (``quantity * unit_price``, ``sum(items.amount)``, ``subtotal + tax``) are
parsed with :mod:`ast` and evaluated by a whitelist in :class:`~decimal.Decimal`, money
rounded half-up to cents at every field, so a printed invoice adds up to the cent the way
an accountant checks it. Nothing from a template is executed.
"""

from __future__ import annotations

import ast
import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from typing import Any

import numpy as np

from synthgen.generators.document.config import FieldSpec, RowsSpec

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_FUNCTIONS = {"sum", "min", "max", "round", "abs", "count"}
CENT = Decimal("0.01")


@dataclass(frozen=True)
class LocaleFormat:
    decimal: str
    group: str
    currency: str  # "{}" is the amount
    date: str
    percent: str = "{} %"


LOCALE_FORMATS = {
    "en_US": LocaleFormat(".", ",", "${}", "%m/%d/%Y", "{}%"),
    "en_GB": LocaleFormat(".", ",", "£{}", "%d/%m/%Y", "{}%"),
    "de_DE": LocaleFormat(",", ".", "{} €", "%d.%m.%Y"),
    "de_AT": LocaleFormat(",", ".", "€ {}", "%d.%m.%Y"),
    "fr_FR": LocaleFormat(",", " ", "{} €", "%d/%m/%Y"),
    "es_ES": LocaleFormat(",", ".", "{} €", "%d/%m/%Y"),
    "it_IT": LocaleFormat(",", ".", "{} €", "%d/%m/%Y"),
    "nl_NL": LocaleFormat(",", ".", "€ {}", "%d-%m-%Y"),
    "pt_BR": LocaleFormat(",", ".", "R$ {}", "%d/%m/%Y"),
    "pl_PL": LocaleFormat(",", " ", "{} zł", "%d.%m.%Y"),
}


class FieldError(ValueError):
    """A template's fields do not fit together (unknown reference, cycle, bad expression)."""


def placeholders(texts: list[str]) -> list[str]:
    """Field names used as {name} in texts."""
    return [m.group(1) for text in texts for m in _PLACEHOLDER.finditer(text)]


def fill_placeholders(text: str, printed: dict[str, str]) -> str:
    """``text`` with each {field} replaced by its printed value on one line."""
    return "".join(
        " ".join(printed[part].split()) if is_field else part
        for part, is_field in split_placeholders(text)
    )


def split_placeholders(text: str) -> list[tuple[str, bool]]:
    """``"Dear {name},"`` -> [("Dear ", False), ("name", True), (",", False)]."""
    parts, end = [], 0
    for m in _PLACEHOLDER.finditer(text):
        if m.start() > end:
            parts.append((text[end : m.start()], False))
        parts.append((m.group(1), True))
        end = m.end()
    if end < len(text):
        parts.append((text[end:], False))
    return parts


# ------------------------------------------------------------------- checks (config time)


def check_fields(fields: dict[str, FieldSpec | RowsSpec]) -> None:
    """Every expression parses, refers to known numeric fields, and nothing is cyclic."""
    evaluation_order(fields)


def evaluation_order(fields: dict[str, FieldSpec | RowsSpec]) -> list[str]:
    """Field nodes (``name`` or ``rows.name``) in an order where each comes after what it
    uses. Raises FieldError for undefined references and cycles."""
    graph: dict[str, list[str]] = {}
    for name, spec in fields.items():
        if isinstance(spec, RowsSpec):
            for fname, fspec in spec.fields.items():
                graph[f"{name}.{fname}"] = _uses(fields, fspec, f"{name}.{fname}", rows=name)
            graph[name] = [f"{name}.{f}" for f in spec.fields]
        else:
            graph[name] = _uses(fields, spec, name, rows=None)
    return _topological(graph)


def _topological(graph: dict[str, list[str]]) -> list[str]:
    """Nodes after their dependencies, otherwise in declaration order: the order values
    are drawn in must not depend on set iteration (string hashes vary per process)."""
    order: list[str] = []
    state: dict[str, str] = {}

    def visit(node: str, path: list[str]) -> None:
        if state.get(node) == "done":
            return
        if state.get(node) == "open":
            cycle = " -> ".join([*path[path.index(node) :], node])
            raise FieldError(f"derived fields refer to each other in a cycle: {cycle}")
        state[node] = "open"
        for dep in graph[node]:
            visit(dep, [*path, node])
        state[node] = "done"
        order.append(node)

    for node in graph:
        visit(node, [])
    return order


def _uses(
    fields: dict[str, FieldSpec | RowsSpec], spec: FieldSpec, where: str, rows: str | None
) -> list[str]:
    if spec.derive is None:
        return []
    tree = _parse(spec.derive, where)
    uses: dict[str, None] = {}  # ordered, no repeats
    row_fields = fields[rows].fields if rows else {}  # type: ignore[union-attr]
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            base = node.value.id  # type: ignore[attr-defined]
            target = fields.get(base)
            if not isinstance(target, RowsSpec) or node.attr not in target.fields:
                raise FieldError(f"fields.{where}: '{base}.{node.attr}' is not a rows field")
            _numeric(target.fields[node.attr], f"{base}.{node.attr}", where)
            uses[f"{base}.{node.attr}"] = None
        elif isinstance(node, ast.Name) and node.id not in _FUNCTIONS:
            if _is_attribute_base(tree, node):
                continue
            if node.id in row_fields:
                _numeric(row_fields[node.id], node.id, where)
                uses[f"{rows}.{node.id}"] = None
            elif isinstance(fields.get(node.id), FieldSpec):
                _numeric(fields[node.id], node.id, where)  # type: ignore[arg-type]
                uses[node.id] = None
            elif isinstance(fields.get(node.id), RowsSpec):
                raise FieldError(
                    f"fields.{where}: '{node.id}' is a table; use e.g. sum({node.id}.amount)"
                )
            else:
                raise FieldError(f"fields.{where}: '{node.id}' is not a field ({spec.derive})")
    return list(uses)


def _is_attribute_base(tree: ast.AST, name: ast.Name) -> bool:
    return any(isinstance(n, ast.Attribute) and n.value is name for n in ast.walk(tree))


def _numeric(spec: FieldSpec, name: str, where: str) -> None:
    if spec.value_type() in ("text", "date") and spec.derive is None:
        kind = spec.value_type()
        raise FieldError(f"fields.{where}: '{name}' is {kind}, not a number")


@cache
def _compiled(expr: str) -> ast.expr:
    """A checked expression's tree, parsed once per process (pages evaluate it per row)."""
    return _parse(expr, "").body


def _parse(expr: str, where: str) -> ast.Expression:
    try:
        tree = ast.parse(expr, mode="eval")
    except SyntaxError as err:
        raise FieldError(f"fields.{where}: cannot parse '{expr}': {err.msg}") from None
    for node in ast.walk(tree):
        ok = isinstance(
            node,
            ast.Expression
            | ast.BinOp
            | ast.UnaryOp
            | ast.Constant
            | ast.Name
            | ast.Attribute
            | ast.Load
            | ast.Add
            | ast.Sub
            | ast.Mult
            | ast.Div
            | ast.USub
            | ast.UAdd
            | ast.Call,
        )
        if isinstance(node, ast.Constant) and not isinstance(node.value, int | float):
            ok = False
        if isinstance(node, ast.Call) and (
            not isinstance(node.func, ast.Name) or node.func.id not in _FUNCTIONS or node.keywords
        ):
            ok = False
        if isinstance(node, ast.Attribute) and not isinstance(node.value, ast.Name):
            ok = False
        if not ok:
            raise FieldError(
                f"fields.{where}: '{expr}' may only use numbers, field names, + - * / and "
                f"{', '.join(sorted(_FUNCTIONS))}"
            )
    return tree


# ------------------------------------------------------------------ sampling (plan time)


@dataclass
class PageFields:
    """A page's values: ``printed`` as they appear on the page (rows: a list of dicts);
    ``numbers`` the exact numeric values behind them (as strings, for provenance)."""

    printed: dict[str, Any]
    numbers: dict[str, Any]


def sample_fields(
    fields: dict[str, FieldSpec | RowsSpec],
    order: list[str],
    faker: Any,
    locale: str,
    rng: np.random.Generator,
) -> PageFields:
    """Draws every field of one page (``faker`` must already be seeded for the page)."""
    fmt = LOCALE_FORMATS.get(locale, LOCALE_FORMATS["en_US"])
    counts = {n: s.rows.sample(rng) for n, s in fields.items() if isinstance(s, RowsSpec)}
    raw: dict[str, Any] = {}
    for node in order:
        name, _, column = node.partition(".")
        spec = fields[name]
        if isinstance(spec, RowsSpec):
            if column:
                sub = spec.fields[column]
                raw[node] = [
                    _value(sub, faker, rng, {**raw, **_row(raw, spec, name, i)}, node)
                    for i in range(counts[name])
                ]
            continue
        raw[name] = _value(spec, faker, rng, raw, name)
    printed: dict[str, Any] = {}
    numbers: dict[str, Any] = {}
    for name, spec in fields.items():
        if isinstance(spec, RowsSpec):
            printed[name] = [
                {c: format_value(raw[f"{name}.{c}"][i], s, fmt) for c, s in spec.fields.items()}
                for i in range(counts[name])
            ]
            numbers[name] = [
                {c: _number(raw[f"{name}.{c}"][i]) for c in spec.fields}
                for i in range(counts[name])
            ]
        else:
            printed[name] = format_value(raw[name], spec, fmt)
            numbers[name] = _number(raw[name])
    return PageFields(printed, numbers)


def _row(raw: dict[str, Any], spec: RowsSpec, name: str, i: int) -> dict[str, Any]:
    """Row i's already-computed values, visible to row expressions by their short name."""
    return {c: raw[f"{name}.{c}"][i] for c in spec.fields if f"{name}.{c}" in raw}


def _value(
    spec: FieldSpec, faker: Any, rng: np.random.Generator, env: dict[str, Any], where: str
) -> Any:
    if spec.derive is not None:
        value = _evaluate(_compiled(spec.derive), env)
        kind = spec.value_type()
        if kind == "money":
            return value.quantize(CENT, rounding=ROUND_HALF_UP)
        if kind == "integer":
            return value.quantize(Decimal(1), rounding=ROUND_HALF_UP)
        return value.quantize(Decimal(1).scaleb(-spec.decimals), rounding=ROUND_HALF_UP)
    if spec.faker is not None:
        return faker_value(faker, spec.faker, spec.args, where)
    if spec.pattern is not None:
        return faker.bothify(spec.pattern)
    if spec.choices is not None:
        choice = spec.choices[int(rng.integers(len(spec.choices)))]
        return Decimal(str(choice)) if isinstance(choice, int | float) else choice
    if spec.integer is not None:
        return Decimal(spec.integer.sample(rng))
    if spec.money is not None:
        return Decimal(str(spec.money.sample(rng))).quantize(CENT, rounding=ROUND_HALF_UP)
    assert spec.number is not None
    step = Decimal(1).scaleb(-spec.decimals)
    return Decimal(str(spec.number.sample(rng))).quantize(step, rounding=ROUND_HALF_UP)


def faker_value(faker: Any, method: str, args: dict[str, Any], where: str) -> Any:
    provider = getattr(faker, method, None)
    if provider is None or not callable(provider) or method.startswith("_"):
        raise FieldError(f"fields.{where}: Faker has no provider '{method}'")
    try:
        return provider(**args)
    except (TypeError, ValueError, AttributeError) as err:
        raise FieldError(f"fields.{where}: Faker's {method}({args}) failed: {err}") from None


def _evaluate(node: ast.AST, env: dict[str, Any]) -> Any:
    if isinstance(node, ast.Constant):
        return Decimal(str(node.value))
    if isinstance(node, ast.Name):
        return env[node.id]
    if isinstance(node, ast.Attribute):
        return env[f"{node.value.id}.{node.attr}"]  # type: ignore[attr-defined]
    if isinstance(node, ast.UnaryOp):
        value = _evaluate(node.operand, env)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp):
        a, b = _evaluate(node.left, env), _evaluate(node.right, env)
        ops = {ast.Add: a.__add__, ast.Sub: a.__sub__, ast.Mult: a.__mul__, ast.Div: a.__truediv__}
        return ops[type(node.op)](b)
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    args = [_evaluate(a, env) for a in node.args]
    name = node.func.id
    if name == "count":
        return Decimal(len(args[0]))
    if name == "round":
        places = int(args[1]) if len(args) > 1 else 0
        return args[0].quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if name == "abs":
        return abs(args[0])
    values = args[0] if len(args) == 1 and isinstance(args[0], list) else args
    if name == "sum":
        return sum(values, Decimal(0))
    return min(values) if name == "min" else max(values)


# ------------------------------------------------------------------------- formatting


def format_value(value: Any, spec: FieldSpec, fmt: LocaleFormat) -> str:
    """The value as printed: locale money, number and date formats; text cleaned (NFC,
    one space between words, line breaks kept: an address stays on its lines)."""
    kind = spec.value_type()
    if isinstance(value, dt.date | dt.datetime):
        text = value.strftime(fmt.date)
    elif isinstance(value, Decimal):
        text = _format_number(value, kind, spec.decimals, fmt)
    else:
        text = str(value)
    text = clean_lines(text)
    return text.upper() if spec.upper else text


def _format_number(value: Decimal, kind: str, decimals: int, fmt: LocaleFormat) -> str:
    if kind == "money":
        return fmt.currency.format(_group(value.quantize(CENT), 2, fmt))
    if kind == "integer":
        return _group(value.quantize(Decimal(1)), 0, fmt)
    if kind == "percent":
        places = max(0, -value.normalize().as_tuple().exponent)  # type: ignore[operator]
        return fmt.percent.format(_group(value, places, fmt))
    return _group(value, decimals, fmt)


def _group(value: Decimal, decimals: int, fmt: LocaleFormat) -> str:
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\0").replace(".", fmt.decimal).replace("\0", fmt.group)


_SPACES = re.compile(r"[^\S\n]+")


def clean_lines(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def _number(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return str(value)
