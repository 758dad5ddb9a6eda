"""Checking a ``--db`` file before the server starts on it.

A file that is not a database, is damaged, sits in a missing directory or
cannot be written would otherwise start a server that fails request after
request (reads answering 500 while writes answer 200, or every write failing).
:func:`check_database` refuses it up front with one line saying what is wrong.
"""
from __future__ import annotations

import os
import sqlite3
from pathlib import Path

#: the exit status of the command line for a database it cannot serve
EXIT_BAD_DATABASE = 2


class DatabaseProblem(ValueError):
    """A ``--db`` file the mock cannot serve; the message is one line."""


def check_database(path: str) -> None:
    """Raise :class:`DatabaseProblem` unless ``path`` is (or can become) a sound,
    writable SQLite database."""
    file = Path(path)
    directory = file.parent
    if not directory.is_dir():
        raise DatabaseProblem(f"--db {path}: the directory {directory} does not exist")
    if not file.exists():
        if not os.access(directory, os.W_OK):
            raise DatabaseProblem(f"--db {path}: cannot create it, {directory} is not writable")
        return
    if not file.is_file():
        raise DatabaseProblem(f"--db {path}: not a regular file")
    # the mode bits too: a superuser may write anywhere, yet a read-only file is a mistake
    if not os.access(file, os.R_OK | os.W_OK) or not file.stat().st_mode & 0o222:
        raise DatabaseProblem(f"--db {path}: the file is read-only (or unreadable); the mock "
                              "writes to it, so give it a writable file")
    if not os.access(directory, os.W_OK):
        raise DatabaseProblem(f"--db {path}: its directory {directory} is not writable (SQLite "
                              "keeps its journal next to the file)")
    if file.stat().st_size == 0:
        return
    try:
        conn = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise DatabaseProblem(f"--db {path}: cannot open it ({exc})") from None
    try:
        rows = conn.execute("PRAGMA integrity_check(5)").fetchall()
    except sqlite3.DatabaseError as exc:
        raise DatabaseProblem(f"--db {path}: not a usable SQLite database ({exc})") from None
    finally:
        conn.close()
    problems = [str(row[0]) for row in rows if row and row[0] != "ok"]
    if problems:
        raise DatabaseProblem(f"--db {path}: the database is damaged ({problems[0][:120]}); "
                              "restore it from a backup or start with a new file")
