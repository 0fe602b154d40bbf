"""Document page throughput and memory, against raw Pillow drawing run alongside.

    python benchmarks/documents.py                      # templates/invoice.yaml, 1 and 2 workers
    python benchmarks/documents.py --recipe templates/letter.yaml --num 400

synthgen runs through the real engine: Faker fields and derived totals, layout, glyph
masks into the page and the id map, one degradation (Gaussian blur), labels derived from
the pixels (words, lines, entities, regions), JPEG pages, and the FUNSD and COCO writers.
The baseline is the raw cost of the same pages without labels worth the name: Pillow draws
as many words as synthgen's pages had on average, at the same DPI, one ``textbbox`` per
word (font metrics, not ink), and OpenCV writes a JPEG; as many processes as workers.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from multiprocessing import Pool
from pathlib import Path

import cv2
import numpy as np
import yaml
from common import time_generate
from PIL import Image, ImageDraw, ImageFont

from synthgen.generators.document.fonts import resolve_font
from synthgen.recipe import build_recipe

TEMPLATES = Path(__file__).parents[1] / "templates"
DEGRADE = [{"op": "blur", "sigma": [0.5, 1.0]}]


def synthgen_recipe(recipe_file: Path, num: int):
    data = yaml.safe_load(recipe_file.read_text())
    data["num"] = num
    data["generator"]["degrade"] = DEGRADE
    data["output"] = {"formats": ["funsd", "coco"], "image": {"format": "jpg", "quality": 90}}
    return build_recipe(data, base_dir=recipe_file.parent)


def words_per_page(recipe_file: Path) -> tuple[float, list[str], int]:
    """Mean words per page of a small synthgen run, a pool of its words, and its DPI."""
    recipe = synthgen_recipe(recipe_file, 20)
    with tempfile.TemporaryDirectory() as tmp:
        from synthgen.run import generate_dataset

        generate_dataset(recipe, Path(tmp) / "out", workers=1, progress=False)
        pages = sorted((Path(tmp) / "out" / "funsd" / "annotations").glob("*.json"))
        words = [
            w["text"] for p in pages for e in json.loads(p.read_text())["form"] for w in e["words"]
        ]
    return len(words) / len(pages), words, recipe.generator_config.page.dpi  # type: ignore[attr-defined]


def _baseline_page(args: tuple[int, int, list[str], int, str]) -> int:
    index, count, pool, dpi, out = args
    rng = np.random.default_rng(index)
    width, height = round(210 / 25.4 * dpi), round(297 / 25.4 * dpi)
    font = ImageFont.truetype(str(resolve_font("DejaVuSans", Path())), round(10 * dpi / 72))
    page = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(page)
    x, y, boxes = 80, 80, []
    for k in rng.integers(len(pool), size=count):
        word = pool[int(k)]
        w = draw.textlength(word, font=font)
        if x + w > width - 80:
            x, y = 80, y + font.size * 1.4
        draw.text((x, y), word, fill=(0, 0, 0), font=font)
        boxes.append(draw.textbbox((x, y), word, font=font))
        x += w + font.size * 0.3
    bgr = cv2.cvtColor(np.asarray(page), cv2.COLOR_RGB2BGR)
    _, data = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, 90])
    Path(out, f"{index:08d}.jpg").write_bytes(data.tobytes())
    return len(boxes)


def bench_baseline(num: int, workers: int, count: float, pool: list[str], dpi: int) -> dict:
    with tempfile.TemporaryDirectory() as out, Pool(workers) as procs:
        t0 = time.perf_counter()
        jobs = [(i, round(count), pool, dpi, out) for i in range(num)]
        list(procs.imap(_baseline_page, jobs, chunksize=4))
        return {"rate": num / (time.perf_counter() - t0)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipe", type=Path, default=TEMPLATES / "invoice.yaml")
    parser.add_argument("--num", type=int, default=300)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    count, pool, dpi = words_per_page(args.recipe)
    print(
        f"{args.recipe.name}: {count:.0f} words/page at {dpi} dpi, blur, JPEG, funsd+coco; "
        f"{args.num} pages, {os.cpu_count()} cores"
    )
    print(
        f"{'workers':>7}  {'synthgen /s':>11}  {'baseline /s':>11}  {'ratio':>5}  "
        f"{'peak RSS MB':>11}"
    )
    for workers in args.workers:
        base = bench_baseline(args.num, workers, count, pool, dpi)
        ours = time_generate(synthgen_recipe(args.recipe, args.num), workers)
        print(
            f"{workers:>7}  {ours['rate']:>11.1f}  {base['rate']:>11.1f}  "
            f"{ours['rate'] / base['rate']:>5.2f}  {ours['peak_mb']:>11.0f}"
        )


if __name__ == "__main__":
    main()
