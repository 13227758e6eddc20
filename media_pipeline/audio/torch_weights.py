"""Read the float tensors of a PyTorch weight file without PyTorch.

resemblyzer's ``pretrained.pt`` is in PyTorch's legacy format: a few pickles (magic number,
protocol, system info), the state dict whose tensors point at storages by key, the list of
storage keys, then each storage's raw bytes after its element count. Importing torch to read
1.4 million floats cost 1.7 s of CPU and 240 MB on every process that labels speakers.
Only the names a state dict needs are unpickled; anything else is refused.
"""

import collections
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C


class UnreadableWeights(ValueError):
    """Not a legacy PyTorch file of float32 tensors."""


@dataclass(frozen=True)
class _TensorRef:
    key: str
    offset: int
    shape: tuple[int, ...]
    stride: tuple[int, ...]


def _rebuild_tensor(storage: str, offset: int, shape: Any, stride: Any,
                    *_: Any) -> _TensorRef:
    return _TensorRef(storage, int(offset), tuple(shape), tuple(stride))


class _StateDictUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in (("torch._utils", "_rebuild_tensor_v2"),
                              ("torch._utils", "_rebuild_tensor")):
            return _rebuild_tensor
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        if module == "torch" and name == "FloatStorage":
            return name
        raise UnreadableWeights(f"unexpected object {module}.{name} in the weight file")

    def persistent_load(self, pid: Any) -> str:
        # ("storage", storage type, key, location, element count[, view metadata])
        if pid[1] != "FloatStorage":
            raise UnreadableWeights(f"only float32 tensors are read, not {pid[1]}")
        return str(pid[2])


def read_legacy_state_dict(path: Path) -> dict[str, np.ndarray]:
    """Every float32 tensor of the legacy PyTorch file at ``path``, by name (a state dict
    nested under ``model_state`` is unwrapped). Raises UnreadableWeights."""
    with path.open("rb") as fh:
        try:
            if pickle.load(fh) != LEGACY_MAGIC:
                raise UnreadableWeights(f"{path.name} is not a legacy PyTorch file")
            pickle.load(fh)  # protocol version
            pickle.load(fh)  # system info
            state = _StateDictUnpickler(fh).load()
            storages = _read_storages(fh, pickle.load(fh))
        except (pickle.UnpicklingError, EOFError) as exc:
            raise UnreadableWeights(f"{path.name}: {exc}") from exc
    state = state.get("model_state", state)
    return {name: _materialize(ref, storages) for name, ref in state.items()
            if isinstance(ref, _TensorRef)}


def _read_storages(fh: IO[bytes], keys: list[str]) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for key in keys:
        count = int.from_bytes(fh.read(8), "little")
        raw = fh.read(count * 4)
        if len(raw) != count * 4:
            raise UnreadableWeights("the weight file ends early")
        out[str(key)] = np.frombuffer(raw, dtype="<f4")
    return out


def _materialize(ref: _TensorRef, storages: dict[str, np.ndarray]) -> np.ndarray:
    flat = storages[ref.key][ref.offset:]
    view = np.lib.stride_tricks.as_strided(flat, shape=ref.shape,
                                           strides=[s * 4 for s in ref.stride])
    return np.array(view, dtype=np.float32)
