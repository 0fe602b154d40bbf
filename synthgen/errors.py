"""User-facing errors: each says what is wrong, where (file or key) and how to fix it.

The CLI prints them without a traceback and exits with status 2.
"""

from __future__ import annotations


class SynthgenError(Exception):
    """Base of the errors a user can fix: bad recipes, assets, output folders."""


class AssetError(SynthgenError):
    """An input file or folder that cannot be used (missing, empty, corrupt, wrong shape)."""


class PlacementError(SynthgenError):
    """The recipe's constraints could not be met within the allowed number of attempts."""


class OutputError(SynthgenError):
    """The output folder cannot be used as asked (another recipe's output, a finished run...)."""


class OptionError(SynthgenError):
    """A command-line option that does not fit the recipe (e.g. --locale for a generator
    without locales)."""


class AssetWarning(UserWarning):
    """An input that works but may give surprising results (e.g. an open mesh)."""
