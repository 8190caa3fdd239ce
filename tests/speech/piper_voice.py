"""Make a tiny piper voice (ONNX model + JSON config) for tests; no download, no real weights.

The graph has the inputs and output of a real piper VITS export (``input``, ``input_lengths``,
``scales`` -> ``output`` [1, 1, T]) and answers with a 220 Hz tone whose length is
``phonemes x hop_length x length_scale``, so piper's own phonemiser (espeak-ng, voice ``vi``),
its phoneme-id mapping and onnxruntime all run for real, and the output can be checked.
"""

from __future__ import annotations

import json
from pathlib import Path

import onnx
from onnx import TensorProto, helper
from piper.phoneme_ids import DEFAULT_PHONEME_ID_MAP

SAMPLE_RATE = 16_000
HOP = 256
TONE_HZ = 220.0


def _const(name: str, value: float | int, kind: int) -> onnx.NodeProto:
    return helper.make_node("Constant", [], [name],
                            value=helper.make_tensor(name, kind, [], [value]))


def write_voice(path: Path) -> Path:
    """Write ``path`` (.onnx) and ``path.json``; return the model path."""
    nodes = [
        helper.make_node("Shape", ["input"], ["shape"]),
        _const("one_i", 1, TensorProto.INT64),
        helper.make_node("Gather", ["shape", "one_i"], ["n_ids"]),
        helper.make_node("Cast", ["n_ids"], ["n_f"], to=TensorProto.FLOAT),
        _const("hop", float(HOP), TensorProto.FLOAT),
        helper.make_node("Gather", ["scales", "one_i"], ["length_scale"]),
        helper.make_node("Mul", ["n_f", "hop"], ["t0"]),
        helper.make_node("Mul", ["t0", "length_scale"], ["t_f"]),
        helper.make_node("Floor", ["t_f"], ["t"]),
        _const("zero_f", 0.0, TensorProto.FLOAT),
        _const("one_f", 1.0, TensorProto.FLOAT),
        helper.make_node("Range", ["zero_f", "t", "one_f"], ["idx"]),
        _const("omega", 2 * 3.141592653589793 * TONE_HZ / SAMPLE_RATE, TensorProto.FLOAT),
        helper.make_node("Mul", ["idx", "omega"], ["phase"]),
        helper.make_node("Sin", ["phase"], ["wave"]),
        _const("amp", 0.5, TensorProto.FLOAT),
        helper.make_node("Mul", ["wave", "amp"], ["scaled"]),
        helper.make_node("Constant", [], ["axes01"],
                         value=helper.make_tensor("axes01", TensorProto.INT64, [2], [0, 1])),
        helper.make_node("Unsqueeze", ["scaled", "axes01"], ["output"]),
    ]
    graph = helper.make_graph(
        nodes, "tiny-piper",
        [helper.make_tensor_value_info("input", TensorProto.INT64, [1, None]),
         helper.make_tensor_value_info("input_lengths", TensorProto.INT64, [1]),
         helper.make_tensor_value_info("scales", TensorProto.FLOAT, [3])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 1, None])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))
    # Every code point espeak-ng may print for Vietnamese gets an id; the rest are piper's own.
    id_map = dict(DEFAULT_PHONEME_ID_MAP)
    next_id = max(i for ids in id_map.values() for i in ids) + 1
    for cp in [*range(0x20, 0x7F), *range(0xA0, 0x370)]:
        ch = chr(cp)
        if ch not in id_map:
            id_map[ch] = [next_id]
            next_id += 1
    config = {
        "audio": {"sample_rate": SAMPLE_RATE},
        "espeak": {"voice": "vi"},
        "phoneme_type": "espeak",
        "num_symbols": next_id,
        "num_speakers": 1,
        "inference": {"noise_scale": 0.667, "length_scale": 1.0, "noise_w": 0.8},
        "phoneme_id_map": id_map,
        "piper_version": "1.0.0",
    }
    Path(f"{path}.json").write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")
    return path
