"""Fault injection: server errors, dropped connections and latency, from a seeded RNG.

``--faults error=0.1,drop=0.05,latency=0.02 --fault-seed 7``. One draw per request
decides drop (first ``drop`` share), error (next ``error`` share) or nothing; a
second draw decides whether a faulted write fails *before* it is applied or
*after* it is committed. Both happen to real APIs, and a client's retry logic
must cope with both (the second is why retrying a POST can duplicate a record).
"""
from __future__ import annotations

import random
import threading
from dataclasses import dataclass

try:  # waitress closes the connection without an answer on this exception
    from waitress.channel import ClientDisconnected as _Disconnect
except ImportError:  # pragma: no cover - waitress is part of the mock extra
    _Disconnect = ConnectionAbortedError  # type: ignore[misc,assignment,unused-ignore]

WRITE_METHODS = frozenset({"POST", "PUT", "DELETE", "PATCH"})

_HTML = {
    502: b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
         b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
         b"</body>\r\n</html>\r\n",
    503: b"<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle "
         b"this request.\n</body></html>\n",
}


class DropConnection(_Disconnect):
    """Raised from the app to make the server close the socket without answering."""


@dataclass(frozen=True)
class FaultSpec:
    error: float = 0.0
    drop: float = 0.0
    latency: float = 0.0

    @property
    def active(self) -> bool:
        return bool(self.error or self.drop or self.latency)


def parse_spec(spec: str | FaultSpec | dict[str, float] | None) -> FaultSpec:
    """``"error=0.1,drop=0.05,latency=0.02"`` -> :class:`FaultSpec`, with clear errors."""
    if spec is None or spec == "":
        return FaultSpec()
    if isinstance(spec, FaultSpec):
        return spec
    items: list[tuple[str, object]] = []
    if isinstance(spec, dict):
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
        if key not in ("error", "drop", "latency"):
            raise ValueError(f"unknown fault kind {key!r}; the kinds are error, drop and latency")
        try:
            number = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ValueError(f"fault {key}={value!r}: the value must be a number") from None
        if key != "latency" and not 0.0 <= number <= 1.0:
            raise ValueError(f"fault {key}={number}: a share between 0 and 1")
        if key == "latency" and not 0.0 <= number <= 60.0:
            raise ValueError(f"fault latency={number}: seconds between 0 and 60")
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
    html: bool = False

    def body(self) -> bytes | None:
        """The HTML a proxy would send, or None for the API's JSON envelope."""
        return _HTML.get(self.status) if self.html else None


class FaultInjector:
    def __init__(self, spec: str | FaultSpec | dict[str, float] | None,
                 seed: int | None = None) -> None:
        self.spec = parse_spec(spec)
        self._rng = random.Random(seed)
        self._lock = threading.Lock()

    @property
    def latency(self) -> float:
        return self.spec.latency

    def draw(self, method: str) -> Fault | None:
        """The fault for the next request, if any (thread-safe, reproducible for a seed)."""
        spec = self.spec
        if not (spec.error or spec.drop):
            return None
        with self._lock:
            roll = self._rng.random()
            if roll >= spec.drop + spec.error:
                return None
            after = method.upper() in WRITE_METHODS and self._rng.random() < 0.5
            if roll < spec.drop:
                return Fault("drop", after)
            status = self._rng.choice((500, 502, 503))
            html = status != 500 and self._rng.random() < 0.5
            return Fault("error", after, status, html)
