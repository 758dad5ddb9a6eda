"""The hand-written HTTP core: options, errors, encoding, envelopes, retries, redaction,
rate limiting and the transport. It knows no resource."""
from .config import ClientOptions, Configuration
from .exchange import ApiResponse, RequestEvent
from .ratelimit import TokenBucket
from .transport import HttpClient, TokenSource

__all__ = ["ApiResponse", "ClientOptions", "Configuration", "HttpClient", "RequestEvent",
           "TokenBucket", "TokenSource"]
