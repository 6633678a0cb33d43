"""The batch's HTML report: one static page for the class, one page per student, and
with `grade batch --student-view` each student's page to hand back to them.

Both pages are self-contained (inline CSS, inline SVG charts, nothing fetched
from the network) and every number is rendered here, so they read with
JavaScript off; the class page's only script sorts its student table. The
style sheet and the script are package files beside this module (report.css,
report.js), inlined into each page; a Content-Security-Policy lets that one
script, by the hash of its text, run and nothing else. The pages' own words
are catalogue entries of grader.messages (`page_*`, `status_*`, `column_*`). Everything
that comes from a submission -- student names, titles, messages -- is a value
escaped once where it is placed (`escape`); a student's page lives in the
folder export.student_folder derives from the name, and links to it
quote that folder name.

The input is each student's record.StudentRecord, what `grade batch` writes to
`report.json`; its exercises are Report.to_dict() of each exercise. A student
whose submission could not be graded has no exercises and scores 0 on each one
requested.
"""

from __future__ import annotations

import base64
import hashlib
import math
import statistics
from dataclasses import dataclass, field
from functools import cache
from html import escape as _escape_markup
from importlib import resources
from pathlib import Path
from urllib.parse import quote

from grader.course.registry import UnknownExercise, get_exercise, title_of
from grader.engine.atomic import write_atomically
from grader.instructor.batch.export import record_message, student_folder
from grader.instructor.batch.record import ERROR, StudentRecord
from grader.messages import LANGS, text, translate

TOP_FAILED_CHECKS = 15
# Up to this many points, an exercise whose scores are whole numbers gets one bar per score.
_MAX_BARS_PER_POINT = 15
_EQUAL_WIDTH_BARS = 10
# The histogram: its width, plot height and side margins in SVG units, and the room one
# character of an axis label takes (an 11px digit is 6-7 units wide) plus the space
# between two labels.
_SVG_WIDTH, _PLOT_HEIGHT, _MARGIN = 320, 96, 12
_LABEL_CHAR_WIDTH, _LABEL_GAP = 7.0, 4.0
# Relative tolerance for full marks: a score summed from fractional points may miss the
# maximum by a rounding error.
_FULL_TOLERANCE = 1e-9


def _asset(name: str) -> str:
    """The text of package file `name` beside this module (report.css, report.js)."""
    return resources.files("grader.instructor.batch").joinpath(name).read_text("utf-8")


@cache
def _style() -> str:
    """The pages' style sheet, inlined into each page."""
    return _asset("report.css")


@cache
def _sort_script() -> tuple[str, str]:
    """The class page's only script (report.js: sort the student table by a column) and
    the CSP source that lets exactly that text run ('sha256-...' of the file's content)."""
    script = _asset("report.js")
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    return script, f"'sha256-{digest}'"


@dataclass
class _ExerciseSummary:
    """The class's results on one exercise: a score per student who was asked for it."""

    number: int
    title: str
    max_score: float
    scores: list[float] = field(default_factory=list)

    @property
    def full_marks(self) -> int:
        """How many students earned every point (is_full)."""
        return sum(is_full(s, self.max_score) for s in self.scores)


def is_full(score: float, max_score: float) -> bool:
    """Whether `score` earns every point of `max_score` (> 0), up to a rounding error: the
    one rule of the class page's full-marks count, green histogram bar and table cells."""
    if max_score <= 0:
        return False
    return score >= max_score or math.isclose(score, max_score, rel_tol=_FULL_TOLERANCE)


@dataclass
class _Bin:
    """One histogram bar: its axis label, how many scores fall in it, its tooltip, and
    whether it is the full-marks bar; `edge` labels the bar's left edge (a range's lower
    bound) rather than its middle (a single score)."""

    label: str
    count: int
    title: str
    full: bool = False
    edge: bool = False


@dataclass
class _FailedCheck:
    """One check, and how many graded students did not pass it out of how many ran it."""

    exercise: int
    name: str
    failed: int = 0
    ran: int = 0


def render_batch_html(
    students: list[StudentRecord], title: str | None = None, lang: str = "en"
) -> str:
    """The class page `DIR/report.html`.

    Inputs:
    - students: the students' records (module docstring).
    - title: the page's heading; by default "nnlab class report" in `lang`.
    - lang: "en" or "zh", the language of the page's own labels and exercise titles.

    Returns:
    - the page as HTML text: class totals, a score histogram per exercise, the checks most
      students fail, and the student table linking each student's `<student>/report.html`.
    """
    title = text("page_class_report", lang) if title is None else title
    students = sorted(students, key=lambda s: s.student.casefold())
    exercises = _summarise_exercises(students, lang)
    body = [
        f"<h1>{escape(title)}</h1>",
        _class_stats(students, lang),
        f"<h2>{text('page_distributions', lang)}</h2>",
        _distribution_cards(exercises, lang),
        f"<h2>{text('page_most_failed', lang)}</h2>",
        _failed_checks_table(students, lang),
        f"<h2>{text('page_student_table', lang)}</h2>",
        _student_table(students, exercises, lang),
        f'<footer class="meta">{text("page_error_counts_zero", lang)} '
        f"{_versions(students, lang)}</footer>",
    ]
    return _page(title, "\n".join(body), lang, sortable=True)


def render_student_html(
    student: StudentRecord, lang: str = "en", student_view: bool = False
) -> str:
    """One student's page `DIR/<student>/report.html`, or the page to hand back to them.

    Inputs:
    - student: one student's record (module docstring).
    - lang: "en" or "zh", the language of the page's own labels.
    - student_view: the student's own copy: no link to the class page, and each hidden
      check as its name, points and passed or failed only (no message, input or expected
      value); public checks in full.

    Returns:
    - the page as HTML text: the total, the error if the submission could not be graded,
      the record's notice, and each exercise's checks with status, points and message.
    """
    name, status = student.student, student.status
    total, max_total = _number(student.score), _number(student.max_score)
    meta = [
        f'{text("page_total", lang)} <strong><span id="total-score">{total}</span></strong>'
        f'<span class="of"> / <span id="max-score">{max_total}</span></span>',
        _badge(status, lang),
        f'{text("page_duration", lang)} <span id="duration">{_number(student.duration_s)}</span> s',
        f"{text('page_grader', lang)} {escape(student.grader_version)}",
        f"{text('page_submission', lang)} <code>{escape(student.submission_hash[:12])}</code>",
    ]
    back = f'<p class="meta"><a href="../report.html">&larr; {text("page_back", lang)}</a></p>'
    body = [
        "" if student_view else back,
        f'<h1 id="student-name">{escape(name)}</h1>',
        f'<p class="meta">{" &middot; ".join(meta)}</p>',
    ]
    if status == "error":
        body.append(
            f'<div class="alert error"><pre id="error">{escape(_error(student))}</pre></div>'
        )
    if student.notice:
        notice = escape(translate(student.notice, lang))
        body.append(f'<div class="alert"><pre id="notice">{notice}</pre></div>')
    records = sorted(student.exercises, key=lambda r: int(r.get("exercise", 0)))
    if records:
        chips = "".join(
            f'<a href="#ex-{int(r["exercise"])}">{int(r["exercise"])} &middot; '
            f"{_number(r.get('score', 0))}/{_number(r.get('max_score', 0))}</a>"
            for r in records
        )
        body.append(f'<nav class="chips">{chips}</nav>')
        body.extend(_exercise_section(record, lang, student_view) for record in records)
    else:
        body.append(f'<p class="muted">{text("page_no_exercises", lang)}</p>')
    return _page(name, "\n".join(body), lang)


def write_html_reports(out_dir: Path, students: list[StudentRecord], lang: str = "en") -> Path:
    """Write the class page and every student's page, each atomically.

    Inputs:
    - out_dir: the batch's output folder; pages go to `out_dir/report.html` and
      `out_dir/<folder>/report.html`, the folder being `student_folder(name)`: any
      name, even "..", "a/b" or one with control characters, stays inside out_dir.
    - students: the students' records.
    - lang: "en" or "zh", the language of the pages' own labels.

    Returns:
    - the path of the class page.
    """
    for student in students:
        folder = student_folder(student.student)
        write_atomically(out_dir / folder / "report.html", render_student_html(student, lang))
    page = out_dir / "report.html"
    write_atomically(page, render_batch_html(students, lang=lang))
    return page


def write_student_views(
    folder: Path, students: list[StudentRecord], lang: str = "en"
) -> list[Path]:
    """Write each student's page to hand back (`render_student_html(student_view=True)`).

    Inputs:
    - folder: where the pages go, `folder/<student_folder(name)>/report.html` (a folder
      of its own, so that one can be given to each student; no class page is written).
    - students: the students' records.
    - lang: "en" or "zh", the language of the pages' own labels.

    Returns:
    - the paths of the pages written, in the order of `students`.
    """
    pages = []
    for student in students:
        page = folder / student_folder(student.student) / "report.html"
        write_atomically(page, render_student_html(student, lang, student_view=True))
        pages.append(page)
    return pages


def escape(text: str) -> str:
    """`text` safe as HTML text or a quoted attribute value; a carriage return is written
    as a character reference, which a browser keeps (a raw one it reads as a newline)."""
    return _escape_markup(text).replace("\r", "&#13;")


def student_href(name: str) -> str:
    """The class page's link to a student's page: the student's folder, URL-quoted."""
    return f"{quote(student_folder(name), safe='')}/report.html"


def _page(title: str, body: str, lang: str, sortable: bool = False) -> str:
    """A whole HTML document; its policy allows inline styles and, if sortable, the sort script."""
    script, script_source = _sort_script() if sortable else ("", "'none'")
    policy = f"default-src 'none'; style-src 'unsafe-inline'; script-src {script_source}"
    script_tag = f"<script>{script}</script>" if sortable else ""
    return (
        f'<!DOCTYPE html>\n<html lang="{lang if lang in LANGS else "en"}">\n<head>\n'
        '<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{policy}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{_style()}</style>\n</head>\n"
        f"<body>\n<main>\n{body}\n</main>\n{script_tag}\n</body>\n</html>\n"
    )


def _number(value: object) -> str:
    """A score as short text: at most two decimals, no trailing zeros (12, 7.5, 3.33)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "0"
    if not math.isfinite(number):
        return "0"
    return f"{number:.2f}".rstrip("0").rstrip(".")


def _words(check_name: str) -> str:
    return escape(check_name.replace("_", " "))


def _badge(status: str, lang: str) -> str:
    """A record's or a check's status as a coloured label in `lang` (one it does not know
    as it is, coloured as an error)."""
    known = ("graded", "passed", "failed", "error", "timeout", "skipped")
    css = status if status in known else "error"
    label = text(f"status_{status}", lang) if status in known else status
    return f'<span class="badge {css}">{escape(label)}</span>'


def _error(student: StudentRecord) -> str:
    return student.error or "the submission could not be graded"


def _message(student: StudentRecord, lang: str) -> str:
    """The class table's message: the error of a student who could not be graded and the
    record's notice ("no exercise modules found"), in `lang` where the kit has the words."""
    message = record_message(student)
    if not message and student.status == ERROR:
        message = _error(student)
    return translate(message, lang)


def _exercise_scores(student: StudentRecord) -> dict[int, float]:
    """Each requested or graded exercise's score; a requested one without a report scores 0."""
    scores = {int(n): 0.0 for n in student.exercises_requested}
    for record in student.exercises:
        scores[int(record["exercise"])] = float(record.get("score", 0.0))
    return scores


def _summarise_exercises(students: list[StudentRecord], lang: str) -> list[_ExerciseSummary]:
    """One summary per exercise any student was asked for, in course order.

    Titles are the registry's in `lang` (`_title`). Maxima come from the graded
    reports; when no student's report has the exercise (all could not be graded),
    from the registry.
    """
    known: dict[int, tuple[str, float]] = {}
    for student in students:
        for record in student.exercises:
            number = int(record["exercise"])
            title, max_score = known.get(number, (_title(record, lang), 0.0))
            # A report without checks (a refused import, say) has max 0: keep the largest.
            known[number] = title, max(max_score, float(record.get("max_score", 0)))
    scores = [_exercise_scores(student) for student in students]
    summaries = []
    for number in sorted({n for by_number in scores for n in by_number}):
        title, max_score = known.get(number) or _registry_entry(number, lang)
        summary = _ExerciseSummary(number, title, max_score)
        summary.scores = [by_number[number] for by_number in scores if number in by_number]
        summaries.append(summary)
    return summaries


def _registry_entry(number: int, lang: str) -> tuple[str, float]:
    try:
        exercise = get_exercise(number)
    except UnknownExercise:
        return "", 0.0
    return exercise.title_in(lang), float(exercise.points)


def _title(record: dict, lang: str) -> str:
    """An exercise report's title in `lang`: the registry's; the title recorded at grading
    (English) only for an exercise the registry no longer has."""
    return title_of(int(record.get("exercise", 0)), lang, str(record.get("title", "")))


def _stat(element_id: str, value: str, label: str) -> str:
    return (
        f'<div class="stat"><span class="value" id="{element_id}">{value}</span>'
        f'<span class="label">{label}</span></div>'
    )


def _class_stats(students: list[StudentRecord], lang: str) -> str:
    """The class's head count and the mean, median, min and max total."""
    totals = [float(s.score) for s in students]
    errors = sum(s.status == ERROR for s in students)
    cards = [
        _stat("students-count", str(len(students)), text("page_students", lang)),
        _stat("errors-count", str(errors), text("page_errors", lang)),
    ]
    for key, function in (
        ("mean", statistics.fmean),
        ("median", statistics.median),
        ("min", min),
        ("max", max),
    ):
        value = _number(function(totals)) if totals else "&ndash;"
        label = f"{text(f'page_{key}', lang)} {text('page_total', lang)}"
        cards.append(_stat(f"{key}-total", value, label))
    return f'<div class="stats">{"".join(cards)}</div>'


def _histogram_bins(scores: list[float], max_score: float, lang: str) -> list[_Bin]:
    """The histogram's bars, in order, with how many scores fall in each.

    Whole-number scores out of a few points get one bar per score, 0 to the maximum;
    otherwise ten equal ranges below the maximum, then one bar for full marks. Either
    way the last bar counts exactly the scores `is_full` counts.
    """
    top = max_score if max_score > 0 else max(scores, default=0.0)
    if top <= 0:
        return [_Bin("0", len(scores), f"0: {len(scores)}")]
    whole = float(top).is_integer() and all(float(s).is_integer() for s in scores)
    if whole and top <= _MAX_BARS_PER_POINT:
        counts = [0] * (int(top) + 1)
        for score in scores:
            counts[min(max(int(score), 0), int(top))] += 1
        return [_score_bin(value, count, max_score, lang) for value, count in enumerate(counts)]
    width = top / _EQUAL_WIDTH_BARS
    counts, full = [0] * _EQUAL_WIDTH_BARS, 0
    for score in scores:
        if is_full(score, max_score):
            full += 1
        else:
            counts[min(max(int(score / width), 0), _EQUAL_WIDTH_BARS - 1)] += 1
    bins = [
        _Bin(
            _number(i * width),
            count,
            f"{text('page_range', lang, low=_number(i * width), high=_number((i + 1) * width))}: "
            f"{count}",
            edge=True,
        )
        for i, count in enumerate(counts)
    ]
    if max_score > 0:
        bins.append(_score_bin(max_score, full, max_score, lang))
    return bins


def _score_bin(value: float, count: int, max_score: float, lang: str) -> _Bin:
    """The bar of one score: the full-marks bar when `value` is full marks."""
    full = is_full(value, max_score)
    label = _number(value)
    title = f"{label} ({text('page_full_marks', lang)}): {count}" if full else f"{label}: {count}"
    return _Bin(label, count, title, full=full)


def _label_step(bins: list[_Bin], slot: float) -> int:
    """Label every n-th bar, n the smallest for which the widest label and a gap fit."""
    widest = max(len(b.label) for b in bins) * _LABEL_CHAR_WIDTH + _LABEL_GAP
    return max(1, math.ceil(widest / slot))


def _labelled(index: int, bins: list[_Bin], step: int) -> bool:
    """Whether bar `index` shows its label: the full-marks bar always, ranges' edges from
    0 on, single scores counted back from the full-marks bar (which then keeps its room)."""
    if bins[index].full:
        return True
    anchor = 0 if bins[index].edge else len(bins) - 1
    return (anchor - index) % step == 0


def _histogram_svg(summary: _ExerciseSummary, lang: str) -> str:
    """Bars for the score distribution, each with its count above it; the axis labels a
    range at its lower edge and a single score (and full marks) under its bar, thinned
    out so that no two overlap; each bar's tooltip says exactly what it counts."""
    bins = _histogram_bins(summary.scores, summary.max_score, lang)
    # After ranges, the full-marks bar stands half a slot apart.
    gap = 0.5 if any(b.edge for b in bins) else 0.0
    slot = (_SVG_WIDTH - 2 * _MARGIN) / (len(bins) + gap)
    tallest = max((b.count for b in bins), default=0) or 1
    step = _label_step(bins, slot)
    base = 16 + _PLOT_HEIGHT
    parts = [
        f'<svg viewBox="0 0 {_SVG_WIDTH} {_PLOT_HEIGHT + 40}" role="img" '
        f'aria-label="score distribution, exercise {summary.number}">',
        f'<line class="axis" x1="0" y1="{base + 0.5}" x2="{_SVG_WIDTH}" y2="{base + 0.5}"></line>',
    ]
    for index, item in enumerate(bins):
        left = _MARGIN + (index + (gap if item.full else 0.0)) * slot
        height = _PLOT_HEIGHT * item.count / tallest
        x, y = left + slot * 0.12, base - height
        middle = left + slot * 0.5
        parts.append(
            f'<g data-exercise="{summary.number}" data-bin="{index}">'
            f"<title>{escape(item.title)}</title>"
            f'<rect class="bar{" top" if item.full else ""}" x="{x:.1f}" y="{y:.1f}" '
            f'width="{slot * 0.76:.1f}" height="{max(height, 1):.1f}" rx="2"></rect>'
            f'<text class="count" data-exercise="{summary.number}" data-bin="{index}" '
            f'data-full="{str(item.full).lower()}" x="{middle:.1f}" y="{y - 4:.1f}" '
            f'text-anchor="middle">{item.count}</text>'
        )
        if item.edge:
            parts.append(
                f'<line class="axis" x1="{left:.1f}" y1="{base}" x2="{left:.1f}" '
                f'y2="{base + 5}"></line>'
            )
        if _labelled(index, bins, step):
            parts.append(
                f'<text class="tick" data-exercise="{summary.number}" data-tick="{index}" '
                f'x="{(left if item.edge else middle):.1f}" y="{_PLOT_HEIGHT + 32}" '
                f'text-anchor="middle">{escape(item.label)}</text>'
            )
        parts.append("</g>")
    parts.append("</svg>")
    return "".join(parts)


def _distribution_cards(exercises: list[_ExerciseSummary], lang: str) -> str:
    """One card per exercise: mean, full marks and the histogram."""
    if not exercises:
        return f'<p class="muted">{text("page_no_exercises", lang)}</p>'
    cards = []
    for summary in exercises:
        n = summary.number
        mean = _number(statistics.fmean(summary.scores)) if summary.scores else "&ndash;"
        cards.append(
            f'<div class="card" id="exercise-{n}">'
            f"<h3>{text('page_exercise', lang)} {n} &middot; {escape(summary.title)}</h3>"
            f'<div class="meta">{text("page_mean", lang)} <strong id="ex-{n}-mean">{mean}</strong>'
            f' {text("page_of", lang)} <span id="ex-{n}-max">{_number(summary.max_score)}</span>'
            f" &middot; {text('page_full_marks', lang)} "
            f'<strong id="ex-{n}-full">{summary.full_marks}</strong>'
            f' {text("page_of", lang)} <span id="ex-{n}-count">{len(summary.scores)}</span></div>'
            f"{_histogram_svg(summary, lang)}</div>"
        )
    return f'<div class="cards">{"".join(cards)}</div>'


def _failed_checks(students: list[StudentRecord]) -> list[_FailedCheck]:
    """Checks at least one graded student did not pass, most failed first, at most the top."""
    tally: dict[tuple[int, str], _FailedCheck] = {}
    for student in students:
        for record in student.exercises:
            number = int(record["exercise"])
            for check in record.get("checks", []):
                name = str(check.get("name", ""))
                entry = tally.setdefault((number, name), _FailedCheck(number, name))
                entry.ran += 1
                entry.failed += check.get("status") != "passed"
    failing = [entry for entry in tally.values() if entry.failed]
    failing.sort(key=lambda e: (-e.failed, -e.failed / e.ran, e.exercise, e.name))
    return failing[:TOP_FAILED_CHECKS]


def _failed_checks_table(students: list[StudentRecord], lang: str) -> str:
    """The table of the checks most students fail."""
    failing = _failed_checks(students)
    if not failing:
        return f'<p class="muted" id="no-failed-checks">{text("page_none_failed", lang)}</p>'
    rows = [
        f'<tr data-exercise="{e.exercise}" data-check="{escape(e.name)}">'
        f'<td class="num">{e.exercise}</td><td>{_words(e.name)}</td>'
        f'<td class="num" data-field="failed">{e.failed}</td>'
        f'<td class="num" data-field="percent">{round(100 * e.failed / e.ran)}%</td></tr>'
        for e in failing
    ]
    return (
        f'<table id="failed-checks"><thead><tr><th class="num">{text("page_exercise", lang)}</th>'
        f'<th>{text("column_check", lang)}</th><th class="num">{text("page_failed_by", lang)}</th>'
        f'<th class="num">{text("page_share", lang)}</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _student_table(
    students: list[StudentRecord], exercises: list[_ExerciseSummary], lang: str
) -> str:
    """One row per student: link to their page, each exercise's score, total, status."""
    if not students:
        return f'<p class="muted">{text("page_no_students", lang)}</p>'
    maxima = {summary.number: summary.max_score for summary in exercises}
    head = [f"<th>{text('page_student', lang)}</th>"]
    head += [
        f'<th class="num" title="{escape(s.title)}">{s.number} '
        f'<span class="of">/{_number(s.max_score)}</span></th>'
        for s in exercises
    ]
    head += [
        f'<th class="num">{text("page_total", lang)}</th>',
        f"<th>{text('column_status', lang)}</th>",
        f"<th>{text('page_message', lang)}</th>",
    ]
    rows = []
    for student in students:
        name = student.student
        key = escape(name)
        scores = _exercise_scores(student)
        cells = [f'<td data-sort="{key}"><a href="{escape(student_href(name))}">{key}</a></td>']
        for number, max_score in maxima.items():
            if number not in scores:
                cells.append('<td class="num" data-sort="-1">&ndash;</td>')
                continue
            score = scores[number]
            css = "full" if is_full(score, max_score) else "zero" if score == 0 else ""
            cells.append(
                f'<td class="num {css}" data-student="{key}" data-exercise="{number}" '
                f'data-sort="{score}">{_number(score)}</td>'
            )
        status = student.status
        total = float(student.score)
        message = escape(_message(student, lang))
        cells += [
            f'<td class="num" data-student="{key}" data-field="total" data-sort="{total}">'
            f'{_number(total)}<span class="of"> / {_number(student.max_score)}'
            "</span></td>",
            f'<td data-student="{key}" data-field="status" data-sort="{escape(status)}">'
            f"{_badge(status, lang)}</td>",
            f'<td data-student="{key}" data-field="message">'
            f"{f'<pre>{message}</pre>' if message else ''}</td>",
        ]
        rows.append(f'<tr data-student="{key}">{"".join(cells)}</tr>')
    return (
        f'<table class="sortable" id="students"><thead><tr>{"".join(head)}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _versions(students: list[StudentRecord], lang: str) -> str:
    versions = sorted({s.grader_version for s in students} - {""})
    return f"{text('page_grader', lang)} {escape(', '.join(versions))}" if versions else ""


def _check_row(number: int, check: dict, lang: str, student_view: bool) -> str:
    """A check's row: name (and a badge if hidden), status, points and message. In the
    student view a hidden check shows passed or failed and no message at all."""
    name = str(check.get("name", ""))
    status = str(check.get("status", ""))
    message = escape(str(check.get("message", "")))
    hidden = not check.get("visible", True)
    badge = f' <span class="badge hidden">{text("page_hidden", lang)}</span>' if hidden else ""
    if hidden and student_view:
        status = "passed" if status == "passed" else "failed"
        note = text("page_hidden_details", lang) if status == "failed" else ""
        message_cell = f'<td class="muted" data-field="message">{note}</td>'
    else:
        message_cell = f'<td data-field="message">{f"<pre>{message}</pre>" if message else ""}</td>'
    return (
        f'<tr data-exercise="{number}" data-check="{escape(name)}">'
        f"<td>{_words(name)}{badge}</td>"
        f'<td data-field="status">{_badge(status, lang)}</td>'
        f'<td class="num" data-field="points">{_number(check.get("points", 0))}'
        f'<span class="of"> / {_number(check.get("max_points", 0))}</span></td>'
        f"{message_cell}</tr>"
    )


NUMBER_CELL = ' class="num"'


def _profile_table(profile: dict, lang: str) -> str:
    """Where a capstone's training time went (a report's profile), as a table."""
    from grader.engine.profile import table_of

    laid_out = table_of(profile, lang)

    def cells(tag: str, values: list[str]) -> str:
        # the first two columns are words, the others numbers
        return "".join(
            f"<{tag}{NUMBER_CELL if number >= 2 else ''}>{escape(value)}</{tag}>"
            for number, value in enumerate(values)
        )

    body = "".join(f"<tr>{cells('td', row)}</tr>" for row in laid_out.rows)
    finding = f'<p class="alert">{escape(laid_out.finding)}</p>' if laid_out.finding else ""
    return (
        f'<table class="checks profile"><caption>{escape(laid_out.title)}</caption>'
        f"<thead><tr>{cells('th', laid_out.headers)}</tr></thead><tbody>{body}</tbody></table>"
        f"{finding}"
    )


def _exercise_section(record: dict, lang: str, student_view: bool = False) -> str:
    """One exercise of a student's page: score, notice and a row per check (_check_row)."""
    number = int(record.get("exercise", 0))
    score, max_score = float(record.get("score", 0)), float(record.get("max_score", 0))
    fraction = min(max(score / max_score, 0.0), 1.0) if max_score > 0 else 0.0
    rows = [_check_row(number, check, lang, student_view) for check in record.get("checks", [])]
    notice = record.get("notice", "")
    artifacts = record.get("artifacts", [])
    parts = [
        f'<section class="card" id="ex-{number}">',
        f"<h2><span>{text('page_exercise', lang)} {number} &middot; {escape(_title(record, lang))}"
        f'</span><span class="num"><span data-exercise="{number}" data-field="score">'
        f'{_number(score)}</span><span class="of"> / {_number(max_score)}</span></span></h2>',
        f'<div class="progress{" full" if fraction == 1 else ""}">'
        f'<span style="width: {100 * fraction:.1f}%"></span></div>',
        f'<div class="alert"><pre>{escape(str(notice))}</pre></div>' if notice else "",
        f'<table class="checks"><thead><tr><th>{text("column_check", lang)}</th>'
        f'<th>{text("column_status", lang)}</th><th class="num">{text("column_points", lang)}</th>'
        f"<th>{text('page_message', lang)}</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>",
        f'<p class="meta">{text("page_duration", lang)} {_number(record.get("duration_s", 0))} s'
        f" &middot; {text('page_isolation', lang)} {escape(str(record.get('isolation', '')))}</p>",
    ]
    parts += [_profile_table(profile, lang) for profile in record.get("profiles", [])]
    if artifacts:
        files = ", ".join(f"<code>{escape(str(a))}</code>" for a in artifacts)
        parts.append(f'<p class="meta">{text("page_artifacts", lang)}: {files}</p>')
    parts.append("</section>")
    return "".join(parts)
