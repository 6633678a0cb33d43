"""Reading a student's submission: which folders and zips are students, and the exercise
modules each holds (a "snapshot": file name -> bytes), read without trusting them.

A submission is untrusted input. Only the modules the course names are read, from
the places a student puts them; no link is followed, nothing but a regular file is
read, and sizes and counts are capped before anything is read or inflated: what
cannot be read so is refused with a plain message (UnreadableSubmission), shown
in the student's row.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import os
import stat
import zipfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import BinaryIO

from grader.course.registry import exercises
from grader.engine.submission import (
    MAX_MODULE_BYTES,
    MissingSubmission,
    open_below,
    open_regular,
    read_regular,
)
from grader.instructor.batch.export import student_folder

MAX_ZIP_BYTES = 64 << 20
# Files and folders (or zip members) looked at per student where modules may be:
# far more than a repository's top and its folders' tops hold, few enough to
# list in a moment.
MAX_ENTRIES = 100_000
# A zip's table of contents, which zipfile parses whole when it opens the archive.
MAX_ZIP_DIRECTORY_BYTES = 4 << 20


class UnreadableSubmission(Exception):
    """A submission that cannot be read: its message is shown in the student's row."""


@dataclass(frozen=True)
class Submission:
    """One student's submission: `name` is the student, `path` a folder or a .zip."""

    name: str
    path: Path

    @property
    def folder(self) -> str:
        """The student's folder under the results (export.student_folder)."""
        return student_folder(self.name)


def discover(folder: Path) -> list[Submission]:
    """The submissions in `folder`: each sub-folder and `.zip` file, sorted by name.

    A student is named by the folder, or the zip without `.zip` (the whole file
    name when a folder already has that name), exactly, whatever characters it
    holds; bytes that are not UTF-8 are shown as escapes ("\\xe9"). Hidden
    folders (.git), macOS's "._" shadow files and symbolic links are skipped.
    """
    found: dict[str, Submission] = {}
    for path in sorted(folder.iterdir()):
        if path.is_symlink() or path.name.startswith("._"):
            continue
        if path.is_dir() and not path.name.startswith("."):
            candidates = [path.name]
        elif path.is_file() and path.suffix.lower() == ".zip":
            candidates = [path.name[: -len(path.suffix)], path.name]
        else:
            continue
        name = _unused(map(_text_name, candidates), found)
        found[name] = Submission(name, path)
    return [found[name] for name in sorted(found)]


def _text_name(name: str) -> str:
    """A file name as text: undecodable bytes (surrogate escapes) become "\\xNN"."""
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def _unused(candidates: Iterable[str], taken: dict[str, Submission]) -> str:
    """The first candidate name not taken, else the last one numbered ("x (2)")."""
    candidates = list(candidates)
    for name in candidates:
        if name not in taken:
            return name
    number = 2
    while f"{candidates[-1]} ({number})" in taken:
        number += 1
    return f"{candidates[-1]} ({number})"


def read_submission(submission: Submission) -> dict[str, bytes]:
    """The submission's exercise modules: {file name: bytes} (only files the course names).

    A module is taken from the top of the submission, from a folder in it
    (such as `exercises/`), or from that folder's `exercises/` (a downloaded repository's
    `name-main/exercises/`), the shallowest first; nothing deeper is looked at.
    Only regular files are read, each once and capped at MAX_MODULE_BYTES: no
    link is followed, a FIFO or device is refused without being read, a zip
    member is streamed (never inflated whole). Raises UnreadableSubmission (a
    plain message) for a module that is a link, FIFO, device or too large, a
    broken zip, a zip naming a path outside itself, or more than MAX_ENTRIES
    files where modules are looked for.
    """
    wanted = frozenset(e.filename for e in exercises())
    try:
        if submission.path.is_dir():
            return _read_folder(submission.path, wanted)
        return _read_zip(submission.path, wanted)
    except MissingSubmission as refusal:
        raise UnreadableSubmission(_text_name(str(refusal))) from None
    except OSError as problem:
        raise UnreadableSubmission(
            f"{_text_name(submission.path.name)} could not be read ({problem.strerror})"
        ) from None


# (parts of the path below the submission, declared size, how to read it)
Entry = tuple[tuple[str, ...], int, Callable[[], bytes]]


def _is_place(folder: tuple[str, ...]) -> bool:
    """Whether a module may be taken from `folder` (its parts below the submission): the
    top, a visible folder in it, or that folder's exercises/."""
    if any(part.startswith(".") for part in folder):
        return False
    return len(folder) <= 1 or (len(folder) == 2 and folder[1] == "exercises")


def _snapshot(entries: Iterable[Entry], wanted: frozenset[str]) -> dict[str, bytes]:
    """Read the shallowest entry of each wanted module name found in a place (_is_place)."""
    chosen: dict[str, tuple[tuple[int, tuple[str, ...]], int, Callable[[], bytes]]] = {}
    for parts, size, read in entries:
        if parts[-1] not in wanted or not _is_place(parts[:-1]):
            continue
        rank = (len(parts), parts)
        if parts[-1] not in chosen or rank < chosen[parts[-1]][0]:
            chosen[parts[-1]] = (rank, size, read)
    files = {}
    for name, ((_, parts), size, read) in sorted(chosen.items()):
        if size > MAX_MODULE_BYTES:
            raise UnreadableSubmission(
                f"{_text_name('/'.join(parts))} is {size:,} bytes; an exercise module may be "
                f"at most {MAX_MODULE_BYTES:,}"
            )
        files[name] = read()
    return files


def _too_many(shown: str) -> str:
    return (
        f"{shown} holds more than {MAX_ENTRIES:,} files and folders where exercise modules "
        f"are looked for: submit the exercises (a folder of modules or a repository)"
    )


def _read_folder(root: Path, wanted: frozenset[str]) -> dict[str, bytes]:
    # O_NOFOLLOW: the student's folder itself may not be a link either (discover skips
    # links; this holds if one appears after it looked).
    top = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        return _snapshot(_folder_entries(top, _text_name(root.name), wanted), wanted)
    finally:
        os.close(top)


def _folder_entries(top: int, shown: str, wanted: frozenset[str]) -> Iterator[Entry]:
    """The entries with a wanted name in the folders below `top` where a module may be
    (_is_place), breadth first, without following links and never deeper; at most MAX_ENTRIES
    entries are looked at in all (else UnreadableSubmission)."""
    places: deque[tuple[str, ...]] = deque([()])
    seen = 0
    while places:
        place = places.popleft()
        listing = _list_folder(top, place, wanted)
        seen += len(listing)
        if seen > MAX_ENTRIES:
            raise UnreadableSubmission(_too_many(shown))
        for name, is_folder, size in listing:
            parts = (*place, name)
            if name in wanted:  # whatever it is: read_regular refuses all but a file
                yield parts, size, functools.partial(_read_below, top, place, name)
            elif is_folder and _is_place(parts):
                places.append(parts)


def _list_folder(
    top: int, place: tuple[str, ...], wanted: frozenset[str]
) -> list[tuple[str, bool, int]]:
    """(name, is a real folder, size) of at most MAX_ENTRIES + 1 entries of folder `place`
    below `top`; size (lstat, no link followed) only for wanted names, else 0. A place
    that is gone or has become a link lists nothing."""
    try:
        directory = open_below(top, place)
    except OSError:
        return []
    listing = []
    try:
        with os.scandir(directory) as entries:
            for entry in itertools.islice(entries, MAX_ENTRIES + 1):
                size = entry.stat(follow_symlinks=False).st_size if entry.name in wanted else 0
                listing.append((entry.name, entry.is_dir(follow_symlinks=False), size))
    finally:
        os.close(directory)
    return listing


def _read_below(top: int, place: tuple[str, ...], name: str) -> bytes:
    """The bytes of regular file `place`/`name` below `top` (see submission.read_regular)."""
    directory = open_below(top, place)
    try:
        return read_regular(directory, name, Path(*place, name)).source
    finally:
        os.close(directory)


def _read_zip(path: Path, wanted: frozenset[str]) -> dict[str, bytes]:
    shown = _text_name(path.name)
    parent = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fd = open_regular(parent, path.name, Path(shown))
    finally:
        os.close(parent)
    with os.fdopen(fd, "rb") as handle:
        if os.fstat(fd).st_size > MAX_ZIP_BYTES:
            raise UnreadableSubmission(f"{shown} is larger than {MAX_ZIP_BYTES >> 20} MiB")
        with _open_zip(handle, shown) as archive:
            return _snapshot(_zip_entries(archive, shown), wanted)


def _open_zip(handle: BinaryIO, shown: str) -> zipfile.ZipFile:
    """The zip archive in `handle`, its table of contents checked for size before
    zipfile parses it whole (about 600 bytes of memory per member)."""
    # The end record zipfile itself reads to find the table of contents (a private
    # helper of zipfile; test_batch covers it).
    end = zipfile._EndRecData(handle)
    if end and end[zipfile._ECD_SIZE] > MAX_ZIP_DIRECTORY_BYTES:
        raise UnreadableSubmission(_too_many(shown))
    try:
        return zipfile.ZipFile(handle)
    except Exception as problem:  # noqa: BLE001 - a damaged zip raises many kinds of error
        raise UnreadableSubmission(f"{shown} is not a readable zip file ({problem})") from None


def _zip_entries(archive: zipfile.ZipFile, shown: str) -> Iterator[Entry]:
    """The archive's files as entries; raises UnreadableSubmission for more than
    MAX_ENTRIES members or a member whose name leads outside the archive."""
    members = archive.infolist()
    if len(members) > MAX_ENTRIES:
        raise UnreadableSubmission(_too_many(shown))
    for member in members:
        name = member.filename.replace("\\", "/")
        parts = PurePosixPath(name).parts
        if ".." in parts or PureWindowsPath(name).anchor:
            raise UnreadableSubmission(
                f"{shown} holds {name}, a path outside the archive: a zip of a folder never "
                f"does, so it is not graded (zip the folder of exercises again)"
            )
        if member.is_dir() or not parts or "__MACOSX" in parts:
            continue
        yield parts, member.file_size, functools.partial(_read_member, archive, member, shown)


def _read_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo, shown: str) -> bytes:
    """A member's bytes: at most its declared size (which _snapshot checked against
    MAX_MODULE_BYTES), inflated at most that much at a time, so a zip bomb cannot
    make the batch hold more (archive.read inflates all the compressed bytes at once)."""
    where = f"{member.filename} in {shown}"
    if stat.S_ISLNK(member.external_attr >> 16):
        raise UnreadableSubmission(
            f"{where} is a symbolic link: links are not graded, submit the file itself"
        )
    # zipfile asks zlib for at most n bytes per read(n), but inflates bzip2 and LZMA
    # a whole compressed read at a time (a few KiB of bzip2 can hold gigabytes).
    if member.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise UnreadableSubmission(
            f"{where} is compressed with method {member.compress_type}, which is not "
            f"graded: zip the folder again with the usual (deflate) compression"
        )
    try:
        with archive.open(member) as stream:
            return stream.read(MAX_MODULE_BYTES)
    except Exception as problem:  # noqa: BLE001 - zipfile and zlib raise their own errors
        raise UnreadableSubmission(
            f"{where} cannot be read: the zip is damaged ({problem})"
        ) from None


def snapshot_hash(files: dict[str, bytes]) -> str:
    """sha256 of a snapshot: file names and contents, independent of folder or zip."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    return digest.hexdigest()
