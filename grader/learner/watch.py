"""`grade watch`: grade an exercise again each time its file is saved.

The whole session is one process, so TensorFlow is imported once and every
re-grade after the first is quick. The screen is cleared and redrawn with
each report; when every check passes, watching moves on to the next exercise
not passed yet. Learner mistakes of any kind (a syntax error included) are in
the report, never a crash; Ctrl-C stops watching.

Saves are seen through watchdog (inotify and friends), falling back to its
polling observer where native events are not available (or with `poll=True`,
e.g. for a folder mounted over the network, where events do not arrive).
"""

from __future__ import annotations

import hashlib
import signal
import sys
import threading
from pathlib import Path

from grader.course.registry import get_exercise
from grader.engine.submission import MissingSubmission, read_beside
from grader.learner.progress import Progress, learner_folder
from grader.messages import text

DEBOUNCE_S = 0.3
POLL_INTERVAL_S = 0.5
SAVE_EVENTS = frozenset({"modified", "created", "moved"})
"""watchdog event types that may be a save; opened/closed ones come from mere reading."""


class FileWatcher:
    """Wait until one file of a folder is saved: its content changes.

    Editors save in different ways (write in place, or write a temporary
    file and rename it over), so the whole folder is watched and events
    are filtered by path. Only a modification, creation or move of the
    target counts, and only when the target's content then differs from
    what it was at `arm`: reading the file (grading does) or touching it
    is not a save. `target` may change between waits.
    """

    def __init__(self, folder: Path, poll: bool = False):
        self.folder = Path(folder).resolve()
        self.target: Path | None = None
        self.polling = poll
        self._changed = threading.Event()
        self._armed_digest: str | None = None
        self._observer = None

    def __enter__(self) -> FileWatcher:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        """Start observing: native events if possible, else polling."""
        from watchdog.observers import Observer
        from watchdog.observers.polling import PollingObserver

        if not self.polling:
            try:
                self._observer = self._started(Observer())
                return
            except OSError:  # e.g. the inotify watch limit: polling still works
                self.polling = True
        self._observer = self._started(PollingObserver(timeout=POLL_INTERVAL_S))

    def _started(self, observer):
        observer.schedule(_handler_for(self), str(self.folder), recursive=False)
        observer.start()
        return observer

    def stop(self) -> None:
        """Stop observing."""
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=2)
            self._observer = None

    def notice(self, event_type: str, *paths: str) -> None:
        """Called with an event's type and paths: flags a save of the target.

        A save is a "modified", "created" or "moved" event naming the target
        after which its content differs from the content at `arm`.
        """
        if event_type not in SAVE_EVENTS or self.target is None:
            return
        if any(Path(p).resolve() == self.target for p in paths if p) and self._content_changed():
            self._changed.set()

    @property
    def saved(self) -> bool:
        """True when the target was saved since `arm` and its content now differs from then.

        (An editor that writes in place truncates first: an event seen in between
        flags a change that the finished write takes back, as `wait` knows too.)
        """
        return self._changed.is_set() and self._content_changed()

    def arm(self) -> None:
        """Forget earlier saves: `wait` returns for saves from now on (even during grading).

        The target's content now is the one a save must differ from.
        """
        self._armed_digest = self._digest()
        self._changed.clear()

    def wait(self, debounce_s: float = DEBOUNCE_S) -> None:
        """Block until the target is saved (since `arm`), then quiet for `debounce_s`.

        An editor's save is often several events (truncate, write, rename):
        one grading follows them all. A burst that ends with the content of
        `arm` (a save without a change) is not a save: waiting goes on.
        """
        while True:
            while not self._changed.wait(timeout=0.5):
                pass  # short waits keep Ctrl-C responsive
            while True:
                self._changed.clear()
                if not self._changed.wait(timeout=debounce_s):
                    break
            if self._content_changed():
                return

    def _content_changed(self) -> bool:
        return self._digest() != self._armed_digest

    def _digest(self) -> str | None:
        """SHA-256 of the target's bytes; None when it is absent or not a readable file."""
        if self.target is None:
            return None
        try:
            module = read_beside(self.target.parent, (), self.target.name)
        except (MissingSubmission, OSError):
            return None
        return hashlib.sha256(module.source).hexdigest()


def _handler_for(watcher: FileWatcher):
    """A watchdog event handler that passes each file event's type and paths to `watcher`."""
    from watchdog.events import FileSystemEventHandler

    class Handler(FileSystemEventHandler):
        def on_any_event(self, event) -> None:
            if not event.is_directory:
                paths = str(event.src_path), str(getattr(event, "dest_path", "") or "")
                watcher.notice(event.event_type, *paths)

    return Handler()


def watch(
    number: int | None = None,
    submission: Path | None = None,
    lang: str = "en",
    poll: bool = False,
    debounce_s: float = DEBOUNCE_S,
    console=None,
) -> int:
    """Watch and grade until Ctrl-C (or until every exercise passes).

    Inputs:
    - number: the exercise to start at; None: the next one not passed yet.
    - submission: the learner's folder, as `grade --submission` takes it.
    - lang: "en" or "zh".
    - poll: poll the file's folder instead of waiting for native events.
    - debounce_s: quiet time after a save before grading.
    - console: a rich Console to draw on (default: the terminal).

    Returns the exit code: 0 (stopped with Ctrl-C, or the course is done).
    """
    from rich.console import Console

    console = console or Console(file=sys.stdout)
    folder = learner_folder(submission)
    number = number or Progress.load(folder).next_exercise()
    interrupted = threading.Event()
    previous = signal.getsignal(signal.SIGINT)

    def stop(signum, frame):
        # pytest turns a KeyboardInterrupt inside a check into an early end of
        # the session; the flag makes sure watching stops once grading returns.
        interrupted.set()
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, stop)
    banner = ""
    try:
        with FileWatcher(folder, poll) as watcher:
            while number is not None:
                exercise = get_exercise(number)
                watcher.target = (folder / exercise.filename).resolve()
                watcher.arm()
                report = _grade(number, submission, lang, console)
                if interrupted.is_set():
                    raise KeyboardInterrupt
                _draw(console, report, banner, lang, exercise.filename)
                banner = ""
                if not report.passed:
                    watcher.wait(debounce_s)
                    continue
                following = Progress.load(folder).next_exercise(after=number)
                score, max_score = f"{report.score:g}", f"{report.max_score:g}"
                banner = text(
                    "moved_on",
                    lang,
                    number=number,
                    score=score,
                    max_score=max_score,
                    next=following,
                )
                number = following
        console.print(text("course_done", lang), style="bold green")
    except KeyboardInterrupt:
        console.print(text("stopped", lang))
    finally:
        signal.signal(signal.SIGINT, previous)
    return 0


def _grade(number: int, submission: Path | None, lang: str, console):
    """Grade with a spinner saying which check runs; the learner's progress is recorded."""
    from grader.engine.runner import GradingOptions
    from grader.learner.grading import grade_and_record
    from grader.learner.terminal import Spinner

    with Spinner(console, number, lang) as spinner:
        options = GradingOptions(lang=lang, progress=spinner.check)
        return grade_and_record(number, submission, options)


def _draw(console, report, banner: str, lang: str, filename: str) -> None:
    """Clear the screen and draw the banner, the report and what to do next."""
    from grader.learner.terminal import print_text

    console.clear()
    if banner:
        console.print(banner, style="bold green", markup=False, highlight=False)
    print_text(report, console, lang)
    console.print(
        text("watching", lang, file=filename, number=report.exercise),
        style="dim",
        markup=False,
        highlight=False,
    )
