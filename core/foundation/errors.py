"""One error shape for the whole product.

A UserError is something the person can fix: its message names what is wrong, with the
bad value, and what to do next. It carries a stable `code` (for automation and tests), the
bad `value`, and the message's id in glossary/messages.yaml with its parameters, so a page
can say it in the reader's language (`text(lang)`). Pages show it as text with one helper;
the CLI prints the English one on one line (with --json: `{"error": {"code", "message",
"value"}}`) and exits 2. Anything else is an internal error.
"""


class UserError(Exception):
    """A problem the user can fix. The message is shown as is (as text, never as Markdown)."""

    exit_code = 2
    default_code = "user_error"

    def __init__(self, message: str | None = None, *, code: str | None = None, value=None, msg: str | None = None,
                 **params):
        self.msg, self.params = msg, params
        super().__init__(message if message is not None else self.text("en"))
        self.code = code or self.default_code
        self.value = value

    def text(self, lang: str = "en") -> str:
        """The message in `lang` (English where a message has no template)."""
        if self.msg is None:
            return str(self)
        import glossary  # the vocabulary lives outside core's packages; imported when a message is made

        return glossary.message(self.msg, lang, **self.params)

    def to_json(self) -> dict:
        value = self.value if isinstance(self.value, (str, int, float, bool, type(None), list)) else str(self.value)
        return {"code": self.code, "message": one_line(str(self)), "value": value}


class InvalidInput(UserError):
    """The input (a file, an argument, a column name) cannot be used."""

    default_code = "invalid_input"


class NotFound(UserError):
    """The named thing (data set, run, column, term) does not exist."""

    default_code = "not_found"


class NotAllowed(UserError):
    """The acting user's role does not allow the action (core.governance.roles)."""

    default_code = "not_allowed"


class WorkspaceBusy(UserError):
    """Another process held the database longer than we are willing to wait."""

    default_code = "workspace_busy"


def one_line(message: str) -> str:
    """Collapse a message to one line, for the CLI and for logs."""
    return " ".join(str(message).split())
