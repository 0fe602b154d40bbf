"""Runs a task on Ray: one actor per worker, each building the task's worker once.

Ray is imported lazily (the ``ray`` extra), so synthgen works without it. Chunks of
indices go to the actors with a bounded number in flight (the index range is never
queued whole), and their results come back in index order, so the manifest and the
dataset files are the same bytes as a local run's.

A worker process that dies (killed, out of memory, its node lost) does not fail the run:
Ray restarts its actor and runs the lost chunk again. Sample writing makes that safe: each
file of sample ``i`` depends only on the recipe, the seed and ``i``, is written under a
temp name and renamed, and the manifest line is written by the driver once the chunk's
result arrives; a chunk run twice writes the same bytes twice.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from synthgen.errors import SynthgenError
from synthgen.run.executor import IndexWorker, Task, prepare_worker_process

if TYPE_CHECKING:
    from types import ModuleType

INSTALL_HINT = 'pip install "synthgen[ray]"'
IN_FLIGHT = 2  # chunks queued per actor: one running, one ready to start when it ends
RETRIES = 3  # restarts of a dead actor, and re-runs of the chunk it was running


class ExecutorError(SynthgenError):
    """The executor could not run the task (no Ray, no cluster, workers lost for good)."""


def import_ray() -> ModuleType:
    try:
        import ray
    except ImportError:
        raise ExecutorError(f"--executor ray needs Ray: {INSTALL_HINT}") from None
    return ray


class _Actor:
    """Holds one task worker for the life of its process.

    The task comes with every chunk, as a reference to the one copy in the object store
    (in a list, so that Ray passes the reference, not the task): the first chunk builds the
    worker, also in a restarted actor, and the constructor needs no arguments to keep.
    """

    def __init__(self) -> None:
        self.worker: IndexWorker | None = None

    def run(self, task: list[Any], indices: Sequence[int]) -> list[bytes]:
        if self.worker is None:
            import ray

            prepare_worker_process()
            self.worker = ray.get(task[0]).worker()
        return [self.worker(i) for i in indices]


class RayExecutor:
    """Maps a task over indices with Ray actors on a local or an existing cluster.

    ``address`` is passed to ``ray.init`` ("auto": the cluster this machine belongs to;
    "ray://host:10001": a remote one); without it a local Ray is started with ``workers``
    CPUs. Ray is shut down by ``close`` only when this executor started it.
    ``workers=None`` uses every CPU of the cluster.
    """

    def __init__(
        self,
        workers: int | None,
        address: str | None = None,
        *,
        in_flight: int = IN_FLIGHT,
        retries: int = RETRIES,
    ) -> None:
        self.workers = workers
        self.address = address
        self.in_flight = in_flight
        self.retries = retries
        self._started = False
        self._actors: list[Any] = []

    def map(self, task: Task, indices: Sequence[int]) -> Iterator[bytes]:
        ray = self._connect()
        actor_class = ray.remote(
            num_cpus=1, max_restarts=self.retries, max_task_retries=self.retries
        )(_Actor)
        task_ref = [ray.put(task)]  # pickled once, read by every actor (and restart)
        self._actors = [actor_class.remote() for _ in range(self._worker_count(ray))]
        try:
            yield from self._ordered(ray, task_ref, task.chunk, indices)
        finally:
            self._kill_actors(ray)

    def _ordered(
        self, ray: ModuleType, task: list[Any], chunk: int, indices: Sequence[int]
    ) -> Iterator[bytes]:
        """Submits chunks to the least busy actor, at most ``in_flight`` each, and yields
        the results in index order as they arrive."""
        busy = [0] * len(self._actors)
        running: dict[Any, int] = {}  # chunk result -> its actor
        queue: deque[tuple[Sequence[int], Any]] = deque()  # submitted, not yet yielded
        # Finished chunks wait in the queue behind a slow one: bound how far ahead we go.
        ahead = 4 * self.in_flight * len(self._actors)
        for k in range(0, len(indices), chunk):
            while min(busy) >= self.in_flight or len(queue) >= ahead:
                yield from self._advance(ray, queue, running, busy)
            part = indices[k : k + chunk]
            actor = busy.index(min(busy))
            ref = self._actors[actor].run.remote(task, part)
            queue.append((part, ref))
            running[ref] = actor
            busy[actor] += 1
        while queue:
            yield from self._advance(ray, queue, running, busy)

    def _advance(
        self,
        ray: ModuleType,
        queue: deque[tuple[Sequence[int], Any]],
        running: dict[Any, int],
        busy: list[int],
    ) -> Iterator[bytes]:
        """Waits for a chunk to finish (or fail for good), frees its actor's slot, and
        yields the results at the head of the queue that are complete."""
        if running:
            ready, _ = ray.wait(list(running), num_returns=1)
            for ref in ready:
                busy[running.pop(ref)] -= 1
        while queue and queue[0][1] not in running:
            part, ref = queue.popleft()
            yield from self._get(ray, part, ref)

    def _get(self, ray: ModuleType, part: Sequence[int], ref: Any) -> list[bytes]:
        from ray.exceptions import ObjectLostError, RayActorError, RayTaskError

        try:
            return ray.get(ref)
        except RayTaskError as err:
            raise err.cause from None  # the task's own error, as a local run raises it
        except (RayActorError, ObjectLostError) as err:
            raise ExecutorError(
                f"samples {part[0]}..{part[-1]}: the Ray worker making them died "
                f"{self.retries + 1} times, or its node was lost ({type(err).__name__}); "
                "the Ray logs (/tmp/ray/session_latest/logs) say why, e.g. out of memory; "
                "run again with --resume to continue"
            ) from None

    def _connect(self) -> ModuleType:
        ray = import_ray()
        if ray.is_initialized():
            return ray
        kwargs: dict[str, Any] = {"include_dashboard": False, "logging_level": logging.WARNING}
        if self.address is None:
            kwargs["num_cpus"] = self.workers
        try:
            ray.init(address=self.address, **kwargs)
        except ConnectionError as err:
            raise ExecutorError(
                f"--address {self.address}: cannot connect to a Ray cluster ({err})"
            ) from None
        self._started = True
        return ray

    def _worker_count(self, ray: ModuleType) -> int:
        cpus = int(ray.cluster_resources().get("CPU", 0))
        if self.workers is None:
            return max(cpus, 1)
        if self.workers > cpus:
            raise ExecutorError(
                f"--workers {self.workers}: the Ray cluster has {cpus} CPUs; "
                f"use --workers {cpus} or fewer"
            )
        return self.workers

    def _kill_actors(self, ray: ModuleType) -> None:
        for actor in self._actors:
            ray.kill(actor)
        self._actors = []

    def close(self) -> None:
        """Stops the actors (a failed run leaves none behind on a cluster) and the local
        Ray this executor started, if it did."""
        if not self._actors and not self._started:
            return
        ray = import_ray()
        self._kill_actors(ray)
        if self._started:
            ray.shutdown()
            self._started = False
