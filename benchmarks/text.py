"""Text corpus throughput and memory, against a plain Faker template loop run alongside.

    python benchmarks/text.py                  # templates/ner_pii.yaml, 1 and 2 workers
    python benchmarks/text.py --num 200000 --format conll,jsonl,spacy

synthgen runs through the real engine: quota draws, template expansion, slot values from
the seeded pools, tokens, IOB2 tags, the manifest, and the writers streaming CoNLL and
JSONL. The baseline is what a user writes by hand: one process, for each sentence pick a
template and a locale, call Faker for every slot, concatenate and record the spans, keep
the records (no tokens, no files). Startup (Faker, pools) is counted on both sides.

A second, short synthgen run of --small sentences splits the time into a fixed startup
(worker processes, each filling its Faker value pools) and the rate after it:
after = (num - small) / (seconds(num) - seconds(small)).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import time
from pathlib import Path

from common import time_generate

from synthgen.recipe import load_recipe

TEMPLATES = Path(__file__).parents[1] / "templates"


def bench_synthgen(recipe_file: Path, num: int, workers: int, formats: list[str]) -> dict:
    return time_generate(load_recipe(recipe_file, num=num, formats=formats), workers)


def bench_baseline(recipe_file: Path, num: int) -> dict:
    from faker import Faker

    from synthgen.generators.text.values import BUILTIN_SLOTS

    t0 = time.perf_counter()
    config = load_recipe(recipe_file).generator_config
    fakers = {loc: Faker(loc) for loc in config.locales}  # type: ignore[attr-defined]
    templates = {  # alternatives resolved to their first option: the baseline has none
        lang: [re.sub(r"\[([^]|]*)[^]]*\]", r"\1", t.text) for t in specs]
        for lang, specs in config.templates.items()  # type: ignore[attr-defined]
    }
    rng = random.Random(0)
    slot = re.compile(r"\{(\w+)\}")
    records = []
    for _ in range(num):
        locale = rng.choice(list(fakers))
        faker = fakers[locale]
        template = rng.choice(templates[locale.split("_")[0]])
        text: str = ""
        spans: list[tuple[int, int, str]] = []
        for k, piece in enumerate(slot.split(template)):
            if k % 2:
                entity, make = BUILTIN_SLOTS[piece]
                piece = " ".join(make(faker, None).split())
                spans.append((len(text), len(text) + len(piece), entity))
            text += piece
        records.append((text, spans))
    return {"rate": num / (time.perf_counter() - t0)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipe", type=Path, default=TEMPLATES / "ner_pii.yaml")
    parser.add_argument("--num", type=int, default=100_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--format", default="conll,jsonl", help="synthgen's writers")
    parser.add_argument("--baseline-num", type=int, default=20_000)
    parser.add_argument(
        "--small", type=int, default=8192, help="the short run (every pool gets filled)"
    )
    args = parser.parse_args()
    formats = args.format.split(",")
    base = bench_baseline(args.recipe, args.baseline_num)
    print(
        f"{args.recipe.name}, formats {args.format}, {args.num} sentences "
        f"(baseline {args.baseline_num}), {os.cpu_count()} cores"
    )
    print(
        f"{'workers':>7}  {'synthgen /s':>11}  {'baseline /s':>11}  {'ratio':>5}  "
        f"{'startup s':>9}  {'after /s':>8}  {'peak RSS MB':>11}"
    )
    for workers in args.workers:
        ours = bench_synthgen(args.recipe, args.num, workers, formats)
        small = bench_synthgen(args.recipe, args.small, workers, formats)
        after = (args.num - args.small) / (ours["seconds"] - small["seconds"])
        startup = small["seconds"] - args.small / after
        print(
            f"{workers:>7}  {ours['rate']:>11.0f}  {base['rate']:>11.0f}  "
            f"{ours['rate'] / base['rate']:>5.1f}  {startup:>9.1f}  {after:>8.0f}  "
            f"{ours['peak_mb']:>11.0f}"
        )


if __name__ == "__main__":
    main()
