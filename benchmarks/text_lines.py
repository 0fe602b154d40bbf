"""Text-line image throughput and memory, against raw Pillow line drawing run alongside.

    python benchmarks/text_lines.py                 # templates/text_lines.yaml, 1 and 2 workers
    python benchmarks/text_lines.py --num 5000 --workers 2

synthgen runs through the real engine with the template as shipped: Faker and corpus texts,
six fonts, sizes 18-40 px, skew and curve on every line, grain, its scan degradations, a box
per character and per word derived from the pixels, PNG images and the ``ocr`` writer
(gt.txt and labels.jsonl). The baseline is the raw cost of the same lines without
character labels: Pillow draws each line's text whole with ``ImageDraw.text`` in one of the
fonts at the same sizes, takes one ``textbbox`` (font metrics), and OpenCV writes a PNG;
as many processes as workers. Startup (Faker, fonts, the template check) counts for
synthgen. The issue's reference: TRDG 1.8 makes 19 lines/s on one core.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from multiprocessing import Pool
from pathlib import Path

import cv2
import numpy as np
from common import time_generate
from PIL import Image, ImageDraw, ImageFont

from synthgen.generators.document.fonts import resolve_font
from synthgen.recipe import load_recipe

TEMPLATES = Path(__file__).parents[1] / "templates"
FONTS = ["DejaVuSans", "DejaVuSerif", "DejaVuSansMono", "DejaVuSans-Bold"]


def sample_texts(recipe_file: Path, num: int) -> list[str]:
    """The texts of a small synthgen run: the baseline draws the same strings."""
    from synthgen.run import generate_dataset

    recipe = load_recipe(recipe_file, num=num, formats=["ocr"])
    with tempfile.TemporaryDirectory() as tmp:
        generate_dataset(recipe, Path(tmp) / "out", workers=1, progress=False)
        gt = (Path(tmp) / "out" / "ocr" / "gt.txt").read_text(encoding="utf-8")
    return [line.partition("\t")[2] for line in gt.splitlines()]


def _baseline_line(args: tuple[int, list[str], str]) -> int:
    index, texts, out = args
    rng = np.random.default_rng(index)
    text = texts[index % len(texts)]
    path = resolve_font(FONTS[index % len(FONTS)], Path())
    font = ImageFont.truetype(str(path), int(rng.integers(18, 41)))
    x0, y0, x1, y1 = font.getbbox(text)
    image = Image.new("RGB", (x1 - x0 + 12, y1 - y0 + 12), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    draw.text((6 - x0, 6 - y0), text, fill=(0, 0, 0), font=font)
    box = draw.textbbox((6 - x0, 6 - y0), text, font=font)
    _, data = cv2.imencode(".png", cv2.cvtColor(np.asarray(image), cv2.COLOR_RGB2BGR))
    Path(out, f"{index:08d}.png").write_bytes(data.tobytes())
    return box[2]


def bench_baseline(num: int, workers: int, texts: list[str]) -> dict:
    with tempfile.TemporaryDirectory() as out, Pool(workers) as procs:
        t0 = time.perf_counter()
        list(procs.imap(_baseline_line, [(i, texts, out) for i in range(num)], chunksize=32))
        return {"rate": num / (time.perf_counter() - t0)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipe", type=Path, default=TEMPLATES / "text_lines.yaml")
    parser.add_argument("--num", type=int, default=3000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    texts = sample_texts(args.recipe, 300)
    chars = sum(map(len, texts)) / len(texts)
    print(
        f"{args.recipe.name}: {chars:.0f} characters/line, PNG, ocr writer; "
        f"{args.num} lines, {os.cpu_count()} cores"
    )
    print(
        f"{'workers':>7}  {'synthgen /s':>11}  {'baseline /s':>11}  {'ratio':>5}  "
        f"{'peak RSS MB':>11}"
    )
    for workers in args.workers:
        base = bench_baseline(args.num, workers, texts)
        ours = time_generate(load_recipe(args.recipe, num=args.num, formats=["ocr"]), workers)
        print(
            f"{workers:>7}  {ours['rate']:>11.1f}  {base['rate']:>11.1f}  "
            f"{ours['rate'] / base['rate']:>5.2f}  {ours['peak_mb']:>11.0f}"
        )


if __name__ == "__main__":
    main()
