"""The batch's HTML report, read back from the DOM headless Chromium renders.

Each page is loaded with `chromium --dump-dom` (Debian's package) and also parsed as
written, so the numbers are known to be in the HTML itself, readable with JS off.
"""

from __future__ import annotations

import re
import statistics
from pathlib import Path
from urllib.parse import unquote

import pytest
from batch_class import BACKSLASH, CHINESE, CONTROL, DOT, FORMULA, JSON_WRITER, LONG
from html_page import Page, rendered_dom

from grader.course.registry import get_exercise
from grader.instructor.batch.export import student_folder
from grader.instructor.batch.html import (
    render_batch_html,
    render_student_html,
    student_href,
    write_html_reports,
    write_student_views,
)
from grader.instructor.batch.record import StudentRecord

SCRIPT_NAME = "<script>alert(1)</script>"
CHINESE_NAME = "张伟"

# ---------------------------------------------------------------------------- the class


def make_check(name: str, status: str, max_points: float, message: str = "") -> dict:
    """One check record as Report.to_dict writes it; it earns its points only when passed."""
    points = max_points if status == "passed" else 0.0
    return {
        "name": name,
        "status": status,
        "points": points,
        "max_points": max_points,
        "message": message,
        "visible": True,
        "duration_s": 0.1,
    }


def make_exercise(number: int, title: str, checks: list[dict], notice: str = "") -> dict:
    """One exercise record; its score and maximum are its checks' sums."""
    return {
        "exercise": number,
        "title": title,
        "score": sum(c["points"] for c in checks),
        "max_score": sum(c["max_points"] for c in checks),
        "duration_s": 2.5,
        "checks": checks,
        "submission": "student/ex.py",
        "isolation": "bubblewrap",
        "limits": {"call_timeout_s": 10},
        "notice": notice,
        "artifacts": [],
    }


def ex1(failing: dict[str, str], title: str = "Tensors and labels") -> dict:
    """Exercise 1 (six checks, 2 points each); `failing` maps a check to its status."""
    names = ["one_hot", "scale_pixels", "flatten", "nhwc_to_nchw", "nchw_to_nhwc", "minibatches"]
    checks = [
        make_check(
            f"{name}_matches_reference",
            failing.get(name, "passed"),
            2.0,
            "" if name not in failing else f"{name}: max abs error 0.5 at index (0, 1)",
        )
        for name in names
    ]
    return make_exercise(1, title, checks)


def ex2(failing: dict[str, str], message: str = "wrong values") -> dict:
    """Exercise 2 (relu 4, sigmoid 3, tanh 3 points); `failing` maps a check to its status."""
    checks = [
        make_check(
            f"{name}_matches_tensorflow",
            failing.get(name, "passed"),
            points,
            "" if name not in failing else message,
        )
        for name, points in (("relu", 4.0), ("sigmoid", 3.0), ("tanh", 3.0))
    ]
    return make_exercise(2, "Activation functions", checks)


def make_student(name: str, exercises: list[dict], error: str = "") -> StudentRecord:
    """A student's report.json record; an error student has no exercises and scores 0."""
    return StudentRecord(
        student=name,
        submission_hash="ab" * 32,
        grader_version="0.1.0+abc123",
        status="error" if error else "graded",
        error=error,
        score=sum(e["score"] for e in exercises),
        max_score=22.0,
        duration_s=12.3,
        exercises_requested=[1, 2],
        exercises=exercises,
    )


def make_class() -> list[StudentRecord]:
    """Five students: full marks, partial, Chinese, a script for a name, and an error."""
    chinese_message = "输出形状应为 (2, 10)，实际为 (10, 2)\n提示：检查 axis 参数"
    return [
        make_student("alice", [ex1({}), ex2({})]),
        make_student("bob", [ex1({"minibatches": "timeout", "flatten": "failed"}), ex2({})]),
        make_student(
            CHINESE_NAME,
            [
                ex1({"minibatches": "failed"}, title="张量与标签"),
                ex2({"sigmoid": "failed", "tanh": "error"}, message=chinese_message),
            ],
        ),
        make_student(
            SCRIPT_NAME,
            [
                ex1({"minibatches": "error", "one_hot": "failed"}),
                ex2({"relu": "failed"}, message="</pre><script>alert(2)</script><b>x</b>"),
            ],
        ),
        make_student("dave", [], error="the archive dave.zip could not be opened: <bad zip>"),
    ]


# ---------------------------------------------------------------------------- reading pages


@pytest.fixture(scope="module")
def students() -> list[StudentRecord]:
    """The synthetic class."""
    return make_class()


@pytest.fixture(scope="module")
def site(tmp_path_factory, students) -> Path:
    """The class page (English and Chinese) and each student's page, in a folder per student
    (the script-named student's name has a slash: its folder is derived from it)."""
    root = tmp_path_factory.mktemp("site")
    write_html_reports(root, students)
    (root / "report-zh.html").write_text(
        render_batch_html(students, title="全班报告", lang="zh"), encoding="utf-8"
    )
    return root


@pytest.fixture(scope="module", params=["chromium", "source"])
def class_page(request, site, tmp_path_factory) -> Page:
    """The class page as Chromium renders it, and as written (so it reads with JS off)."""
    path = site / "report.html"
    if request.param == "source":
        return Page(path.read_text("utf-8"))
    return Page(rendered_dom(path, tmp_path_factory.mktemp("profile")))


def student_page(site: Path, name: str, profile: Path) -> Page:
    """One student's page as Chromium renders it."""
    return Page(rendered_dom(site / student_folder(name) / "report.html", profile))


# ---------------------------------------------------------------------------- the class page


def score_of(student: StudentRecord, number: int) -> float:
    """A student's score on an exercise as the data says: 0 when it was not graded."""
    return next((e["score"] for e in student.exercises if e["exercise"] == number), 0.0)


def test_class_totals_match_the_data(class_page, students):
    totals = [s.score for s in students]
    assert class_page.number(id="students-count") == len(students) == 5
    assert class_page.number(id="errors-count") == 1
    assert class_page.number(id="mean-total") == pytest.approx(statistics.fmean(totals), abs=0.006)
    assert class_page.number(id="median-total") == statistics.median(totals)
    assert class_page.number(id="min-total") == min(totals) == 0
    assert class_page.number(id="max-total") == max(totals) == 22


def test_each_exercise_shows_mean_full_marks_and_a_bar_per_score(class_page, students):
    for number, maximum in ((1, 12), (2, 10)):
        scores = [score_of(s, number) for s in students]
        assert class_page.number(id=f"ex-{number}-mean") == pytest.approx(
            statistics.fmean(scores), abs=0.006
        )
        assert class_page.number(id=f"ex-{number}-max") == maximum
        assert class_page.number(id=f"ex-{number}-full") == scores.count(maximum)
        assert class_page.number(id=f"ex-{number}-count") == len(students)
        bars = class_page.find_all("text", data_exercise=str(number), data_bin=None)
        counts = {int(bar.attrs["data-bin"]): int(bar.text) for bar in bars}
        # Whole-number scores out of at most 15 points: one bar per score, 0 to the maximum.
        assert counts == {score: scores.count(score) for score in range(maximum + 1)}


def test_checks_most_failed_come_first_with_their_count_and_share(class_page, students):
    tally: dict[tuple[int, str], list[int]] = {}
    for student in students:
        for record in student.exercises:
            for check in record["checks"]:
                ran_failed = tally.setdefault((record["exercise"], check["name"]), [0, 0])
                ran_failed[0] += 1
                ran_failed[1] += check["status"] != "passed"
    rows = class_page.find_all("tr", data_check=None)
    assert len(rows) == sum(failed > 0 for _, failed in tally.values()) == 6
    top = rows[0]
    key = (int(top.attrs["data-exercise"]), top.attrs["data-check"])
    ran, failed = tally[key]
    assert failed == max(failed for _, failed in tally.values())
    assert key == (1, "minibatches_matches_reference")
    assert "minibatches matches reference" in top.text
    assert class_page.number(within=top, data_field="failed") == failed == 3
    assert class_page.number(within=top, data_field="percent") == round(100 * failed / ran) == 75
    counts = [int(cell.text) for cell in class_page.find_all("td", data_field="failed")]
    assert counts == sorted(counts, reverse=True)


def test_student_table_has_each_score_total_status_and_link(class_page, students):
    for student in students:
        name = student.student
        assert class_page.number(data_student=name, data_field="total") == student.score
        status = class_page.one("td", data_student=name, data_field="status").text
        assert status == student.status
        for number in student.exercises_requested:
            cell = class_page.number(data_student=name, data_exercise=str(number))
            assert cell == score_of(student, number)
        link = class_page.one("a", href=student_href(name))
        assert link.text == name
    message = class_page.one("td", data_student="dave", data_field="message").text
    assert message == "the archive dave.zip could not be opened: <bad zip>"


def test_hostile_student_name_is_text_not_a_script(class_page):
    scripts = class_page.find_all("script")
    assert len(scripts) == 1 and "table.sortable" in scripts[0].text
    assert "alert" not in scripts[0].text
    row = class_page.one("tr", data_student=SCRIPT_NAME)
    assert class_page.one("a", within=row).text == SCRIPT_NAME


def test_sort_script_runs_under_the_page_policy(site, tmp_path):
    page = Page(rendered_dom(site / "report.html", tmp_path))
    assert "js-sortable" in page.one("table", id="students").attrs["class"].split()


def test_chinese_labels_declare_their_language_and_keep_the_numbers(site, tmp_path, students):
    page = Page(rendered_dom(site / "report-zh.html", tmp_path))
    assert page.one("html").attrs["lang"] == "zh"
    assert page.one("h1").text == page.one("title", within=page.one("head")).text == "全班报告"
    assert page.number(id="students-count") == len(students)
    assert page.number(data_student=CHINESE_NAME, data_field="total") == 14
    assert page.one("td", data_student=CHINESE_NAME, data_field="status").text == "已评分"


# ---------------------------------------------------------------------------- a student's page


def test_student_page_lists_each_check_with_status_points_and_message(site, tmp_path, students):
    student = next(s for s in students if s.student == CHINESE_NAME)
    page = student_page(site, CHINESE_NAME, tmp_path)
    assert page.one("html").attrs["lang"] == "en"
    assert page.one("h1").text == CHINESE_NAME
    assert page.number(id="total-score") == student.score == 14
    assert page.one("a", href="../report.html")
    for record in student.exercises:
        number = record["exercise"]
        title = get_exercise(number).title_in("en")  # the registry's, in the page's language
        assert title in page.one("section", id=f"ex-{number}").text
        assert page.number(data_exercise=str(number), data_field="score") == record["score"]
        for check in record["checks"]:
            row = page.one("tr", data_exercise=str(number), data_check=check["name"])
            assert page.one("td", within=row, data_field="status").text == check["status"]
            assert page.number(within=row, data_field="points") == check["points"]
            messages = [pre.text for pre in page.find_all("pre", within=row)]
            assert messages == ([" ".join(check["message"].split())] if check["message"] else [])


def test_student_page_keeps_markup_in_messages_as_text(site, tmp_path):
    page = student_page(site, SCRIPT_NAME, tmp_path)
    assert page.find_all("script") == []
    assert page.one("h1").text == SCRIPT_NAME
    row = page.one("tr", data_exercise="2", data_check="relu_matches_tensorflow")
    assert page.one("pre", within=row).text == "</pre><script>alert(2)</script><b>x</b>"
    assert page.find_all("b") == []


def test_error_student_page_shows_the_message(site, tmp_path):
    page = student_page(site, "dave", tmp_path)
    assert page.one("pre", id="error").text == "the archive dave.zip could not be opened: <bad zip>"
    assert page.number(id="total-score") == 0
    assert page.number(id="max-score") == 22
    assert page.find_all("section") == []


# ---------------------------------------------------------------------------- without Chromium


def scored_class(
    scores: dict[int, list[float]], max_points: dict[int, float]
) -> list[StudentRecord]:
    """Students whose exercise `n` scores `scores[n][i]` of `max_points[n]` (one check each)."""
    count = max(len(column) for column in scores.values())
    students = []
    for index in range(count):
        exercises = []
        for number, column in scores.items():
            check = make_check("one_check", "failed", max_points[number])
            check["points"] = column[index]
            exercises.append(make_exercise(number, f"Exercise {number}", [check]))
        student = make_student(f"s{index}", exercises)
        student.exercises_requested = sorted(scores)
        students.append(student)
    return students


def bar_counts(page: Page, number: int) -> list[int]:
    """The counts written above exercise `number`'s histogram bars, in order."""
    bars = page.find_all("text", data_exercise=str(number), data_bin=None)
    return [int(bar.text) for bar in bars]


def full_bar_count(page: Page, number: int) -> int:
    """The count above exercise `number`'s green (full-marks) bar; there must be one."""
    bars = page.find_all("g", data_exercise=str(number), data_bin=None)
    (green,) = [bar for bar in bars if page.find_all("rect", within=bar, **{"class": "bar top"})]
    return int(page.one("text", within=green, **{"class": "count"}).text)


def tick_labels(page: Page, number: int) -> list[str]:
    """The labels on exercise `number`'s histogram axis (all its text but the counts)."""
    card = page.one("div", id=f"exercise-{number}")
    texts = page.find_all("text", within=card)
    return [t.text for t in texts if "count" not in t.attrs.get("class", "").split()]


def test_fractional_scores_fall_in_ten_equal_ranges_and_a_full_marks_bar():
    scores = [0.5, 3.75, 11.5, 12.0]
    page = Page(render_batch_html(scored_class({1: scores}, {1: 12.0})))
    # Ten ranges of 1.2 points below full marks, then full marks: 11.5 is not full marks.
    assert bar_counts(page, 1) == [1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 1]
    assert page.number(id="ex-1-full") == full_bar_count(page, 1) == 1
    assert page.number(id="ex-1-mean") == pytest.approx(statistics.fmean(scores), abs=0.006)


@pytest.mark.parametrize("how", ["chromium", "source"])
def test_full_marks_and_the_green_bar_count_the_same_students(how, tmp_path):
    """The card said "full marks 2 of 4" beside a green bar reading 3: the last of ten
    ranges also held 11.5 of 12. A score a rounding error short of full is full marks."""
    near_full = 20 * sum([0.1] * 10)  # twenty checks of 0.1 points: 19.999999999999996
    assert near_full < 20
    scores = {1: [5.0, 11.5, 12.0, 12.0], 2: [13.0, 14.0, 14.0, 2.0], 3: [20.0, 19.5, near_full, 0]}
    students = scored_class(scores, {1: 12.0, 2: 14.0, 3: 20.0})
    path = tmp_path / "report.html"
    path.write_text(render_batch_html(students), encoding="utf-8")
    page = Page(path.read_text("utf-8") if how == "source" else rendered_dom(path, tmp_path))
    for number, full in ((1, 2), (2, 2), (3, 2)):
        assert page.number(id=f"ex-{number}-full") == full_bar_count(page, number) == full
    assert len(page.find_all("rect", **{"class": "bar top"})) == 3
    assert bar_counts(page, 1)[-2:] == [1, 2]  # 11.5 in the last range, 12 and 12 full
    assert bar_counts(page, 2) == [0, 0, 1] + [0] * 10 + [1, 2]  # one bar per score 0-14
    for student, score in zip(students, scores[3], strict=True):
        cell = page.one("td", data_student=student.student, data_exercise="3")
        assert ("full" in cell.attrs["class"].split()) == (score in (20.0, near_full))


# The axis labels' boxes as Chromium lays them out, written into the DOM for --dump-dom.
_MEASURE_TICKS = """<script>
for (const svg of document.querySelectorAll("svg")) {
  const frame = svg.getBoundingClientRect();
  const labels = svg.querySelectorAll("text:not(.count)");
  const boxes = Array.from(labels, (label) => label.getBoundingClientRect());
  let overlaps = 0, outside = 0;
  boxes.forEach((box, i) => {
    if (i > 0 && box.left < boxes[i - 1].right) overlaps++;
    if (box.left < frame.left - 0.5 || box.right > frame.right + 0.5) outside++;
  });
  svg.dataset.ticks = boxes.length;
  svg.dataset.overlaps = overlaps;
  svg.dataset.outside = outside;
}
</script>"""


def test_histogram_axis_labels_never_overlap_in_chromium(tmp_path):
    """Ten ranges of 2 points used to read `10–1212–1414–…`; the labels are now range
    edges and full marks, thinned out where they would not fit, measured as rendered."""
    maxima = {1: 12.0, 2: 15.0, 3: 20.0, 4: 46.0, 5: 7.5}
    scores = {
        1: [0.5, 3.75, 11.5, 12.0],
        2: [0.0, 7.0, 14.0, 15.0],
        3: [0.0, 10.0, 13.0, 20.0],
        4: [3.5, 22.25, 41.0, 46.0],
        5: [1.5, 2.25, 7.0, 7.5],
    }
    html = render_batch_html(scored_class(scores, maxima))
    source = Page(html)
    assert tick_labels(source, 3) == ["0", "2", "4", "6", "8", "10", "12", "14", "16", "18", "20"]
    assert tick_labels(source, 2) == [str(score) for score in range(16)]
    assert tick_labels(source, 1) == ["0", "2.4", "4.8", "7.2", "9.6", "12"]
    # The page's policy forbids any script but its own: the measuring copy has no policy.
    measured = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", html)
    path = tmp_path / "measured.html"
    path.write_text(measured.replace("</body>", _MEASURE_TICKS + "</body>"), encoding="utf-8")
    page = Page(rendered_dom(path, tmp_path / "profile"))
    charts = page.find_all("svg")
    assert len(charts) == len(maxima)
    for chart, number in zip(charts, maxima, strict=True):
        assert int(chart.attrs["data-ticks"]) == len(tick_labels(source, number)) >= 5, number
        assert chart.attrs["data-overlaps"] == "0", (number, tick_labels(source, number))
        assert chart.attrs["data-outside"] == "0", number


def test_a_class_that_could_not_be_graded_takes_exercise_maxima_from_the_registry():
    students = [make_student("dave", [], error="no files"), make_student("erin", [], error="x")]
    page = Page(render_batch_html(students, lang="zh"))
    assert page.number(id="ex-1-max") == get_exercise(1).points
    assert get_exercise(1).title_zh in page.one(id="exercise-1").text
    assert page.number(id="ex-1-full") == 0
    assert page.one(id="no-failed-checks")
    assert page.number(id="errors-count") == 2


def test_an_empty_class_renders():
    page = Page(render_batch_html([]))
    assert page.number(id="students-count") == 0
    assert page.one(id="mean-total").text == "\u2013"


def test_write_html_reports_writes_both_pages_atomically(tmp_path, students):
    page = write_html_reports(tmp_path, students)
    assert page == tmp_path / "report.html"
    assert page.read_text("utf-8") == render_batch_html(students)
    for student in students:
        written = tmp_path / student_folder(student.student) / "report.html"
        assert written.read_text("utf-8") == render_student_html(student)
    leftovers = [p.name for p in tmp_path.rglob("*") if p.is_file() and p.name != "report.html"]
    assert leftovers == []


# ---------------------------------------------------------------------------- names as data

ODD_NAMES = [JSON_WRITER, BACKSLASH, CONTROL, CHINESE, LONG, FORMULA, DOT, "..", "a/../b"]


@pytest.fixture(scope="module")
def odd_site(tmp_path_factory) -> Path:
    """A class whose names are hard to carry, each with its own score, written as
    `grade batch` writes it; the folder itself sits one level down, with nothing beside."""
    students = [
        make_student(name, [ex1({"one_hot": "failed"} if index % 2 else {})])
        for index, name in enumerate(ODD_NAMES)
    ]
    root = tmp_path_factory.mktemp("odd") / "results"
    write_html_reports(root, students)
    return root


def test_every_name_gets_its_page_inside_the_results(odd_site):
    assert [p.name for p in odd_site.parent.iterdir()] == ["results"]
    folders = sorted(p.name for p in odd_site.iterdir() if p.is_dir())
    assert folders == sorted(student_folder(name) for name in ODD_NAMES)
    assert len(folders) == len(ODD_NAMES)


def test_odd_names_come_back_exactly_from_chromium(odd_site, tmp_path):
    page = Page(rendered_dom(odd_site / "report.html", tmp_path / "class"))
    assert page.number(id="students-count") == len(ODD_NAMES)
    for index, name in enumerate(ODD_NAMES):
        row = page.one("tr", data_student=name)
        link = page.one("a", within=row)
        assert link.raw == name
        assert (odd_site / unquote(link.attrs["href"])).is_file()
        assert page.number(within=row, data_field="total") == (10 if index % 2 else 12)
        own = Page(rendered_dom(odd_site / unquote(link.attrs["href"]), tmp_path / str(index)))
        assert own.one("h1", id="student-name").raw == name
        assert own.number(id="total-score") == (10 if index % 2 else 12)


def test_a_student_stopped_part_way_keeps_the_exercises_graded_before():
    student = make_student("erin", [ex1({})], error="not graded: exercise 2")
    student.score = 12.0
    page = Page(render_batch_html([student]))
    assert page.number(data_student="erin", data_exercise="1") == 12
    assert page.number(data_student="erin", data_exercise="2") == 0
    assert page.one("td", data_student="erin", data_field="message").text == student.error
    own = Page(render_student_html(student))
    assert own.one("pre", id="error").text == "not graded: exercise 2"
    assert [section.attrs["id"] for section in own.find_all("section")] == ["ex-1"]


# ---------------------------------------------------------------------------- student view

HIDDEN_MESSAGE = "one_hot(labels, num_classes=7) differs\nlabels = np.array([4, 1])\nexpected 0.25"
PUBLIC_MESSAGE = "one_hot([3], 5) has the right shape (1, 5), but 2 of 5 values differ"


def hidden_student() -> StudentRecord:
    """A student with a public and a hidden check failed, a hidden one passed and a
    hidden one that ran out of time."""
    checks = [
        make_check("one_hot_of_label_3", "failed", 1.0, PUBLIC_MESSAGE),
        make_check("one_hot_matches_keras", "failed", 2.0, HIDDEN_MESSAGE),
        make_check("flatten_matches_keras", "passed", 2.0),
        make_check("minibatches_cover_every_index", "timeout", 2.0, "did not finish in 10 s"),
    ]
    for check in checks[1:]:
        check["visible"] = False
    return make_student("nia", [make_exercise(1, "Tensors and labels", checks)])


def test_the_student_view_shows_hidden_checks_as_name_and_pass_or_fail(tmp_path):
    student = hidden_student()
    (page_path,) = write_student_views(tmp_path / "student-view", [student])
    assert page_path == tmp_path / "student-view" / "nia" / "report.html"
    assert [p.name for p in (tmp_path / "student-view").iterdir()] == ["nia"]
    source = page_path.read_text("utf-8")
    page = Page(rendered_dom(page_path, tmp_path / "profile"))
    for hidden_text in [*HIDDEN_MESSAGE.split("\n"), "did not finish in 10 s", "0.25"]:
        assert hidden_text not in source and hidden_text not in page.one("body").raw
    public = page.one("tr", data_check="one_hot_of_label_3")
    assert page.one("pre", within=public).text == PUBLIC_MESSAGE
    expected = {"one_hot_matches_keras": "failed", "flatten_matches_keras": "passed"}
    expected["minibatches_cover_every_index"] = "failed"
    for name, status in expected.items():
        row = page.one("tr", data_check=name)
        assert page.one("td", within=row, data_field="status").text == status
        assert page.find_all("pre", within=row) == []
        assert "hidden" in row.text
    assert page.number(id="total-score") == 2
    assert page.find_all("a", href="../report.html") == []  # the class page is not theirs
    # The instructor's page of the same student keeps every message.
    instructor = Page(render_student_html(student))
    row = instructor.one("tr", data_check="one_hot_matches_keras")
    assert instructor.one("pre", within=row).raw == HIDDEN_MESSAGE
    assert instructor.one("a", href="../report.html")


def test_a_notice_shows_on_the_class_and_student_pages():
    student = make_student("jon", [ex1({})])
    student.notice = "no exercise modules found"
    page = Page(render_batch_html([student]))
    assert page.one("td", data_student="jon", data_field="message").text == student.notice
    own = Page(render_student_html(student, lang="zh"))
    assert own.one("pre", id="notice").text == "没有找到任何练习模块"


def test_a_check_not_run_has_its_own_grey_badge():
    checks = [
        make_check("valid_network", "passed", 1.0),
        make_check("test_accuracy_reaches_the_bar", "skipped", 8.0, "your network needs `relu`"),
    ]
    student = make_student("ada", [make_exercise(12, "MNIST MLP", checks)])
    for lang, label in (("en", "not run"), ("zh", "未运行")):
        page = Page(render_student_html(student, lang=lang))
        row = page.one("tr", data_exercise="12", data_check="test_accuracy_reaches_the_bar")
        status = page.one("td", within=row, data_field="status")
        badge = page.one("span", within=status)
        assert badge.attrs["class"] == "badge skipped" and badge.text == label
