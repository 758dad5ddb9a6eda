"""Packaging for basecrm_like."""
import re
from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).parent
VERSION = re.search(
    r'^VERSION = "([^"]+)"', (HERE / "basecrm_like" / "version.py").read_text(), re.M
).group(1)

CLI = ["click>=8.1", "tqdm>=4.64"]
MOCK = ["Werkzeug>=2.3", "waitress>=2.1"]
POSTGRES = ["SQLAlchemy>=2.0", "psycopg[binary]>=3.1"]
OTEL = ["opentelemetry-api>=1.20"]
RATELIMIT = ["pyrate-limiter>=4.5", "filelock>=3.12", "redis>=5.0"]
ASYNC = ["httpx>=0.25"]
TEST = CLI + MOCK + OTEL + RATELIMIT + ASYNC + [
    "opentelemetry-sdk>=1.20",
    "pytest>=7.4",
    "pytest-timeout>=2.1",
    "pytest-xdist>=3.5",
    "responses>=0.23",
    "hypothesis>=6.80",
    "schemathesis>=3.30",
    "mypy>=1.5",
    "ruff>=0.4",
    "import-linter>=2.0",
    "types-requests",
    "flask>=2.3",
    # the official client, to prove the mock server serves it too
    "basecrm==1.2.9",
    # the one public Firehose client, to prove the mock's stream serves it too
    "zendesk-sell-firehose-client==0.0.5",
    # the PostgreSQL mirror
    *POSTGRES,
]
DOCS = ["sphinx>=7"]
# the theme, copy buttons and the command-line reference of the docs
DOCS += ["furo>=2023.9.10", "sphinx-copybutton>=0.5.2", "sphinx-click>=5.0"]
# the browser test of the built docs (drives the system chromium)
DOCS += ["selenium>=4.15"]

setup(
    name="basecrm_like",
    version=VERSION,
    description="A Python SDK for the Base CRM (Zendesk Sell) Core API v2, Sync API and OAuth2",
    long_description=(HERE / "README.md").read_text(),
    long_description_content_type="text/markdown",
    license="MIT",
    packages=find_packages(include=["basecrm_like", "basecrm_like.*"]),
    package_data={"basecrm_like": ["py.typed"]},
    python_requires=">=3.10",
    install_requires=["requests>=2.28", "urllib3>=2.0", "munch>=2.5"],
    extras_require={"cli": CLI, "mock": MOCK, "test": TEST, "docs": DOCS,
                    "postgres": POSTGRES, "otel": OTEL, "ratelimit": RATELIMIT,
                    "async": ASYNC},
    entry_points={
        "console_scripts": ["basecrm-like = basecrm_like.cli:main"],
        "pytest11": ["basecrm_like = basecrm_like.mock.pytest_plugin"],
    },
    classifiers=[
        "License :: OSI Approved :: MIT License",
        "Programming Language :: Python :: 3",
        "Typing :: Typed",
    ],
)
