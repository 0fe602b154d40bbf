"""The run engine: plan, seeding, executors, manifest, resume, progress."""

from synthgen.run.engine import RunSummary, generate_dataset

__all__ = ["RunSummary", "generate_dataset"]
