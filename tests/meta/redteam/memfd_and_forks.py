"""Attack: at import, fork children that each fill memfd files (shared memory, which no
rlimit counts: not mapped, it is not address space) and hold them, 2 GiB in all.

Every function then raises a ValueError that says how much the children held
("held 2048 MiB in 8 children"); the worker's group memory limit must stop them
first. Bounded: each child lets go after LIFETIME_S.
"""

import ctypes
import os
import time

TOKEN = "__TOKEN__"  # the name these processes go by, for the test to find
PR_SET_NAME = 15
CHILDREN = 8
FILES_PER_CHILD = 4  # of FILE_MIB each: under the file size limit (RLIMIT_FSIZE, 64 MiB)
FILE_MIB = 64
LIFETIME_S = 120
CHUNK = b"\xa5" * 2**20

ctypes.CDLL(None).prctl(PR_SET_NAME, TOKEN.encode(), 0, 0, 0)


def _fill() -> int:
    """Write memfd files until done or refused; return the MiB written."""
    written, files = 0, []
    for number in range(FILES_PER_CHILD):
        fd = os.memfd_create(f"hoard{number}")
        files.append(fd)
        for _ in range(FILE_MIB):
            try:
                os.write(fd, CHUNK)
            except OSError:
                return written
            written += 1
    return written


def _hoard() -> tuple[int, int]:
    """Fork the children; return (MiB they say they hold, children that said so)."""
    read_end, write_end = os.pipe()
    for _ in range(CHILDREN):
        try:
            pid = os.fork()
        except OSError:
            break
        if pid == 0:
            os.setsid()
            os.close(read_end)
            held = _fill()
            os.write(write_end, f"{held}\n".encode())
            os.close(write_end)
            time.sleep(LIFETIME_S)
            os._exit(0)
    os.close(write_end)
    report = b""
    while chunk := os.read(read_end, 4096):  # end of file: every child reported or died
        report += chunk
    counts = [int(line) for line in report.split()]
    return sum(counts), len(counts)


HELD, REPORTED = _hoard()


def _report(*args, **kwargs):
    raise ValueError(f"held {HELD} MiB in {REPORTED} children")


step = relu = sigmoid = tanh = _report
relu_backward = sigmoid_backward = tanh_backward = _report
