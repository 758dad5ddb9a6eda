"""Error messages read as sentences: one full stop where a detail already ends with one."""
from __future__ import annotations

from basecrm_like.http.errors import RequestError


def test_api_error_messages_end_with_one_full_stop() -> None:
    error = RequestError(422, "validation", errors=[{"error": {"message": "server said no."}}])
    text = str(error)
    assert ".." not in text.replace("...", "")
