"""Message encoding between the pool and its workers.

Parent -> worker messages are ordinary pickles (the parent is trusted).
Worker -> parent messages are decoded with a *restricted* unpickler: a worker
runs untrusted code, and a plain `pickle.loads` of whatever it sends would
hand a successful escape a second one, into the parent. Only plain data and
our `Obj` can come back.
"""

from __future__ import annotations

import io
import pickle
from typing import Any

from .outcome import Obj

PROTOCOL = 5
MAX_MESSAGE_BYTES = 256 * 1024 * 1024

# plain constructors only (subclasses such as namedtuple arrive as their base)
_ALLOWED = {
    ("builtins", "int"): int,
    ("builtins", "float"): float,
    ("builtins", "str"): str,
    ("builtins", "bytes"): bytes,
    ("builtins", "tuple"): tuple,
    ("builtins", "list"): list,
    ("builtins", "dict"): dict,
    ("builtins", "complex"): complex,
    ("builtins", "set"): set,
    ("builtins", "frozenset"): frozenset,
    ("builtins", "bytearray"): bytearray,
    ("semi_core.sandbox.outcome", "Obj"): Obj,
}


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"refused to load {module}.{name}") from None

    def persistent_load(self, pid: Any) -> Any:
        raise pickle.UnpicklingError("persistent ids are not allowed")


def dumps(obj: Any) -> bytes:
    """Encode a worker's message. The pickler's `fast` mode keeps no memo (a
    third of the pickling work): what workers send is plain data without cycles
    (cyclic values become opaque before they get here) and with bounded sharing
    (flat values are capped at a few hundred items, larger ones were already
    pickled flat by encode_value), so nothing is lost but a few repeated bytes.
    A cycle would still fail cleanly, as a RecursionError."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=PROTOCOL)
    pickler.fast = True
    pickler.dump(obj)
    return buffer.getvalue()


def loads_untrusted(data: bytes) -> Any:
    """Decode a message from a worker; raises pickle.UnpicklingError on anything odd."""
    try:
        return _RestrictedUnpickler(io.BytesIO(data)).load()
    except pickle.UnpicklingError:
        raise
    except Exception as exc:  # truncated or malformed data
        raise pickle.UnpicklingError(f"bad message: {exc}") from None
