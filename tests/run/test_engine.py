import json
import os
import signal
import subprocess
import sys
import time

import cv2
import pytest

from synthgen.errors import OutputError
from synthgen.recipe import load_recipe
from synthgen.run import generate_dataset
from synthgen.run.executor import SampleTask
from synthgen.run.manifest import MANIFEST_FILE
from tests.helpers import base_recipe, tree_bytes


def run(recipe_path, out, **kw):
    kw.setdefault("progress", False)
    return generate_dataset(load_recipe(recipe_path), out, **kw)


def test_same_bytes_with_one_or_two_workers(recipe_file, tmp_path):
    path = recipe_file()
    run(path, tmp_path / "a", workers=1)
    run(path, tmp_path / "b", workers=2)
    a, b = tree_bytes(tmp_path / "a"), tree_bytes(tmp_path / "b")
    assert a.keys() == b.keys()
    assert [k for k in a if a[k] != b[k]] == []
    assert "annotations/instances.json" in a and "voc/JPEGImages" in a


def test_image_workers_are_spawned(recipe_file, tmp_path):
    # Fresh interpreters: no GL context, thread pool or handle of the parent's leaks in.
    assert SampleTask(load_recipe(recipe_file()), tmp_path).start_method == "spawn"


def test_sample_depends_only_on_seed_and_index(recipe_file, tmp_path):
    data = base_recipe()
    small, large = dict(data, num=3), dict(data, num=6)
    run(recipe_file(small, "small.yaml"), tmp_path / "s", workers=1)
    run(recipe_file(large, "large.yaml"), tmp_path / "l", workers=1)
    for k in range(3):
        name = f"images/{k:08d}.jpg"
        assert (tmp_path / "s" / name).read_bytes() == (tmp_path / "l" / name).read_bytes()


def test_resume_after_a_partial_manifest_gives_identical_output(recipe_file, tmp_path):
    path = recipe_file()
    run(path, tmp_path / "full", workers=1)
    out = tmp_path / "cut"
    run(path, out, workers=1)
    # Simulate a kill: keep 2 records and half of the third, drop dataset-level files.
    lines = (out / MANIFEST_FILE).read_text().splitlines(keepends=True)
    (out / MANIFEST_FILE).write_text("".join(lines[:2]) + lines[2][: len(lines[2]) // 2])
    (out / "annotations/instances.json").unlink()
    (out / "images/00000003.jpg.partial").write_bytes(b"half")
    info = json.loads((out / "run.json").read_text())
    (out / "run.json").write_text(json.dumps({**info, "status": "running"}))
    summary = run(path, out, workers=2, resume=True)
    assert summary.made == 4
    assert tree_bytes(out) == tree_bytes(tmp_path / "full")


def test_resume_of_a_finished_run_does_nothing(recipe_file, tmp_path):
    path = recipe_file()
    run(path, tmp_path / "o", workers=1)
    before = tree_bytes(tmp_path / "o")
    summary = run(path, tmp_path / "o", resume=True)
    assert summary.already_complete and summary.made == 0
    assert tree_bytes(tmp_path / "o") == before


def test_a_run_can_grow_with_a_larger_num(recipe_file, tmp_path):
    data = base_recipe()
    run(recipe_file(dict(data, num=3), "a.yaml"), tmp_path / "grown", workers=1)
    summary = run(
        recipe_file(dict(data, num=6), "b.yaml"), tmp_path / "grown", workers=1, resume=True
    )
    assert summary.made == 3
    run(recipe_file(dict(data, num=6), "c.yaml"), tmp_path / "direct", workers=1)
    assert tree_bytes(tmp_path / "grown") == tree_bytes(tmp_path / "direct")


def test_output_of_another_recipe_is_refused_unless_overwritten(recipe_file, tmp_path):
    run(recipe_file(), tmp_path / "o", workers=1)
    other = recipe_file(dict(base_recipe(), seed=99), "other.yaml")
    with pytest.raises(OutputError, match="different recipe"):
        run(other, tmp_path / "o", resume=True)
    run(other, tmp_path / "o", workers=1, overwrite=True)
    assert json.loads((tmp_path / "o/run.json").read_text())["seed"] == 99


def test_existing_output_needs_resume_or_overwrite(recipe_file, tmp_path):
    run(recipe_file(), tmp_path / "o", workers=1)
    with pytest.raises(OutputError, match="use --resume to continue it or --overwrite"):
        run(recipe_file(), tmp_path / "o")


def test_a_foreign_folder_is_never_touched(recipe_file, tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine/notes.txt").write_text("keep me")
    with pytest.raises(OutputError, match="holds no synthgen run"):
        run(recipe_file(), tmp_path / "mine", overwrite=True)
    assert (tmp_path / "mine/notes.txt").read_text() == "keep me"


def test_changed_assets_refuse_resume(recipe_file, assets, tmp_path):
    path = recipe_file()
    run(path, tmp_path / "o", workers=1)
    bg = assets / "backgrounds/bg1.jpg"
    cv2.imwrite(str(bg), cv2.imread(str(bg))[:100])  # same name, new content
    with pytest.raises(OutputError, match="different input files"):
        run(path, tmp_path / "o", resume=True)


def test_kill_minus_nine_then_resume_matches_an_uninterrupted_run(recipe_file, tmp_path):
    path = recipe_file(dict(base_recipe(), num=200))
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "synthgen.cli", "generate", str(path), "--out", str(out), "-q"]
    proc = subprocess.Popen([*cmd, "--workers", "2"], start_new_session=True)
    manifest = out / MANIFEST_FILE
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if manifest.exists() and manifest.read_bytes().count(b"\n") >= 20:
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # the main process and its workers, mid-run
    proc.wait()
    done = manifest.read_bytes().count(b"\n")
    assert 20 <= done < 200, "the run should have been killed part-way"
    assert json.loads((out / "run.json").read_text())["status"] == "running"
    assert not (out / "annotations/instances.json").exists()

    subprocess.run([*cmd, "--workers", "2", "--resume"], check=True)
    run(path, tmp_path / "clean", workers=2)
    assert tree_bytes(out) == tree_bytes(tmp_path / "clean")


def test_the_progress_bar_starts_no_thread():
    # Text workers are forked from the engine's process while its bar is open: a fork
    # copies the calling thread only, so the bar must not add one (tqdm's monitor would).
    import io
    import threading

    from synthgen.run.engine import _Progress

    before = threading.active_count()
    with _Progress(total=10, file=io.StringIO()) as bar:
        bar.update(5)
        assert threading.active_count() == before
