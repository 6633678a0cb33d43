// The class page's only script (grader/instructor/batch/html.py): click a column heading of a
// `sortable` table to sort by it. The class it adds shows the headings as clickable only when
// the script actually ran. The page's Content-Security-Policy allows exactly this text.
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
