"""`basecrm-like export --where/--sort` against the mock server over loopback."""
from __future__ import annotations

import csv
import io
import json
from typing import Any

from click.testing import CliRunner

from basecrm_like.cli import cli


def _export(server: Any, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["export", *args, "--rate", "0", "--token", server.token,
                                      "--base-url", server.url])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_where_and_sort_choose_and_order_the_exported_deals(basecrm_mock: Any,
                                                            basecrm_client: Any) -> None:
    org = basecrm_client.contacts.create(name="Acme", is_organization=True)
    for name, value, stage in [("small", "10", 1), ("big", "5000.50", 2), ("bigger", "9000", 1),
                               ("wrong stage", "7000", 3)]:
        basecrm_client.deals.create(name=name, contact_id=org.id, value=value, stage_id=stage)
    code, out, err = _export(basecrm_mock, "deals", "--format", "jsonl", "--where",
                             "decimal_value >= 1000 and stage.id in (1, 2)",
                             "--sort", "decimal_value:desc")
    assert code == 0, err
    rows = [json.loads(line) for line in out.splitlines()]
    assert [(r["name"], r["value"]) for r in rows] == [("bigger", "9000"), ("big", "5000.50")]
    code, out, err = _export(basecrm_mock, "deals", "--where", "name starts with 'big'",
                             "--sort", "name")
    assert code == 0, err
    table = list(csv.DictReader(io.StringIO(out)))
    assert [row["name"] for row in table] == ["big", "bigger"]
    assert "value" in table[0] and "stage_id" in table[0]  # the same columns as any export


def test_a_syntax_error_points_at_its_column(basecrm_mock: Any) -> None:
    code, _, err = _export(basecrm_mock, "deals", "--where", "decimal_value >= and hot = true")
    assert code == 2
    assert "column 18" in err
    assert "  decimal_value >= and hot = true\n" in err
    assert "\n" + " " * 19 + "^" in err


def test_unknown_attributes_and_unsearchable_resources_are_refused(basecrm_mock: Any) -> None:
    code, _, err = _export(basecrm_mock, "deals", "--where", "valeu > 3")
    assert code == 2 and "valeu" in err
    code, _, err = _export(basecrm_mock, "products", "--where", "name = 'x'")
    assert code == 2 and "Search API" in err
    code, _, err = _export(basecrm_mock, "deals", "--where", "hot = true", "--filter", "hot=true")
    assert code == 2 and "either" in err


def test_sort_alone_searches_everything_in_order(basecrm_mock: Any, basecrm_client: Any) -> None:
    for name in ("b", "c", "a"):
        basecrm_client.leads.create(last_name=name)
    code, out, err = _export(basecrm_mock, "leads", "--format", "jsonl", "--sort",
                             "last_name:desc")
    assert code == 0, err
    assert [json.loads(line)["last_name"] for line in out.splitlines()] == ["c", "b", "a"]
    code, _, err = _export(basecrm_mock, "leads", "--sort", "last_name:sideways")
    assert code == 2 and "column 11" in err and "asc or desc" in err
