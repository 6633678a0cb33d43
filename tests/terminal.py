"""A real terminal for tests: tmux runs a command, the test reads the screen and presses keys."""

import os
import shlex
import subprocess
import time
from pathlib import Path

import pytest

SCREEN_TIMEOUT_S = 120


class Terminal:
    """A detached tmux session running one command in a 200x80 terminal.

    Everything the command writes is also kept in `log` (tmux pipe-pane): the
    screen shows the last report only, the log shows every one.
    """

    def __init__(self, name: str, folder: Path, command: list[str], log: Path):
        self.name = name
        self.log = log
        gate = log.with_suffix(".go")  # the command starts once the log is attached
        environment = {
            "NNLAB_LANG": "en",
            "NNLAB_OFFLINE": "1",
            "NNLAB_DATA_DIR": os.environ["NNLAB_DATA_DIR"],
        }
        shell = " ".join(
            [
                f"until [ -e {shlex.quote(str(gate))} ]; do sleep 0.1; done;",
                "env",
                "-u",
                "COLUMNS",  # rich would draw for this width, not the terminal's
                "-u",
                "LINES",
                *(f"{k}={shlex.quote(v)}" for k, v in environment.items()),
                shlex.join(command),
                "; echo WATCH-EXITED=$?; sleep 300",
            ]
        )
        subprocess.run(
            ["tmux", "new-session", "-d", "-s", name, "-x", "200", "-y", "80", "-c", str(folder)]
            + [shell],
            check=True,
        )
        pipe = f"cat >> {shlex.quote(str(log))}"
        subprocess.run(["tmux", "pipe-pane", "-o", "-t", name, pipe], check=True)
        gate.touch()

    def count(self, text: str) -> int:
        """How many times the command has written `text` so far."""
        return self.log.read_text("utf-8", errors="replace").count(text)

    def screen(self) -> str:
        """What the terminal shows now (wrapped lines joined)."""
        capture = ["tmux", "capture-pane", "-p", "-J", "-t", self.name]
        return subprocess.run(capture, capture_output=True, text=True, check=True).stdout

    def wait_for(self, *texts: str, gone: str = "") -> str:
        """The screen once it shows every one of `texts` (and no longer `gone`)."""
        deadline = time.monotonic() + SCREEN_TIMEOUT_S
        while time.monotonic() < deadline:
            screen = self.screen()
            if all(t in screen for t in texts) and not (gone and gone in screen):
                return screen
            time.sleep(0.3)
        pytest.fail(f"the screen never showed {texts}:\n{self.screen()}")

    def press(self, key: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.name, key], check=True)

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)
