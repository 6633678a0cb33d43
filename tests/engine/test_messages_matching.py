"""Reading a line back as a catalogue sentence (translate, keys_in) stays cheap on long lines.

A learner's exception text reaches `translate` and `keys_in` line by line. Each catalogue
template means a regular expression (fields lazy `.*?`, a repeated field a back-reference),
but running those regexes backtracks: a 4000-character line shaped like `values_differ`
took seconds. The work is counted here in calls, not in seconds, and the meaning is held
to the regexes on lines built from the catalogue's own pieces.
"""

from __future__ import annotations

import re
import string
import sys
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from grader.messages import CATALOGUE, keys_in, translate

NESTED = {"mistake", "when", "how"}
"""The fields that hold another catalogue sentence (grader.messages reads them again)."""

UNIT = " has the right shape  (dtype ), but  of "
"""The literals of `values_differ`, repeated: the line almost is that sentence many ways."""


def craft(length: int) -> str:
    """A line of `length` characters that nearly is a `values_differ` sentence everywhere."""
    return (UNIT * (length // len(UNIT) + 1))[:length]


def calls_made(line: str) -> tuple[Counter, list]:
    """The calls (Python and C) that translating `line` and finding its keys make, counted
    by the function called; and the C calls made on a compiled regular expression."""
    counted: Counter = Counter()
    on_regex: list = []

    def profile(frame, event, arg):
        if event == "call":
            counted[frame.f_code.co_qualname] += 1
        elif event == "c_call":
            counted[getattr(arg, "__qualname__", repr(arg))] += 1
            if isinstance(getattr(arg, "__self__", None), re.Pattern):
                on_regex.append(arg)

    sys.setprofile(profile)
    try:
        translate(line, "zh")
        keys_in(line)
    finally:
        sys.setprofile(None)
    return counted, on_regex


def test_no_regular_expression_runs_over_a_learner_line():
    translate("warm-up", "zh")  # whatever is built once is built now
    _, on_regex = calls_made(craft(4000))
    assert not on_regex, f"{len(on_regex)} regex calls on the line, e.g. {on_regex[0]}"


def test_the_work_does_not_grow_with_the_line():
    translate("warm-up", "zh")
    short, _ = calls_made(craft(400))
    long, _ = calls_made(craft(4000))
    assert long == short
    assert sum(long.values()) < 10 * len(CATALOGUE)  # a few calls per entry


def meaning(english: str) -> re.Pattern:
    """What a template means: its literals, each field `.*?`, a repeated one a back-reference."""
    parts, seen = [], set()
    for literal, field, _, _ in string.Formatter().parse(english):
        parts.append(re.escape(literal))
        if field is not None:
            parts.append(f"(?P={field})" if field in seen else f"(?P<{field}>.*?)")
            seen.add(field)
    return re.compile("".join(parts))


MEANINGS = [(key, meaning(english), chinese) for key, (english, chinese) in CATALOGUE.items()]


def expected_translation(line: str) -> str:
    """`line` in Chinese as the templates' regexes read it (the first entry that matches)."""
    for _, pattern, chinese in MEANINGS:
        match = pattern.fullmatch(line)
        if match:
            fields = match.groupdict()
            for name in NESTED & fields.keys():
                fields[name] = expected_translation(fields[name])
            return chinese.format(**fields)
    return line


def expected_keys(line: str) -> list[str]:
    """The keys a line says as the templates' regexes read it (nested sentences after theirs)."""
    for key, pattern, _ in MEANINGS:
        match = pattern.fullmatch(line)
        if match:
            nested = [name for name in match.groupdict() if name in NESTED]
            return [key] + [k for name in nested for k in expected_keys(match.group(name))]
    return []


def pieces() -> list[str]:
    """Every literal of the catalogue, and its words: what a tricky field value is made of."""
    found = {"", "3", "(2, 3)", "x", " "}
    for english, _ in CATALOGUE.values():
        for literal, _, _, _ in string.Formatter().parse(english):
            found.add(literal)
            found.update(literal.split(" "))
    return sorted(found)


def values(depth: int = 0) -> st.SearchStrategy[str]:
    """A field's text: catalogue pieces run together, or (twice deep at most) a whole sentence."""
    text = st.lists(st.sampled_from(pieces()), max_size=3).map("".join)
    return st.one_of(text, sentences(depth + 1)) if depth < 2 else text


def sentences(depth: int = 0) -> st.SearchStrategy[str]:
    """A catalogue sentence with tricky field values, sometimes cut or padded at either end."""

    def formatted(key: str, draw_values) -> st.SearchStrategy[str]:
        names = {f for _, f, _, _ in string.Formatter().parse(CATALOGUE[key][0]) if f}
        return st.fixed_dictionaries({n: draw_values for n in names}).map(
            lambda fields: CATALOGUE[key][0].format(**fields)
        )

    sentence = st.sampled_from(sorted(CATALOGUE)).flatmap(lambda k: formatted(k, values(depth)))
    edge = st.sampled_from(pieces())
    return st.one_of(
        sentence,
        st.tuples(edge, sentence, edge).map("".join),
        st.tuples(sentence, st.integers(0, 200)).map(lambda s: s[0][: s[1]]),
        st.tuples(sentence, st.integers(0, 200)).map(lambda s: s[0][s[1] :]),
    ).map(lambda line: line.replace("\n", " "))


@settings(max_examples=600, deadline=None)
@given(sentences())
def test_a_line_is_read_as_the_templates_regular_expressions_read_it(line):
    assert translate(line, "zh") == expected_translation(line)
    assert keys_in(line) == expected_keys(line)


def test_a_repeated_field_is_tried_at_each_end_as_a_backtracking_regex_would():
    batch, typed = CATALOGUE["batch_too_large"][0], CATALOGUE["typed_at_prompt"][0]
    tricky = [
        batch.format(factor="3 times too large, and 3"),
        batch.format(factor="4").replace("and 4 is", "and 5 is"),
        batch.format(factor="4").replace("is 4 times", "is 4 times too large, and 5 times"),
        typed.format(names="f", number="7", file="y and grade that file with `check(8"),
        typed.format(names="f", number="7)` or `grade exercise 7", file="y"),
    ]
    for line in tricky:
        assert translate(line, "zh") == expected_translation(line)
        assert keys_in(line) == expected_keys(line)
    assert [bool(keys_in(line)) for line in tricky] == [True, False, False, True, True]
