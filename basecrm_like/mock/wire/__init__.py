"""The mock's HTTP side: WSGI app, routes, handlers, admin helpers and the server."""
