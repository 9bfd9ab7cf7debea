"""The one exception type for user mistakes.

A ``UserError`` is printed by the CLI as a single line (``error: ...``) with exit code 2 and no
traceback. Anything else that escapes is a bug in our code and may show a traceback.
"""

from __future__ import annotations

from typing import ClassVar


class UserError(Exception):
    """A mistake the user can fix: bad option, missing file, absent weights, bad data.

    The message names the thing and says what to do, in one line.
    """

    exit_code = 2


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during work that can be resumed: the message says what was kept and how to go on
    (the CLI prints ``interrupted: <message>`` and exits 130)."""

    #: the message of the last one raised: typer turns every KeyboardInterrupt into exit code
    #: 130 before the CLI sees the exception, so the CLI reads what to say here
    last: ClassVar[str | None] = None

    def __init__(self, message: str) -> None:
        super().__init__(message)
        Interrupted.last = message

    @classmethod
    def line(cls) -> str:
        """``interrupted: <the last message>`` (and forget it), or ``interrupted``."""
        message, cls.last = cls.last, None
        return f"interrupted: {message}" if message else "interrupted"
