"""Fault settings and the seeded draws that decide each request's fault."""
from __future__ import annotations

import pytest

from basecrm_like.mock.backend.faults import FaultInjector, FaultSpec, parse_spec


def test_specs_parse_with_clear_errors() -> None:
    assert parse_spec("error=0.1, drop=0.05,latency=0.02") == FaultSpec(0.1, 0.05, 0.02)
    assert parse_spec(None) == parse_spec("") == FaultSpec()
    assert parse_spec({"drop": 1}) == FaultSpec(drop=1.0)
    for bad, message in (("boom=1", "unknown fault kind"), ("error", "needs a value"),
                         ("error=x", "must be a number"), ("error=2", "between 0 and 1"),
                         ("error=0.6,drop=0.6", "at most 1"), ("latency=61", "seconds")):
        with pytest.raises(ValueError, match=message):
            parse_spec(bad)


def test_draws_are_reproducible_and_restorable() -> None:
    injector = FaultInjector("error=0.5,drop=0.2", seed=7)
    first = [injector.draw("POST") for _ in range(50)]
    assert {fault.kind for fault in first if fault} == {"error", "drop"}
    assert any(fault and fault.after_write for fault in first)
    assert all(fault.status in (500, 502, 503) for fault in first if fault and fault.kind == "error")
    injector.configure(None)
    assert injector.draw("GET") is None and not injector.spec.active
    injector.restore()
    assert [injector.draw("POST") for _ in range(50)] == first


def test_reads_never_fail_after_a_write() -> None:
    injector = FaultInjector("error=1", seed=1)
    assert not any(injector.draw("GET").after_write for _ in range(20))  # type: ignore[union-attr]
