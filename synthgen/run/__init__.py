"""The run engine: plan, seeding, executors, manifest, resume, progress."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from synthgen.run.engine import RunSummary, generate_dataset

__all__ = ["RunSummary", "generate_dataset"]


def __getattr__(name: str) -> Any:
    # The engine (and tqdm, quotas, finalization) loads on first use: a spawned worker
    # process imports synthgen.run.executor and the worker only (~0.1 s of CPU less each).
    if name in __all__:
        from synthgen.run import engine

        return getattr(engine, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
