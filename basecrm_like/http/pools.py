"""Sessions that share another session's connection pools but retry differently.

urllib3 takes the retry policy from the adapter, not the request, so a client
with its own ``max_retries`` needs its own adapters; giving them the original
adapters' pool managers keeps every connection in one pool.
"""
from __future__ import annotations

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry


def session_sharing_pools(session: requests.Session, retry: Retry) -> requests.Session:
    """A session with ``session``'s settings and pools, whose HTTP adapters retry by ``retry``."""
    twin = requests.Session()
    twin.headers = session.headers
    twin.auth = session.auth
    twin.proxies = session.proxies
    twin.hooks = session.hooks
    twin.params = session.params
    twin.verify = session.verify
    twin.cert = session.cert
    twin.trust_env = session.trust_env
    twin.cookies = session.cookies
    twin.max_redirects = session.max_redirects
    twin.adapters.clear()
    for prefix, adapter in session.adapters.items():
        if isinstance(adapter, HTTPAdapter):
            clone = HTTPAdapter(max_retries=retry)
            clone.poolmanager = adapter.poolmanager
            clone.proxy_manager = adapter.proxy_manager
            twin.mount(prefix, clone)
        else:
            twin.mount(prefix, adapter)
    return twin
