"""docs/curriculum.md says exactly what the checks of exercises 16-21 enforce, and stays so.

The check files are read with `ast`, never imported: their checks need fixtures (the
sandbox, TensorFlow), and only their names, `@points` and `@hidden` matter here.
"""

import ast
import re
import tomllib

import pytest

from grader.course.paths import KIT_ROOT
from grader.course.registry import get_exercise

from mutants import MUTANTS

DOC = KIT_ROOT / "docs" / "curriculum.md"
DOCUMENTED = (16, 17, 18, 19, 20, 21)
SECTION = re.compile(r"^## (\d+)\. ", re.MULTILINE)
NAME = re.compile(r"`(\w+)`")


def checks_in_file(number: int) -> dict[str, tuple[int, str]]:
    """{check name without test_: (points, "public" or "hidden")} of exercise `number`'s
    check file, read from its syntax tree."""
    tree = ast.parse(get_exercise(number).check_file.read_text("utf-8"))
    checks = {}
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef) or not node.name.startswith("test_"):
            continue
        points, kind = None, "public"
        for decorator in node.decorator_list:
            if isinstance(decorator, ast.Call) and getattr(decorator.func, "id", "") == "points":
                points = ast.literal_eval(decorator.args[0])
            elif isinstance(decorator, ast.Name) and decorator.id == "hidden":
                kind = "hidden"
        assert points is not None, f"{node.name} has no @points"
        checks[node.name.removeprefix("test_")] = (points, kind)
    return checks


def sections() -> dict[int, str]:
    """The doc's text under each `## N. ...` heading, by exercise number."""
    text = DOC.read_text("utf-8")
    starts = list(SECTION.finditer(text))
    ends = [m.start() for m in starts[1:]] + [len(text)]
    return {int(m.group(1)): text[m.start() : end] for m, end in zip(starts, ends, strict=True)}


def tables(section: str) -> list[tuple[list[str], list[list[str]]]]:
    """Every Markdown table of a section as (header cells, body rows of cells)."""
    found, block = [], []
    for line in [*section.splitlines(), ""]:
        if line.startswith("|"):
            block.append([cell.strip() for cell in line.strip().strip("|").split("|")])
        elif block:
            found.append((block[0], block[2:]))  # block[1] is the --- row
            block = []
    return found


def documented_checks(section: str) -> dict[str, tuple[int, str]]:
    """{check name: (points, kind)} of the section's check table(s), one row per check."""
    rows = {}
    for header, body in tables(section):
        if header[:3] != ["check", "points", "kind"]:
            continue
        for name, points, kind, *_ in body:
            match = re.fullmatch(r"`(\w+)`", name)
            assert match, f"a check table's first cell should be one `name`, got {name!r}"
            assert match.group(1) not in rows, f"{match.group(1)} has two rows"
            rows[match.group(1)] = (int(points), kind)
    return rows


@pytest.fixture(scope="module")
def doc_sections() -> dict[int, str]:
    return sections()


@pytest.mark.parametrize("number", DOCUMENTED)
def test_every_check_has_its_row_with_its_points_and_kind(doc_sections, number):
    assert number in doc_sections, f"docs/curriculum.md has no section '## {number}. ...'"
    documented = documented_checks(doc_sections[number])
    actual = checks_in_file(number)
    missing = sorted(set(actual) - set(documented))
    stale = sorted(set(documented) - set(actual))
    assert not missing, f"exercise {number}: checks with no row in docs/curriculum.md: {missing}"
    assert not stale, f"exercise {number}: rows for checks that do not exist: {stale}"
    wrong = {n: (documented[n], actual[n]) for n in actual if documented[n] != actual[n]}
    assert not wrong, f"exercise {number}: (points, kind) in the doc vs the checks: {wrong}"


@pytest.mark.parametrize("number", DOCUMENTED)
def test_the_stated_total_is_the_sum_of_the_checks(doc_sections, number):
    total = sum(points for points, _ in checks_in_file(number).values())
    assert total == get_exercise(number).points
    first_line = doc_sections[number].split("\n\n")[1]
    assert first_line.startswith(f"{total} points."), f"exercise {number}: {first_line!r}"


@pytest.mark.parametrize("number", DOCUMENTED)
def test_checks_named_in_other_tables_exist(doc_sections, number):
    """The mistake and mutant tables name checks too: a renamed check must not hide there."""
    actual = set(checks_in_file(number))
    for header, body in tables(doc_sections[number]):
        for column, title in enumerate(header):
            if not title.startswith("checks"):
                continue
            for row in body:
                names = NAME.findall(row[column])
                assert names, f"exercise {number}: a row names no check: {row}"
                unknown = sorted(set(names) - actual)
                assert not unknown, f"exercise {number}, row {row[0]}: no such checks {unknown}"


@pytest.mark.parametrize("number", DOCUMENTED)
def test_the_mutant_table_lists_every_mutant(doc_sections, number):
    listed = [
        row[0]
        for header, body in tables(doc_sections[number])
        if header[0] == "mutant"
        for row in body
    ]
    expected = [m.mistake for m in MUTANTS if m.exercise == number]
    assert sorted(listed) == sorted(expected), f"exercise {number}'s mutants"


@pytest.mark.parametrize("number", DOCUMENTED)
def test_named_mistakes_are_catalogue_sentences(doc_sections, number):
    catalogue = tomllib.loads((KIT_ROOT / "grader" / "messages.toml").read_text("utf-8"))
    keys = set(catalogue["sentences"])
    named = [
        NAME.fullmatch(row[0]).group(1)
        for header, body in tables(doc_sections[number])
        if header[0] == "named mistake"
        for row in body
    ]
    assert named, f"exercise {number} lists no named mistakes"
    assert set(named) <= keys, sorted(set(named) - keys)
