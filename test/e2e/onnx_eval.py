"""A tiny numpy interpreter for the ONNX ops that appear in the HyperMixing exports.

onnxruntime is not available here and onnx 1.12 has no reference evaluator, so this is how the
exported graphs are checked against the PyTorch reference (test_reference.py). It is a test
helper only: it supports exactly the ops torch 1.13 emits for hypermixing_models.py (opsets
14 and 17) and raises NotImplementedError for anything else.

run(model, feeds, float_dtype=np.float64) evaluates all floating-point tensors in
`float_dtype` (float64 by default, so the result is a float64 evaluation of the exported graph).
"""
import math

import numpy as np
import onnx
import onnx.numpy_helper

_ERF = np.vectorize(math.erf, otypes=[np.float64])

_ONNX_TO_NP = {
    onnx.TensorProto.FLOAT: np.float32, onnx.TensorProto.DOUBLE: np.float64,
    onnx.TensorProto.INT64: np.int64, onnx.TensorProto.INT32: np.int32,
    onnx.TensorProto.BOOL: np.bool_, onnx.TensorProto.FLOAT16: np.float16,
}


def _attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def run(model, feeds, float_dtype=np.float64):
    def fl(a):
        a = np.asarray(a)
        return a.astype(float_dtype) if np.issubdtype(a.dtype, np.floating) else a

    env = {}
    for t in model.graph.initializer:
        env[t.name] = fl(onnx.numpy_helper.to_array(t))
    for k, v in feeds.items():
        env[k] = fl(v)
    for node in model.graph.node:
        a = _attrs(node)
        x = [env[i] if i else None for i in node.input]
        op = node.op_type
        if op == "Constant":
            out = fl(onnx.numpy_helper.to_array(a["value"]))
        elif op == "Shape":
            out = np.array(x[0].shape, dtype=np.int64)
        elif op == "Gather":
            out = np.take(x[0], x[1], axis=a.get("axis", 0))
        elif op == "Unsqueeze":
            out = x[0]
            axes = sorted(int(v) % (out.ndim + len(x[1])) for v in x[1])
            for ax in axes:
                out = np.expand_dims(out, ax)
        elif op == "Squeeze":
            out = np.squeeze(x[0], axis=tuple(int(v) for v in x[1]))
        elif op == "Concat":
            out = np.concatenate(x, axis=a["axis"])
        elif op == "Reshape":
            shape = [int(s) for s in x[1]]
            shape = [x[0].shape[i] if s == 0 and not a.get("allowzero", 0) else s
                     for i, s in enumerate(shape)]
            out = x[0].reshape(shape)
        elif op == "Transpose":
            out = np.transpose(x[0], a.get("perm"))
        elif op == "Slice":
            data, starts, ends = x[0], x[1], x[2]
            axes = x[3] if len(x) > 3 and x[3] is not None else range(len(starts))
            steps = x[4] if len(x) > 4 and x[4] is not None else [1] * len(starts)
            sl = [slice(None)] * data.ndim
            for s, e, ax, st in zip(starts, ends, axes, steps):
                sl[int(ax)] = slice(int(s), int(e), int(st))
            out = data[tuple(sl)]
        elif op == "Range":
            out = np.arange(x[0], x[1], x[2]).astype(x[0].dtype)
        elif op == "Cast":
            dt = _ONNX_TO_NP[a["to"]]
            if np.issubdtype(dt, np.floating) and np.issubdtype(x[0].dtype, np.floating):
                out = x[0]  # float -> float: keep the evaluation precision
            else:
                out = fl(x[0].astype(dt))
        elif op == "Not":
            out = np.logical_not(x[0])
        elif op in ("Equal", "Less", "Greater"):
            out = {"Equal": np.equal, "Less": np.less, "Greater": np.greater}[op](x[0], x[1])
        elif op == "Where":
            out = np.where(x[0], x[1], x[2])
        elif op == "ConstantOfShape":
            value = onnx.numpy_helper.to_array(a["value"]) if "value" in a else np.zeros(1, np.float32)
            out = fl(np.full(tuple(int(v) for v in x[0]), value.reshape(-1)[0], value.dtype))
        elif op == "Expand":
            out = x[0] * np.ones(tuple(int(v) for v in x[1]), dtype=x[0].dtype)
        elif op in ("Add", "Sub", "Mul", "Div", "Pow"):
            f = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide,
                 "Pow": np.power}[op]
            if op == "Div" and np.issubdtype(x[0].dtype, np.integer):
                out = np.floor_divide(x[0], x[1])
            else:
                out = f(x[0], x[1])
        elif op in ("Sqrt", "Exp", "Sin", "Cos", "Tanh"):
            out = {"Sqrt": np.sqrt, "Exp": np.exp, "Sin": np.sin, "Cos": np.cos,
                   "Tanh": np.tanh}[op](x[0])
        elif op == "Reciprocal":
            out = 1 / x[0]
        elif op == "Flatten":
            axis = a.get("axis", 1) % (x[0].ndim + 1)
            out = x[0].reshape(int(np.prod(x[0].shape[:axis])), -1)
        elif op == "Erf":
            out = _ERF(x[0]).astype(x[0].dtype)
        elif op == "MatMul":
            out = np.matmul(x[0], x[1])
        elif op == "Einsum":
            out = np.einsum(a["equation"].decode() if isinstance(a["equation"], bytes)
                            else a["equation"], *x)
        elif op == "ReduceMean":
            axes = tuple(a["axes"]) if "axes" in a else (
                tuple(int(v) for v in x[1]) if len(x) > 1 else None)
            out = np.mean(x[0], axis=axes, keepdims=bool(a.get("keepdims", 1)))
        elif op == "LayerNormalization":
            axis = a.get("axis", -1) % x[0].ndim
            axes = tuple(range(axis, x[0].ndim))
            mu = x[0].mean(axis=axes, keepdims=True)
            var = ((x[0] - mu) ** 2).mean(axis=axes, keepdims=True)
            out = (x[0] - mu) / np.sqrt(var + a.get("epsilon", 1e-5)) * x[1]
            if len(x) > 2 and x[2] is not None:
                out = out + x[2]
        elif op == "Conv":  # pointwise Conv1d only (impl f's hypernetworks)
            w = x[1]
            if (w.ndim != 3 or w.shape[2] != 1 or any(s != 1 for s in a.get("strides", [1]))
                    or any(p != 0 for p in a.get("pads", [0, 0]))):
                raise NotImplementedError(f"onnx_eval: Conv ({node.name}) is not pointwise 1-D")
            groups = a.get("group", 1)
            batch, channels, n = x[0].shape
            out = np.einsum("bgin,goi->bgon", x[0].reshape(batch, groups, -1, n),
                            w[:, :, 0].reshape(groups, w.shape[0] // groups, -1))
            out = out.reshape(batch, w.shape[0], n)
            if len(x) > 2 and x[2] is not None:
                out = out + x[2][None, :, None]
        elif op == "Identity":
            out = x[0]
        elif op == "ScatterND":
            out = x[0].copy()
            k = x[1].shape[-1]
            for index, update in zip(x[1].reshape(-1, k),
                                     x[2].reshape((-1,) + x[0].shape[k:])):
                out[tuple(index)] = update
        else:
            raise NotImplementedError(f"onnx_eval: op {op} ({node.name}) not supported")
        if len(node.output) != 1:
            raise NotImplementedError(f"onnx_eval: multi-output {op}")
        env[node.output[0]] = out
    return {o.name: env[o.name] for o in model.graph.output}
