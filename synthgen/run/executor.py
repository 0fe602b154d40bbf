"""Executors map a task over sample indices and yield its results in index order.

A *task* is a small picklable description of per-index work (``SampleTask``: make and
write sample ``i`` of a recipe). Each worker process builds the task's worker once (assets,
caches, writers) and reuses it for every index it gets. Results come back in index order
whatever finishes first, which is what makes the manifest and the dataset files
independent of the worker count.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from synthgen.errors import OptionError
from synthgen.files import quiet_opencv
from synthgen.recipe import Recipe
from synthgen.run.shards import Layout
from synthgen.run.worker import SampleWorker

IndexWorker = Callable[[int], bytes]


class Task(Protocol):
    """Picklable per-index work: ``worker()`` is called once per worker process."""

    @property
    def chunk(self) -> int:
        """Indices per message sent to a worker."""
        ...

    def worker(self) -> IndexWorker: ...


@dataclass(frozen=True)
class SampleTask:
    """Makes sample ``i`` of ``recipe`` under ``root`` and returns its manifest line."""

    recipe: Recipe
    root: Path
    layout: Layout | None = None  # sharded output: each index's folder under root

    @property
    def chunk(self) -> int:
        return self.recipe.generator().chunk

    @property
    def start_method(self) -> str:
        """How a process pool starts its workers: see ``Generator.fork_workers``. A remote
        run's workers are spawned: a forked one leaves by ``os._exit``, skipping the atexit
        that removes its staging folder."""
        remote = self.layout is not None and self.layout.remote is not None
        fork = self.recipe.generator().fork_workers and sys.platform == "linux" and not remote
        return "fork" if fork else "spawn"

    def worker(self) -> IndexWorker:
        return SampleWorker(self.recipe, self.root, self.layout)


class Executor(Protocol):
    def map(self, task: Task, indices: Sequence[int]) -> Iterator[bytes]:
        """Yields ``task``'s result for each index, in the order of ``indices``."""
        ...

    def close(self) -> None: ...


def default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def prepare_worker_process() -> None:
    """Settings every worker process needs before it builds its task's worker."""
    # Mesa's software rasterizer starts a thread per core in every process: with one
    # process per core those threads only fight each other (before any GL context exists).
    os.environ.setdefault("LP_NUM_THREADS", "1")
    _single_threaded_opencv()
    quiet_opencv()


class InlineExecutor:
    """Runs in the calling process: one worker, no start-up cost, easy to debug."""

    def map(self, task: Task, indices: Sequence[int]) -> Iterator[bytes]:
        _single_threaded_opencv()
        worker = task.worker()
        for index in indices:
            yield worker(index)

    def close(self) -> None:
        pass


_worker: IndexWorker | None = None


def _single_threaded_opencv() -> None:
    """Per-sample operations are small: OpenCV's thread pool costs more than it gives, and
    its idle threads spin on the cores the other workers need."""
    import cv2

    cv2.setNumThreads(1)


def _init_worker(task: Task) -> None:
    global _worker
    prepare_worker_process()
    _worker = task.worker()


def _run_index(index: int) -> bytes:
    assert _worker is not None
    return _worker(index)


class ProcessExecutor:
    """A pool of worker processes: spawned, so no state leaks in from the parent, unless the
    task asks for forked ones (``start_method``), which skip the imports."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool: mp.pool.Pool | None = None

    def map(self, task: Task, indices: Sequence[int]) -> Iterator[bytes]:
        ctx = mp.get_context(getattr(task, "start_method", "spawn"))
        self._pool = ctx.Pool(self.workers, initializer=_init_worker, initargs=(task,))
        yield from self._pool.imap(_run_index, indices, chunksize=task.chunk)
        self._pool.close()
        self._pool.join()
        self._pool = None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None


EXECUTORS = ("local", "ray")


def make_executor(workers: int | None, kind: str = "local", address: str | None = None) -> Executor:
    """``local``: processes on this machine (``workers`` defaults to every core);
    ``ray``: Ray actors on a local or an existing cluster (see ``RayExecutor``)."""
    if kind == "ray":
        from synthgen.run.ray_executor import RayExecutor

        return RayExecutor(workers, address)
    if kind != "local":
        raise OptionError(f"executor {kind!r}: use one of {', '.join(EXECUTORS)}")
    if address is not None:
        raise OptionError(f"--address {address} needs --executor ray")
    workers = workers or default_workers()
    return InlineExecutor() if workers <= 1 else ProcessExecutor(workers)


@dataclass(frozen=True)
class ExecutorSpec:
    """How a run's executors are made (each pass of a run makes its own)."""

    workers: int | None = None
    kind: str = "local"
    address: str | None = None

    def make(self) -> Executor:
        return make_executor(self.workers, self.kind, self.address)
