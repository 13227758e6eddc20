"""resemblyzer's GE2E encoder as an ONNX graph, built from its weights, run by onnxruntime.

onnxruntime is already here (faster-whisper's Silero VAD runs on it) and its LSTM kernel is
the fastest we measured on two cores: 0.13 s per 64 windows of 1.5 s, against 0.28 s for
torch on one thread and 0.50 s for the same LSTM in numpy, without torch's 1.7 s import.
"""

import os

import numpy as np

LAYERS = 3
HIDDEN = 256
OPSET = 17


def _onnx_gates(weights: np.ndarray) -> np.ndarray:
    """PyTorch's gate order (input, forget, cell, output) in ONNX's (input, output,
    forget, cell), along the first axis."""
    i, f, g, o = np.split(weights, 4, axis=0)
    return np.concatenate([i, o, f, g], axis=0)


def ge2e_model(state: dict[str, np.ndarray]) -> bytes:
    """The serialized ONNX model of the encoder whose PyTorch state dict is ``state``:
    (time, batch, 40) mel frames → (batch, 256) unit embeddings. Raises KeyError for a
    state dict that is not the encoder's."""
    from onnx import TensorProto, helper, numpy_helper

    nodes, weights = [], []
    source = "frames"
    for n in range(LAYERS):
        bias = np.concatenate([_onnx_gates(state[f"lstm.bias_ih_l{n}"]),
                               _onnx_gates(state[f"lstm.bias_hh_l{n}"])])
        for name, value in ((f"W{n}", _onnx_gates(state[f"lstm.weight_ih_l{n}"])),
                            (f"R{n}", _onnx_gates(state[f"lstm.weight_hh_l{n}"])),
                            (f"B{n}", bias)):
            weights.append(numpy_helper.from_array(value[None].astype(np.float32), name))
        nodes += [helper.make_node("LSTM", [source, f"W{n}", f"R{n}", f"B{n}"],
                                   [f"seq{n}", f"last{n}"], hidden_size=HIDDEN),
                  # (time, directions=1, batch, hidden) → (time, batch, hidden)
                  helper.make_node("Squeeze", [f"seq{n}", "axis1"], [f"out{n}"])]
        source = f"out{n}"
    weights += [numpy_helper.from_array(np.array([1], np.int64), "axis1"),
                numpy_helper.from_array(np.array([0], np.int64), "axis0"),
                numpy_helper.from_array(np.ascontiguousarray(state["linear.weight"].T),
                                        "linear_w"),
                numpy_helper.from_array(state["linear.bias"], "linear_b")]
    nodes += [helper.make_node("Squeeze", [f"last{LAYERS - 1}", "axis0"], ["state"]),
              helper.make_node("MatMul", ["state", "linear_w"], ["projected"]),
              helper.make_node("Add", ["projected", "linear_b"], ["shifted"]),
              helper.make_node("Relu", ["shifted"], ["positive"]),
              helper.make_node("LpNormalization", ["positive"], ["embeddings"], axis=1, p=2)]
    graph = helper.make_graph(
        nodes, "ge2e", [helper.make_tensor_value_info("frames", TensorProto.FLOAT,
                                                      ["time", "batch", 40])],
        [helper.make_tensor_value_info("embeddings", TensorProto.FLOAT, ["batch", HIDDEN])],
        weights)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8  # what onnxruntime 1.16+ reads
    return bytes(model.SerializeToString())


class GE2ESession:
    """Runs :func:`ge2e_model`'s graph: two threads at most, and no spinning between runs
    (the cores are shared with Whisper and other runs)."""

    def __init__(self, model: bytes) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = max(1, min(2, len(os.sched_getaffinity(0))))
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = onnxruntime.InferenceSession(model, options,
                                                     providers=["CPUExecutionProvider"])

    def embed(self, frames: np.ndarray) -> np.ndarray:
        """(batch, 256) unit embeddings of (batch, time, 40) mel frames."""
        time_major = np.ascontiguousarray(frames.transpose(1, 0, 2), dtype=np.float32)
        out = self._session.run(None, {"frames": time_major})[0]
        return np.asarray(out, np.float32)
