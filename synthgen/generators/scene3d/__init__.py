"""3D scenes: meshes on a table, in a bin or on a floor, rendered headless with pyrender.

Labels come from geometry and the instance buffer: depth, visible and amodal masks, 2D and
3D boxes, 6D poses in the camera frame, keypoints with depth-tested visibility.
"""

from synthgen.generators.scene3d.generator import Scene3DGenerator

__all__ = ["Scene3DGenerator"]
