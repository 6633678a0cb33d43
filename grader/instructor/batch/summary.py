"""The terminal summary of a graded class: one rich table row per student."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from grader.instructor.batch.export import terminal_text


def summary_table(records: list[dict], numbers: list[int]) -> Table:
    """A rich Table: student, each exercise's score, total, and status or the error (with
    the record's notice, such as "no exercise modules found")."""
    table = Table(title=f"nnlab batch: {len(records)} students")
    table.add_column("student", overflow="fold")
    for number in numbers:
        table.add_column(f"ex{number:02d}", justify="right")
    table.add_column("total", justify="right")
    table.add_column("status", overflow="fold")
    for record in records:
        by_number = {r["exercise"]: r for r in record.get("exercises", [])}
        cells = [
            f"{by_number[n]['score']:g}/{by_number[n]['max_score']:g}" if n in by_number else "-"
            for n in numbers
        ]
        full = record["score"] == record["max_score"] and record["status"] == "graded"
        total = Text(f"{record['score']:g}/{record['max_score']:g}", style="green" if full else "")
        status = (
            Text(terminal_text(record["error"]), style="red")
            if record["status"] == "error"
            else Text("graded", style="green")
        )
        if record.get("notice"):
            status.append(f": {terminal_text(record['notice'])}", style="yellow")
        table.add_row(Text(terminal_text(record["student"])), *cells, total, status)
    return table
