"""How an injected fault looks on the wire: a dropped connection, the API's
server error envelope, or the HTML page of the proxy in front of the API."""
from __future__ import annotations

from werkzeug.wrappers import Response

from ..backend.errors import ErrorItem
from ..backend.faults import Fault
from .errors import error_response

try:  # waitress closes the connection without an answer on this exception
    from waitress.channel import ClientDisconnected as _Disconnect
except ImportError:  # pragma: no cover - waitress is part of the mock extra
    _Disconnect = ConnectionAbortedError  # type: ignore[misc,assignment,unused-ignore]

_CODES = {500: "server_error", 502: "bad_gateway", 503: "temporarily_unavailable"}
_PROXY_PAGES = {
    502: b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
         b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
         b"</body>\r\n</html>\r\n",
    503: b"<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle "
         b"this request.\n</body></html>\n",
}


class DropConnection(_Disconnect):
    """Raised from the app to make the server close the socket without answering."""


def fault_response(fault: Fault, request_id: str) -> Response:
    """The answer of an ``error`` fault; raises :class:`DropConnection` for ``drop``."""
    if fault.kind == "drop":
        raise DropConnection("fault injection: connection dropped")
    page = _PROXY_PAGES.get(fault.status) if fault.from_proxy else None
    if page is not None:
        return Response(page, status=fault.status, content_type="text/html")
    code = _CODES.get(fault.status, "server_error")
    return error_response(fault.status, (ErrorItem(
        code, "Server error", "Injected by the mock server's fault injection."),), request_id)
