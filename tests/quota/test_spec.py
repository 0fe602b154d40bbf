"""The quota spec: validation, cells resolved with their targets, cell counts, acceptance."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from synthgen.config import RecipeError
from synthgen.labels import ObjectLabel
from synthgen.quota.cells import cell_counts
from synthgen.quota.probe import accept
from synthgen.quota.run import check_quota
from synthgen.quota.spec import QuotaSpec, load_quota, resolve_cells
from synthgen.recipe import build_recipe, load_recipe
from tests.helpers import base_recipe

CLASSES = ["cat", "dog"]


def _spec(**data: Any) -> QuotaSpec:
    return QuotaSpec.model_validate(data)


def _label(category: str, area: int, visibility: float = 1.0, **attributes: Any) -> ObjectLabel:
    mask = np.zeros((1, area), bool)
    mask[:] = True
    return ObjectLabel(
        1, category, (0, 0, area, 1), mask, (1, area), visibility, attributes=attributes
    )


def test_wildcards_expand_and_the_most_specific_cell_wins():
    spec = _spec(
        by=["class", "scale"],
        cells=[
            {"class": "*", "scale": "*", "count": 2},
            {"class": "cat", "scale": "small", "count": 9},
            {"class": "*", "scale": "large", "count": 5},
        ],
    )
    cells = resolve_cells(spec, CLASSES, None)
    assert cells == {
        ("cat", "small"): 9,
        ("cat", "medium"): 2,
        ("cat", "large"): 5,
        ("dog", "small"): 2,
        ("dog", "medium"): 2,
        ("dog", "large"): 5,
    }


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"by": ["class"], "cells": [{"class": "cow", "count": 1}]},
            "cells[0].class: unknown class 'cow' (valid: cat, dog, or '*')",
        ),
        (
            {
                "by": ["class", "occlusion"],
                "cells": [{"class": "cat", "occlusion": "x", "count": 1}],
            },
            "cells[0].occlusion: unknown occlusion 'x' (valid: none, partial, heavy, or '*')",
        ),
        (
            {"by": ["blend"], "cells": [{"blend": "*", "count": 1}]},
            "'*' needs known values",
        ),
        (
            {"by": ["condition"], "cells": [{"condition": "fog", "count": 1}]},
            "this generator records no condition",
        ),
        (
            {
                "by": ["class"],
                "cells": [{"class": "*", "count": 1}, {"class": "*", "count": 2}],
            },
            "gives {class: cat} 2, cells[0] gives 1",
        ),
    ],
)
def test_cells_that_cannot_be_met_are_refused_before_the_run(data, message):
    with pytest.raises(RecipeError) as err:
        resolve_cells(_spec(**data), CLASSES, None)
    assert message in str(err.value)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"by": ["class"], "cells": [{"class": "cat", "count": 1}], "max_cand": 3}, "unknown key"),
        ({"by": ["class"], "cells": [{"class": "cat"}]}, "'count' must be an integer >= 1"),
        ({"by": ["class"], "cells": [{"count": 1}]}, "give class a value, or '*'"),
        (
            {"by": ["class"], "cells": [{"class": "cat", "size": 1, "count": 1}]},
            "size is not a key",
        ),
        ({"by": ["class", "class"], "cells": [{"class": "cat", "count": 1}]}, "given twice"),
        (
            {
                "by": ["scale"],
                "scale": {"a": [0, 10], "b": [5, None]},
                "cells": [{"scale": "a", "count": 1}],
            },
            "buckets a and b overlap",
        ),
    ],
)
def test_a_malformed_quota_file_names_the_key(tmp_path, data, message):

    path = tmp_path / "q.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(RecipeError) as err:
        load_quota(path)
    assert str(path) in str(err.value) and message in str(err.value)


def test_the_recipe_key_is_validated_like_the_rest_of_the_recipe(assets):
    data = dict(
        base_recipe(), quota={"by": ["class"], "cells": [{"class": "ring", "count": 1}], "oops": 1}
    )
    with pytest.raises(RecipeError) as err:
        build_recipe(data, base_dir=assets)
    assert "quota.oops: unknown key" in str(err.value)


def test_the_quota_enters_the_recipe_hash_only_when_there_is_one(recipe_file, tmp_path):

    plain = load_recipe(recipe_file())
    quota = tmp_path / "q.yaml"
    quota.write_text(yaml.safe_dump({"by": ["class"], "cells": [{"class": "ring", "count": 1}]}))
    with_quota = load_recipe(recipe_file(), quota=quota)
    assert with_quota.hash != plain.hash
    assert "quota" not in plain.normalized() and "quota:" in with_quota.to_yaml()
    inline = {"by": ["class"], "cells": [{"class": "square", "count": 2}]}
    path = recipe_file(dict(base_recipe(), quota=inline), "inline.yaml")
    assert load_recipe(path).quota == QuotaSpec.model_validate(inline)
    assert load_recipe(path, quota=quota).quota == with_quota.quota  # the flag wins


def test_cell_counts_of_instances_and_of_samples():
    spec = _spec(
        by=["class", "scale", "occlusion"],
        cells=[{"class": "*", "scale": "*", "occlusion": "*", "count": 1}],
    )
    objects = [_label("cat", 100), _label("cat", 2000, 0.7), _label("dog", 9216, 0.2)]
    assert cell_counts(spec, {}, objects) == Counter(
        {("cat", "small", "none"): 1, ("cat", "medium", "partial"): 1, ("dog", "large", "heavy"): 1}
    )
    by_blend = _spec(by=["blend"], cells=[{"blend": "alpha", "count": 1}])
    assert cell_counts(by_blend, {}, [_label("cat", 4, blend="alpha"), _label("dog", 4)]) == {
        ("alpha",): 1
    }
    # condition only: samples, from the plan (each op that fired, or none)
    cond = _spec(by=["condition"], cells=[{"condition": "fog", "count": 1}])
    assert cell_counts(cond, {"ops": [{"op": "fog"}, {"op": "night"}]}) == {
        ("fog",): 1,
        ("night",): 1,
    }
    assert cell_counts(cond, {"ops": []}) == {("none",): 1}
    mixed = _spec(
        by=["condition", "class"], cells=[{"condition": "fog", "class": "cat", "count": 1}]
    )
    assert cell_counts(mixed, {"ops": [{"op": "fog"}]}, objects) == {
        ("fog", "cat"): 2,
        ("fog", "dog"): 1,
    }


def test_accept_keeps_candidates_that_add_to_a_short_cell_until_all_are_full():
    targets = {("a",): 2, ("b",): 1}
    rows = [
        Counter({("a",): 1}),  # 0: kept
        Counter({("c",): 3}),  # 1: no target cell
        Counter({("a",): 1, ("b",): 0}),  # 2: kept, a full
        Counter({("a",): 1}),  # 3: a is full: skipped
        Counter({("b",): 2, ("a",): 1}),  # 4: kept, b full: stop
        Counter({("b",): 1}),  # never looked at
    ]
    accepted, tried, have = accept(targets, iter(rows))
    assert accepted == [0, 2, 4] and tried == 5
    assert have == Counter({("a",): 3, ("b",): 2})
    accepted, tried, have = accept({("z",): 1}, iter(rows))
    assert accepted == [] and tried == 6


def test_the_example_quota_fits_the_quickstart():
    root = Path(__file__).parents[2]
    recipe = load_recipe(root / "scenes/quickstart.yaml", quota=root / "recipes/quota.yaml")
    cells = check_quota(recipe)
    assert len(cells) == 12 and cells["yield", "partial"] == 20
