"""The batch's HTML report: one static page for the class, one page per student, and
with `grade batch --student-view` each student's page to hand back to them.

Both pages are self-contained (inline CSS, inline SVG charts, nothing fetched
from the network) and every number is rendered here, so they read with
JavaScript off; the class page's only script sorts its student table. A
Content-Security-Policy lets that one script run and nothing else. Everything
that comes from a submission -- student names, titles, messages -- is a value
escaped once where it is placed (`escape`); a student's page lives in the
folder batch_export.student_folder derives from the name, and links to it
quote that folder name.

The input is the per-student `report.json` record `grade batch` writes:
{"student", "submission_hash", "grader_version", "status": "graded" | "error",
"error", "notice", "score", "max_score", "duration_s", "exercises_requested",
"exercises": [Report.to_dict() of each exercise]}. A student whose submission
could not be graded has no exercises and scores 0 on each one requested.
"""

from __future__ import annotations

import base64
import hashlib
import math
import statistics
from dataclasses import dataclass, field
from html import escape as _escape_markup
from pathlib import Path
from urllib.parse import quote

from grader.course.registry import UnknownExercise, get_exercise
from grader.engine.atomic import write_atomically
from grader.instructor.batch.export import record_message, student_folder
from grader.messages import translate

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

_LABELS = {
    "en": {
        "students": "students",
        "student_table": "Students",
        "errors": "could not be graded",
        "mean": "mean",
        "median": "median",
        "min": "min",
        "max": "max",
        "total": "total",
        "exercise": "Exercise",
        "distributions": "Score distribution per exercise",
        "full_marks": "full marks",
        "of": "of",
        "most_failed": "Checks most students fail",
        "check": "check",
        "failed_by": "students who failed it",
        "share": "of those graded",
        "none_failed": "Every graded student passed every check.",
        "student": "student",
        "status": "status",
        "message": "message",
        "error_counts_zero": "A submission that could not be graded counts as 0 on each exercise.",
        "back": "class report",
        "points": "points",
        "duration": "time",
        "submission": "submission",
        "grader": "grader",
        "isolation": "isolation",
        "artifacts": "files written",
        "hidden": "hidden",
        "hidden_details": "details of hidden checks are not shown",
        "full_bar": "full marks",
        "range": "{low} ≤ score < {high}",
        "no_exercises": "No exercise was graded.",
        "no_students": "No students.",
        "graded": "graded",
        "error": "error",
        "passed": "passed",
        "failed": "failed",
        "timeout": "timeout",
        "skipped": "not run",
    },
    "zh": {
        "students": "学生",
        "student_table": "学生",
        "errors": "无法评分",
        "mean": "平均",
        "median": "中位数",
        "min": "最低",
        "max": "最高",
        "total": "总分",
        "exercise": "练习",
        "distributions": "各练习得分分布",
        "full_marks": "满分",
        "of": "/",
        "most_failed": "最多学生未通过的检查",
        "check": "检查",
        "failed_by": "未通过人数",
        "share": "占已评分",
        "none_failed": "所有已评分的学生都通过了全部检查。",
        "student": "学生",
        "status": "状态",
        "message": "信息",
        "error_counts_zero": "无法评分的提交在每个练习上记 0 分。",
        "back": "全班报告",
        "points": "分数",
        "duration": "用时",
        "submission": "提交",
        "grader": "评分器",
        "isolation": "隔离",
        "artifacts": "生成的文件",
        "hidden": "隐藏",
        "hidden_details": "隐藏检查不显示详细信息",
        "full_bar": "满分",
        "range": "{low} ≤ 得分 < {high}",
        "no_exercises": "没有评分的练习。",
        "no_students": "没有学生。",
        "graded": "已评分",
        "error": "出错",
        "passed": "通过",
        "failed": "未通过",
        "timeout": "超时",
        "skipped": "未运行",
    },
}

_CSS = """
:root { --fg: #1d2430; --muted: #5f6b7a; --bg: #f5f6f8; --card: #fff; --line: #e3e6ea;
  --accent: #2f5bd3; --passed: #1a7f37; --failed: #c62828; --error: #7b3fc4; --timeout: #a86400; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--fg); background: var(--bg); font: 15px/1.55 system-ui,
  -apple-system, "Segoe UI", Roboto, "Noto Sans", "Noto Sans CJK SC", "PingFang SC",
  "Microsoft YaHei", sans-serif; }
main { max-width: 1180px; margin: 0 auto; padding: 28px 32px 64px; }
h1 { font-size: 1.75rem; margin: 0 0 4px; overflow-wrap: anywhere; }
h2 { font-size: 1.2rem; margin: 36px 0 12px; }
h3 { font-size: 1rem; margin: 0 0 6px; }
a { color: var(--accent); text-decoration: none; } a:hover { text-decoration: underline; }
.muted, .meta { color: var(--muted); font-size: .88rem; }
.stats { display: flex; flex-wrap: wrap; gap: 12px; margin: 18px 0 4px; }
.stat { background: var(--card); border: 1px solid var(--line); border-radius: 10px;
  padding: 10px 18px; min-width: 112px; }
.stat .value { display: block; font-size: 1.6rem; font-weight: 650;
  font-variant-numeric: tabular-nums; }
.stat .label { color: var(--muted); font-size: .8rem; letter-spacing: .03em; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(320px, 1fr)); gap: 16px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px;
  padding: 14px 16px; }
.card svg { width: 100%; height: auto; display: block; margin-top: 8px; }
svg .bar { fill: #7b9ae8; } svg .bar.top { fill: #3fa45b; }
svg text { font: 11px system-ui, sans-serif; fill: var(--muted); }
svg text.count { fill: var(--fg); font-weight: 600; }
svg line.axis { stroke: #b8c0cc; stroke-width: 1; }
table { border-collapse: collapse; width: 100%; background: var(--card);
  border: 1px solid var(--line); border-radius: 10px; overflow: hidden; }
th, td { padding: 7px 10px; border-bottom: 1px solid var(--line); text-align: left;
  vertical-align: top; }
th { background: #eef1f5; font-size: .74rem; color: var(--muted); font-weight: 600;
  text-transform: uppercase; letter-spacing: .04em; }
tbody tr:hover { background: #f8fafc; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
#students td:first-child { overflow-wrap: anywhere; }
td.full { color: var(--passed); font-weight: 600; } td.zero { color: var(--failed); }
.of { color: var(--muted); font-size: .85em; }
table.js-sortable th { cursor: pointer; user-select: none; }
table.js-sortable th:hover { color: var(--fg); }
.badge { display: inline-block; padding: 1px 9px; border-radius: 999px; font-size: .78rem;
  font-weight: 600; white-space: nowrap; }
.badge.passed, .badge.graded { background: #dcf5e3; color: var(--passed); }
.badge.failed { background: #fde2e1; color: var(--failed); }
.badge.error { background: #efe4fb; color: var(--error); }
.badge.timeout { background: #fdf0d5; color: var(--timeout); }
.badge.skipped { background: #eceff1; color: #55606b; }
.badge.hidden { background: #eceff3; color: var(--muted); font-weight: 500; }
pre { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; background: #f6f8fa;
  border-radius: 6px; padding: 6px 9px; font: 12.5px/1.45 ui-monospace, "SFMono-Regular",
  Menlo, Consolas, "Noto Sans Mono CJK SC", monospace; }
.alert { background: #fff4e5; border: 1px solid #f3d19c; border-radius: 8px;
  padding: 10px 14px; margin: 12px 0; }
.alert.error { background: #fdecea; border-color: #f2b8b5; }
.progress { height: 6px; background: var(--line); border-radius: 3px; margin: 6px 0 12px; }
.progress > span { display: block; height: 100%; border-radius: 3px; background: var(--accent); }
.progress.full > span { background: var(--passed); }
nav.chips { display: flex; flex-wrap: wrap; gap: 8px; margin: 16px 0; }
nav.chips a { background: var(--card); border: 1px solid var(--line); border-radius: 999px;
  padding: 3px 12px; font-size: .88rem; }
section.card { margin-bottom: 18px; }
table.checks { table-layout: fixed; }
table.checks th:nth-child(1) { width: 32%; } table.checks th:nth-child(2) { width: 11%; }
table.checks th:nth-child(3) { width: 9%; }
section.card h2 { margin: 0; display: flex; justify-content: space-between; gap: 12px; }
footer { margin-top: 40px; }
"""

# The only script: click a column heading of a `sortable` table to sort by it. The class
# it adds shows the headings as clickable only when the script actually ran.
_SORT_SCRIPT = """
for (const table of document.querySelectorAll("table.sortable")) {
  table.classList.add("js-sortable");
  table.querySelectorAll("thead th").forEach((th, column) => th.addEventListener("click", () => {
    const body = table.tBodies[0];
    const direction = th.dataset.direction === "ascending" ? -1 : 1;
    th.dataset.direction = direction > 0 ? "ascending" : "descending";
    const key = (row) => row.cells[column].dataset.sort ?? row.cells[column].textContent;
    const rows = Array.from(body.rows).sort((a, b) => {
      const x = key(a), y = key(b), nx = parseFloat(x), ny = parseFloat(y);
      return direction * (isNaN(nx) || isNaN(ny) ? x.localeCompare(y) : nx - ny);
    });
    rows.forEach((row) => body.appendChild(row));
  }));
}
"""
_SORT_SCRIPT_HASH = base64.b64encode(hashlib.sha256(_SORT_SCRIPT.encode()).digest()).decode()


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
    students: list[dict], title: str = "nnlab class report", lang: str = "en"
) -> str:
    """The class page `DIR/report.html`.

    Inputs:
    - students: the per-student `report.json` records (module docstring).
    - title: the page's heading.
    - lang: "en" or "zh", the language of the page's own labels.

    Returns:
    - the page as HTML text: class totals, a score histogram per exercise, the checks most
      students fail, and the student table linking each student's `<student>/report.html`.
    """
    text = _labels(lang)
    students = sorted(students, key=lambda s: str(s.get("student", "")).casefold())
    exercises = _summarise_exercises(students, lang)
    body = [
        f"<h1>{escape(title)}</h1>",
        _class_stats(students, text),
        f"<h2>{text['distributions']}</h2>",
        _distribution_cards(exercises, text),
        f"<h2>{text['most_failed']}</h2>",
        _failed_checks_table(students, text),
        f"<h2>{text['student_table']}</h2>",
        _student_table(students, exercises, text, lang),
        f'<footer class="meta">{text["error_counts_zero"]} {_versions(students, text)}</footer>',
    ]
    return _page(title, "\n".join(body), lang, sortable=True)


def render_student_html(student: dict, lang: str = "en", student_view: bool = False) -> str:
    """One student's page `DIR/<student>/report.html`, or the page to hand back to them.

    Inputs:
    - student: one `report.json` record (module docstring).
    - lang: "en" or "zh", the language of the page's own labels.
    - student_view: the student's own copy: no link to the class page, and each hidden
      check as its name, points and passed or failed only (no message, input or expected
      value); public checks in full.

    Returns:
    - the page as HTML text: the total, the error if the submission could not be graded,
      the record's notice, and each exercise's checks with status, points and message.
    """
    text = _labels(lang)
    name = str(student.get("student", ""))
    status = str(student.get("status", "graded"))
    total = _number(student.get("score", 0.0))
    max_total = _number(student.get("max_score", 0.0))
    meta = [
        f'{text["total"]} <strong><span id="total-score">{total}</span></strong>'
        f'<span class="of"> / <span id="max-score">{max_total}</span></span>',
        _badge(status, text),
        f'{text["duration"]} <span id="duration">{_number(student.get("duration_s", 0))}</span> s',
        f"{text['grader']} {escape(str(student.get('grader_version', '')))}",
        f"{text['submission']} <code>{escape(str(student.get('submission_hash', ''))[:12])}</code>",
    ]
    back = f'<p class="meta"><a href="../report.html">&larr; {text["back"]}</a></p>'
    body = [
        "" if student_view else back,
        f'<h1 id="student-name">{escape(name)}</h1>',
        f'<p class="meta">{" &middot; ".join(meta)}</p>',
    ]
    if status == "error":
        body.append(
            f'<div class="alert error"><pre id="error">{escape(_error(student))}</pre></div>'
        )
    if student.get("notice"):
        notice = escape(translate(str(student["notice"]), lang))
        body.append(f'<div class="alert"><pre id="notice">{notice}</pre></div>')
    records = sorted(student.get("exercises", []), key=lambda r: int(r.get("exercise", 0)))
    if records:
        chips = "".join(
            f'<a href="#ex-{int(r["exercise"])}">{int(r["exercise"])} &middot; '
            f"{_number(r.get('score', 0))}/{_number(r.get('max_score', 0))}</a>"
            for r in records
        )
        body.append(f'<nav class="chips">{chips}</nav>')
        body.extend(_exercise_section(record, text, student_view) for record in records)
    else:
        body.append(f'<p class="muted">{text["no_exercises"]}</p>')
    return _page(name, "\n".join(body), lang)


def write_html_reports(out_dir: Path, students: list[dict], lang: str = "en") -> Path:
    """Write the class page and every student's page, each atomically.

    Inputs:
    - out_dir: the batch's output folder; pages go to `out_dir/report.html` and
      `out_dir/<folder>/report.html`, the folder being `student_folder(name)`: any
      name, even "..", "a/b" or one with control characters, stays inside out_dir.
    - students: the per-student `report.json` records.
    - lang: "en" or "zh", the language of the pages' own labels.

    Returns:
    - the path of the class page.
    """
    for student in students:
        folder = student_folder(str(student.get("student", "")))
        write_atomically(out_dir / folder / "report.html", render_student_html(student, lang))
    page = out_dir / "report.html"
    write_atomically(page, render_batch_html(students, lang=lang))
    return page


def write_student_views(folder: Path, students: list[dict], lang: str = "en") -> list[Path]:
    """Write each student's page to hand back (`render_student_html(student_view=True)`).

    Inputs:
    - folder: where the pages go, `folder/<student_folder(name)>/report.html` (a folder
      of its own, so that one can be given to each student; no class page is written).
    - students: the per-student `report.json` records.
    - lang: "en" or "zh", the language of the pages' own labels.

    Returns:
    - the paths of the pages written, in the order of `students`.
    """
    pages = []
    for student in students:
        page = folder / student_folder(str(student.get("student", ""))) / "report.html"
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


def _labels(lang: str) -> dict[str, str]:
    return _LABELS.get(lang, _LABELS["en"])


def _page(title: str, body: str, lang: str, sortable: bool = False) -> str:
    """A whole HTML document; its policy allows inline styles and, if sortable, the sort script."""
    script_source = f"'sha256-{_SORT_SCRIPT_HASH}'" if sortable else "'none'"
    policy = f"default-src 'none'; style-src 'unsafe-inline'; script-src {script_source}"
    script_tag = f"<script>{_SORT_SCRIPT}</script>" if sortable else ""
    return (
        f'<!DOCTYPE html>\n<html lang="{"zh" if lang == "zh" else "en"}">\n<head>\n'
        '<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{policy}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n"
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


def _badge(status: str, text: dict[str, str]) -> str:
    known = ("graded", "passed", "failed", "error", "timeout", "skipped")
    css = status if status in known else "error"
    return f'<span class="badge {css}">{escape(text.get(status, status))}</span>'


def _error(student: dict) -> str:
    return str(student.get("error", "")) or "the submission could not be graded"


def _message(student: dict, lang: str) -> str:
    """The class table's message: the error of a student who could not be graded and the
    record's notice ("no exercise modules found"), in `lang` where the kit has the words."""
    message = record_message(student)
    if not message and student.get("status") == "error":
        message = _error(student)
    return translate(message, lang)


def _exercise_scores(student: dict) -> dict[int, float]:
    """Each requested or graded exercise's score; a requested one without a report scores 0."""
    scores = {int(n): 0.0 for n in student.get("exercises_requested", [])}
    for record in student.get("exercises", []):
        scores[int(record["exercise"])] = float(record.get("score", 0.0))
    return scores


def _summarise_exercises(students: list[dict], lang: str) -> list[_ExerciseSummary]:
    """One summary per exercise any student was asked for, in course order.

    Titles and maxima come from the graded reports; when no student's report has the
    exercise (all could not be graded), from the registry.
    """
    known: dict[int, tuple[str, float]] = {}
    for student in students:
        for record in student.get("exercises", []):
            number = int(record["exercise"])
            title, max_score = known.get(number, (str(record.get("title", "")), 0.0))
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
    return (exercise.title_zh if lang == "zh" else exercise.title), float(exercise.points)


def _stat(element_id: str, value: str, label: str) -> str:
    return (
        f'<div class="stat"><span class="value" id="{element_id}">{value}</span>'
        f'<span class="label">{label}</span></div>'
    )


def _class_stats(students: list[dict], text: dict[str, str]) -> str:
    """The class's head count and the mean, median, min and max total."""
    totals = [float(s.get("score", 0.0)) for s in students]
    errors = sum(s.get("status") == "error" for s in students)
    cards = [
        _stat("students-count", str(len(students)), text["students"]),
        _stat("errors-count", str(errors), text["errors"]),
    ]
    for key, function in (
        ("mean", statistics.fmean),
        ("median", statistics.median),
        ("min", min),
        ("max", max),
    ):
        value = _number(function(totals)) if totals else "&ndash;"
        cards.append(_stat(f"{key}-total", value, f"{text[key]} {text['total']}"))
    return f'<div class="stats">{"".join(cards)}</div>'


def _histogram_bins(scores: list[float], max_score: float, text: dict[str, str]) -> list[_Bin]:
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
        return [_score_bin(value, count, max_score, text) for value, count in enumerate(counts)]
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
            f"{text['range'].format(low=_number(i * width), high=_number((i + 1) * width))}: "
            f"{count}",
            edge=True,
        )
        for i, count in enumerate(counts)
    ]
    if max_score > 0:
        bins.append(_score_bin(max_score, full, max_score, text))
    return bins


def _score_bin(value: float, count: int, max_score: float, text: dict[str, str]) -> _Bin:
    """The bar of one score: the full-marks bar when `value` is full marks."""
    full = is_full(value, max_score)
    label = _number(value)
    title = f"{label} ({text['full_bar']}): {count}" if full else f"{label}: {count}"
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


def _histogram_svg(summary: _ExerciseSummary, text: dict[str, str]) -> str:
    """Bars for the score distribution, each with its count above it; the axis labels a
    range at its lower edge and a single score (and full marks) under its bar, thinned
    out so that no two overlap; each bar's tooltip says exactly what it counts."""
    bins = _histogram_bins(summary.scores, summary.max_score, text)
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


def _distribution_cards(exercises: list[_ExerciseSummary], text: dict[str, str]) -> str:
    """One card per exercise: mean, full marks and the histogram."""
    if not exercises:
        return f'<p class="muted">{text["no_exercises"]}</p>'
    cards = []
    for summary in exercises:
        n = summary.number
        mean = _number(statistics.fmean(summary.scores)) if summary.scores else "&ndash;"
        cards.append(
            f'<div class="card" id="exercise-{n}">'
            f"<h3>{text['exercise']} {n} &middot; {escape(summary.title)}</h3>"
            f'<div class="meta">{text["mean"]} <strong id="ex-{n}-mean">{mean}</strong>'
            f' {text["of"]} <span id="ex-{n}-max">{_number(summary.max_score)}</span>'
            f' &middot; {text["full_marks"]} <strong id="ex-{n}-full">{summary.full_marks}</strong>'
            f' {text["of"]} <span id="ex-{n}-count">{len(summary.scores)}</span></div>'
            f"{_histogram_svg(summary, text)}</div>"
        )
    return f'<div class="cards">{"".join(cards)}</div>'


def _failed_checks(students: list[dict]) -> list[_FailedCheck]:
    """Checks at least one graded student did not pass, most failed first, at most the top."""
    tally: dict[tuple[int, str], _FailedCheck] = {}
    for student in students:
        for record in student.get("exercises", []):
            number = int(record["exercise"])
            for check in record.get("checks", []):
                name = str(check.get("name", ""))
                entry = tally.setdefault((number, name), _FailedCheck(number, name))
                entry.ran += 1
                entry.failed += check.get("status") != "passed"
    failing = [entry for entry in tally.values() if entry.failed]
    failing.sort(key=lambda e: (-e.failed, -e.failed / e.ran, e.exercise, e.name))
    return failing[:TOP_FAILED_CHECKS]


def _failed_checks_table(students: list[dict], text: dict[str, str]) -> str:
    """The table of the checks most students fail."""
    failing = _failed_checks(students)
    if not failing:
        return f'<p class="muted" id="no-failed-checks">{text["none_failed"]}</p>'
    rows = [
        f'<tr data-exercise="{e.exercise}" data-check="{escape(e.name)}">'
        f'<td class="num">{e.exercise}</td><td>{_words(e.name)}</td>'
        f'<td class="num" data-field="failed">{e.failed}</td>'
        f'<td class="num" data-field="percent">{round(100 * e.failed / e.ran)}%</td></tr>'
        for e in failing
    ]
    return (
        f'<table id="failed-checks"><thead><tr><th class="num">{text["exercise"]}</th>'
        f'<th>{text["check"]}</th><th class="num">{text["failed_by"]}</th>'
        f'<th class="num">{text["share"]}</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _student_table(
    students: list[dict], exercises: list[_ExerciseSummary], text: dict[str, str], lang: str
) -> str:
    """One row per student: link to their page, each exercise's score, total, status."""
    if not students:
        return f'<p class="muted">{text["no_students"]}</p>'
    maxima = {summary.number: summary.max_score for summary in exercises}
    head = [f"<th>{text['student']}</th>"]
    head += [
        f'<th class="num" title="{escape(s.title)}">{s.number} '
        f'<span class="of">/{_number(s.max_score)}</span></th>'
        for s in exercises
    ]
    head += [
        f'<th class="num">{text["total"]}</th>',
        f"<th>{text['status']}</th>",
        f"<th>{text['message']}</th>",
    ]
    rows = []
    for student in students:
        name = str(student.get("student", ""))
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
        status = str(student.get("status", "graded"))
        total = float(student.get("score", 0.0))
        message = escape(_message(student, lang))
        cells += [
            f'<td class="num" data-student="{key}" data-field="total" data-sort="{total}">'
            f'{_number(total)}<span class="of"> / {_number(student.get("max_score", 0))}'
            "</span></td>",
            f'<td data-student="{key}" data-field="status" data-sort="{escape(status)}">'
            f"{_badge(status, text)}</td>",
            f'<td data-student="{key}" data-field="message">'
            f"{f'<pre>{message}</pre>' if message else ''}</td>",
        ]
        rows.append(f'<tr data-student="{key}">{"".join(cells)}</tr>')
    return (
        f'<table class="sortable" id="students"><thead><tr>{"".join(head)}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _versions(students: list[dict], text: dict[str, str]) -> str:
    versions = sorted({str(s.get("grader_version", "")) for s in students} - {""})
    return f"{text['grader']} {escape(', '.join(versions))}" if versions else ""


def _check_row(number: int, check: dict, text: dict[str, str], student_view: bool) -> str:
    """A check's row: name (and a badge if hidden), status, points and message. In the
    student view a hidden check shows passed or failed and no message at all."""
    name = str(check.get("name", ""))
    status = str(check.get("status", ""))
    message = escape(str(check.get("message", "")))
    hidden = not check.get("visible", True)
    badge = f' <span class="badge hidden">{text["hidden"]}</span>' if hidden else ""
    if hidden and student_view:
        status = "passed" if status == "passed" else "failed"
        note = text["hidden_details"] if status == "failed" else ""
        message_cell = f'<td class="muted" data-field="message">{note}</td>'
    else:
        message_cell = f'<td data-field="message">{f"<pre>{message}</pre>" if message else ""}</td>'
    return (
        f'<tr data-exercise="{number}" data-check="{escape(name)}">'
        f"<td>{_words(name)}{badge}</td>"
        f'<td data-field="status">{_badge(status, text)}</td>'
        f'<td class="num" data-field="points">{_number(check.get("points", 0))}'
        f'<span class="of"> / {_number(check.get("max_points", 0))}</span></td>'
        f"{message_cell}</tr>"
    )


def _exercise_section(record: dict, text: dict[str, str], student_view: bool = False) -> str:
    """One exercise of a student's page: score, notice and a row per check (_check_row)."""
    number = int(record.get("exercise", 0))
    score, max_score = float(record.get("score", 0)), float(record.get("max_score", 0))
    fraction = min(max(score / max_score, 0.0), 1.0) if max_score > 0 else 0.0
    rows = [_check_row(number, check, text, student_view) for check in record.get("checks", [])]
    notice = record.get("notice", "")
    artifacts = record.get("artifacts", [])
    parts = [
        f'<section class="card" id="ex-{number}">',
        f"<h2><span>{text['exercise']} {number} &middot; {escape(str(record.get('title', '')))}"
        f'</span><span class="num"><span data-exercise="{number}" data-field="score">'
        f'{_number(score)}</span><span class="of"> / {_number(max_score)}</span></span></h2>',
        f'<div class="progress{" full" if fraction == 1 else ""}">'
        f'<span style="width: {100 * fraction:.1f}%"></span></div>',
        f'<div class="alert"><pre>{escape(str(notice))}</pre></div>' if notice else "",
        f'<table class="checks"><thead><tr><th>{text["check"]}</th><th>{text["status"]}</th>'
        f'<th class="num">{text["points"]}</th><th>{text["message"]}</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>",
        f'<p class="meta">{text["duration"]} {_number(record.get("duration_s", 0))} s'
        f" &middot; {text['isolation']} {escape(str(record.get('isolation', '')))}</p>",
    ]
    if artifacts:
        files = ", ".join(f"<code>{escape(str(a))}</code>" for a in artifacts)
        parts.append(f'<p class="meta">{text["artifacts"]}: {files}</p>')
    parts.append("</section>")
    return "".join(parts)
