"""A small text recipe with two languages, classes, attributes and a custom slot."""

from __future__ import annotations

from typing import Any

import pytest


def text_recipe(**generator: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "kind": "text",
        "locales": {"en_US": 1, "de_DE": 1},
        "mode": "quota",
        "classes": {"task": "intent", "balance": "uniform"},
        "attributes": {"gender": {"female": 1, "male": 1}},
        "slots": {"product": {"choices": ["laptop", "Spülmaschine"], "entity": "PRODUCT"}},
        "pool_size": 50,
        "templates": {
            "en": [
                {"text": "[Please |]send {money} to {person} at {iban}.", "label": "transfer"},
                {"text": "My {product} from {company} broke on {date}!", "label": "complain"},
                {"text": "Is {person}'s email {email}?", "label": "ask"},
            ],
            "de": [
                {"text": "Bitte [überweise |sende ]{money} an {person}.", "label": "transfer"},
                {
                    "text": "Mein {product} von {company} ging am {date} kaputt.",
                    "label": "complain",
                },
                {"text": "Ist die E-Mail von {person} {email}?", "label": "ask"},
            ],
        },
    }
    return {"seed": 3, "num": 60, "generator": base | generator}


@pytest.fixture
def recipe_data() -> dict[str, Any]:
    return text_recipe()
