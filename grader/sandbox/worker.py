"""The sandbox worker: imports one learner module and runs calls into it.

This file runs as a script in a separate process (`python -I -S worker.py`),
so it imports nothing from `grader` and nothing but the standard library and
NumPy. The trusted grader imports it only for the wire format below, which
both sides share.

Wire format, on two dedicated pipes (never stdout): a message is an 8-byte
big-endian length, a UTF-8 JSON header of that length, then the binary blobs
whose sizes the header lists. Arrays travel as `.npy` blobs written and read
with `allow_pickle=False`; every other value is JSON, tagged where JSON has no
type of its own ($tuple, $dict, $array, $scalar, $rng, $fn, $handle, $method).

Decoding is parsing: each tag's body is checked for its exact form, an array's
declared shape must match its blob's size before it is read, a random
generator's state must name one of BIT_GENERATORS, a scalar function one of
_SCALAR_FUNCTIONS; nothing read from the wire names an attribute, function or
class to look up. Whatever does not parse raises WireError.
"""

from __future__ import annotations

import io
import json
import math
import os
import select
import struct
import sys
import time
import traceback

import numpy as np

MAX_HEADER_BYTES = 2**20
# What the grader reads of one answer: the largest the checks need (a capstone's
# weights, a vectorised check's output) is a few MiB. Requests carry datasets.
MAX_REPLY_BYTES = 64 * 2**20
MAX_REQUEST_BYTES = 2 * 2**30
# The bit generators a random generator may cross the wire with, by the name in its state.
BIT_GENERATORS = {
    "PCG64": np.random.PCG64,
    "PCG64DXSM": np.random.PCG64DXSM,
    "Philox": np.random.Philox,
    "SFC64": np.random.SFC64,
    "MT19937": np.random.MT19937,
}
_MAX_STATE_DEPTH = 3  # {"state": {"key": [...]}}: a bit generator's state nests no deeper
_LENGTH = struct.Struct(">Q")


class WireError(Exception):
    """A message that does not follow the wire format."""


class ChannelClosed(WireError):
    """The other side closed its end of the pipe."""


class ChannelTimeout(WireError):
    """No complete message arrived before the deadline."""


# ---------------------------------------------------------------- values


class ScalarFunction:
    """A scalar test function the worker can evaluate, named so that no code
    crosses the wire (used by checks of e.g. `numerical_gradient`)."""

    def __init__(self, name: str, params: list):
        self.name = name
        self.params = params

    def __call__(self, x):
        return _SCALAR_FUNCTIONS[self.name](np.asarray(x, dtype=np.float64), *self.params)

    def __repr__(self) -> str:
        return f"{self.name}(...)"


_SCALAR_FUNCTIONS = {
    # f(x) = sum(w * tanh(x)): smooth, every element matters.
    "weighted_tanh_sum": lambda x, w: float(np.sum(w * np.tanh(x))),
    # f(x) = sum(w * x**3) + sum(x)**2: couples every element.
    "cubic_plus_square_of_sum": lambda x, w: float(np.sum(w * x**3) + np.sum(x) ** 2),
}


class UncheckableValue(TypeError):
    """Learner code returned something that is not data (e.g. an object array)."""


class Handle:
    """A reference to an object living in the worker (e.g. a learner's class instance)."""

    def __init__(self, ident: int, type_name: str):
        self.ident = ident
        self.type_name = type_name


class MethodRef:
    """A callable attribute of an object living in the worker."""

    def __init__(self, ident: int, name: str):
        self.ident = ident
        self.name = name


def _array_bytes(array: np.ndarray) -> bytes:
    if array.dtype.hasobject:
        raise TypeError("an array of Python objects (dtype=object) cannot be checked: use numbers")
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def encode_value(value, blobs: list, handles=None):
    """Turn `value` into JSON-able data, appending array bytes to `blobs`.

    `handles` (worker side only) is a callable that stores an object the wire
    cannot carry and returns its Handle; without it such objects raise TypeError.
    """
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value
    if isinstance(value, np.ndarray):
        blobs.append(_array_bytes(value))
        return {"$array": len(blobs) - 1}
    if isinstance(value, np.generic):
        blobs.append(_array_bytes(np.asarray(value)))
        return {"$scalar": len(blobs) - 1}
    if isinstance(value, list):
        return [encode_value(v, blobs, handles) for v in value]
    if isinstance(value, tuple):
        return {"$tuple": [encode_value(v, blobs, handles) for v in value]}
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value):
            return {"$dict": {k: encode_value(v, blobs, handles) for k, v in value.items()}}
        if all(_is_integer(k) for k in value):
            return {
                "$intdict": [[int(k), encode_value(v, blobs, handles)] for k, v in value.items()]
            }
        raise TypeError("only dicts whose keys are all strings or all integers can be checked")
    if isinstance(value, np.random.Generator):
        return {"$rng": _plain_state(value.bit_generator.state)}
    if isinstance(value, ScalarFunction):
        return {"$fn": value.name, "params": encode_value(value.params, blobs, handles)}
    if isinstance(value, Handle):
        return {"$handle": value.ident, "type": value.type_name}
    if isinstance(value, MethodRef):
        return {"$method": value.ident, "name": value.name}
    if handles is not None:
        return encode_value(handles(value), blobs)
    raise TypeError(f"a value of type {type(value).__name__} cannot be checked")


def _plain_state(state):
    """A bit generator's state with its NumPy arrays and integers as plain JSON lists and ints."""
    if isinstance(state, dict):
        return {str(k): _plain_state(v) for k, v in state.items()}
    if isinstance(state, np.ndarray):
        return state.tolist()
    if isinstance(state, np.integer):
        return int(state)
    return state


def decode_value(data, blobs: list):
    """Inverse of encode_value: rebuild a value from JSON data and blobs.

    Inputs: data, the JSON-decoded value; blobs, the message's binary blobs.
    Returns plain values, lists, tuples, dicts, arrays, NumPy scalars, random
    generators, ScalarFunction, Handle and MethodRef. Raises WireError for
    anything that is not exactly one of these forms.
    """
    try:
        return _decode(data, blobs)
    except RecursionError:
        raise WireError("a value nested too deeply") from None


def _decode(data, blobs: list):
    if data is None or isinstance(data, bool | int | float | str):
        return data
    if isinstance(data, list):
        return [_decode(v, blobs) for v in data]
    if not isinstance(data, dict):
        raise WireError(f"a value of type {type(data).__name__} is not JSON")
    tags = [key for key in data if isinstance(key, str) and key.startswith("$")]
    parse = _PARSERS.get(tags[0]) if len(tags) == 1 else None
    if parse is None:
        raise WireError(f"not a tagged value: keys {_shown(sorted(map(str, data)))}")
    return parse(data, data[tags[0]], blobs)


def _shown(value, limit: int = 80) -> str:
    """repr(value), cut to `limit` characters (wire text in a message stays short)."""
    return _cut(repr(value), limit)


def _cut(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _index(value, what: str) -> int:
    """`value` if it is a plain non-negative int (not a bool), else WireError."""
    if type(value) is not int or value < 0:
        raise WireError(f"{what} must be a non-negative integer, not {_shown(value)}")
    return value


def _text(value, what: str) -> str:
    if not isinstance(value, str):
        raise WireError(f"{what} must be a string, not {_shown(value)}")
    return value


def _parse_tuple(data: dict, body, blobs: list) -> tuple:
    if not isinstance(body, list):
        raise WireError(f"$tuple must hold a list, not {_shown(body)}")
    return tuple(_decode(v, blobs) for v in body)


def _parse_dict(data: dict, body, blobs: list) -> dict:
    if not isinstance(body, dict):
        raise WireError(f"$dict must hold an object, not {_shown(body)}")
    return {_text(k, "a key"): _decode(v, blobs) for k, v in body.items()}


def _is_integer(key) -> bool:
    return isinstance(key, int | np.integer) and not isinstance(key, bool | np.bool_)


def _parse_intdict(data: dict, body, blobs: list) -> dict:
    if not isinstance(body, list):
        raise WireError(f"$intdict must hold a list of [key, value] pairs, not {_shown(body)}")
    parsed = {}
    for pair in body:
        if not (isinstance(pair, list) and len(pair) == 2 and _is_integer(pair[0])):
            raise WireError(f"$intdict holds {_shown(pair)}, not an [int key, value] pair")
        parsed[pair[0]] = _decode(pair[1], blobs)
    return parsed


def _parse_array(data: dict, body, blobs: list) -> np.ndarray:
    return _load_array(blobs, body)


def _parse_scalar(data: dict, body, blobs: list) -> np.generic:
    array = _load_array(blobs, body)
    if array.ndim != 0:
        raise WireError(f"$scalar holds an array of shape {array.shape}")
    return array[()]


def _parse_rng(data: dict, body, blobs: list) -> np.random.Generator:
    """A Generator around a fresh bit generator of the whitelisted kind, given the state."""
    name = body.get("bit_generator") if isinstance(body, dict) else None
    if not isinstance(name, str) or name not in BIT_GENERATORS:
        raise WireError(
            f"a random generator's state must name one of {', '.join(BIT_GENERATORS)}, "
            f"not {_shown(name)}"
        )
    _check_state(body, depth=0)
    bit_generator = BIT_GENERATORS[name]()
    try:
        bit_generator.state = body
    except (TypeError, ValueError, KeyError, IndexError, OverflowError, AttributeError) as error:
        raise WireError(f"not a valid {name} state: {_cut(str(error))}") from None
    return np.random.Generator(bit_generator)


def _check_state(value, depth: int) -> None:
    """A bit generator's state holds only objects, lists, ints and strings, shallowly nested."""
    if depth > _MAX_STATE_DEPTH:
        raise WireError("a random generator's state is nested too deeply")
    if isinstance(value, dict):
        for key, item in value.items():
            _text(key, "a state's key")
            _check_state(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _index(item, "a state's list entry")
    elif type(value) is not int and not isinstance(value, str):
        raise WireError(f"a random generator's state holds {_shown(value)}")


def _parse_function(data: dict, body, blobs: list) -> ScalarFunction:
    name = _text(body, "$fn")
    if name not in _SCALAR_FUNCTIONS:
        raise WireError(f"unknown scalar function {_shown(name)}")
    params = _decode(data.get("params", []), blobs)
    if not isinstance(params, list):
        raise WireError("a scalar function's params must be a list")
    return ScalarFunction(name, params)


def _parse_handle(data: dict, body, blobs: list) -> Handle:
    return Handle(_index(body, "$handle"), _text(data.get("type"), "a handle's type"))


def _parse_method(data: dict, body, blobs: list) -> MethodRef:
    return MethodRef(_index(body, "$method"), _text(data.get("name"), "a method's name"))


_PARSERS = {
    "$array": _parse_array,
    "$scalar": _parse_scalar,
    "$tuple": _parse_tuple,
    "$dict": _parse_dict,
    "$intdict": _parse_intdict,
    "$rng": _parse_rng,
    "$fn": _parse_function,
    "$handle": _parse_handle,
    "$method": _parse_method,
}
_NPY_HEADER_READERS = {
    (1, 0): np.lib.format.read_array_header_1_0,
    (2, 0): np.lib.format.read_array_header_2_0,
}


def _load_array(blobs: list, index) -> np.ndarray:
    """Blob `index` as an array, once its .npy header is read and its size matches the blob's."""
    if type(index) is not int or not 0 <= index < len(blobs):
        raise WireError("array reference out of range")
    blob = blobs[index]
    stream = io.BytesIO(blob)
    try:
        read_header = _NPY_HEADER_READERS.get(np.lib.format.read_magic(stream))
        if read_header is None:
            raise WireError("not a .npy array of format version 1.0 or 2.0")
        shape, fortran, dtype = read_header(stream)
    except (ValueError, TypeError) as error:
        raise WireError(f"not a plain .npy array: {_cut(str(error))}") from None
    if dtype.hasobject:
        raise WireError("an array of Python objects cannot cross the wire")
    if stream.tell() + math.prod(shape) * dtype.itemsize != len(blob):
        raise WireError(f"an array's bytes do not match its declared shape {_shown(shape)}")
    # A view of the blob's own buffer: no copy of what may be the largest value of all.
    order = "F" if fortran else "C"
    flat = np.frombuffer(blob, dtype=dtype, count=math.prod(shape), offset=stream.tell())
    return flat.reshape(shape, order=order)


# ---------------------------------------------------------------- framing


def send_message(fd: int, header: dict, blobs: list) -> None:
    """Write one message (header + blobs) to the file descriptor."""
    header = dict(header, blob_sizes=[len(b) for b in blobs])
    head = json.dumps(header).encode("utf-8")
    parts = [_LENGTH.pack(len(head)), head, *blobs]
    for part in parts:
        view = memoryview(part)
        while view:
            written = os.write(fd, view)
            view = view[written:]


def receive_message(
    fd: int, deadline: float | None = None, max_body: int = MAX_REPLY_BYTES
) -> tuple[dict, list]:
    """Read one message; raise ChannelTimeout after `deadline` (time.monotonic).

    A header over MAX_HEADER_BYTES or blobs over `max_body` bytes in all are a
    WireError before any of their bytes are read. Each blob is read into one
    buffer of its exact size (no chunks kept beside a joined copy).
    """
    (length,) = _LENGTH.unpack(_read_exact(fd, _LENGTH.size, deadline))
    if length > MAX_HEADER_BYTES:
        raise WireError(f"header of {length} bytes is over the limit of {MAX_HEADER_BYTES}")
    try:
        header = json.loads(_read_exact(fd, length, deadline).decode("utf-8"))
    except (ValueError, RecursionError) as error:  # not UTF-8, not JSON, too deep, huge ints
        raise WireError(f"header is not JSON: {_cut(str(error))}") from None
    if not isinstance(header, dict):
        raise WireError("header is not a JSON object")
    sizes = header.get("blob_sizes", [])
    if not isinstance(sizes, list) or not all(type(s) is int and s >= 0 for s in sizes):
        raise WireError("malformed blob sizes")
    if sum(sizes) > max_body:
        megabytes = sum(sizes) / 2**20
        raise WireError(
            f"the answer is {megabytes:.0f} MiB, over the limit of {max_body // 2**20} MiB"
        )
    return header, [_read_exact(fd, size, deadline) for size in sizes]


def _read_exact(fd: int, size: int, deadline: float | None) -> bytearray:
    buffer = bytearray(size)
    view, done = memoryview(buffer), 0
    while done < size:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise ChannelTimeout("no answer before the deadline")
        got = os.readv(fd, [view[done : done + (1 << 20)]])
        if not got:
            raise ChannelClosed("the other side closed the channel")
        done += got
    return buffer


# ---------------------------------------------------------------- the worker


class _ImportBlocker:
    """A meta-path finder that refuses the libraries exercises may not use: the top-level
    names the grader sent (its policy), and the modules inside them."""

    def __init__(self, forbidden: frozenset[str]):
        self.forbidden = forbidden
        self.attempts: list[str] = []

    def find_spec(self, fullname, path=None, target=None):
        top = fullname.partition(".")[0]
        if top in self.forbidden:
            if top not in self.attempts:
                self.attempts.append(top)
            raise ImportError(f"{top} is not allowed in nnlab exercises: use NumPy only")
        return None


class _StagedModules:
    """A meta-path finder for the staged exercise modules, by name: an exercise that builds
    on earlier ones (`from ex04_dense import dense_forward`) imports them from the
    submission, whichever of them the worker loads first."""

    def __init__(self, module_files: dict[str, str]):
        self.module_files = module_files

    def find_spec(self, fullname, path=None, target=None):
        import importlib.util

        file = self.module_files.get(fullname)
        return importlib.util.spec_from_file_location(fullname, file) if file else None


def _apply_limits(limits: dict) -> None:
    import resource

    pairs = {
        "address_space_bytes": resource.RLIMIT_AS,
        "cpu_seconds": resource.RLIMIT_CPU,
        "file_size_bytes": resource.RLIMIT_FSIZE,
        "open_files": resource.RLIMIT_NOFILE,
        "processes": resource.RLIMIT_NPROC,
    }
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    for key, which in pairs.items():
        if limits.get(key):
            resource.setrlimit(which, (int(limits[key]), int(limits[key])))


def _readable_by_everyone(path: str) -> bool:
    import stat

    path = os.path.realpath(path)
    while True:
        mode = os.stat(path).st_mode
        if stat.S_ISDIR(mode) and mode & 0o005 != 0o005:
            return False
        parent = os.path.dirname(path)
        if parent == path:
            return True
        path = parent


def _drop_privileges(identity: dict) -> None:
    """Switch from root to the worker's own uid, as the grader asked.

    `identity` is {"uid": int or None, "required": bool}. Running as root
    would let learner code raise its limits back, ignore RLIMIT_NPROC and
    signal the grader. The switch is required where the grader built a view of
    the runtime readable by that uid: behind bubblewrap, and under the rlimit
    wall when the launcher gave the worker a mount namespace (launcher.py);
    otherwise it happens only when the Python runtime and NumPy are readable by
    another uid as they are.
    """
    uid = identity.get("uid")
    if os.getuid() != 0 or uid is None:
        return
    runtime = [os.__file__, np.__file__, sys.executable]
    if identity.get("required") or all(_readable_by_everyone(p) for p in runtime):
        os.setgroups([])
        os.setgid(int(uid))
        os.setuid(int(uid))


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL this worker when the grader's thread that started it ends."""
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL(None).prctl(pr_set_pdeathsig, 9)


def _error_payload(error: BaseException, module_files: dict) -> dict:
    """Describe an exception by its type, message and the learner's own frames.

    Each frame is {"file": its module's file name ("" when one module is graded),
    "line", "function", "code"}; a syntax error's place has no "function". The
    grader words them (the worker has no catalogue).
    """
    names = {path: os.path.basename(path) for path in module_files.values()}
    several = len(names) > 1
    frames = [
        {
            "file": names[frame.filename] if several else "",
            "line": frame.lineno,
            "function": frame.name,
            "code": (frame.line or "").strip()[:300],
        }
        for frame in traceback.extract_tb(error.__traceback__)
        if frame.filename in names
    ]
    if isinstance(error, SyntaxError) and error.filename in names:
        file = names[error.filename] if several else ""
        code = (error.text or "").strip()[:300]
        frames.append({"file": file, "line": error.lineno, "code": code})
    message = str(error) if not isinstance(error, SystemExit) else f"exit({error.code!r})"
    return {"type": type(error).__name__, "message": message[:2000], "where": frames[-5:]}


class _Session:
    def __init__(self, modules: dict):
        self.modules = modules
        self.primary = next(iter(modules.values()))
        self.objects: dict[int, object] = {}

    def store(self, obj) -> Handle:
        """Keep an object of the learner's own classes here; send a handle."""
        if type(obj).__module__ not in self.modules:
            raise TypeError(f"a value of type {type(obj).__name__} cannot be checked")
        ident = len(self.objects) + 1
        self.objects[ident] = obj
        return Handle(ident, type(obj).__name__)

    def target(self, ref, module_name):
        if ref is None:
            if module_name is None:
                return self.primary
            if module_name not in self.modules:
                raise WireError(f"unknown module {module_name!r}")
            return self.modules[module_name]
        if ref not in self.objects:
            raise WireError("unknown object handle")
        return self.objects[ref]

    def handle(self, request: dict, blobs: list) -> tuple[dict, list]:
        op = request.get("op")
        args = decode_value(request.get("args", {"$tuple": []}), blobs)
        kwargs = decode_value(request.get("kwargs", {"$dict": {}}), blobs)
        target = self.target(request.get("object"), request.get("module"))
        name = str(request.get("name", ""))
        if op == "call":
            function = getattr(target, name)
            strict = request.get("float_errors") == "raise"
            with np.errstate(
                **({"over": "raise", "divide": "raise", "invalid": "raise"} if strict else {})
            ):
                result = function(*args, **kwargs)
            value = {"result": result}
            if request.get("echo_args"):
                value["args"], value["kwargs"] = args, kwargs
        elif op == "getattr":
            attribute = getattr(target, name)
            is_method = callable(attribute) and not isinstance(attribute, type)
            value = {
                "result": MethodRef(request.get("object") or 0, name) if is_method else attribute
            }
        elif op == "setattr":
            setattr(target, name, args[0])
            value = {"result": None}
        else:
            raise WireError(f"unknown operation {op!r}")
        out: list = []
        try:
            return {"ok": True, "value": encode_value(value, out, self.store)}, out
        except TypeError as error:
            raise UncheckableValue(str(error)) from None


def _public_names(module) -> dict:
    kinds = {}
    for name, value in vars(module).items():
        if name.startswith("_") or isinstance(value, type(sys)):
            continue
        kinds[name] = "callable" if callable(value) else "value"
    return kinds


def _progress_channel(send):
    """A module `nnlab_channel` whose report(dict) streams a progress message."""
    import types

    channel = types.ModuleType("nnlab_channel")
    channel.report = lambda data: send({"progress": data}, [])
    return channel


def main(argv: list[str]) -> int:
    """Entry point:
    `worker.py MODULES_JSON REQUEST_FD RESPONSE_FD LIMITS_JSON IDENTITY_JSON FORBIDDEN_JSON`.

    MODULES_JSON is a list of [name, file] pairs imported in order; the first
    is the one calls go to unless a request names another. IDENTITY_JSON says
    which uid to switch to from root (see _drop_privileges). FORBIDDEN_JSON lists
    the top-level modules learner code may not import (the grader's policy).
    """
    module_list, request_fd, response_fd = json.loads(argv[1]), int(argv[2]), int(argv[3])
    limits, identity = json.loads(argv[4]), json.loads(argv[5])
    forbidden = frozenset(str(name) for name in json.loads(argv[6]))
    module_files = {str(name): str(path) for name, path in module_list}
    _apply_limits(limits)
    _drop_privileges(identity)
    # After the switch: a change of credentials clears the parent-death signal.
    _die_with_parent()
    blocker = _ImportBlocker(forbidden)
    sys.meta_path.insert(0, blocker)
    sys.dont_write_bytecode = True

    import importlib.util

    def reply(header: dict, blobs: list) -> None:
        header["forbidden"] = list(blocker.attempts)
        send_message(response_fd, header, blobs)

    sys.modules["nnlab_channel"] = _progress_channel(reply)
    sys.meta_path.append(_StagedModules(module_files))
    modules = {}
    for name, path in module_files.items():
        if name in sys.modules:  # imported already, by a module loaded before it
            modules[name] = sys.modules[name]
            continue
        try:
            spec = importlib.util.spec_from_file_location(name, path)
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            spec.loader.exec_module(module)
        except BaseException as error:  # the learner's import failed: say how, then stop
            payload = _error_payload(error, module_files)
            payload["file"] = os.path.basename(path)
            reply({"ok": False, "phase": "import", "error": payload}, [])
            return 0
        modules[name] = module
    names = _public_names(next(iter(modules.values())))
    reply({"ok": True, "ready": True, "names": names}, [])
    session = _Session(modules)
    while True:
        try:
            request, blobs = receive_message(request_fd, max_body=MAX_REQUEST_BYTES)
        except ChannelClosed:
            return 0
        try:
            header, out = session.handle(request, blobs)
        except BaseException as error:  # learner code failed: report it, keep serving
            header, out = {"ok": False, "error": _error_payload(error, module_files)}, []
        reply(header, out)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
