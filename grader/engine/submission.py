"""Where a learner's exercise module is, and reading it safely once.

A submission is a folder holding the exercise modules (a learner's
`exercises/`, or the kit's `solutions/`), or a checkout whose `exercises/`
holds them.

Only regular files are submissions. Below the folder the user named, no
symbolic link is followed (each step is opened with O_NOFOLLOW relative to
the one before), a FIFO or device is never read (O_NONBLOCK, then fstat), and
a module is read once, size-capped, into a `ModuleSource`: those bytes are
what gets scanned and staged into the sandbox, so the kit never reads a path
it reached through the learner's link.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import traceback
import warnings
from dataclasses import dataclass
from pathlib import Path

from grader.course.paths import kit_exercises
from grader.course.registry import Exercise, exercises
from grader.messages import text

MAX_MODULE_BYTES = 2**20  # the references are under 20 KB
PLACES = ((), ("exercises",))  # where a module may be, relative to the submission folder
# A capstone assembles the learner's network from these exercises' modules.
LAYER_EXERCISES = frozenset({1, 2, 3, 4, 5, 6, 7, 8, 9, 18})


class MissingSubmission(FileNotFoundError):
    """The exercise module is not where the submission says, or is not a plain file."""


class AbsentModule(MissingSubmission):
    """Nothing at all is where the module should be (not a link, not a folder: nothing)."""


@dataclass(frozen=True)
class ModuleSource:
    """One exercise module as read from the submission (the only copy the kit uses).

    - path: where it was found (for messages; never read again).
    - source: its bytes.
    """

    path: Path
    source: bytes

    @property
    def text(self) -> str:
        """The source as text (undecodable bytes replaced)."""
        return self.source.decode("utf-8", errors="replace")


def default_submission() -> Path:
    """The folder graded when none is given: ./exercises, else the kit's own stubs."""
    here = Path.cwd()
    for candidate in (here / "exercises", here):
        if any(candidate.glob("ex[0-9][0-9]_*.py")):
            return candidate
    return kit_exercises()


def submission_folder(submission: Path | None) -> Path:
    """The folder `submission` names (None: the default), absolute."""
    return Path(os.path.abspath(submission if submission is not None else default_submission()))


def module_path(submission: Path | None, exercise: Exercise) -> Path:
    """Return the path of `exercise`'s module inside `submission`, without reading it.

    Inputs:
    - submission: a folder of exercise modules, a checkout with `exercises/`, or None.
    - exercise: the registry record.

    Returns:
    - the module's path (links below the folder are not followed); raises
      MissingSubmission with a plain message if it is absent or not a regular file.
    """
    folder, place = locate(submission, exercise)
    return folder.joinpath(*place, exercise.filename)


def locate(submission: Path | None, exercise: Exercise) -> tuple[Path, tuple[str, ...]]:
    """Where `exercise`'s module is: (the submission folder, the place below it).

    The place is () or ("exercises",); raises MissingSubmission (plain message).
    """
    folder = submission_folder(submission)
    return folder, _place(folder, exercise.filename)


def read_submission(submission: Path | None, exercise: Exercise) -> dict[str, ModuleSource]:
    """The modules to grade, each read once as a regular file (module name -> ModuleSource).

    That is the exercise's own module, the modules of the exercises it `uses`, and
    for a capstone the learner's exercises 1-9 and 18, found beside it (a missing one
    is left out: the trainer, or the import, names what it lacks). Raises
    MissingSubmission with a plain message when the exercise's own
    module cannot be read, or a link, folder or device stands in another's place.
    """
    folder, place = locate(submission, exercise)
    modules = {exercise.module: read_beside(folder, place, exercise.filename)}
    wanted = builds_on(exercise)
    for record in exercises():
        if record.number in wanted:
            with contextlib.suppress(AbsentModule):
                modules[record.module] = read_beside(folder, place, record.filename)
    return modules


def builds_on(exercise: Exercise) -> set[int]:
    """The numbers of the earlier exercises whose modules `exercise` is graded with: those it
    `uses`, and for a capstone the layer exercises (LAYER_EXERCISES)."""
    return set(exercise.uses) | (set(LAYER_EXERCISES) if exercise.is_capstone else set())


def syntax_problem(modules: dict[str, ModuleSource]) -> str:
    """Why the first of `modules` that does not compile cannot be imported ("" if all compile).

    Compiling runs none of the learner's code, so this is known before any worker
    starts. The message is one line naming the file and the line, then the line of
    code and Python's caret under the error, as Python shows them. A module too
    deeply nested for the compiler (or with NUL bytes) is left to the worker's import.
    """
    for module in modules.values():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # SyntaxWarnings would reach the grader's stderr
                compile(module.source, module.path.name, "exec", dont_inherit=True)
        except SyntaxError as error:
            return _syntax_message(error, module.path.name)
        except (ValueError, RecursionError, MemoryError, OverflowError):
            continue
    return ""


def _syntax_message(error: SyntaxError, filename: str) -> str:
    """`file, line N: SyntaxError: message`, then the code and caret lines Python prints."""
    kind = type(error).__name__
    first = text("syntax_error", file=filename, line=error.lineno, kind=kind, message=error.msg)
    shown = "".join(traceback.format_exception_only(type(error), error)).splitlines()
    # Python's own lines: `  File "...", line N`, the code, the caret, `SyntaxError: ...`.
    return "\n".join([first, *(line for line in shown[1:-1] if line.strip())])


def read_beside(folder: Path, place: tuple[str, ...], filename: str) -> ModuleSource:
    """Read the regular file `folder`/`place`/`filename`, following no link below `folder`.

    Returns a ModuleSource; raises MissingSubmission (plain message) when it is
    absent (AbsentModule), not a regular file, or too large.
    """
    path = folder.joinpath(*place, filename)
    try:
        directory = _open_folder(folder, place)
    except OSError as error:
        raise MissingSubmission(_refusal(path, error)) from None
    try:
        return read_regular(directory, filename, path)
    finally:
        os.close(directory)


def read_regular(directory: int, filename: str, shown: Path) -> ModuleSource:
    """Read `filename` in the open folder `directory` once, if it is a regular file.

    Inputs: the folder's file descriptor, the file's name in it, and the path that
    stands for it in messages (and in the ModuleSource). Returns a ModuleSource of at
    most MAX_MODULE_BYTES; raises AbsentModule when nothing is there and
    MissingSubmission (plain message) for a link, a folder, a FIFO, a device, a
    socket (see open_regular) or a larger file.
    """
    with os.fdopen(open_regular(directory, filename, shown), "rb") as handle:
        source = handle.read(MAX_MODULE_BYTES + 1)
    if len(source) > MAX_MODULE_BYTES:
        raise MissingSubmission(
            f"{shown} is larger than {MAX_MODULE_BYTES // 1024} KiB: an exercise module is "
            f"a few KiB of Python"
        )
    return ModuleSource(shown, source)


def open_regular(directory: int, filename: str, shown: Path) -> int:
    """Open `filename` in the open folder `directory` for reading, if it is a regular file.

    Never follows a link, never blocks and never opens anything but a regular
    file: the entry is first opened with O_PATH (which opens nothing: a FIFO,
    a device such as /dev/watchdog or a link is only looked at), and only a
    regular file is then opened for reading, through that same handle. Returns
    the new file descriptor (the caller closes it); raises AbsentModule when
    nothing is there and MissingSubmission with a plain message naming `shown`
    for a link, a folder, a FIFO, a device or a socket.
    """
    try:
        handle = os.open(filename, os.O_PATH | os.O_NOFOLLOW, dir_fd=directory)
    except FileNotFoundError:
        raise AbsentModule(f"{shown} was not found") from None
    except OSError as error:
        raise MissingSubmission(_refusal(shown, error, directory)) from None
    try:
        mode = os.fstat(handle).st_mode
        if stat.S_ISLNK(mode):
            raise MissingSubmission(
                f"{shown} is a symbolic link: links are not graded, submit the file itself"
            )
        if not stat.S_ISREG(mode):
            raise MissingSubmission(f"{shown} is {_kind(mode)}, not a file: submit the file")
        try:
            return os.open(f"/proc/self/fd/{handle}", os.O_RDONLY | os.O_NONBLOCK)
        except OSError as error:
            raise MissingSubmission(f"{shown} could not be read: {error.strerror}") from None
    finally:
        os.close(handle)


def _place(folder: Path, filename: str) -> tuple[str, ...]:
    """Which of PLACES under `folder` holds an entry named `filename` (not following links)."""
    linked = None
    for place in PLACES:
        try:
            directory = _open_folder(folder, place)
        except OSError as error:
            if error.errno in (errno.ELOOP, errno.ENOTDIR) and place:
                linked = folder.joinpath(*place)
            continue
        try:
            os.stat(filename, dir_fd=directory, follow_symlinks=False)
            return place
        except OSError:
            continue
        finally:
            os.close(directory)
    if linked is not None:
        raise MissingSubmission(
            f"{linked} is a symbolic link (or not a folder): links are not graded, "
            f"put {filename} itself there"
        )
    raise AbsentModule(f"{filename} was not found in {folder} (nor in {folder / 'exercises'})")


def _open_folder(folder: Path, place: tuple[str, ...]) -> int:
    """An fd of `folder`/`place`, each step below `folder` opened without following a link."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        return open_below(fd, place)
    finally:
        os.close(fd)


def open_below(directory: int, place: tuple[str, ...]) -> int:
    """A new fd of the folder `place` below the open folder `directory` (which stays open).

    Each step is opened without following a link; raises OSError (ELOOP or ENOTDIR
    for a link or a file, ENOENT when absent).
    """
    fd = os.open(".", os.O_RDONLY | os.O_DIRECTORY, dir_fd=directory)
    for part in place:
        try:
            step = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
        finally:
            os.close(fd)
        fd = step
    return fd


def _refusal(path: Path, error: OSError, directory: int | None = None) -> str:
    """A plain sentence for why `path` cannot be read."""
    mode = None
    if directory is not None:
        with contextlib.suppress(OSError):
            mode = os.stat(path.name, dir_fd=directory, follow_symlinks=False).st_mode
    if error.errno == errno.ELOOP or (mode is not None and stat.S_ISLNK(mode)):
        return f"{path} is a symbolic link: links are not graded, submit the file itself"
    if error.errno == errno.ENOTDIR:
        return f"{path.parent} is a symbolic link or not a folder: links are not graded"
    return f"{path} could not be read: {error.strerror}"


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a named pipe (FIFO)"),
        (stat.S_ISCHR, "a device"),
        (stat.S_ISBLK, "a device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "not a regular file"
