"""Bulk imports and exports: concurrent, rate-limited, idempotent, resumable.

>>> summary = client.bulk.import_file("contacts", "people.csv", key="email")  # doctest: +SKIP
>>> summary.line()                                                             # doctest: +SKIP
'1000 rows: 990 created, 0 updated, 5 unchanged, 5 failed, 0 skipped in 101.2 s'

One job per module:

- :mod:`.service`: :class:`BulkService` (``client.bulk``), the entry point;
- :mod:`.engine`: :class:`Importer`, which sends rows with worker threads;
- :mod:`.rows`: reading CSV and JSON Lines into :class:`InputRow` records;
- :mod:`.mapping`: columns to attributes (:class:`ColumnMapper`, coercion, required checks);
- :mod:`.results`: :class:`RowResult`, :class:`ImportSummary` and the CSV report;
- :mod:`.journal`: the journal that makes an interrupted import resumable;
- :mod:`.lookup`: finding the records of keyed rows (prefetched key index, Search v3
  batches, strategies);
- :mod:`.customfields`: custom-field values typed by the account's definitions;
- :mod:`.export`: records back to the flat rows an import reads.
"""
from .customfields import CustomFieldTypes
from .engine import Importer, ImportStopped, run_with_report
from .export import export_columns, flatten_record, write_csv_records
from .journal import Journal, JournalEntry, JournalError, default_journal_path
from .lookup import (
    LOOKUPS,
    KeyLookup,
    LookupPlan,
    LookupUnavailable,
    PrefetchIndex,
    SearchLookup,
    plan_lookup,
)
from .mapping import (
    IGNORE,
    ColumnMapper,
    coerce_value,
    load_map_file,
    missing_required,
    parse_map_options,
)
from .results import (
    REPORT_COLUMNS,
    STATUSES,
    UNCERTAIN,
    VALID,
    ImportSummary,
    ReportWriter,
    RowResult,
)
from .rows import (
    InputError,
    InputRow,
    RowError,
    detect_format,
    read_csv,
    read_jsonl,
    read_rows,
    scan_file,
)
from .service import BulkService

__all__ = [
    "BulkService", "Importer", "ImportSummary", "RowResult", "ReportWriter", "STATUSES",
    "InputError", "JournalError", "default_journal_path",
    "VALID", "REPORT_COLUMNS", "run_with_report", "Journal", "JournalEntry", "ColumnMapper",
    "InputRow", "RowError", "missing_required", "read_rows", "read_csv", "read_jsonl",
    "scan_file", "parse_map_options", "load_map_file", "coerce_value", "IGNORE",
    "export_columns", "flatten_record", "detect_format", "write_csv_records",
    "ImportStopped", "UNCERTAIN", "CustomFieldTypes", "LOOKUPS", "KeyLookup", "LookupPlan",
    "LookupUnavailable", "PrefetchIndex", "plan_lookup", "SearchLookup",
]
