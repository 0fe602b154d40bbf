"""3D scene throughput and memory, against a raw pyrender baseline run alongside.

    python benchmarks/scene3d.py                      # 640x480, 10 objects, 1 and 2 workers
    python benchmarks/scene3d.py --num 400 --format coco,depth,masks,bop
    python benchmarks/scene3d.py --objects primitives   # the issue's "10 simple meshes"
    python benchmarks/scene3d.py --no-antialias         # synthgen's frames single-sampled

synthgen runs through the real engine: plan (stable poses, drop without interpenetration),
RGB + depth + instance render, amodal masks, labels (boxes, visibility, 3D boxes, poses,
keypoints), the writers, the manifest. The baseline renders the same scenes with pyrender
directly, as the issue defines it: one RGB+depth render and one SEG render per frame,
meshes uploaded once, nothing else (no labels, no files). The ratio synthgen / baseline is
the figure that travels between machines. With --no-antialias synthgen draws its colour
pass single-sampled (the recipe's image.antialias: false); the baseline stays as the issue
defines it, multisampled like pyrender's default.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import time
from pathlib import Path

import numpy as np
from common import time_generate

from synthgen.recipe import build_recipe

WIDTH, HEIGHT, OBJECTS = 640, 480, 10


def recipe(formats: list[str], objects: str, antialias: bool = True) -> dict:
    image = {"width": WIDTH, "height": HEIGHT} | ({} if antialias else {"antialias": False})
    return {
        "seed": 0,
        "generator": {
            "kind": "scene3d",
            "image": image,
            "objects": {"source": {"builtin": objects}, "count": [OBJECTS, OBJECTS]},
            "support": {"kind": "table", "size": [0.7, 0.5]},
            "camera": {"distance": [0.8, 1.1]},
        },
        "labels": {"min_visibility": 0.0, "min_area": 1},
        "output": {"image": {"format": "jpg", "quality": 90}, "formats": formats},
    }


def bench_synthgen(
    num: int, workers: int, formats: list[str], objects: str, antialias: bool
) -> dict:
    loaded = build_recipe(recipe(formats, objects, antialias) | {"num": num}, base_dir=Path.cwd())
    return time_generate(loaded, workers)


# ---------------------------------------------------------------------------- baseline

_state: dict = {}


def _init_baseline(plans: list[dict], single_thread: bool, objects: str) -> None:
    if single_thread:
        os.environ.setdefault("LP_NUM_THREADS", "1")  # as synthgen's pool workers do
    os.environ.setdefault("PYOPENGL_PLATFORM", "egl")
    import pyrender

    from synthgen.generators.scene3d import builtin
    from synthgen.generators.scene3d.camera import opengl_pose

    scene = pyrender.Scene(bg_color=[0, 0, 0, 0])
    _state.update(
        gl=pyrender,
        plans=plans,
        opengl_pose=opengl_pose,
        renderer=pyrender.OffscreenRenderer(WIDTH, HEIGHT),
        models={m.name: m.mesh for m in _MODEL_SETS[objects](builtin)()},
        scene=scene,
        nodes={},
        frame_nodes=[],
        support=scene.add(pyrender.Mesh.from_trimesh(builtin.table_top((1.0, 0.8)))),
    )


def _baseline_frame(index: int) -> None:
    """One RGB+depth and one SEG render. Mesh nodes stay in the scene, hidden when unused,
    so each mesh is uploaded once (pyrender frees meshes that leave the scene)."""
    gl, plan, scene = _state["gl"], _state["plans"][index], _state["scene"]
    for node in _state["frame_nodes"]:
        scene.remove_node(node)
    scene.ambient_light = np.full(3, plan["ambient"])
    K = np.array(plan["camera"]["K"])
    camera = gl.IntrinsicsCamera(K[0, 0], K[1, 1], K[0, 2] + 0.5, K[1, 2] + 0.5, 0.02, 20)
    w2c = np.array(plan["camera"]["world_to_camera"])
    frame_nodes = [scene.add(camera, pose=_state["opengl_pose"](w2c))]
    frame_nodes += [scene.add(_light(gl, li), pose=np.array(li["pose"])) for li in plan["lights"]]
    _state["frame_nodes"] = frame_nodes
    seg = {_state["support"]: (0, 0, 0)}
    used: dict[str, int] = {}
    for k, entry in enumerate(plan["objects"], start=1):
        node = _node(entry["model"].split("/")[-1], used)
        scene.set_pose(node, np.array(entry["pose"]))
        seg[node] = (k, 0, 0)
    for name, pool in _state["nodes"].items():
        for k, node in enumerate(pool):
            node.mesh.is_visible = k < used.get(name, 0)
    _state["renderer"].render(scene, flags=gl.RenderFlags.RGBA)
    _state["renderer"].render(scene, flags=gl.RenderFlags.SEG, seg_node_map=seg)


def _light(gl, light: dict):
    kind, intensity = light["kind"], light["intensity"]
    colour = [float(c) for c in light["colour"]]
    if kind == "directional":
        return gl.DirectionalLight(color=colour, intensity=intensity)
    if kind == "point":
        return gl.PointLight(color=colour, intensity=intensity)
    return gl.SpotLight(color=colour, intensity=intensity, innerConeAngle=0.3, outerConeAngle=0.7)


def _node(name: str, used: dict[str, int]):
    """A node per object (pyrender binds a mesh to one node), made once, reused."""
    pool = _state["nodes"].setdefault(name, [])
    k = used.get(name, 0)
    used[name] = k + 1
    if k == len(pool):
        mesh = _state["gl"].Mesh.from_trimesh(_state["models"][name].smooth_shaded, smooth=True)
        pool.append(_state["scene"].add(mesh))
    return pool[k]


_MODEL_SETS = {
    "kitchen": lambda builtin: builtin.kitchen_models,
    "primitives": lambda builtin: builtin.primitive_models,
}


def bench_baseline(plans: list[dict], workers: int, objects: str) -> dict:
    t0 = time.perf_counter()
    if workers == 1:
        _init_baseline(plans, single_thread=False, objects=objects)
        for i in range(len(plans)):
            _baseline_frame(i)
    else:
        ctx = mp.get_context("spawn")
        with ctx.Pool(workers, initializer=_init_baseline, initargs=(plans, True, objects)) as pool:
            pool.map(_baseline_frame, range(len(plans)), chunksize=8)
    seconds = time.perf_counter() - t0
    return {"rate": len(plans) / seconds}


def _plans(num: int, objects: str) -> list[dict]:
    """The scenes synthgen renders, planned once, so both sides draw the same frames."""
    loaded = build_recipe(recipe(["coco"], objects) | {"num": num}, base_dir=Path.cwd())
    generator = loaded.generator()
    return [generator.plan(np.random.default_rng([loaded.seed, i])) for i in range(num)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--num", type=int, default=300)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--format", default="coco,depth,masks", help="synthgen's writers")
    parser.add_argument(
        "--objects",
        choices=sorted(_MODEL_SETS),
        default="kitchen",
        help="kitchen: 1,000-2,800-face models; primitives: 12-768-face solids",
    )
    parser.add_argument(
        "--no-antialias",
        dest="antialias",
        action="store_false",
        help="synthgen's recipe sets image.antialias: false (the baseline is unchanged)",
    )
    args = parser.parse_args()
    formats = args.format.split(",")
    plans = _plans(args.num, args.objects)
    print(
        f"{WIDTH}x{HEIGHT}, {OBJECTS} {args.objects} objects on a table, formats {args.format}, "
        f"{args.num} frames, {os.cpu_count()} cores, renderer: {_renderer_name()}"
        + ("" if args.antialias else "; synthgen without antialiasing")
    )
    print(
        f"{'workers':>7}  {'synthgen fps':>12}  {'baseline fps':>12}  {'ratio':>5}  "
        f"{'peak RSS MB':>11}"
    )
    for workers in args.workers:
        ours = bench_synthgen(args.num, workers, formats, args.objects, args.antialias)
        base = bench_baseline(plans, workers, args.objects)
        print(
            f"{workers:>7}  {ours['rate']:>12.1f}  {base['rate']:>12.1f}  "
            f"{ours['rate'] / base['rate']:>5.2f}  {ours['peak_mb']:>11.0f}"
        )


def _renderer_name() -> str:
    os.environ.setdefault("PYOPENGL_PLATFORM", "egl")
    import pyrender
    from OpenGL import GL

    r = pyrender.OffscreenRenderer(16, 16)
    name = GL.glGetString(GL.GL_RENDERER).decode()
    r.delete()
    return name


if __name__ == "__main__":
    main()
