"""Opsets newer than torch 1.13 exports (18 and up), for the e2e tests.

torch 1.13's exporter stops at opset 17. upgrade(path, opset) rewrites an
opset-17 export in place as the newer opset writes it: the reductions that
took their axes as an attribute take them as an input from opset 18 on; every
other operator these models use kept its meaning through opset 27.
"""
import numpy as np
import onnx
from onnx import numpy_helper

TORCH_MAX_OPSET = 17

# ReduceSum took its axes as an input already at opset 13.
_AXES_TO_INPUT = {"ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2",
                  "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare"}


def export_opset(opset):
    """The opset to hand torch.onnx.export for a model wanted at `opset`."""
    return min(opset, TORCH_MAX_OPSET)


def upgrade(path, opset):
    if opset <= TORCH_MAX_OPSET:
        return
    model = onnx.load(path)
    graph = model.graph
    for node in graph.node:
        if node.domain not in ("", "ai.onnx") or node.op_type not in _AXES_TO_INPUT:
            continue
        axes = next((a for a in node.attribute if a.name == "axes"), None)
        if axes is None:
            continue
        name = f"{node.name or node.output[0]}_axes"
        graph.initializer.append(numpy_helper.from_array(np.array(axes.ints, dtype=np.int64), name))
        node.attribute.remove(axes)
        node.input.append(name)
    for entry in model.opset_import:
        if entry.domain in ("", "ai.onnx"):
            entry.version = opset
    model.ir_version = max(model.ir_version, 10)
    onnx.save(model, path)
