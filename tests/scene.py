"""A red-team attack's surroundings: its submission folder, a folder and a port outside
the sandbox, and how to find the processes it leaves behind."""

from __future__ import annotations

import shutil
import socket
import time
from dataclasses import dataclass
from pathlib import Path

from grade_cli import KIT_ROOT

from grader.course.registry import get_exercise
from grader.engine.submission import builds_on

REDTEAM = Path(__file__).resolve().parent / "meta" / "redteam"
WALLS = ("bwrap", "rlimits")
SURVIVOR_GRACE_S = 5.0


@dataclass
class Scene:
    """One attack's surroundings: its submission folder, a folder and a port of the
    test's outside the sandbox, and the process name the attack gives itself."""

    folder: Path
    outside: Path
    token: str
    listener: socket.socket
    most_seen: int = 0

    def submit(
        self,
        module: str,
        exercise: int,
        replace: tuple[str, str] | None = None,
        into: int | None = None,
    ) -> Path:
        """Write the attack as `exercise`'s module; a capstone gets the solutions of the layer
        exercises beside it. With `into`, `exercise`'s own solution is submitted and the attack
        is appended to the solution of exercise `into` (its definitions replace the solution's).
        Returns the submission folder."""
        source = (REDTEAM / f"{module}.py").read_text("utf-8")
        port = str(self.listener.getsockname()[1])
        source = source.replace("__TOKEN__", self.token).replace("__PORT__", port)
        source = source.replace("__OUTSIDE__", str(self.outside))
        if replace:
            source = source.replace(*replace)
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir()
        record = get_exercise(exercise)
        beside = sorted(builds_on(record))
        for number in beside + ([exercise, into] if into else []):
            name = get_exercise(number).filename
            shutil.copy(KIT_ROOT / "solutions" / name, self.folder / name)
        target = self.folder / get_exercise(into or exercise).filename
        if into:
            source = target.read_text("utf-8") + "\n\n" + source
        target.write_text(source, "utf-8")
        return self.folder

    def look(self, *_progress) -> None:
        """GradingOptions.progress: count the attack's live processes before each check."""
        self.most_seen = max(self.most_seen, len(live_processes_named(self.token)))

    def survivors(self) -> list[int]:
        """The attack's processes still alive once its grade is over (after a short grace)."""
        deadline = time.monotonic() + SURVIVOR_GRACE_S
        while live_processes_named(self.token) and time.monotonic() < deadline:
            time.sleep(0.1)
        return live_processes_named(self.token)

    def connected(self) -> bool:
        """Whether anything connected to the test's port."""
        try:
            connection, _ = self.listener.accept()
        except BlockingIOError:
            return False
        connection.close()
        return True


def live_processes_named(token: str) -> list[int]:
    """Pids of processes whose name is `token`, zombies (already dead) left out."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_bytes()
        except OSError:
            continue
        name, _, rest = stat.partition(b" (")[2].rpartition(b") ")
        if name.decode(errors="replace") == token and rest[:1] not in (b"Z", b"X"):
            found.append(int(entry.name))
    return found
