"""The batch's HTML report: one static page for the class, one page per student.

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
"error", "score", "max_score", "duration_s", "exercises_requested",
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

from grader.atomic import write_atomically
from grader.batch_export import student_folder
from grader.registry import UnknownExercise, get_exercise

TOP_FAILED_CHECKS = 15
# Up to this many points, an exercise whose scores are whole numbers gets one bar per score.
_MAX_BARS_PER_POINT = 15
_EQUAL_WIDTH_BARS = 10

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
        "no_exercises": "No exercise was graded.",
        "no_students": "No students.",
        "graded": "graded",
        "error": "error",
        "passed": "passed",
        "failed": "failed",
        "timeout": "timeout",
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
        "no_exercises": "没有评分的练习。",
        "no_students": "没有学生。",
        "graded": "已评分",
        "error": "出错",
        "passed": "通过",
        "failed": "未通过",
        "timeout": "超时",
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
        """How many students earned every point."""
        return sum(s >= self.max_score for s in self.scores) if self.max_score > 0 else 0


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
        _student_table(students, exercises, text),
        f'<footer class="meta">{text["error_counts_zero"]} {_versions(students, text)}</footer>',
    ]
    return _page(title, "\n".join(body), lang, sortable=True)


def render_student_html(student: dict, lang: str = "en") -> str:
    """One student's page `DIR/<student>/report.html`.

    Inputs:
    - student: one `report.json` record (module docstring).
    - lang: "en" or "zh", the language of the page's own labels.

    Returns:
    - the page as HTML text: the total, the error if the submission could not be graded,
      and each exercise's checks with status, points and message, linking back to the class.
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
        f"{text['duration']} {_number(student.get('duration_s', 0.0))} s",
        f"{text['grader']} {escape(str(student.get('grader_version', '')))}",
        f"{text['submission']} <code>{escape(str(student.get('submission_hash', ''))[:12])}</code>",
    ]
    body = [
        f'<p class="meta"><a href="../report.html">&larr; {text["back"]}</a></p>',
        f'<h1 id="student-name">{escape(name)}</h1>',
        f'<p class="meta">{" &middot; ".join(meta)}</p>',
    ]
    if status == "error":
        body.append(
            f'<div class="alert error"><pre id="error">{escape(_error(student))}</pre></div>'
        )
    records = sorted(student.get("exercises", []), key=lambda r: int(r.get("exercise", 0)))
    if records:
        chips = "".join(
            f'<a href="#ex-{int(r["exercise"])}">{int(r["exercise"])} &middot; '
            f"{_number(r.get('score', 0))}/{_number(r.get('max_score', 0))}</a>"
            for r in records
        )
        body.append(f'<nav class="chips">{chips}</nav>')
        body.extend(_exercise_section(record, text) for record in records)
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
    css = status if status in ("graded", "passed", "failed", "error", "timeout") else "error"
    return f'<span class="badge {css}">{escape(text.get(status, status))}</span>'


def _error(student: dict) -> str:
    return str(student.get("error", "")) or "the submission could not be graded"


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


def _histogram_bins(scores: list[float], max_score: float) -> list[tuple[str, int]]:
    """Score ranges and how many scores fall in each.

    Whole-number scores out of a few points get one bar per score; otherwise ten equal
    ranges from 0 to the maximum, the last one including the maximum.
    """
    top = max_score if max_score > 0 else max(scores, default=0.0)
    if top <= 0:
        return [("0", len(scores))]
    whole = float(top).is_integer() and all(float(s).is_integer() for s in scores)
    if whole and top <= _MAX_BARS_PER_POINT:
        counts = [0] * (int(top) + 1)
        for score in scores:
            counts[min(max(int(score), 0), int(top))] += 1
        return [(str(value), count) for value, count in enumerate(counts)]
    width = top / _EQUAL_WIDTH_BARS
    counts = [0] * _EQUAL_WIDTH_BARS
    for score in scores:
        counts[min(max(int(score / width), 0), _EQUAL_WIDTH_BARS - 1)] += 1
    return [
        (f"{_number(i * width)}\u2013{_number((i + 1) * width)}", count)
        for i, count in enumerate(counts)
    ]


def _histogram_svg(summary: _ExerciseSummary) -> str:
    """Bars for the score distribution, each labelled with its count and its score range."""
    bins = _histogram_bins(summary.scores, summary.max_score)
    width, plot_height, slot = 320, 96, 320 / len(bins)
    tallest = max((count for _, count in bins), default=0) or 1
    parts = [
        f'<svg viewBox="0 0 {width} {plot_height + 40}" role="img" '
        f'aria-label="score distribution, exercise {summary.number}">'
    ]
    for index, (label, count) in enumerate(bins):
        height = plot_height * count / tallest
        x, y = index * slot + slot * 0.12, 16 + plot_height - height
        top = " top" if index == len(bins) - 1 else ""
        parts.append(
            f'<g data-exercise="{summary.number}" data-bin="{index}">'
            f"<title>{escape(label)}: {count}</title>"
            f'<rect class="bar{top}" x="{x:.1f}" y="{y:.1f}" width="{slot * 0.76:.1f}" '
            f'height="{max(height, 1):.1f}" rx="2"></rect>'
            f'<text class="count" data-exercise="{summary.number}" data-bin="{index}" '
            f'x="{x + slot * 0.38:.1f}" y="{y - 4:.1f}" text-anchor="middle">{count}</text>'
            f'<text x="{x + slot * 0.38:.1f}" y="{plot_height + 32}" '
            f'text-anchor="middle">{escape(label)}</text></g>'
        )
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
            f"{_histogram_svg(summary)}</div>"
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
    students: list[dict], exercises: list[_ExerciseSummary], text: dict[str, str]
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
            css = "full" if max_score > 0 and score >= max_score else "zero" if score == 0 else ""
            cells.append(
                f'<td class="num {css}" data-student="{key}" data-exercise="{number}" '
                f'data-sort="{score}">{_number(score)}</td>'
            )
        status = str(student.get("status", "graded"))
        total = float(student.get("score", 0.0))
        message = escape(_error(student)) if status == "error" else ""
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


def _exercise_section(record: dict, text: dict[str, str]) -> str:
    """One exercise of a student's page: score, notice and a row per check."""
    number = int(record.get("exercise", 0))
    score, max_score = float(record.get("score", 0)), float(record.get("max_score", 0))
    fraction = min(max(score / max_score, 0.0), 1.0) if max_score > 0 else 0.0
    rows = []
    for check in record.get("checks", []):
        status = str(check.get("status", ""))
        hidden = (
            ""
            if check.get("visible", True)
            else f' <span class="badge hidden">{text["hidden"]}</span>'
        )
        message = str(check.get("message", ""))
        rows.append(
            f'<tr data-exercise="{number}" data-check="{escape(str(check.get("name", "")))}">'
            f"<td>{_words(str(check.get('name', '')))}{hidden}</td>"
            f'<td data-field="status">{_badge(status, text)}</td>'
            f'<td class="num" data-field="points">{_number(check.get("points", 0))}'
            f'<span class="of"> / {_number(check.get("max_points", 0))}</span></td>'
            f"<td>{f'<pre>{escape(message)}</pre>' if message else ''}</td></tr>"
        )
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
