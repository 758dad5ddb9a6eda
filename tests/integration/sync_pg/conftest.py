"""The throwaway PostgreSQL server for the mirror tests."""
from tests.support.postgres_server import postgres_server, postgres_url  # noqa: F401
