"""Paired, interleaved timing of variants that differ by a few microseconds.

On a machine shared with other work the speed of one call drifts by far more
than the differences being measured. So the variants run in rounds: every
round times one block of calls of each variant, back to back, in an order
rotated from round to round (A B C, B C A, C A B, ...), so that none of them
always goes first or last. Each variant's block is compared with the
baseline's block *of the same round*, which cancels drift slower than a
round; the median of those per-round ratios and their spread are reported.

Per block: the garbage collector runs first (untimed) and is off while the
block runs, so a collection triggered by one variant's garbage is not billed
to the next; ``gc.freeze()`` after the warm-up keeps the objects built so far
(clients, pools, imports) out of every collection. Both the CPU time of this
process (what the client itself costs: the server runs in another process)
and the wall time are recorded.
"""
from __future__ import annotations

import gc
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from statistics import median, quantiles


@dataclass(frozen=True)
class Variant:
    name: str
    #: what one call of it does, printed with the results
    does: str
    call: Callable[[], object]


@dataclass
class Timing:
    """Per-call seconds of one variant in every round, and its per-round ratios to the baseline."""

    variant: Variant
    cpu: list[float] = field(default_factory=list)
    wall: list[float] = field(default_factory=list)
    cpu_ratios: list[float] = field(default_factory=list)
    wall_ratios: list[float] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        """The median per-round CPU ratio to the baseline: the headline figure."""
        return median(self.cpu_ratios)

    def interval(self) -> tuple[float, float]:
        """A distribution-free 95 % confidence interval of :attr:`ratio`: the order
        statistics n/2 -+ 1.96 sqrt(n)/2 of the sorted per-round ratios."""
        values = sorted(self.cpu_ratios)
        half = 0.98 * math.sqrt(len(values))
        low = max(0, math.floor(len(values) / 2 - half))
        high = min(len(values) - 1, math.ceil(len(values) / 2 + half) - 1)
        return values[low], values[high]

    def spread(self, ratios: list[float] | None = None) -> tuple[float, float]:
        """The 25th and 75th percentiles of the per-round ratios."""
        values = self.cpu_ratios if ratios is None else ratios
        if len(values) < 2:
            return values[0], values[0]
        q1, _, q3 = quantiles(values, n=4)
        return q1, q3


def paired_rounds(variants: list[Variant], *, rounds: int, block: int,
                  warmup: int = 200) -> list[Timing]:
    """Time ``variants`` (the first is the baseline) in ``rounds`` rotated rounds of
    ``block`` calls each."""
    for variant in variants:
        for _ in range(warmup):
            variant.call()
    gc.collect()
    gc.freeze()
    timings = [Timing(v) for v in variants]
    was_enabled = gc.isenabled()
    try:
        for number in range(rounds):
            shift = number % len(timings)
            for timing in timings[shift:] + timings[:shift]:
                call = timing.variant.call
                gc.collect()
                gc.disable()
                wall, cpu = time.perf_counter(), time.process_time()
                for _ in range(block):
                    call()
                cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
                gc.enable()
                timing.cpu.append(cpu / block)
                timing.wall.append(wall / block)
    finally:
        gc.unfreeze()
        if was_enabled:
            gc.enable()
    base = timings[0]
    for timing in timings:
        timing.cpu_ratios = [t / b for t, b in zip(timing.cpu, base.cpu, strict=True)]
        timing.wall_ratios = [t / b for t, b in zip(timing.wall, base.wall, strict=True)]
    return timings


def report(title: str, timings: list[Timing], rounds: int, block: int) -> None:
    print(f"\n{title}: {rounds} rotated rounds x {block} calls per variant; "
          "ratio = variant / first, paired per round")
    for number, timing in enumerate(timings):
        print(f"  [{number}] {timing.variant.name}: {timing.variant.does}")
    print(f"  {'':4s}{'CPU us/call':>12s} {'ratio':>7s} {'95% CI':>15s} {'IQR':>15s}"
          f" {'wall ratio':>11s}")
    for number, timing in enumerate(timings):
        low, high = timing.spread()
        wall_low, wall_high = timing.spread(timing.wall_ratios)
        ci_low, ci_high = timing.interval()
        print(f"  [{number}] {median(timing.cpu) * 1e6:11.1f} {timing.ratio:7.3f} "
              f"{ci_low:7.3f}-{ci_high:<7.3f} {low:7.3f}-{high:<7.3f} "
              f"{median(timing.wall_ratios):7.3f} (IQR {wall_low:.3f}-{wall_high:.3f})")
