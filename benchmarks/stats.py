"""synthgen stats throughput: images per second per format, labels read without pixels.

    python benchmarks/stats.py                 # 400 images
    python benchmarks/stats.py --num 2000 --base 16

A few quickstart images (640x480, COCO + YOLO + VOC) are made, then copied under new names
until the dataset holds --num images (labels and image files alike, so that YOLO's image
headers are real files). Each format is timed through dataset_stats (read and count) and
through the whole report (JSON + HTML, with plots when matplotlib is installed). For
reference, the time to decode every image once (what stats avoids) is printed too.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from synthgen.inspect.stats import dataset_stats
from synthgen.inspect.stats_report import write_report
from synthgen.recipe import load_recipe
from synthgen.run import generate_dataset

QUICKSTART = Path(__file__).parents[1] / "scenes" / "quickstart.yaml"


def replicate(src: Path, out: Path, num: int) -> None:
    """A dataset of ``num`` images made of copies of the images and labels in ``src``."""
    doc = json.loads((src / "annotations/instances.json").read_text())
    images, anns = doc["images"], doc["annotations"]
    by_image: dict[int, list[dict]] = {}
    for ann in anns:
        by_image.setdefault(ann["image_id"], []).append(ann)
    for folder in ("images", "labels", "annotations", "voc/Annotations"):
        (out / folder).mkdir(parents=True, exist_ok=True)
    shutil.copy(src / "data.yaml", out / "data.yaml")
    shutil.copy(src / "voc/labels.txt", out / "voc/labels.txt")
    new_images, new_anns = [], []
    for k in range(num):
        img = images[k % len(images)]
        stem = Path(img["file_name"]).stem
        name = f"{k:08d}{Path(img['file_name']).suffix}"
        shutil.copy(src / "images" / img["file_name"], out / "images" / name)
        shutil.copy(src / "labels" / f"{stem}.txt", out / "labels" / f"{k:08d}.txt")
        xml = (src / "voc/Annotations" / f"{stem}.xml").read_text()
        (out / "voc/Annotations" / f"{k:08d}.xml").write_text(xml.replace(stem, f"{k:08d}"))
        new_images.append({**img, "id": k + 1, "file_name": name})
        for ann in by_image.get(img["id"], []):
            new_anns.append({**ann, "id": len(new_anns) + 1, "image_id": k + 1})
    doc.update(images=new_images, annotations=new_anns)
    (out / "annotations/instances.json").write_text(json.dumps(doc))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num", type=int, default=400, help="images in the timed dataset")
    parser.add_argument("--base", type=int, default=8, help="distinct quickstart images")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        recipe = load_recipe(QUICKSTART, num=args.base, formats=["coco", "yolo", "voc"])
        generate_dataset(recipe, root / "base", workers=1, progress=False)
        replicate(root / "base", root / "data", args.num)
        data = root / "data"
        start = time.perf_counter()
        for path in sorted((data / "images").iterdir()):
            cv2.imdecode(np.fromfile(path, dtype=np.uint8), cv2.IMREAD_COLOR)
        decode = time.perf_counter() - start
        print(
            f"{args.num} images, 640x480 JPEG; decoding each once: {args.num / decode:,.0f} img/s"
        )
        for fmt in ("coco", "yolo", "voc"):
            start = time.perf_counter()
            stats = dataset_stats(data, fmt)
            counted = time.perf_counter() - start
            assert stats["images"] == args.num
            start = time.perf_counter()
            write_report(data, root / f"{fmt}.html", fmt=fmt)
            report = time.perf_counter() - start
            print(
                f"{fmt:5s} stats: {args.num / counted:8,.0f} img/s  "
                f"({stats['instances']} instances; whole report {report:.2f} s)"
            )


if __name__ == "__main__":
    main()
