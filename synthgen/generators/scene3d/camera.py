"""Camera geometry in OpenCV convention (x right, y down, z forward), converted to
OpenGL's (x right, y up, looking down -z) in exactly one place: ``opengl_pose``."""

from __future__ import annotations

import math

import numpy as np

# OpenCV camera axes expressed in OpenGL's: flip y and z.
CV_TO_GL = np.diag([1.0, -1.0, -1.0, 1.0])


def look_at(eye: np.ndarray, target: np.ndarray, roll_deg: float = 0.0) -> np.ndarray:
    """World-to-camera 4x4 of a camera at ``eye`` looking at ``target``, world +z up.

    The image's 'up' is the world's up projected into the view, turned by ``roll_deg``.
    """
    forward = target - eye
    forward = forward / np.linalg.norm(forward)
    up = np.array([0.0, 0.0, 1.0])
    if abs(forward @ up) > 0.999:  # looking straight down or up: any horizontal 'up' will do
        up = np.array([0.0, 1.0, 0.0])
    right = np.cross(forward, up)
    right /= np.linalg.norm(right)
    down = np.cross(forward, right)
    a = math.radians(roll_deg)
    right, down = (
        math.cos(a) * right + math.sin(a) * down,
        -math.sin(a) * right + math.cos(a) * down,
    )
    w2c = np.eye(4)
    w2c[:3, :3] = np.stack([right, down, forward])
    w2c[:3, 3] = -w2c[:3, :3] @ eye
    return w2c


def orbit(distance: float, elevation_deg: float, azimuth_deg: float) -> np.ndarray:
    """A camera position on a sphere around the origin (elevation above the xy plane)."""
    el, az = math.radians(elevation_deg), math.radians(azimuth_deg)
    return distance * np.array(
        [math.cos(el) * math.cos(az), math.cos(el) * math.sin(az), math.sin(el)]
    )


def intrinsics_from_fov(fov_deg: float, width: int, height: int) -> np.ndarray:
    """K with square pixels, the vertical field of view given, principal point centred.

    The image centre is ((width - 1) / 2, (height - 1) / 2) in OpenCV's pixel-centre
    convention.
    """
    fy = (height / 2) / math.tan(math.radians(fov_deg) / 2)
    return np.array([[fy, 0, (width - 1) / 2], [0, fy, (height - 1) / 2], [0, 0, 1.0]])


def opengl_pose(world_to_camera: np.ndarray) -> np.ndarray:
    """Camera-to-world in OpenGL convention, as pyrender wants it."""
    return np.linalg.inv(world_to_camera) @ CV_TO_GL
