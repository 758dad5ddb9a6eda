"""The root of the package's exceptions, at the bottom layer so every layer can derive from it."""
from __future__ import annotations


class Error(Exception):
    """The root of every exception this package raises, so one ``except`` catches them all."""
