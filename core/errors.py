"""One error shape for the whole product.

A UserError is something the person can fix: its message names what is wrong,
with the bad value, and what to do next. Pages show it with one helper; the
CLI prints it on one line and exits 2. Anything else is an internal error.
"""


class UserError(Exception):
    """A problem the user can fix. The message is shown as is."""

    exit_code = 2


class InvalidInput(UserError):
    """The input (a file, an argument, a column name) cannot be used."""


class NotFound(UserError):
    """The named thing (data set, run, column, term) does not exist."""


class WorkspaceBusy(UserError):
    """Another process held the database longer than we are willing to wait."""


def one_line(message: str) -> str:
    """Collapse a message to one line, for the CLI and for logs."""
    return " ".join(str(message).split())
