"""Fault injection: server errors, dropped connections and latency, from a seeded RNG.

``--faults error=0.1,drop=0.05,latency=0.02 --fault-seed 7``. One draw per request
decides drop (first ``drop`` share), error (next ``error`` share) or nothing; a
second draw decides whether a faulted write fails *before* it is applied or
*after* it is committed. Both happen to real APIs, and a client's retry logic
must cope with both (the second is why retrying a POST can duplicate a record).

This module only decides; the wire layer turns a :class:`Fault` into an answer.
"""
from __future__ import annotations

import random
import threading
from collections.abc import Mapping
from dataclasses import dataclass

WRITE_METHODS = frozenset({"POST", "PUT", "DELETE", "PATCH"})
KINDS = ("error", "drop", "latency")
MAX_LATENCY = 60.0

FaultSetting = str | Mapping[str, float] | None


@dataclass(frozen=True)
class FaultSpec:
    error: float = 0.0
    drop: float = 0.0
    latency: float = 0.0

    @property
    def active(self) -> bool:
        return bool(self.error or self.drop or self.latency)


def parse_spec(spec: FaultSpec | FaultSetting) -> FaultSpec:
    """``"error=0.1,drop=0.05,latency=0.02"`` -> :class:`FaultSpec`, with clear errors."""
    if spec is None or spec == "":
        return FaultSpec()
    if isinstance(spec, FaultSpec):
        return spec
    items: list[tuple[str, object]] = []
    if isinstance(spec, Mapping):
        items = list(spec.items())
    else:
        for part in spec.split(","):
            if not part.strip():
                continue
            name, sep, text = part.partition("=")
            if not sep:
                raise ValueError(f"fault {part.strip()!r} needs a value, e.g. error=0.1")
            items.append((name.strip(), text.strip()))
    values: dict[str, float] = {}
    for key, value in items:
        if key not in KINDS:
            raise ValueError(f"unknown fault kind {key!r}; the kinds are error, drop and latency")
        try:
            number = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ValueError(f"fault {key}={value!r}: the value must be a number") from None
        if key != "latency" and not 0.0 <= number <= 1.0:
            raise ValueError(f"fault {key}={number}: a share between 0 and 1")
        if key == "latency" and not 0.0 <= number <= MAX_LATENCY:
            raise ValueError(f"fault latency={number}: seconds between 0 and {MAX_LATENCY:g}")
        values[key] = number
    result = FaultSpec(**values)
    if result.error + result.drop > 1.0:
        raise ValueError("error + drop shares must add up to at most 1")
    return result


@dataclass(frozen=True)
class Fault:
    kind: str           # "error" or "drop"
    after_write: bool   # the write is applied and committed first
    status: int = 0
    #: answer as the proxy in front of the API would (an HTML page), not the API itself
    from_proxy: bool = False


class FaultInjector:
    """The server's fault setting. It can be changed while serving and put back
    to the one it was built with (RNG restarted), so a reset replays the same faults."""

    def __init__(self, spec: FaultSpec | FaultSetting = None, seed: int | None = None) -> None:
        self._initial = (parse_spec(spec), seed)
        self._lock = threading.Lock()
        self.spec, self._rng = self._initial[0], random.Random(seed)

    def configure(self, spec: FaultSpec | FaultSetting, seed: int | None = None) -> FaultSpec:
        """Change the faults while running (None turns them off)."""
        parsed = parse_spec(spec)
        with self._lock:
            self.spec, self._rng = parsed, random.Random(seed)
        return parsed

    def restore(self) -> None:
        """Back to the faults given at construction, with their RNG restarted."""
        self.configure(*self._initial)

    def draw(self, method: str) -> Fault | None:
        """The fault for the next request, if any (thread-safe, reproducible for a seed)."""
        with self._lock:
            spec, rng = self.spec, self._rng
            if not (spec.error or spec.drop):
                return None
            roll = rng.random()
            if roll >= spec.drop + spec.error:
                return None
            after = method.upper() in WRITE_METHODS and rng.random() < 0.5
            if roll < spec.drop:
                return Fault("drop", after)
            status = rng.choice((500, 502, 503))
            from_proxy = status != 500 and rng.random() < 0.5
            return Fault("error", after, status, from_proxy)
