"""Ingest errors: say which file and line was wrong and what to do."""

from __future__ import annotations

from pathlib import Path

from training.errors import CommandError


class IngestError(CommandError):
    """Raw data that cannot be ingested as it is."""

    def __init__(self, message: str, path: Path | str | None = None, line: int | None = None, hint: str = ""):
        where = ""
        if path is not None:
            where = f"{path}" + (f", line {line}" if line is not None else "") + ": "
        super().__init__(where + message + (f". {hint[:1].upper()}{hint[1:]}" if hint else ""))
        self.path = None if path is None else Path(path)
        self.line = line


def show_line(raw: bytes, limit: int = 80) -> str:
    """A raw line as a person can read it in an error message."""
    text = raw.decode("utf-8", errors="backslashreplace").rstrip("\r\n")
    return repr(text if len(text) <= limit else text[:limit] + "...")
