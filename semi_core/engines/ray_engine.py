"""The Ray engine: batches of pairs go to Ray actors, each owning a warm sandbox pool
(and a mutant pool), so validation — the CPU-heavy stage — spreads over a cluster.

The driver (the process that called validation) keeps at most `in_flight` batches queued
per actor and pulls the next batch from the store's pages only when one comes back, so
memory stays bounded whatever the corpus size. Results travel back as plain
`ValidationResult`s and the driver alone writes the store.

`ray` is an optional dependency (``pip install 'semi-instruct-studio[ray]'``), imported
only when this engine starts. Every node needs this package installed (same version):
an actor imports `semi_core` to run its pool.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable, Iterator
from typing import Any

from semi_core.engines.base import EngineError, Item, ValidationEngine, register
from semi_core.sandbox import Limits, SandboxPool
from semi_core.validate import ValidationResult, ValidationSettings

_OBJECT_STORE_BYTES = 128 * 1024 * 1024  # a local instance moves batches, not data sets
_RETRIES = 3  # restarts of a dead actor, and reruns of a batch it had
_REACH_TIMEOUT_S = 3.0  # a head node answers a TCP connect in milliseconds


class _PoolActor:
    """Lives in a Ray worker process: a local engine over its own warm pools."""

    def __init__(self, settings: ValidationSettings, limits: Limits) -> None:
        from semi_core.engines.local import LocalEngine

        self.engine = LocalEngine(settings, limits)

    def validate(self, batch: list[Item]) -> list[ValidationResult]:
        [done] = self.engine.validate_batches([batch])
        return [result for _subject, result in done]

    def where(self) -> dict[str, Any]:
        """The node and process this actor runs in (for logs, and for tests that kill it)."""
        return {"node": socket.gethostname(), "pid": os.getpid()}


def _host_and_port(address: str) -> tuple[str, int] | None:
    """(host, port) of a "host:port" or "ray://host:port" address; None for the other
    forms Ray takes ("auto", "local", a bare host)."""
    where = address.removeprefix("ray://").rstrip("/")
    host, colon, port = where.rpartition(":")
    if not colon or not host or not port.isdigit():
        return None
    return host.strip("[]"), int(port)  # "[::1]:6379" too


def check_reachable(address: str, timeout_s: float = _REACH_TIMEOUT_S) -> None:
    """Raise `EngineError` unless something accepts a TCP connection at `address` (when it
    names a host and port). Why: `ray.init` retries an unreachable address for minutes
    before it fails; a connect with a short timeout says at once what is wrong."""
    target = _host_and_port(address)
    if target is None:
        return
    try:
        with socket.create_connection(target, timeout=timeout_s):
            pass
    except OSError as error:
        reason = "timed out" if isinstance(error, TimeoutError) else (error.strerror or error)
        raise EngineError(
            f"cannot reach the Ray cluster at {address} ({reason}): start its head node "
            "(`ray start --head` prints the address to use), check the host and port and "
            "any firewall between, or leave the address out to start a local Ray instance"
        ) from None


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise EngineError(
            "the ray engine needs Ray: pip install 'semi-instruct-studio[ray]'"
        ) from None
    return ray


@register
class RayEngine(ValidationEngine):
    name = "ray"
    batch_size = 16  # pairs per remote call: enough work to hide the round trip

    def __init__(
        self,
        settings: ValidationSettings,
        limits: Limits,
        address: str | None = None,
        actors: int | None = None,
        in_flight: int = 2,
        num_cpus: int | None = None,
        batch_size: int | None = None,
    ) -> None:
        if address:  # before Ray starts: an unreachable address would hang ray.init
            check_reachable(address)
        ray = self._ray = _import_ray()
        self._size_batches(batch_size, self.batch_size)
        self.in_flight = max(1, in_flight)
        self._started_ray = False
        if not ray.is_initialized():
            options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
            if not address:  # a fresh local instance: small, and as many CPUs as asked
                options.update(num_cpus=num_cpus, object_store_memory=_OBJECT_STORE_BYTES)
            try:
                ray.init(address=address or None, **options)
            except (ConnectionError, RuntimeError, ValueError) as error:
                where = f"the Ray cluster at {address}" if address else "a local Ray instance"
                raise EngineError(f"cannot start {where}: {error}") from None
            self._started_ray = True
        cpus = int(ray.cluster_resources().get("CPU", 1))
        count = actors or max(1, cpus // max(limits.workers, 1))
        # One logical CPU each, so every actor finds a place even on small nodes; SPREAD
        # puts them on as many nodes as there are.
        # Validating a batch is pure (the driver records it), so an actor that dies — its
        # process killed, its node lost — is restarted and its batches are run again.
        actor_class = ray.remote(num_cpus=1, max_restarts=_RETRIES, max_task_retries=_RETRIES)(
            _PoolActor
        )
        self.actors = [
            actor_class.options(scheduling_strategy="SPREAD").remote(settings, limits)
            for _ in range(count)
        ]

    @classmethod
    def create(
        cls,
        settings: ValidationSettings,
        limits: Limits,
        *,
        pool: SandboxPool | None = None,
        address: str | None = None,
        **options: Any,
    ) -> RayEngine:
        return cls(settings, limits, address, **options)

    def validate_batches(
        self, batches: Iterable[list[Item]]
    ) -> Iterator[list[tuple[dict[str, Any], ValidationResult]]]:
        ray = self._ray
        source = iter(batches)
        load = [0] * len(self.actors)  # batches queued per actor
        pending: dict[Any, tuple[int, list[dict[str, Any]]]] = {}  # ref -> (actor, subjects)
        exhausted = False
        # When the caller stops early, batches still queued are simply never read: their
        # results are dropped with the actors at `close` (nothing was recorded for them).
        while True:
            while not exhausted and min(load) < self.in_flight:
                batch = next(source, None)
                if batch is None:
                    exhausted = True
                    break
                index = load.index(min(load))  # the least busy actor
                ref = self.actors[index].validate.remote(batch)
                pending[ref] = (index, [subject for subject, _cases in batch])
                load[index] += 1
            if not pending:
                return
            [ready], _ = ray.wait(list(pending), num_returns=1)
            index, subjects = pending.pop(ready)
            load[index] -= 1
            try:
                results = ray.get(ready)
            except ray.exceptions.RayActorError as error:  # dead past its restarts
                raise EngineError(
                    f"a Ray actor died {_RETRIES + 1} times ({type(error).__name__}); the "
                    "pairs it had are not recorded: run validation again to finish them"
                ) from error
            yield list(zip(subjects, results, strict=True))

    def close(self) -> None:
        ray = self._ray
        # Killing an actor is enough: its pools' zygotes see their control socket close
        # and take their workers down with them. No wait for batches still queued.
        for actor in self.actors:
            ray.kill(actor)
        self.actors = []
        if self._started_ray:
            ray.shutdown()
