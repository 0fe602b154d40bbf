"""Tasks for the Ray executor's tests, in a module of their own: Ray workers import it to
unpickle them, and it imports nothing heavy (the test module probes OpenGL on import)."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from synthgen.run.executor import IndexWorker, Task


@dataclass(frozen=True)
class DiesAt:
    """Wraps a task: the worker process exits at ``index`` (once, if ``marker`` is given:
    the marker file records that it happened)."""

    task: Task
    index: int
    marker: Path | None = None

    @property
    def chunk(self) -> int:
        return self.task.chunk

    def worker(self) -> IndexWorker:
        inner = self.task.worker()

        def work(index: int) -> bytes:
            if index == self.index and (self.marker is None or not self.marker.exists()):
                if self.marker is not None:
                    self.marker.touch()
                os._exit(1)
            return inner(index)

        return work


@dataclass(frozen=True)
class FailsAt:
    """Wraps a task: raises (an error of the sample, not of the process) at ``index``."""

    task: Task
    index: int

    @property
    def chunk(self) -> int:
        return self.task.chunk

    def worker(self) -> IndexWorker:
        inner = self.task.worker()

        def work(index: int) -> bytes:
            if index == self.index:
                raise RuntimeError(f"sample {index} failed on purpose")
            return inner(index)

        return work


@dataclass(frozen=True)
class Echo:
    """The index as bytes, after a pause that varies, so chunks finish out of order."""

    @property
    def chunk(self) -> int:
        return 3

    def worker(self) -> IndexWorker:
        def work(index: int) -> bytes:
            time.sleep(0.002 * (index % 5))
            return str(index).encode()

        return work
