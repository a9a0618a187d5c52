"""The one error type a bad stack file produces: file, field and what is wrong, in one line."""

from __future__ import annotations

from collections.abc import Sequence


class ConfigError(Exception):
    """A stack file (or the set of stack files) is invalid.

    ``str(err)`` is the whole message a user sees, e.g.
    ``Pulumi.africa.yaml: azora:network.cidr: 10.0.0.0/33 is not a valid IPv4 network``.
    """

    def __init__(self, source: str, field: str, message: str, more: Sequence[str] = ()) -> None:
        self.source = source
        self.field = field
        self.message = message
        self.more = list(more)
        text = f"{source}: {field}: {message}" if field else f"{source}: {message}"
        if self.more:
            text += f" (and {len(self.more)} more: " + "; ".join(self.more) + ")"
        super().__init__(one_line(text))


def one_line(text: str) -> str:
    """`text` with every control character escaped (a newline in a config value is shown as ``\\n``),
    so an error is always exactly one line."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)
