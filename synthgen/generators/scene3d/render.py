"""The pyrender backend: the only module that imports pyrender or OpenGL.

It renders a frame described as plain data (meshes with world poses, lights, a camera in
OpenCV convention) into RGB, z-depth and an instance-id map. One OffscreenRenderer per
process is created once and reused, and so are the GPU copies of the meshes. Headless by
default through EGL: Mesa's software rasterizer on a CPU, the NVIDIA driver on a GPU.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import trimesh

from synthgen.errors import SynthgenError
from synthgen.generators.scene3d.camera import opengl_pose

os.environ.setdefault("PYOPENGL_PLATFORM", "egl")  # before OpenGL is imported anywhere

INSTALL_HINT = (
    "OpenGL through EGL is needed to render 3D scenes. On Debian/Ubuntu without a GPU: "
    "apt-get install libegl1 libgl1-mesa-dri (Mesa's software renderer). On an NVIDIA "
    "server: install the driver with its EGL libraries (libegl1, libglvnd0, libopengl0) and "
    "set __EGL_VENDOR_LIBRARY_FILENAMES to the driver's 10_nvidia.json"
)


class RenderError(SynthgenError):
    """Rendering is not available (no OpenGL/EGL) or failed."""


@dataclass(frozen=True)
class Item:
    """One mesh to draw: its cache key, world pose, look, and instance id (0: unlabeled)."""

    key: str
    mesh: trimesh.Trimesh
    pose: np.ndarray
    tint: tuple[float, float, float] = (1.0, 1.0, 1.0)
    metallic: float = 0.0
    roughness: float = 0.6
    instance: int = 0


@dataclass(frozen=True)
class Light:
    kind: str  # directional | point | spot
    pose: np.ndarray  # 4x4 world, OpenGL convention (the light shines down its -z)
    colour: tuple[float, float, float]
    intensity: float


@dataclass(frozen=True)
class Frame:
    rgba: np.ndarray  # HxWx4 uint8, colour premultiplied by alpha over a clear background
    depth: np.ndarray  # HxW float32 z-depth in metres, 0 where nothing is
    instances: np.ndarray  # HxW uint16 instance ids from a pass without anti-aliasing


# The two speed-ups below replace private pyrender methods on our renderer only; another
# pyrender release may lay its internals out differently, so it renders stock (slower).
_TUNED_FOR = "0.1.45"


class Renderer:
    """Renders frames of one size with pyrender; create one per process and reuse it."""

    def __init__(self, width: int, height: int, antialias: bool = True) -> None:
        try:
            import pyrender

            self._gl = pyrender
            self._renderer = pyrender.OffscreenRenderer(width, height)
        except Exception as err:  # ImportError, EGL or driver errors of many kinds
            raise RenderError(f"{INSTALL_HINT} ({type(err).__name__}: {err})") from None
        self._scene = pyrender.Scene(bg_color=[0.0, 0.0, 0.0, 0.0])
        self._light_node = _ranked_node_type(pyrender.Node)
        self._poses: dict[Any, np.ndarray] = {}
        if pyrender.__version__ == _TUNED_FOR:
            _read_only_what_is_used(self._renderer, width, height, antialias)
            _cache_uniform_locations(self._renderer)
            _skip_repeated_work(self._renderer, self._scene, self._poses)
        elif not antialias:
            self.close()
            raise RenderError(
                f"image.antialias: false needs pyrender {_TUNED_FOR} (installed: "
                f"{pyrender.__version__}); set antialias: true, or pip install "
                f"pyrender=={_TUNED_FOR}"
            )
        # Mesh nodes stay in the scene, hidden when a frame does not use them: pyrender
        # frees the GPU copy of any mesh that leaves the scene, and uploads it again later.
        self._nodes: dict[str, list[Any]] = {}
        self._base: dict[int, np.ndarray] = {}
        self._transient: list[Any] = []  # camera and lights: new every frame

    def close(self) -> None:
        self._renderer.delete()

    def render(
        self,
        K: np.ndarray,
        world_to_camera: np.ndarray,
        znear: float,
        zfar: float,
        items: list[Item],
        lights: list[Light],
        ambient: float,
    ) -> Frame:
        gl, scene = self._gl, self._scene
        for node in self._transient:
            scene.remove_node(node)
        scene.ambient_light = np.full(3, ambient)
        # pyrender places the principal point in pixel-edge coordinates: OpenCV's cx, cy
        # (pixel centres) are half a pixel less, so add it here and nowhere else.
        camera = gl.IntrinsicsCamera(
            fx=K[0, 0], fy=K[1, 1], cx=K[0, 2] + 0.5, cy=K[1, 2] + 0.5, znear=znear, zfar=zfar
        )
        self._transient = [scene.add(camera, pose=opengl_pose(world_to_camera))]
        for rank, li in enumerate(lights):
            node = self._light_node(rank, light=self._light(li), matrix=li.pose)
            scene.add_node(node)
            self._transient.append(node)
        seg = {}
        used: dict[str, int] = {}
        for item in items:
            node = self._node(item.key, item.mesh, used)
            self._set_look(node.mesh, item)
            scene.set_pose(node, item.pose)
            seg[node] = (item.instance & 255, item.instance >> 8, 0)
        for key, pool in self._nodes.items():
            for k, node in enumerate(pool):
                node.mesh.is_visible = k < used.get(key, 0)
        self._poses.clear()  # the scene is set: from here on its poses hold for the frame
        # The colour pass is multisampled: its depth comes from one sample off the pixel
        # centre (0.5 mm off on a slanted face at 1 m; edge pixels disagree with the ids),
        # so it is not read back. The id pass is single-sampled, so its ids and depth both
        # belong to pixel centres.
        rgba, _ = self._renderer.render(scene, flags=gl.RenderFlags.RGBA)
        ids, depth = self._renderer.render(scene, flags=gl.RenderFlags.SEG, seg_node_map=seg)
        instances = ids[:, :, 0].astype(np.uint16) | (ids[:, :, 1].astype(np.uint16) << 8)
        # Stock pyrender hands back bottom-up float views; ours are contiguous (no copy).
        rgba, depth = np.ascontiguousarray(rgba), depth.astype(np.float32, copy=False)
        return Frame(rgba, depth, instances)

    def _node(self, key: str, mesh: trimesh.Trimesh, used: dict[str, int]) -> Any:
        """A scene node holding a copy of the mesh not yet drawn this frame (a pyrender
        mesh belongs to one node; copies are made once and kept)."""
        pool = self._nodes.setdefault(key, [])
        k = used.get(key, 0)
        used[key] = k + 1
        if k == len(pool):
            copy = self._gl.Mesh.from_trimesh(mesh.smooth_shaded, smooth=True)
            for primitive in copy.primitives:
                self._base[id(primitive)] = np.array(primitive.material.baseColorFactor, float)
            pool.append(self._scene.add(copy))
        return pool[k]

    def _set_look(self, mesh: Any, item: Item) -> None:
        for primitive in mesh.primitives:
            base = self._base[id(primitive)]
            material = primitive.material
            material.baseColorFactor = np.append(base[:3] * item.tint, base[3])
            material.metallicFactor = item.metallic
            material.roughnessFactor = item.roughness

    def _light(self, light: Light) -> Any:
        gl = self._gl
        # pyrender reads integer colours as 0..255: [1, 1, 1] would be nearly black.
        r, g, b = (float(c) for c in light.colour)
        light = replace(light, colour=(r, g, b))
        if light.kind == "directional":
            return gl.DirectionalLight(color=light.colour, intensity=light.intensity)
        if light.kind == "point":
            return gl.PointLight(color=light.colour, intensity=light.intensity)
        return gl.SpotLight(
            color=light.colour, intensity=light.intensity, innerConeAngle=0.3, outerConeAngle=0.7
        )


def _ranked_node_type(node_type: type) -> Any:
    """pyrender nodes whose hash is a given rank: lights ranked by their order in the plan.

    pyrender keeps lights in sets and fills the shader's light arrays in set order, which
    for plain nodes follows their memory addresses; the shader sums the lights in that
    order, and float sums in another order differ in the last bit (a highlight pixel one
    level off). With small distinct hashes the order is the plan's, in any process.
    """

    class RankedNode(node_type):
        def __init__(self, rank: int, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.rank = rank

        def __hash__(self) -> int:
            return self.rank

    return RankedNode


def _read_only_what_is_used(offscreen: Any, width: int, height: int, antialias: bool) -> None:
    """Makes ``offscreen`` draw single-sampled what is not antialiased, and read back
    only what a frame uses.

    pyrender draws every pass into its 4x multisampled framebuffer, resolves colour and
    depth out of it and reads both back, converting depth to metres through masks. The
    id pass runs with multisampling off, so each of its pixels holds one value (that of
    the pixel centre) in all four samples: drawn straight into the single-sampled
    framebuffer, it is the same image without clearing and resolving four samples (a
    third of that pass on Mesa). Without antialiasing the colour pass goes there too.
    The colour pass's depth is not used: its resolve, read and conversion are skipped.
    The id pass's depth is converted in one expression, as pyrender converts it.
    """
    from OpenGL import GL
    from pyrender.constants import RenderFlags

    renderer = offscreen._renderer
    configure = renderer._configure_forward_pass_viewport

    def single(flags: int) -> bool:
        return bool(flags & RenderFlags.SEG) or not antialias

    def bind(flags: int) -> None:
        configure(flags)
        if single(flags):
            GL.glBindFramebuffer(GL.GL_DRAW_FRAMEBUFFER, renderer._main_fb)

    def read(scene: Any, flags: int) -> tuple[np.ndarray, np.ndarray | None]:
        if not single(flags):
            GL.glBindFramebuffer(GL.GL_READ_FRAMEBUFFER, renderer._main_fb_ms)
            GL.glBindFramebuffer(GL.GL_DRAW_FRAMEBUFFER, renderer._main_fb)
            GL.glBlitFramebuffer(
                0, 0, width, height, 0, 0, width, height, GL.GL_COLOR_BUFFER_BIT, GL.GL_LINEAR
            )
        GL.glBindFramebuffer(GL.GL_READ_FRAMEBUFFER, renderer._main_fb)
        if not flags & RenderFlags.SEG:
            return _pixels(GL.GL_RGBA, GL.GL_UNSIGNED_BYTE, (height, width, 4)), None
        camera = scene.main_camera_node.camera
        window = _pixels(GL.GL_DEPTH_COMPONENT, GL.GL_FLOAT, (height, width))
        ids = _pixels(GL.GL_RGB, GL.GL_UNSIGNED_BYTE, (height, width, 3))
        return ids, _metres(window, camera.znear, camera.zfar)

    renderer._configure_forward_pass_viewport = bind
    renderer._read_main_framebuffer = read


def _pixels(fmt: int, kind: int, shape: tuple[int, ...]) -> np.ndarray:
    """The bound read framebuffer, top row first, as one contiguous array."""
    from OpenGL import GL

    dtype = np.float32 if kind == GL.GL_FLOAT else np.uint8
    height, width = shape[:2]
    flat = np.frombuffer(GL.glReadPixels(0, 0, width, height, fmt, kind), dtype=dtype)
    return np.ascontiguousarray(flat.reshape(shape)[::-1])


def _metres(window: np.ndarray, near: float, far: float) -> np.ndarray:
    """Window depth (0..1) as z-depth in metres, 0 where nothing was drawn: pyrender's
    float32 arithmetic, on the whole image at once instead of through masks."""
    ndc = 2.0 * window - 1.0
    metres = (2.0 * near * far) / (far + near - ndc * (far - near))
    return np.where(window == 1.0, np.float32(0.0), metres)


def _skip_repeated_work(offscreen: Any, scene: Any, poses: dict[Any, np.ndarray]) -> None:
    """Makes ``offscreen`` compute once per frame what pyrender computes per mesh.

    pyrender walks the scene graph for a node's world pose at every use (the camera's
    for every mesh of both passes), sorts all mesh nodes by distance, hidden ones
    included, and counts the lights a shader may take for every mesh. Here a pose is
    kept in ``poses`` (emptied by ``render`` once the frame's scene is set; read-only, so
    a caller cannot change a shared copy), hidden nodes are left out before sorting
    (the stable sort keeps the visible ones' order) and the light count is kept per
    pass kind. The values are pyrender's own.
    """
    get_pose = scene.get_pose
    count_lights = offscreen._renderer._compute_max_n_lights
    counts: dict[int, list[int]] = {}

    def pose(node: Any) -> np.ndarray:
        held = poses.get(node)
        if held is None:
            held = poses[node] = get_pose(node)
            held.setflags(write=False)
        return held

    def sorted_mesh_nodes(scene: Any) -> list[Any]:
        camera = scene.get_pose(scene.main_camera_node)[:3, 3]
        shown = [n for n in scene.mesh_nodes if n.mesh.is_visible]

        def farthest_first(node: Any) -> Any:
            return -np.linalg.norm(scene.get_pose(node)[:3, 3] - camera)

        solid = sorted((n for n in shown if not n.mesh.is_transparent), key=farthest_first)
        clear = sorted((n for n in shown if n.mesh.is_transparent), key=farthest_first)
        return solid + clear

    def max_n_lights(flags: int) -> list[int]:
        if flags not in counts:
            counts[flags] = count_lights(flags)
        return list(counts[flags])

    scene.get_pose = pose
    offscreen._renderer._sorted_mesh_nodes = sorted_mesh_nodes
    offscreen._renderer._compute_max_n_lights = max_n_lights


def _cache_uniform_locations(offscreen: Any) -> None:
    """Makes the shader programs of ``offscreen`` look each uniform's location up once,
    and skip setting a uniform to the value it already holds.

    pyrender asks OpenGL for a uniform's location every time it sets one, and sets the
    camera and every light again for every mesh: some 290 calls through PyOpenGL per
    frame, most of them repeating a value the program already holds (a program keeps its
    uniforms' values until they are set again). Each program keeps its locations and the
    last value set at each; everything else is pyrender's ``set_uniform``.
    """
    cache = offscreen._renderer._program_cache
    get_program = cache.get_program

    def get(*args: Any, **kwargs: Any) -> Any:
        program = get_program(*args, **kwargs)
        if "set_uniform" not in vars(program):
            program.set_uniform = _set_uniform_once(program)
        return program

    cache.get_program = get


def _set_uniform_once(program: Any) -> Any:
    from OpenGL import GL

    locations: dict[str, int] = {}
    held: dict[str, Any] = {}
    functions = program._FUNC_MAP

    def set_uniform(name: str, value: Any, unsigned: bool = False) -> None:
        if isinstance(value, np.ndarray):
            key: Any = (value.dtype.str, value.shape, value.tobytes(), unsigned)
        elif isinstance(value, float):
            key = float(value).hex()  # -0.0 and 0.0 differ
        else:
            key = (type(value), value, unsigned)
        if held.get(name) == key:
            return
        loc = locations.get(name)
        if loc is None:
            loc = locations[name] = GL.glGetUniformLocation(program._program_id, name)
        if loc == -1:
            return  # pyrender ignores unknown names (it raises and swallows)
        try:
            if isinstance(value, np.ndarray):
                if value.ndim == 1:
                    if np.issubdtype(value.dtype, np.unsignedinteger) or unsigned:
                        kind, value = "u", value.astype(np.uint32)
                    elif np.issubdtype(value.dtype, np.integer):
                        kind, value = "i", value.astype(np.int32)
                    else:
                        kind, value = "f", value.astype(np.float32)
                    functions[(value.shape[0], kind)](loc, 1, value)
                else:
                    functions[value.shape[:2]](loc, 1, GL.GL_TRUE, value)
            elif isinstance(value, float):
                GL.glUniform1f(loc, value)
            elif isinstance(value, int):
                (GL.glUniform1ui if unsigned else GL.glUniform1i)(loc, value)
            else:
                return
        except Exception:  # as pyrender's: a value of a shape it has no function for
            return
        held[name] = key

    return set_uniform
