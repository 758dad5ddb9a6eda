"""The package version, read by setup.py and sent in the default User-Agent."""
VERSION = "0.1.0"
