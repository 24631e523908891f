"""Errors a person can act on, shared by every command (the CLI prints them as one line, exit status 2)."""


class CommandError(Exception):
    """A failure the user can act on: printed as one message, exit status 2."""
