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
import re
import string
import tomllib
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
    for _, pattern, chinese in _patterns():
        match = pattern.fullmatch(line)
        if match:
            fields = match.groupdict()
            for name in _NESTED_FIELDS & fields.keys():
                fields[name] = _translate_line(fields[name])
            return chinese.format(**fields)
    return line


def keys_in(message: str) -> list[str]:
    """The catalogue keys whose English template a line of `message` is, in order of
    the lines (an item of a list of mistakes counts with the mistake it names)."""
    keys: list[str] = []
    for line in message.split("\n"):
        for key, pattern, _ in _patterns():
            match = pattern.fullmatch(line)
            if match:
                keys.append(key)
                for name in [n for n in match.groupdict() if n in _NESTED_FIELDS]:  # in order
                    keys.extend(keys_in(match.group(name)))
                break
    return keys


@cache
def _patterns() -> tuple[tuple[str, re.Pattern, str], ...]:
    """Each entry's key, its English template as a regular expression, its Chinese template."""
    compiled = []
    for key, (english, chinese) in CATALOGUE.items():
        parts, seen = [], set()
        for literal, field, _, _ in string.Formatter().parse(english):
            parts.append(re.escape(literal))
            if field is None:
                continue
            parts.append(f"(?P={field})" if field in seen else f"(?P<{field}>.*?)")
            seen.add(field)
        compiled.append((key, re.compile("".join(parts)), chinese))
    return tuple(compiled)


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
