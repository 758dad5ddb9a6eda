"""Tests of the command line, one module per command module."""

#: the account every command test talks to (the fake API answers at BASE)
TOKEN = "t" * 64
BASE = "https://api.example.test"
