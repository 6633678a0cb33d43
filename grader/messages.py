"""The fixed words of the learner's feedback, in English and Chinese.

Every sentence the kit itself says to a learner (not the check-specific ones)
is one catalogue entry: a key, an English template and a Chinese template.
Code that writes feedback formats the English template (`text`), so reports,
JSON and JUnit files stay in one language for instructors; a learner's
screen is translated when it is drawn (`translate`), line by line: a line
that matches an entry's English template is re-formatted with its Chinese
template, fields kept as they are. Lines written elsewhere in the kit (the
sandbox's "is not implemented yet", the runner's "failing input") are
catalogued with their exact English wording, so they translate too; and
`keys_in` finds which entries a message says (a named mistake), which is how
a hint in curriculum.toml names the mistake it belongs to.

The catalogue is the data file grader/messages.toml (one [sentences.KEY] table
per entry, read once at import). Check names are catalogued there too
(CHECK_NAMES_ZH): a check's
English name is its function's name without `test_`, underscores as spaces;
`check_name` gives it in either language for the terminal table (JSON and
JUnit keep the English one).

The language is chosen by `resolve_lang`: an explicit choice, else
NNLAB_LANG, else the locale (LC_ALL, LC_MESSAGES, LANG starting with "zh").
"""

from __future__ import annotations

import os
import string
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources

LANGS = ("en", "zh")

_DATA = tomllib.loads(resources.files("grader").joinpath("messages.toml").read_text("utf-8"))
CATALOGUE: dict[str, tuple[str, str]] = {
    key: (entry["en"], entry["zh"]) for key, entry in _DATA["sentences"].items()
}
"""key -> (English template, Chinese template), from grader/messages.toml."""
CHECK_NAMES_ZH: dict[str, str] = _DATA["check_names"]
"""A check's name (its test function's, without `test_`) -> its Chinese name (the file's
[check_names]; tests/engine/test_check_names.py holds it to the check files)."""


def text(key: str, lang: str = "en", **fields) -> str:
    """The catalogue entry `key` in `lang` ("en" or "zh"), formatted with `fields`."""
    english, chinese = CATALOGUE[key]
    return (chinese if lang == "zh" else english).format(**fields)


def translate(message: str, lang: str) -> str:
    """`message` with every line that matches a catalogue entry put into `lang`.

    Lines that match no entry (the check-specific sentences, numbers) are kept.
    """
    if lang != "zh" or not message:
        return message
    return "\n".join(_translate_line(line) for line in message.split("\n"))


_NESTED_FIELDS = frozenset({"mistake", "when", "how"})
"""Fields that hold another catalogue sentence (an item of a list of mistakes; when and
how a sandboxed worker died)."""


def _translate_line(line: str) -> str:
    found = _read_line(line)
    if found is None:
        return line
    template, fields = found
    for name in _NESTED_FIELDS & fields.keys():
        fields[name] = _translate_line(fields[name])
    return template.chinese.format(**fields)


def keys_in(message: str) -> list[str]:
    """The catalogue keys whose English template a line of `message` is, in order of
    the lines (an item of a list of mistakes counts with the mistake it names)."""
    keys: list[str] = []
    for line in message.split("\n"):
        found = _read_line(line)
        if found is not None:
            template, fields = found
            keys.append(template.key)
            for name in [n for n in fields if n in _NESTED_FIELDS]:  # in order
                keys.extend(keys_in(fields[name]))
    return keys


@dataclass(frozen=True)
class _Segment:
    """A field of a template and the literal text after it.

    `again`: the field already appeared (its text must repeat). `retry`: when the rest
    of the line does not fit after the field's first possible end, a later end might
    (the field or a later new one repeats further on, or a repeat follows at once);
    otherwise a later end cannot help (the rest is then literals with any text between
    them, and it only has less room), so it is not tried.
    """

    field: str
    literal: str
    again: bool
    retry: bool


@dataclass(frozen=True)
class _Template:
    """An entry's key, its English template cut at its fields, its Chinese template."""

    key: str
    head: str
    segments: tuple[_Segment, ...]
    chinese: str


def _read_line(line: str) -> tuple[_Template, dict[str, str]] | None:
    """The first template (in catalogue order) that the whole of `line` (no "\\n") is,
    with the text of its fields; None if it is no catalogue sentence."""
    for template in _templates():
        if line.startswith(template.head):
            fields: dict[str, str] = {}
            if _fits(template.segments, line, len(template.head), fields):
                return template, fields
    return None


def _fits(segments: tuple[_Segment, ...], line: str, start: int, fields: dict[str, str]) -> bool:
    """Whether `line` from `start` to its end is `segments`, each new field as short as
    the rest allows (the fields are filled into `fields`).

    This is what the regular expression of the template (each field `.*?`, a repeated
    one a back-reference) means, found with str.find from left to right: a field ends
    where the next literal first occurs, and later occurrences are tried only when a
    repeat makes them matter, so a long line costs a few scans, not a backtracking
    search over every way to cut it.
    """
    if not segments:
        return start == len(line)
    segment, rest = segments[0], segments[1:]
    if segment.again:
        value = fields[segment.field]
        end = start + len(value)
        matches = line.startswith(value, start) and line.startswith(segment.literal, end)
        return matches and _fits(rest, line, end + len(segment.literal), fields)
    for end in _field_ends(line, segment.literal, start, last=not rest):
        fields[segment.field] = line[start:end]
        if _fits(rest, line, end + len(segment.literal), fields):
            return True
        if not segment.retry:
            return False
    return False


def _field_ends(line: str, literal: str, start: int, last: bool) -> Iterator[int]:
    """Where a field that starts at `start` may end: at each occurrence of the `literal`
    after it, nearest first; for the `last` field, only where `literal` ends the line."""
    if last:
        end = len(line) - len(literal)
        if end >= start and line.endswith(literal):
            yield end
        return
    end = line.find(literal, start)
    while end >= 0:
        yield end
        end = line.find(literal, end + 1)


@cache
def _templates() -> tuple[_Template, ...]:
    """Each catalogue entry's template, cut into its head and segments."""
    return tuple(_cut(key, english, chinese) for key, (english, chinese) in CATALOGUE.items())


def _cut(key: str, english: str, chinese: str) -> _Template:
    """The template of entry `key`: the literal before its first field, then each field
    with the literal after it."""
    literals, names = [""], []
    for literal, field, _, _ in string.Formatter().parse(english):
        literals[-1] += literal  # an escaped brace splits a literal in two
        if field is not None:
            names.append(field)
            literals.append("")
    segments = []
    for index, (field, literal) in enumerate(zip(names, literals[1:], strict=True)):
        earlier, from_here = names[:index], names[index:]
        repeats_from_here = any(from_here.count(name) > 1 for name in set(from_here) - set(earlier))
        repeat_follows = index + 1 < len(names) and names[index + 1] in names[: index + 1]
        again = field in earlier
        retry = not again and (repeats_from_here or repeat_follows)
        segments.append(_Segment(field, literal, again, retry))
    return _Template(key, literals[0], tuple(segments), chinese)


def resolve_lang(lang: str | None = None) -> str:
    """The language to speak: `lang` if given, else $NNLAB_LANG, else the locale's.

    The locale's is "zh" when the first set of LC_ALL, LC_MESSAGES, LANG
    starts with "zh" (e.g. zh_CN.UTF-8), else "en".
    """
    for choice in (lang, os.environ.get("NNLAB_LANG")):
        if choice:
            return choice if choice in LANGS else "en"
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(variable)
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def grading_status(number: int, done: int, total: int, check: str, lang: str = "en") -> str:
    """The spinner's line while check number `done` (from 0) of `total` runs: its name in `lang`."""
    name = check_name(check, lang)
    return text("grading_check", lang, number=number, done=done + 1, total=total, check=name)


def check_name(name: str, lang: str = "en") -> str:
    """How the terminal names check `name` (its function's name without `test_`) in `lang`:
    underscores as spaces in English, CHECK_NAMES_ZH's entry in Chinese (else the English)."""
    english = name.replace("_", " ")
    return CHECK_NAMES_ZH.get(name, english) if lang == "zh" else english
