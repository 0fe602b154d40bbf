"""What ``synthgen merge`` costs per sample, and what the manifest weighs per sample.

    python benchmarks/merge.py                                   # quickstart, 200 samples
    python benchmarks/merge.py --recipe templates/ner_pii.yaml --num 5000 --shard-size 1000

Makes a sharded run (timed: the generation rate is the reference in the same run), then
merges its shards, timing the two phases of ``merge_shards``: copying the files, and
replaying the records through the writers (dataset-level files, manifest, run.json).
Prints samples/s for each, the manifest bytes per sample and the dataset bytes per sample
(what the copy moves). The figures feed the scale-out estimate in docs/scale-out.md.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from synthgen.recipe import load_recipe
from synthgen.run import generate_dataset
from synthgen.run.manifest import MANIFEST_FILE
from synthgen.run.merge import check_shards, copy_shards, find_shards, merged_info, rebuild

REPO = Path(__file__).parents[1]


def folder_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and not p.is_symlink())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipe", default=str(REPO / "scenes/quickstart.yaml"))
    parser.add_argument("--num", type=int, default=200)
    parser.add_argument("--shard-size", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    recipe = load_recipe(args.recipe, num=args.num)
    with tempfile.TemporaryDirectory(prefix="synthgen-bench-") as tmp:
        run, merged = Path(tmp) / "run", Path(tmp) / "merged"
        began = time.perf_counter()
        generate_dataset(
            recipe, run, workers=args.workers, progress=False, shard_size=args.shard_size
        )
        generate_s = time.perf_counter() - began

        began = time.perf_counter()
        shards = check_shards(find_shards(sorted(run.glob("shard-*"))))
        info = merged_info(shards)
        merged.mkdir()
        copy_shards(shards, merged)
        copy_s = time.perf_counter() - began
        began = time.perf_counter()
        rebuild(shards, merged, info)
        replay_s = time.perf_counter() - began
        merge_s = copy_s + replay_s

        manifest = (merged / MANIFEST_FILE).stat().st_size
        n = args.num
        print(f"recipe {Path(args.recipe).name}: {n} samples in {len(shards)} shards")
        print(f"generate ({args.workers} workers): {n / generate_s:9.1f} samples/s")
        print(f"merge, total:                {n / merge_s:9.1f} samples/s ({merge_s:.2f} s)")
        print(f"  file copy:                 {n / copy_s:9.1f} samples/s ({copy_s:.2f} s)")
        print(f"  records replay:            {n / replay_s:9.1f} samples/s ({replay_s:.2f} s)")
        print(f"merge / generate time:       {merge_s / generate_s:9.3f}")
        print(f"manifest: {manifest / n:.0f} bytes/sample; dataset: {folder_bytes(merged) / n:.0f}")


if __name__ == "__main__":
    main()
