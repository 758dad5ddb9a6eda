"""``service.with_raw_response``: see :mod:`basecrm_like.http.raw`, shared with searches."""
from __future__ import annotations

from ..http.raw import EAGER_ACTIONS, RawResponses, with_response

__all__ = ["EAGER_ACTIONS", "RawResponses", "with_response"]
