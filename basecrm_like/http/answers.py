"""Reading an answer off the wire defensively: whole, in time, and only as the API's JSON.

A proxy, a captive portal or a half-closed connection can answer in place of
the API. Each of those ends here in a typed error that says what happened,
instead of bytes handed to the caller as if they were records.
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import requests
from urllib3.exceptions import HTTPError as Urllib3Error

from . import errors

#: characters of an unexpected body quoted in the error
EXCERPT = 120
_CHUNK = 64 * 1024


def is_json_type(content_type: str) -> bool:
    """``application/json`` and ``application/*+json``, parameters ignored."""
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def is_binary_type(content_type: str) -> bool:
    """A file's media type: not text, not JSON, not a page (``application/pdf``, ``image/png``)."""
    media = content_type.split(";", 1)[0].strip().lower()
    if not media or media.startswith("text/") or is_json_type(media):
        return False
    return media not in _PAGE_TYPES and not media.endswith(("+xml", "/xml", "javascript"))


_PAGE_TYPES = frozenset({"application/xhtml+xml", "application/x-www-form-urlencoded",
                         "multipart/form-data"})


def read_whole(resp: requests.Response, method: str, path: str, deadline: float) -> bytes:
    """The body of a streamed answer, read before ``deadline`` (a ``time.monotonic()`` value).

    A server trickling bytes never trips the socket's read timeout, which is per
    read; the deadline bounds the whole body. It is the attempt's own deadline
    (see :mod:`.deadlines`), whose watchdog also wakes a read blocked past it. An answer cut short raises the
    typed ConnectionError with ``request_sent=True``: the server may have
    applied the request.
    """
    if resp.raw is None or getattr(resp, "_content_consumed", False):
        return resp.content  # already read (an answer built in memory)
    chunks: list[bytes] = []
    try:
        for chunk in _arriving(resp):
            chunks.append(chunk)
            if time.monotonic() > deadline:
                resp.close()
                raise errors.TimeoutError(
                    f"{method} {path}: the answer was still arriving when the time allowed for "
                    "it ran out (the timeout option bounds the whole answer, not each read); "
                    "the server is very slow or something between is trickling the answer; "
                    "for a write, check whether it was applied before retrying")
    except (Urllib3Error, requests.exceptions.RequestException, OSError) as exc:
        resp.close()
        if isinstance(exc, errors.TimeoutError):
            raise
        raise lost_answer_error(method, path, exc) from None
    body = b"".join(chunks)
    # what requests would have done itself without stream=True
    resp._content = body  # noqa: SLF001
    resp._content_consumed = True  # type: ignore[attr-defined]  # noqa: SLF001
    return body


def lost_answer_error(method: str, path: str, cause: BaseException) -> errors.ConnectionError:
    """An answer cut short: the typed ConnectionError with ``request_sent=True``."""
    lost = errors.ConnectionError(
        f"{method} {path}: the connection was lost while the answer was arriving "
        f"({type(cause).__name__}); the server received the request and may have applied it: "
        "for a write, check whether it was applied before sending it again")
    lost.request_sent = True
    return lost


def _arriving(resp: requests.Response) -> Iterator[bytes]:
    """The body in the pieces it arrives in: ``read1`` returns after one read of
    the socket, where ``read(n)`` would wait for all ``n`` bytes, a trickling
    server's whole answer. Falls back to requests' own iteration for a raw
    stream without ``read1`` (a test double)."""
    raw = resp.raw
    read1 = getattr(raw, "read1", None)
    if read1 is None:
        yield from resp.iter_content(_CHUNK)
        return
    while True:
        chunk = read1(_CHUNK, decode_content=True)
        if not chunk:
            return
        yield chunk


def redirect_error(resp: requests.Response, method: str, path: str,
                   redact: Callable[[str], str]) -> errors.RedirectError:
    location = redact(resp.headers.get("Location", "") or "(no Location header)")
    return errors.RedirectError(resp.status_code, location, method=method, path=path,
                                headers=resp.headers)


def decode_answer(resp: requests.Response, method: str, path: str,
                  redact: Callable[[str], str],
                  decode: Callable[[bytes], Any] = json.loads) -> Any:
    """The parsed JSON of a success answer, or :class:`UnexpectedResponseError`.

    An empty body reads as ``b""`` (204 and friends), a file (a binary media
    type such as ``application/pdf``) as its bytes; any other body (HTML, plain
    text, nothing said) must be labelled JSON and parse (JSON nested past the interpreter's recursion
    limit included).
    """
    content = resp.content
    if not content:
        return content

    def unexpected(reason: str) -> errors.UnexpectedResponseError:
        excerpt = redact(content[:EXCERPT].decode("utf-8", "replace"))
        return errors.UnexpectedResponseError(resp.status_code, reason, method=method, path=path,
                                              headers=resp.headers, body_excerpt=excerpt)

    content_type = resp.headers.get("Content-Type", "")
    if not is_json_type(content_type):
        if is_binary_type(content_type):
            return content  # a file's content (a document download), handed over as bytes
        raise unexpected(f"the body is {content_type or 'unlabelled'!s}, not the API's JSON")
    try:
        return decode(content)
    except RecursionError:
        raise unexpected("the JSON body nests too deeply to parse") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise unexpected(f"the body labelled JSON is not valid JSON ({exc})") from None

