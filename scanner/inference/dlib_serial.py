"""A strict reader of dlib's binary serialisation (`dlib/serialize.h`, `dlib/cuda/tensor.h`).

The format has no header and no field names; every value is read in the order
the C++ `serialize()` functions wrote it:

- integers: one control byte (bit 7 = negative, low 4 bits = number of bytes),
  then the magnitude in little-endian order;
- strings: an integer length, then the bytes;
- bools: one ASCII byte, '1' or '0';
- scalar floats (`float_details`): an int64 mantissa, then an int16 exponent,
  value = mantissa * 2**exponent; exponents 32000/32001/32002 mean +inf/-inf/NaN;
- tensors: version 2, four dimensions (n, k, nr, nc), then n*k*nr*nc
  little-endian float32 values in NCHW order;
- alias tensors (views into a layer's `params`): version 1, four dimensions.

Every failure is a `ModelError` naming the file, the byte offset and what was expected.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from scanner.errors import ModelError

_MAX_STRING = 4096
_SPECIAL_EXPONENTS = {32000: math.inf, 32001: -math.inf, 32002: math.nan}


class DlibReader:
    """Reads dlib-serialised values from bytes, tracking the offset for error messages."""

    def __init__(self, data: bytes, source: str | Path) -> None:
        self._data = memoryview(data)
        self.offset = 0
        self.source = str(source)

    def fail(self, expected: str, found: str, offset: int | None = None) -> ModelError:
        """A ModelError naming the file, the byte offset and what was expected."""
        at = self.offset if offset is None else offset
        return ModelError(f"{self.source}: at byte {at}: expected {expected}, found {found}")

    def _take(self, count: int, what: str) -> memoryview:
        end = self.offset + count
        if end > len(self._data):
            left = len(self._data) - self.offset
            raise self.fail(f"{what} ({count} bytes)", f"end of file after {left} bytes")
        chunk = self._data[self.offset : end]
        self.offset = end
        return chunk

    def integer(self, what: str = "an integer") -> int:
        """A dlib integer: control byte, then little-endian magnitude."""
        start = self.offset
        control = self._take(1, what)[0]
        size = control & 0x0F
        if size > 8:
            raise self.fail(what, f"an integer control byte 0x{control:02x} (> 8 bytes)", start)
        magnitude = int.from_bytes(self._take(size, what), "little") if size else 0
        return -magnitude if control & 0x80 else magnitude

    def expect_int(self, value: int, what: str) -> int:
        """Read an integer and check that it equals `value`."""
        start = self.offset
        found = self.integer(what)
        if found != value:
            raise self.fail(f"{what} = {value}", str(found), start)
        return found

    def string(self, what: str = "a string") -> str:
        """A dlib string: integer length, then that many bytes."""
        start = self.offset
        length = self.integer(f"the length of {what}")
        if not 0 <= length <= _MAX_STRING:
            raise self.fail(what, f"a string length of {length}", start)
        raw = bytes(self._take(length, what))
        return raw.decode("latin-1")

    def expect_string(self, value: str, what: str) -> str:
        """Read a string and check that it equals `value` (used for layer version tags)."""
        start = self.offset
        found = self.string(what)
        if found != value:
            raise self.fail(f"{what} {value!r}", repr(found), start)
        return found

    def boolean(self, what: str = "a bool") -> bool:
        """A dlib bool: the ASCII byte '1' or '0'."""
        start = self.offset
        byte = self._take(1, what)[0]
        if byte not in (0x30, 0x31):
            raise self.fail(f"{what} ('0' or '1')", f"byte 0x{byte:02x}", start)
        return byte == 0x31

    def real(self, what: str = "a float") -> float:
        """A dlib scalar float: int64 mantissa, then int16 exponent."""
        mantissa = self.integer(f"the mantissa of {what}")
        start = self.offset
        exponent = self.integer(f"the exponent of {what}")
        if exponent in _SPECIAL_EXPONENTS:
            return _SPECIAL_EXPONENTS[exponent]
        if not -32768 <= exponent <= 32767:
            raise self.fail(f"the int16 exponent of {what}", str(exponent), start)
        return math.ldexp(float(mantissa), exponent)

    def dims(self, what: str) -> tuple[int, int, int, int]:
        """Four non-negative tensor dimensions (n, k, nr, nc)."""
        shape = []
        for axis in ("n", "k", "nr", "nc"):
            start = self.offset
            value = self.integer(f"dimension {axis} of {what}")
            if value < 0:
                raise self.fail(f"a non-negative dimension {axis} of {what}", str(value), start)
            shape.append(value)
        return shape[0], shape[1], shape[2], shape[3]

    def tensor(self, what: str = "a tensor") -> np.ndarray:
        """A dlib tensor (version 2) as a float32 array of shape (n, k, nr, nc)."""
        self.expect_int(2, f"the version of {what}")
        shape = self.dims(what)
        count = math.prod(shape)
        remaining = len(self._data) - self.offset
        if count * 4 > remaining:
            raise self.fail(
                f"{count} float32 values of {what} {shape}", f"end of file after {remaining} bytes"
            )
        raw = self._take(count * 4, what)
        return np.frombuffer(raw, dtype="<f4").astype(np.float32).reshape(shape)

    def alias(self, what: str) -> tuple[int, int, int, int]:
        """A dlib alias_tensor (version 1): just its four dimensions."""
        self.expect_int(1, f"the version of {what}")
        return self.dims(what)

    def expect_end(self) -> None:
        """Fail if any bytes are left after the last value."""
        extra = len(self._data) - self.offset
        if extra:
            raise self.fail("the end of the file", f"{extra} more bytes")
