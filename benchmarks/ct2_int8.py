"""Rewrite a CTranslate2 model.bin with every ``*/weight`` quantized to int8 (+ ``weight_scale``).

The bundled tiny.en is float16 (75 MB); as int8 (39 MB) it fits, with the CTranslate2 wheel,
in what a device check may carry (64 MiB a call). Same scheme as CTranslate2's own int8
conversion: one scale per output row. Usage: ``python benchmarks/ct2_int8.py SRC.bin DST.bin``
"""

import struct
import sys
from pathlib import Path

import numpy as np

FLOAT32, INT8, FLOAT16 = 0, 1, 4  # CTranslate2's DataType ids


class Reader:
    """Reads the binary layout CTranslate2's ``ModelSpec._serialize`` writes."""

    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, fmt: str) -> tuple[int, ...]:
        values = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += struct.calcsize(fmt)
        return values

    def string(self) -> str:
        (size,) = self.take("H")
        text = self.data[self.pos:self.pos + size - 1].decode()
        self.pos += size
        return text

    def raw(self, size: int) -> bytes:
        self.pos += size
        return self.data[self.pos - size:self.pos]


Variable = tuple[str, tuple[int, ...], int, bytes]


def quantized(name: str, dims: tuple[int, ...], raw: bytes) -> list[Variable]:
    """``name`` as int8 rows and their float32 scales."""
    weights = np.frombuffer(raw, dtype=np.float16).astype(np.float32).reshape(dims[0], -1)
    amax = np.abs(weights).max(axis=1)
    amax[amax == 0] = 127.0
    scale = (127.0 / amax).astype(np.float32)
    values = np.rint(weights * scale[:, None]).astype(np.int8)
    return [(name, dims, INT8, values.tobytes()), (name + "_scale", (dims[0],), FLOAT32,
                                                   scale.tobytes())]


def convert(data: bytes) -> bytes:
    reader = Reader(data)
    (version,), spec, (revision,), (count,) = (reader.take("I"), reader.string(),
                                               reader.take("I"), reader.take("I"))
    variables: list[Variable] = []
    for _ in range(count):
        name = reader.string()
        (rank,) = reader.take("B")
        dims = reader.take("I" * rank) if rank else ()
        (dtype,), (size,) = reader.take("B"), reader.take("I")
        raw = reader.raw(size)
        if name.endswith("/weight") and rank >= 2 and dtype == FLOAT16:
            variables += quantized(name, dims, raw)
        else:
            variables.append((name, dims, dtype, raw))
    out = bytearray(struct.pack("I", version))

    def put_string(text: str) -> None:
        out.extend(struct.pack("H", len(text) + 1) + text.encode() + b"\0")

    put_string(spec)
    out.extend(struct.pack("II", revision, len(variables)))
    for name, dims, dtype, raw in sorted(variables):
        put_string(name)
        out.extend(struct.pack("B", len(dims)) + b"".join(struct.pack("I", d) for d in dims))
        out.extend(struct.pack("=BI", dtype, len(raw)) + raw)
    out.extend(data[reader.pos:])  # the aliases, unchanged
    return bytes(out)


def main() -> None:
    src, dst = Path(sys.argv[1]), Path(sys.argv[2])
    data = src.read_bytes()
    converted = convert(data)
    dst.write_bytes(converted)
    print(f"{len(data)} -> {len(converted)} bytes")


if __name__ == "__main__":
    main()
