"""How the sandbox words what it tells a learner, without a catalogue of its own.

Every sentence the sandbox may say to a learner is a key of the kit's catalogue
(grader.messages) with its fields: `Said(key, **fields)`. The sandbox imports
nothing from the rest of grader, so the words come from outside: the engine
installs the catalogue's English wording once (`set_wording`, on importing
grader.engine), and `str(Said(...))` asks it each time, so a sentence said
before the installation reads right after it. With nothing installed (the
sandbox on its own) a sentence reads as its key and fields, e.g.
`not_implemented(name='f')`.

A field may itself be a Said (a part of a sentence that is a catalogue entry
of its own); it is worded first.
"""

from __future__ import annotations

from collections.abc import Callable

Wording = Callable[..., str]
"""wording(key, **fields) -> the catalogue entry `key` in English, formatted with `fields`."""

_installed: Wording | None = None


def set_wording(wording: Wording | None) -> None:
    """Install `wording` (e.g. grader.messages.text) for every sentence the sandbox says;
    None takes it away again (sentences then read as their key and fields)."""
    global _installed
    _installed = wording


def say(key: str, **fields) -> str:
    """The sentence `key` with `fields` (nested Said fields worded first), in the installed
    wording; without one, `key(field=value, ...)`."""
    fields = {
        name: str(value) if isinstance(value, Said) else value for name, value in fields.items()
    }
    if _installed is None:
        shown = ", ".join(f"{name}={value!r}" for name, value in fields.items())
        return f"{key}({shown})"
    return _installed(key, **fields)


class Said:
    """One catalogue sentence: its key and fields; str() words it (see `say`)."""

    __slots__ = ("key", "fields")

    def __init__(self, key: str, /, **fields):
        self.key = key
        self.fields = fields

    def __str__(self) -> str:
        return say(self.key, **self.fields)

    def __repr__(self) -> str:
        return f"Said({self.key!r}, **{self.fields!r})"
