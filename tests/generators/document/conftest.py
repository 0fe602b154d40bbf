"""A small document template: every block kind on a half page, two locales."""

from __future__ import annotations

from typing import Any

import pytest


def doc_recipe(**generator: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "kind": "document",
        "page": {"size": "A5", "dpi": 100},
        "locales": {"en_US": 1, "de_DE": 1},
        "fields": {
            "number": {"pattern": "N-####"},
            "name": {"faker": "name"},
            "address": {"faker": "address"},
            "date": {"faker": "date_this_year"},
            "status": {"choices": ["single", "married"]},
            "rate": {"choices": [7, 19], "type": "percent"},
            "items": {
                "rows": [1, 4],
                "fields": {
                    "what": {"faker": "word"},
                    "qty": {"integer": [1, 9]},
                    "price": {"money": [1, 999]},
                    "amount": {"derive": "qty * price"},
                },
            },
            "subtotal": {"derive": "sum(items.amount)"},
            "tax": {"derive": "subtotal * rate / 100"},
            "total": {"derive": "subtotal + tax"},
        },
        "blocks": [
            {"kind": "figure", "figure": "logo", "width_mm": 20, "height_mm": 8},
            {
                "kind": "title",
                "text": {"en": "Invoice", "de": "Rechnung"},
                "beside": True,
                "x": [0.5, 1],
                "align": "right",
            },
            {"kind": "text", "lines": ["{name}", "{address}"], "x": [0, 0.5]},
            {
                "kind": "fields",
                "beside": True,
                "x": [0.5, 1],
                "items": [
                    {"key": {"en": "No.:", "de": "Nr.:"}, "value": "number"},
                    {"key": {"en": "Date:", "de": "Datum:"}, "value": "date"},
                ],
            },
            {
                "kind": "checkboxes",
                "key": {"en": "Status:", "de": "Stand:"},
                "field": "status",
                "options": {
                    "single": {"en": "single", "de": "ledig"},
                    "married": {"en": "married", "de": "verheiratet"},
                },
            },
            {
                "kind": "table",
                "rows": "items",
                "columns": [
                    {"header": {"en": "Item", "de": "Artikel"}, "value": "what", "width": 3},
                    {"header": {"en": "Qty", "de": "Menge"}, "value": "qty", "align": "right"},
                    {
                        "header": {"en": "Price", "de": "Preis"},
                        "value": "price",
                        "width": 2,
                        "align": "right",
                    },
                    {
                        "header": {"en": "Amount", "de": "Betrag"},
                        "value": "amount",
                        "width": 2,
                        "align": "right",
                    },
                ],
            },
            {
                "kind": "fields",
                "x": [0.4, 1],
                "align": "right",
                "items": [
                    {"key": {"en": "Subtotal:", "de": "Summe:"}, "value": "subtotal"},
                    {"key": {"en": "Tax:", "de": "MwSt.:"}, "value": "tax"},
                    {"key": {"en": "Total:", "de": "Gesamt:"}, "value": "total"},
                ],
            },
            {"kind": "figure", "figure": "signature", "width_mm": 30, "height_mm": 10},
            {
                "kind": "figure",
                "figure": "stamp",
                "over_text": True,
                "width_mm": 30,
                "height_mm": 15,
            },
        ],
    }
    return {"seed": 5, "num": 6, "generator": base | generator}


@pytest.fixture
def recipe_data() -> dict[str, Any]:
    return doc_recipe()
