"""Where the mock listens, and what that requires: beyond loopback, an admin token."""
from __future__ import annotations

import ipaddress


def is_loopback(host: str) -> bool:
    """Whether listening on ``host`` is reachable from this machine only."""
    name = host.strip("[]")
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def exposure_warning(host: str) -> str | None:
    """The warning to print when the server listens beyond loopback."""
    if is_loopback(host):
        return None
    return (f"warning: the mock server listens on {host}, reachable from other machines; "
            "its data and tokens are for tests only, and /_mock/* needs the admin token")


def check_listener(host: str, admin_token: str | None) -> None:
    """Refuse to expose an unauthenticated control plane to the network."""
    if not is_loopback(host) and not admin_token:
        raise ValueError(
            f"--admin-token is required when listening on {host} (beyond loopback): without "
            "one, anyone who can reach the port could reset the data or mint tokens")
