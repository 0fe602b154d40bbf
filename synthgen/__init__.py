"""synthgen: synthetic data with exact labels."""

__version__ = "0.1.0"
