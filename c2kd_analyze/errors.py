"""The one exception type for user mistakes.

A ``UserError`` is printed by the CLI as a single line (``error: ...``) with exit code 2 and no
traceback. Anything else that escapes is a bug in our code and may show a traceback.
"""

from __future__ import annotations


class UserError(Exception):
    """A mistake the user can fix: bad option, missing file, absent weights, bad data.

    The message names the thing and says what to do, in one line.
    """

    exit_code = 2
