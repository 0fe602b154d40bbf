"""Reader throughput: COCO, YOLO and VOC into Samples, against pycocotools alongside.

    python benchmarks/readers.py                  # 300 quickstart images (640x480), made first
    python benchmarks/readers.py --num 2000
    python benchmarks/readers.py --dataset out/quickstart   # an existing synthgen output

The baseline is what a training loader does with COCO: pycocotools' COCO(), then per image
cv2.imread and annToMask for every annotation. synthgen's reader does the same work plus
the instance map and the seals (``load``); ``labels`` adds ``derive_labels``; ``convert``
is ``synthgen convert`` to YOLO (image copies included). The ratio to the baseline is the
figure that travels between machines.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import shutil
import tempfile
import time
from pathlib import Path

import cv2
from common import rss_tree_mb

from synthgen.labels import derive_labels
from synthgen.readers import open_dataset
from synthgen.readers.convert import convert_dataset
from synthgen.recipe import load_recipe
from synthgen.run import generate_dataset

QUICKSTART = Path(__file__).parents[1] / "scenes" / "quickstart.yaml"


def baseline(root: Path) -> float:
    from pycocotools.coco import COCO

    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO(str(root / "annotations/instances.json"))
    for image_id, img in coco.imgs.items():
        cv2.imread(str(root / "images" / img["file_name"]))
        for ann in coco.imgToAnns[image_id]:
            coco.annToMask(ann)
    return time.perf_counter() - start


def read(root: Path, fmt: str, labels: bool) -> tuple[float, int]:
    start = time.perf_counter()
    objects = 0
    for image in open_dataset(root, fmt):
        sample = image.load()
        objects += len(derive_labels(sample)) if labels else len(sample.instances)
    return time.perf_counter() - start, objects


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num", type=int, default=300)
    parser.add_argument("--dataset", type=Path, help="a synthgen output with coco, yolo, voc")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="synthgen-readers-"))
    try:
        root = args.dataset
        if root is None:
            root = tmp / "data"
            generate_dataset(
                load_recipe(QUICKSTART, num=args.num, formats=["coco", "yolo", "voc"]),
                root,
                workers=2,
                progress=False,
            )
        n = len(open_dataset(root, "coco"))
        base = baseline(root)
        print(f"{n} images; pycocotools + cv2.imread + annToMask: {n / base:7.0f} images/s")
        for fmt in ("coco", "yolo", "voc"):
            seconds, objects = read(root, fmt, labels=False)
            print(
                f"  {fmt:<5} load():           {n / seconds:7.0f} images/s "
                f"({objects} objects, {seconds / base:.2f}x the baseline's time)"
            )
        seconds, _ = read(root, "coco", labels=True)
        print(f"  coco  load + derive_labels: {n / seconds:7.0f} images/s")
        start = time.perf_counter()
        convert_dataset(open_dataset(root, "coco"), tmp / "yolo", ["yolo"])
        seconds = time.perf_counter() - start
        print(f"  convert coco -> yolo:     {n / seconds:7.0f} images/s")
        print(f"peak RSS now {rss_tree_mb():.0f} MB")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
