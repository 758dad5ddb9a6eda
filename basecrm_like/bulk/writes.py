"""How one prepared row is written: a create, an upsert, or (with a lookup) at most one request.

- Without a key the row is created; the journal marks it pending first, so a
  resume after a kill never creates it twice.
- With a key and a lookup's matches: nothing when the record already holds the
  row's values, an update by id when it differs, the upsert endpoint when no
  record has the key (a record someone made since the lookup is then updated,
  not duplicated), and a failure when several records share the key.
- With a key and no lookup: ``compare`` reads the record first (one more
  request) to tell ``unchanged`` apart; without it the row is one upsert.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..catalog import Resource
from .compare import same
from .journal import Journal
from .lookup import KeyLookup
from .mapping import missing_required
from .outcomes import RowFailure, applied, status_of
from .rows import InputRow

__all__ = ["RowWriter", "Task"]


@dataclass
class Task:
    """A row ready to send: its attributes, and its key's value and filters."""

    row: InputRow
    attributes: dict[str, Any]
    key_value: Any = None
    filters: dict[str, Any] | None = None
    #: records holding the key value, when a lookup answered for this row
    matches: list[Mapping[str, Any]] | None = None



class RowWriter:
    """Writes prepared rows of one resource through ``service``; ``call`` runs each request.

    ``lookup`` is the run's key lookup, if any (a partial one, such as a
    Search v3 projection, names the attributes its records hold in ``fields``).
    """

    def __init__(self, resource: Resource, service: Any, key: str | None,
                 journal: Journal | None, call: Callable[..., Any], *, compare: bool,
                 lookup: KeyLookup | None) -> None:
        self.resource, self.service, self.key, self.journal = resource, service, key, journal
        self.call, self.compare, self.lookup = call, compare, lookup

    def create(self, task: Task, attempts: list[int]) -> tuple[str, Any]:
        service = self.service
        if self.journal is not None:
            self.journal.pending(task.row.number, task.row.fingerprint)
        record = self.call(lambda: service.create(task.attributes), attempts, idempotent=False,
                           collection=True)
        return "created", applied(record)

    def upsert(self, task: Task, attempts: list[int]) -> tuple[str, Any]:
        assert task.filters is not None
        service, filters, attributes = self.service, task.filters, task.attributes
        if task.matches is not None:
            return self.write_looked_up(task, attempts)
        if not self.compare:
            return status_of(applied(self.call(lambda: service.upsert(filters, attributes),
                                               attempts, True, collection=True)))
        found = self.call(lambda: service.list(**filters, per_page=2), attempts, True,
                          collection=True)
        if not isinstance(found, list):
            raise RowFailure("not_api_answer", "the lookup's answer was not the API's JSON "
                             "list; check --base-url")
        if len(found) > 1:
            raise self._ambiguous(task)
        if not found:
            missing = missing_required(self.resource, attributes)
            if missing is not None:
                raise RowFailure(missing.code, missing.message, missing.field)
            record = self.call(lambda: service.upsert(filters, attributes), attempts, True,
                               collection=True)
            return "created", applied(record)
        body = self._changes(task, found[0])
        if body is None:
            return "unchanged", found[0]
        record = self.call(lambda: service.upsert(filters, body), attempts, True,
                           collection=True)
        return "updated", applied(record)

    def write_looked_up(self, task: Task, attempts: list[int]) -> tuple[str, Any]:
        """One request at most: nothing, an update by id, or an upsert for a missing record."""
        assert task.filters is not None and task.matches is not None
        service, filters, attributes = self.service, task.filters, task.attributes
        if len(task.matches) > 1:
            raise self._ambiguous(task)
        if task.matches:
            existing = task.matches[0]
            body = self._changes(task, existing)
            if body is None:
                return "unchanged", existing
            try:
                record = self.call(lambda: service.update(existing["id"], body), attempts, True)
                return "updated", applied(record)
            except RowFailure as exc:
                if exc.code not in ("not_found", "http_404"):
                    raise
                # deleted since the lookup: the upsert below recreates it, once
        missing = missing_required(self.resource, attributes)
        if missing is not None:
            raise RowFailure(missing.code, missing.message, missing.field)
        # the upsert, not a create: a record someone made since the lookup is updated
        return status_of(applied(self.call(lambda: service.upsert(filters, attributes),
                                           attempts, True, collection=True)))

    def _ambiguous(self, task: Task) -> RowFailure:
        return RowFailure("ambiguous_key", f"{self.key}={task.key_value!r} matches more than "
                          f"one {self.resource.model_name}; make the key unique", self.key)

    def _changes(self, task: Task, existing: Mapping[str, Any]) -> dict[str, Any] | None:
        """What to send to make ``existing`` hold the row's values; None when it does."""
        attributes = task.attributes
        # a lookup that holds only some attributes (a search projection) cannot vouch for others
        known = getattr(self.lookup, "fields", None) if task.matches else None
        changed = [name for name, value in attributes.items()
                   if (known is not None and name not in known)
                   or not same(self.resource.field(name), value, existing.get(name))]
        if not changed:
            return None
        for name in changed:
            spec = self.resource.field(name)
            if spec is not None and spec.access == "c":
                raise RowFailure("create_only", f"{name} can be set only when the "
                                 f"{self.resource.model_name} is created (it is "
                                 f"{existing.get(name)!r}, the row says {attributes[name]!r})",
                                 name)
        return {k: v for k, v in attributes.items()
                if (s := self.resource.field(k)) is None or s.access != "c"}
