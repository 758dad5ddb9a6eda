"""A minimal JSON API server for benchmarks, run in its own process.

Running it in a separate process keeps the server's work off the measured
client's GIL, so the numbers compare clients, not a shared interpreter.

    python benchmarks/_fixture_server.py [--tls CERT KEY] [--contacts N]

prints ``listening on http(s)://127.0.0.1:PORT`` and serves until killed:
``GET /v2/contacts/<id>`` returns one contact, ``GET /v2/contacts?page=&per_page=``
pages through N generated contacts.
"""
from __future__ import annotations

import argparse
import json
import socket
import ssl
import subprocess
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit


def contact(ident: int) -> dict:
    return {
        "id": ident, "creator_id": 1, "owner_id": 1, "is_organization": False, "contact_id": None,
        "name": None, "first_name": f"First{ident}", "last_name": f"Last{ident}",
        "title": "Engineer", "description": "A contact used by the benchmarks " * 3,
        "industry": "Software", "website": f"https://example{ident}.test",
        "email": f"person{ident}@example.test", "phone": "+15551234567", "mobile": None,
        "fax": None, "twitter": None, "facebook": None, "linkedin": None, "skype": None,
        "address": {"line1": f"{ident} Main St", "city": "Springfield", "postal_code": "12345",
                    "state": "IL", "country": "US"},
        "tags": ["benchmark", "fixture"], "custom_fields": {"tier": "gold"},
        "customer_status": "none", "prospect_status": "current",
        "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-02T00:00:00Z",
    }


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    total = 0

    def log_message(self, *args: object) -> None:
        pass

    def setup(self) -> None:
        super().setup()
        # headers and body go out in two writes; without this, Nagle's algorithm
        # and delayed ACKs add 40 ms to every keep-alive response
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:  # noqa: N802
        parts = urlsplit(self.path)
        if parts.path.startswith("/v2/contacts/"):
            body = {"data": contact(int(parts.path.rsplit("/", 1)[1])), "meta": {"type": "contact"}}
        else:
            query = parse_qs(parts.query)
            page = int(query.get("page", ["1"])[0])
            per_page = int(query.get("per_page", ["25"])[0])
            start = (page - 1) * per_page
            ids = range(start + 1, min(start + per_page, self.total) + 1)
            body = {"items": [{"data": contact(i), "meta": {"type": "contact"}} for i in ids],
                    "meta": {"type": "collection", "count": len(ids)}}
        payload = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


def serve() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    parser.add_argument("--contacts", type=int, default=0)
    args = parser.parse_args()
    Handler.total = args.contacts
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    scheme = "http"
    if args.tls:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*args.tls)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        scheme = "https"
    print(f"listening on {scheme}://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


def self_signed_cert(directory: Path) -> tuple[str, str]:
    """A throwaway certificate for 127.0.0.1, made with the openssl command."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    return str(cert), str(key)


if __name__ == "__main__":
    serve()
