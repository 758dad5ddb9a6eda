"""Record, replay and compare: the mock in front of a real API, or in its place.

- :class:`Recorder` forwards each API request to ``record_from`` and answers
  with the real answer, writing the exchange (secrets scrubbed) to the cassette.
- :class:`Replayer` answers from the cassette, matching method, path, query and
  body; an unrecorded request gets a 501 ``not_recorded`` error naming the
  closest recorded one.
- :func:`compare` sends the recorded requests to an app (the mock) and reports
  where its answers differ from the recorded ones in status or shape: drift.
"""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from werkzeug.test import Client
from werkzeug.wrappers import Request, Response

from ..backend.cassette import Cassette, shape_differences
from ..backend.errors import ErrorItem
from ..options import check_modes
from .errors import error_response
from .replies import JSON_TYPE
from .request import logged_body

FORWARDED_HEADERS = ("Authorization", "User-Agent", "Accept", "Content-Type",
                     "X-Basecrm-Device-UUID")
PROXY_TIMEOUT = 60.0
Front = Callable[[Request, str], Response]


def _decode(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")


def _encode(body: Any) -> bytes:
    if body is None:
        return b""
    return body.encode("utf-8") if isinstance(body, str) else json.dumps(body).encode("utf-8")


def _reply(status: int, headers: dict[str, str], body: Any) -> Response:
    response = Response(_encode(body), status=status)
    for name, value in headers.items():
        response.headers[name] = value
    if body is None:
        response.headers.remove("Content-Type")
    elif "Content-Type" not in headers:
        response.headers["Content-Type"] = JSON_TYPE
    return response


class Recorder:
    """Proxies to ``base_url`` and records each exchange."""

    def __init__(self, base_url: str, cassette: Cassette) -> None:
        self.base_url = base_url.rstrip("/")
        self.cassette = cassette

    def __call__(self, request: Request, request_id: str) -> Response:
        query = list(request.args.items(multi=True))
        url = self.base_url + request.path + (f"?{urlencode(query)}" if query else "")
        raw = request.get_data(cache=True)
        outgoing = urllib.request.Request(url, data=raw or None, method=request.method, headers={
            name: request.headers[name] for name in FORWARDED_HEADERS if name in request.headers})
        try:
            with urllib.request.urlopen(outgoing, timeout=PROXY_TIMEOUT) as answer:
                status, headers, body = answer.status, dict(answer.headers), answer.read()
        except urllib.error.HTTPError as answer:
            status, headers, body = answer.code, dict(answer.headers), answer.read()
        except (urllib.error.URLError, OSError) as exc:
            return error_response(502, (ErrorItem(
                "upstream_unreachable", "Bad Gateway",
                f"Could not reach {self.base_url}: {getattr(exc, 'reason', exc)}"),), request_id)
        decoded = _decode(body)
        self.cassette.record(request.method, request.path, query, logged_body(request), status,
                             headers, decoded)
        kept = {k: v for k, v in headers.items() if k in ("Content-Type", "Retry-After")}
        return _reply(status, kept, decoded)


class Replayer:
    """Answers from a cassette."""

    def __init__(self, cassette: Cassette) -> None:
        self.cassette = cassette

    def __call__(self, request: Request, request_id: str) -> Response:
        recorded = self.cassette.answer(request.method, request.path,
                                        request.args.items(multi=True), logged_body(request))
        if recorded is None:
            closest = self.cassette.closest(request.method, request.path)
            hint = f" The closest recorded request is {closest}." if closest else \
                " The cassette is empty."
            return error_response(501, (ErrorItem(
                "not_recorded", "Request not recorded",
                f"{request.method} {request.full_path.rstrip('?')} with this query and body is "
                f"not in the cassette {self.cassette.path}.{hint}"),), request_id)
        return _reply(int(recorded["status"]), dict(recorded.get("headers") or {}),
                      recorded.get("body"))


@dataclass(frozen=True)
class Drift:
    """One recorded request whose answer from the mock differs."""

    method: str
    path: str
    real_status: int
    mock_status: int
    shapes: tuple[str, ...]

    def __str__(self) -> str:
        lines = [f"{self.method} {self.path}:"]
        if self.real_status != self.mock_status:
            lines.append(f"  status {self.real_status} in reality, {self.mock_status} in the mock")
        lines += [f"  {line}" for line in self.shapes]
        return "\n".join(lines)


def _ids(body: Any) -> int | None:
    data = body.get("data") if isinstance(body, dict) else None
    value = data.get("id") if isinstance(data, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _renumber(value: Any, ids: dict[int, int], key: str = "") -> Any:
    """Ids created in reality replaced by those the mock gave the same records."""
    if isinstance(value, dict):
        return {k: _renumber(v, ids, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_renumber(v, ids, key) for v in value]
    if isinstance(value, int) and not isinstance(value, bool) and (key == "id" or key.endswith("_id")):
        return ids.get(value, value)
    return value


def _renumber_path(path: str, ids: dict[int, int]) -> str:
    return "/".join(str(ids.get(int(part), part)) if part.isdigit() else part
                    for part in path.split("/"))


def compare(app: Any, cassette: Cassette, token: str) -> list[Drift]:
    """Send every recorded request to ``app`` (a WSGI app) in order; the drifts.

    Ids the real API gave created records are mapped to the ids the mock gave,
    so later requests about those records reach the mock's copies.
    """
    client = Client(app)
    ids: dict[int, int] = {}
    drifts = []
    for item in cassette.interactions:
        request, real = item["request"], item["response"]
        path = _renumber_path(request["path"], ids)
        query = [(k, str(ids.get(int(v), v)) if k.endswith("id") and str(v).isdigit() else v)
                 for k, v in request.get("query") or []]
        body = _renumber(request.get("body"), ids)
        answer = client.open(path, method=request["method"], query_string=urlencode(query),
                             data=_encode(body) if body is not None else None,
                             headers={"Authorization": f"Bearer {token}",
                                      "User-Agent": "basecrm-like-compare",
                                      "Content-Type": "application/json"})
        mock_body = _decode(answer.get_data())
        real_id, mock_id = _ids(real.get("body")), _ids(mock_body)
        if real_id is not None and mock_id is not None:
            ids[real_id] = mock_id
        shapes = tuple(shape_differences(real.get("body"), mock_body))
        if answer.status_code != real["status"] or shapes:
            drifts.append(Drift(request["method"], request["path"], int(real["status"]),
                                answer.status_code, shapes))
    return drifts


def drift_report(drifts: list[Drift], total: int) -> str:
    if not drifts:
        return f"compared {total} recorded requests: the mock answers like the recording"
    body = "\n".join(str(drift) for drift in drifts)
    return f"compared {total} recorded requests: {len(drifts)} differ\n{body}"


def front_for(record_from: str | None, cassette: str | None, replay: str | None,
              compare: str | None) -> tuple[Front | None, Cassette | None]:
    """What answers API requests instead of the mock (a recorder or a replayer), and
    the cassette to compare against (options checked by ``options.check_modes``)."""
    check_modes({"record_from": record_from, "cassette": cassette, "replay": replay,
                 "compare": compare})
    if record_from and cassette:
        return Recorder(record_from, Cassette(Path(cassette))), None
    if replay:
        return Replayer(Cassette.load(replay)), None
    if compare:
        return None, Cassette.load(compare)
    return None, None


def run_comparison(app: Any, cassette: Cassette, token: str, out: Callable[[str], None]) -> int:
    """Print the drift report; 1 when the mock drifted, else 0 (an exit status)."""
    drifts = compare(app, cassette, token)
    out(drift_report(drifts, len(cassette.interactions)))
    return 1 if drifts else 0
