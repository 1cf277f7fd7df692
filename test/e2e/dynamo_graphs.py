"""ONNX graphs in the form torch.onnx.export(..., dynamo=True) writes them (torch 2.9 and
later: opset 18, or 22 in newer releases, ir_version 10), for the reference modules of
hypermixing_models.py, nlu_models.py and asr_models.py and for nn.MultiheadAttention,
their seeded weights copied into the initializers. torch 1.13 cannot run that exporter,
so the graphs are built node by node, each aten op as its torchlib translation
(onnxscript's torch_lib/ops, and torch's own torch/onnx/_internal/exporter/_torchlib for
Gelu) writes it:

  aten_linear       MatMul(x, Transpose(weight)) + bias, the Transpose folded into an
                    initializer by the optimizer; for 3-D inputs also Reshape + Gemm(transB=1)
                    + Reshape, as the view / addmm / view decomposition of linear leaves it;
                    a 2-D input: Gemm(transB=1)
  aten_layer_norm   LayerNormalization with 3 outputs, mean and inverse deviation unread
  aten_gelu         Gelu at opset >= 20; below, 0.5 * x * (1 + Erf(x / sqrt(2)))
  aten_glu          Split(num_outputs=2), then Mul(first, Sigmoid(second))
  aten_silu         Mul(x, Sigmoid(x))
  aten_sym_size     Squeeze(Shape(x, start=d, end=d + 1)); in a shape (common_ops.merge_dims)
                    every run-time size is Reshape(size, [-1]), every static one a Constant
  aten_masked_fill  Where(mask, CastLike(value, x), x)
  aten_clamp        Clip(x, CastLike(min, x))
  aten_arange       Range(CastLike(0.0, n), n, CastLike(1.0, n))
  aten_slice        Slice, every bound through Cast(to=INT64) + Reshape([-1])
  aten_view         Reshape(allowzero=1); aten_reshape: Reshape
  aten_unflatten    Reshape(allowzero=1) to Concat(head of Shape(x), sizes); it also slices
                    the tail of the shape, unread when the last axis is unflattened
  aten_unbind       along a static axis (torch 2.7 on): Split(num_outputs), a Squeeze each
  aten_zeros_like   Expand(Cast(0, to=dtype), Shape(x))
  aten_expand       Expand(x, merge_dims(sizes)), each -1 written as 1
  aten_baddbmm      Add(MatMul(batch1, batch2), self) when alpha and beta are 1
  aten_mean_dim     ReduceMean(x, Reshape(dims, [-1]), keepdims)
  aten_scaled_dot_product_attention (float mask, opset < 23): Softmax(q' k'^T + mask) v
                    with sqrt(scale) multiplied into q and into k, k transposed through a
                    3-D Reshape, scale = 1 / sqrt(q's last size) computed from Shape(q)
  aten_clone, aten_contiguous: Identity
  aten_einsum, aten_bmm, aten_matmul, aten_index, aten_embedding, aten_convolution,
  aten_select:      Einsum, MatMul, MatMul, Gather, Gather, Conv (with kernel_shape),
                    Gather with a scalar index

Each builder writes one of the two forms the exporter's `optimize` option gives:
optimize=True (its default) lifts constants into deduplicated initializers, folds weight
Transposes, bias Unsqueezes and CastLikes, drops no-op Slices and Identities, reduces
sizes in shapes to Shape slices, folds shapes of constants (and attention's scale) into
one constant, merges consecutive Unsqueezes, shares identical position tables and their
Gathers, removes unread nodes and names the unread LayerNormalization outputs "";
optimize=False keeps constants as Constant nodes, unread nodes, and every expansion as
torchlib writes it (the tracer only drops a CastLike between two values of one type, so
those of Python scalars stay).
"""
import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

import asr_models
import hypermixing_models
import nlu_models

FLOAT, INT64, BOOL = TensorProto.FLOAT, TensorProto.INT64, TensorProto.BOOL
INT64_MAX = 9223372036854775807
B, N = "s0", "s1"  # the exporter's names for the dynamic batch and length


def weights(tensor):
    return tensor.detach().cpu().numpy().astype(np.float32)


def _require(module, cls):
    # The builders read the module's parameters and options by their attribute names.
    if not isinstance(module, cls):
        raise TypeError(f"expected a {cls.__name__}, not {type(module).__name__}")


class GraphBuilder:
    """Nodes, initializers and value names as the exporter writes them: values are named
    after their FX nodes (linear, linear_1, ...) or val_<n>, nodes node_<first output>.
    With optimize=True it also does what the optimizer's last passes do: initializers of
    equal contents become one (DeduplicateInitializersPass) and so do nodes of equal
    inputs and attributes (CommonSubexpressionEliminationPass)."""

    def __init__(self, optimize=True):
        self.optimize = optimize
        self.nodes, self.initializers, self.value_info = [], [], []
        self.inputs, self.outputs = [], []
        self._taken, self._counts, self._contents, self._computed = set(), {}, {}, {}

    def fresh(self, base):
        i = self._counts.get(base, 0)
        name = base if i == 0 else f"{base}_{i}"
        while name in self._taken:
            i += 1
            name = f"{base}_{i}"
        self._counts[base] = i + 1
        self._taken.add(name)
        return name

    def input(self, name, dtype, shape):
        self._taken.add(name)
        self.inputs.append(helper.make_tensor_value_info(name, dtype, shape))
        return name

    def initializer(self, name, array):
        array = np.array(array, order="C")  # (ascontiguousarray makes scalars 1-D)
        key = (array.dtype.str, array.shape, array.tobytes())
        if self.optimize and key in self._contents:
            return self._contents[key]
        self._contents[key] = name
        self._taken.add(name)
        self.initializers.append(numpy_helper.from_array(array, name))
        return name

    def const(self, value, dtype=np.int64):
        array = np.asarray(value, dtype)
        if not self.optimize:
            name = self.fresh("val")
            # merge_dims and aten_slice write 1-D int64 constants as value_ints
            attrs = (dict(value_ints=array.tolist()) if array.dtype == np.int64 and
                     array.ndim == 1 else dict(value=numpy_helper.from_array(array)))
            self.nodes.append(helper.make_node("Constant", [], [name], name=f"node_{name}",
                                               **attrs))
            return name
        return self.initializer(self.fresh("val"), array)  # lifted

    def op(self, op_type, inputs, base="val", outputs=1, shape=None, dtype=FLOAT, **attrs):
        """Appends a node; `outputs` is a count or the list of output names. Returns the
        output name, or the list of them for several. `shape` records the first output's
        value_info."""
        key = (op_type, tuple(inputs), repr(sorted(attrs.items())))
        if self.optimize and isinstance(outputs, int) and key in self._computed:
            return self._computed[key]
        names = outputs if isinstance(outputs, list) else \
            [self.fresh(base)] + [self.fresh("val") for _ in range(outputs - 1)]
        self._computed[key] = names[0] if len(names) == 1 else names
        self.nodes.append(helper.make_node(op_type, inputs, names, name=f"node_{names[0]}",
                                           **attrs))
        if shape is not None:
            self.value_info.append(helper.make_tensor_value_info(names[0], dtype, shape))
        return names[0] if len(names) == 1 else names

    def output(self, name, dtype, shape):
        self.outputs.append(helper.make_tensor_value_info(name, dtype, shape))

    def save(self, path, opset):
        graph = helper.make_graph(self.nodes, "main_graph", self.inputs, self.outputs,
                                  self.initializers, value_info=self.value_info)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                                  producer_name="pytorch", producer_version="2.9.0")
        model.ir_version = 10
        onnx.save(model, path)
        return path


class SymSize:
    """x.shape[dim] at run time (aten_sym_size): one Squeeze(Shape) where a scalar is
    wanted; in shapes Reshape(scalar, [-1]), which the optimizer reduces to the 1-D Shape
    slice itself."""

    def __init__(self, g, x, dim):
        self.g, self.x, self.dim = g, x, dim
        self._scalar = None  # the FX graph's one sym_size node

    def _shape_slice(self):
        return self.g.op("Shape", [self.x], start=self.dim, end=self.dim + 1, dtype=INT64)

    def scalar(self):
        if self._scalar is None:
            self._scalar = self.g.op("Squeeze", [self._shape_slice()], "sym_size_int",
                                     shape=[], dtype=INT64)
        return self._scalar

    def vector(self):
        if self.g.optimize:
            return self._shape_slice()
        return self.g.op("Reshape", [self.scalar(), self.g.const([-1])], dtype=INT64)


def merge_dims(g, dims):
    """A shape from ints, SymSizes and int64 scalars (common_ops.merge_dims); the optimizer
    folds a shape of ints alone into one constant."""
    if g.optimize and all(isinstance(d, int) for d in dims):
        return g.const(list(dims))
    parts = []
    for d in dims:
        if isinstance(d, int):
            parts.append(g.const([d]))
        elif isinstance(d, SymSize):
            parts.append(d.vector())
        else:
            parts.append(g.op("Reshape", [d, g.const([-1])], dtype=INT64))
    return g.op("Concat", parts, dtype=INT64, axis=0)


def reshape(g, x, dims, view, base="reshape", shape=None):
    """aten_view (allowzero=1; torch.export may turn reshape into view) or aten_reshape."""
    attrs = dict(allowzero=1) if view else {}
    return g.op("Reshape", [x, merge_dims(g, dims)], "view" if view else base, shape=shape,
                **attrs)


def slice_(g, x, dim, start, end, shape=None):
    """aten_slice with step 1; `end` an int or a SymSize."""
    if g.optimize:
        ends = end.vector() if isinstance(end, SymSize) else g.const([end])
        bounds = [g.const([start]), ends, g.const([dim]), g.const([1])]
    else:
        def bound(v):
            v = v.scalar() if isinstance(v, SymSize) else g.const(v)
            return g.op("Reshape", [g.op("Cast", [v], to=INT64, dtype=INT64),
                                    g.const([-1])], dtype=INT64)
        bounds = [bound(start), bound(end), bound(dim), bound(1)]
    return g.op("Slice", [x, *bounds], "slice", shape=shape)


def gelu(g, x, opset, shape=None):
    """Exact GELU: torch's exporter writes ONNX Gelu where the opset has it (20)."""
    if opset >= 20:
        return g.op("Gelu", [x], "gelu", shape=shape, approximate="none")
    inner = g.op("Div", [x, g.const(1.4142135623730951, np.float32)], "div")
    inner = g.op("Erf", [inner], "erf")
    inner = g.op("Add", [inner, g.const(1.0, np.float32)], "add")
    inner = g.op("Mul", [g.const(0.5, np.float32), inner], "mul")
    return g.op("Mul", [x, inner], "gelu", shape=shape)


def silu(g, x, shape=None):
    return g.op("Mul", [x, g.op("Sigmoid", [x], "sigmoid")], "silu", shape=shape)


def glu(g, x, axis, shape=None):
    first, second = g.op("Split", [x], "split", outputs=2, axis=axis, num_outputs=2)
    return g.op("Mul", [first, g.op("Sigmoid", [second], "sigmoid")], "glu", shape=shape)


def cast_like(g, value, like):
    """A Python scalar in the type of `like`: CastLike(Constant, like), folded away by the
    optimizer."""
    return g.const(value, np.float32) if g.optimize else \
        g.op("CastLike", [g.const(value, np.float32), like])


def masked_fill(g, x, mask, value, shape=None):
    return g.op("Where", [mask, cast_like(g, value, x), x], "masked_fill", shape=shape)


def clamp_min(g, x, low, shape=None):
    return g.op("Clip", [x, cast_like(g, low, x)], "clamp", shape=shape)


def arange(g, n):
    """torch.arange(n) for an int64 SymSize n."""
    if g.optimize:
        return g.op("Range", [g.const(0), n.scalar(), g.const(1)], "arange", shape=[N],
                    dtype=INT64)
    start, step = (g.op("CastLike", [g.const(v, np.float32), n.scalar()]) for v in (0, 1))
    return g.op("Range", [start, n.scalar(), step], "arange", shape=[N], dtype=INT64)


def _linear_matmul(g, x, w, bias, weight_name, bias_name, shape=None):
    """aten_linear on a 3-D input: MatMul(x, Transpose(weight)) + bias."""
    if g.optimize:
        wt = g.initializer(g.fresh("val"), w.T)
    else:
        wt = g.op("Transpose", [g.initializer(weight_name, w)], perm=[1, 0])
    product = g.op("MatMul", [x, wt])
    return g.op("Add", [product, g.initializer(bias_name, bias)], "linear", shape=shape)


def linear(g, x, module, prefix, style, dims=None, shape=None):
    """nn.Linear on a 3-D input [B, N, in]. style "matmul": MatMul with the transposed
    weight (an initializer once optimized, a Transpose of the state-dict weight before);
    "gemm": Reshape to rows, Gemm(transB=1) on the state-dict weight, Reshape back to
    merge_dims(dims + [out]); dims = (SymSize B, SymSize N)."""
    w, bias = weights(module.weight), weights(module.bias)
    if style == "matmul":
        return _linear_matmul(g, x, w, bias, prefix + ".weight", prefix + ".bias", shape)
    if style != "gemm":
        raise ValueError(f"linear style must be 'matmul' or 'gemm', not {style!r}")
    rows = g.op("Reshape", [x, g.const([-1, w.shape[1]])], "view", allowzero=1)
    product = g.op("Gemm", [rows, g.initializer(prefix + ".weight", w),
                            g.initializer(prefix + ".bias", bias)], "addmm", transB=1)
    return reshape(g, product, [*dims, w.shape[0]], view=True, shape=shape)


def layer_norm(g, x, module, prefix, shape=None):
    """The mean and inverse deviation outputs are named but unread before optimization;
    the optimizer's unused-value removal leaves them ""."""
    y = g.fresh("layer_norm")
    outputs = [y, "", ""] if g.optimize else [y, g.fresh("val"), g.fresh("val")]
    g.op("LayerNormalization", [x, g.initializer(prefix + ".weight", weights(module.weight)),
                                g.initializer(prefix + ".bias", weights(module.bias))],
         outputs=outputs, axis=-1, epsilon=float(module.eps))
    if shape is not None:
        g.value_info.append(helper.make_tensor_value_info(y, FLOAT, shape))
    return y


def conv1d(g, x, module, prefix, shape=None):
    k = module.kernel_size[0]
    return g.op("Conv", [x, g.initializer(prefix + ".weight", weights(module.weight)),
                         g.initializer(prefix + ".bias", weights(module.bias))], "conv1d",
                shape=shape, strides=list(module.stride), pads=[module.padding[0]] * 2,
                dilations=list(module.dilation), group=module.groups, kernel_shape=[k])


def _unsqueezed_bias(g, bias, name):
    """bias.unsqueeze(1), folded into an initializer by the optimizer."""
    if g.optimize:
        return g.initializer(g.fresh("unsqueeze"), weights(bias.unsqueeze(1)))
    return g.op("Unsqueeze", [g.initializer(name, weights(bias)), g.const([1])], "unsqueeze")


def _grouped_hyper_network(g, h_in, net, prefix, heads, opset):
    """hypermixing_models._GroupedHyperNetwork: [B, N, h, d_h] -> [B, h, N, k_h]."""
    hidden = g.op("Einsum", [h_in, g.initializer(prefix + ".w1", weights(net.w1))],
                  "einsum", equation="blmf,mhf->bmlh")
    hidden = g.op("Add", [hidden, _unsqueezed_bias(g, net.b1, prefix + ".b1")], "add")
    hidden = gelu(g, hidden, opset)
    out = g.op("Einsum", [hidden, g.initializer(prefix + ".w2", weights(net.w2))], "einsum",
               equation="bmlf,mhf->bmlh")
    return g.op("Add", [out, _unsqueezed_bias(g, net.b2, prefix + ".b2")], "add",
                shape=[B, heads, N, net.w2.shape[1]])


def multi_head_hyper_mixing(module, path, opset, optimize=True, view=False):
    """hypermixing_models.MultiHeadHyperMixing (impl "a", mask_apply "multiply" or "fill"):
    inputs x [B, N, d] and key_padding_mask [B, N] bool; view=True writes its reshapes as
    views."""
    _require(module, hypermixing_models.MultiHeadHyperMixing)
    if module.positions != "table" or module.mask_apply not in ("multiply", "fill"):
        raise ValueError("multi_head_hyper_mixing() writes table positions and masks "
                         "applied by multiply or fill only")
    g = GraphBuilder(optimize)
    d, h, d_h, k_h = module.d, module.heads, module.d_h, module.k_h
    x = g.input("x", FLOAT, [B, N, d])
    padded = g.input("key_padding_mask", BOOL, [B, N])
    b, n = SymSize(g, x, 0), SymSize(g, x, 1)
    fill = module.mask_apply == "fill"
    if fill:
        padded3 = g.op("Unsqueeze", [padded, g.const([-1])], "unsqueeze", dtype=BOOL)
        x = masked_fill(g, x, padded3, 0.0, shape=[B, N, d])
    else:
        valid = g.op("Cast", [g.op("Not", [padded], "bitwise_not", dtype=BOOL)], "_to_copy",
                     to=FLOAT, shape=[B, N])
        x = g.op("Mul", [x, g.op("Unsqueeze", [valid, g.const([-1])], "unsqueeze")], "mul",
                 shape=[B, N, d])
    table = g.initializer("pe", weights(module.pe))
    if not optimize:  # pe[:, :N] also slices axis 0 whole
        table = slice_(g, table, 0, 0, INT64_MAX)
    positions = slice_(g, table, 1, 0, n, shape=[1, N, d])
    h_in = g.op("Add", [x, positions], "add", shape=[B, N, d])
    h_in = reshape(g, h_in, [b, n, h, d_h], view, shape=[B, N, h, d_h])
    w1 = _grouped_hyper_network(g, h_in, module.hyper_w1, "hyper_w1", h, opset)
    w2 = w1 if module.tied else \
        _grouped_hyper_network(g, h_in, module.hyper_w2, "hyper_w2", h, opset)
    if fill:  # key_padding_mask[:, None, :, None]
        padded4 = g.op("Unsqueeze", [g.op("Unsqueeze", [padded, g.const([1])], "unsqueeze",
                                          dtype=BOOL), g.const([3])], "unsqueeze", dtype=BOOL)
        w1, w2 = (masked_fill(g, w, padded4, 0.0) for w in (w1, w2))
    else:
        valid4 = g.op("Unsqueeze", [g.op("Unsqueeze", [valid, g.const([1])], "unsqueeze"),
                                    g.const([-1])], "unsqueeze", shape=[B, 1, N, 1])
        w1, w2 = (g.op("Mul", [w, valid4], "mul") for w in (w1, w2))
    bh = g.op("Mul", [b.scalar(), g.const(h)], "mul", shape=[], dtype=INT64)
    merged = [f"{h}*{B}", N, k_h]
    w1, w2 = (reshape(g, w, [bh, n, k_h], view, shape=merged) for w in (w1, w2))
    tokens = reshape(g, x, [b, n, h, d_h], view)
    tokens = g.op("Transpose", [tokens], "permute", perm=[0, 2, 3, 1])
    tokens = reshape(g, tokens, [bh, d_h, n], view, shape=[f"{h}*{B}", d_h, N])
    z = gelu(g, g.op("MatMul", [tokens, w1], "bmm"), opset, shape=[f"{h}*{B}", d_h, k_h])
    zt = g.op("Transpose", [z], "transpose", perm=[0, 2, 1])
    y = g.op("MatMul", [w2, zt], "bmm", shape=[f"{h}*{B}", N, d_h])
    y = reshape(g, y, [b, h, n, d_h], view)
    y = g.op("Transpose", [y], "transpose", perm=[0, 2, 1, 3])
    y = reshape(g, y, [b, n, d], view, shape=[B, N, d])
    y = layer_norm(g, y, module.norm, "norm")
    g.output(y, FLOAT, [B, N, d])
    return g.save(path, opset)


def _token_mixing(g, module, x, valid3, n, prefix, opset, style, dims):
    """hypermixing_models.HyperMixerTokenMixing (impl "b", mask_apply "multiply") on
    x [B, N, d] with valid3 [B, N, 1] float."""
    if module.mask_apply != "multiply" or module.token_scale != 1.0:
        raise ValueError("token mixing is written for masks applied by multiply, "
                         "tokens unscaled")
    d, k = module.d, module.k
    x = g.op("Mul", [x, valid3], "mul", shape=[B, N, d])
    # positions[arange(N)]; the layers' tables are equal, so optimized they are one
    table = g.initializer(prefix + "positions", weights(module.positions))
    positions = g.op("Gather", [table, arange(g, n)], "index", shape=[N, d], axis=0)
    h_in = g.op("Add", [x, positions], "add", shape=[B, N, d])

    def hyper(lin_in, lin_out, name_in, name_out):
        hidden = linear(g, h_in, lin_in, prefix + name_in, style, dims,
                        shape=[B, N, module.hidden])
        hidden = gelu(g, hidden, opset, shape=[B, N, module.hidden])
        return linear(g, hidden, lin_out, prefix + name_out, style, dims, shape=[B, N, k])

    w1 = hyper(module.w1_in, module.w1_out, "w1_in", "w1_out")
    w2 = w1 if module.tied else hyper(module.w2_in, module.w2_out, "w2_in", "w2_out")
    w1, w2 = (g.op("Mul", [w, valid3], "mul", shape=[B, N, k]) for w in (w1, w2))
    z = g.op("MatMul", [g.op("Transpose", [w1], "transpose", perm=[0, 2, 1]), x], "matmul")
    z = gelu(g, z, opset, shape=[B, k, d])
    y = g.op("MatMul", [w2, z], "matmul", shape=[B, N, d])
    if module.layer_norm is not None:
        y = layer_norm(g, y, module.layer_norm, prefix + "layer_norm", shape=[B, N, d])
    return y


def token_mixing(module, path, opset, style="matmul", optimize=True):
    """hypermixing_models.HyperMixerTokenMixing: inputs x [B, N, d], mask [B, N] float."""
    _require(module, hypermixing_models.HyperMixerTokenMixing)
    g = GraphBuilder(optimize)
    x = g.input("x", FLOAT, [B, N, module.d])
    mask = g.input("mask", FLOAT, [B, N])
    b, n = SymSize(g, x, 0), SymSize(g, x, 1)
    valid3 = g.op("Unsqueeze", [mask, g.const([2])], "unsqueeze", shape=[B, N, 1])
    y = _token_mixing(g, module, x, valid3, n, "", opset, style, (b, n))
    g.output(y, FLOAT, [B, N, module.d])
    return g.save(path, opset)


def classifier(model, path, opset, style="matmul", optimize=True):
    """nlu_models.HyperMixerClassifier, pre-LN with mean pooling and neither segments nor
    learned positions: inputs input_ids and attention_mask [B, N] int64."""
    _require(model, nlu_models.HyperMixerClassifier)
    if not model.pre_ln or model.pooling != "mean" or model.segment_embedding is not None \
            or model.position_embedding is not None or model.mask_from != "attention_mask":
        raise ValueError("classifier() writes pre-LN, mean-pooled models only")
    g = GraphBuilder(optimize)
    d = model.embedding.embedding_dim
    ids = g.input("input_ids", INT64, [B, N])
    attention_mask = g.input("attention_mask", INT64, [B, N])
    b, n = SymSize(g, ids, 0), SymSize(g, ids, 1)
    x = g.op("Gather", [g.initializer("embedding.weight", weights(model.embedding.weight)),
                        ids], "embedding", shape=[B, N, d])
    mask = g.op("Cast", [attention_mask], "_to_copy", to=FLOAT, shape=[B, N])
    valid3 = g.op("Unsqueeze", [mask, g.const([2])], "unsqueeze", shape=[B, N, 1])
    for i, layer in enumerate(model.layers):
        p = f"layers.{i}."
        y = layer_norm(g, x, layer.mixing_norm, p + "mixing_norm", shape=[B, N, d])
        y = _token_mixing(g, layer.mixing, y, valid3, n, p + "mixing.", opset, style, (b, n))
        x = g.op("Add", [x, y], "add", shape=[B, N, d])
        f = layer.mlp.fc1.out_features
        y = layer_norm(g, x, layer.mlp_norm, p + "mlp_norm", shape=[B, N, d])
        y = linear(g, y, layer.mlp.fc1, p + "mlp.fc1", style, (b, n), shape=[B, N, f])
        y = gelu(g, y, opset, shape=[B, N, f])
        y = linear(g, y, layer.mlp.fc2, p + "mlp.fc2", style, (b, n), shape=[B, N, d])
        x = g.op("Add", [x, y], "add", shape=[B, N, d])
    x = layer_norm(g, x, model.final_norm, "final_norm", shape=[B, N, d])
    # (x * m).sum(1) / m.sum(1).clamp(min=1.0), m = mask.unsqueeze(-1)
    m = g.op("Unsqueeze", [mask, g.const([-1])], "unsqueeze", shape=[B, N, 1])
    total = g.op("ReduceSum", [g.op("Mul", [x, m], "mul"), g.const([1])], "sum_1",
                 keepdims=0, shape=[B, d])
    count = g.op("ReduceSum", [m, g.const([1])], "sum_2", keepdims=0, shape=[B, 1])
    pooled = g.op("Div", [total, clamp_min(g, count, 1.0, shape=[B, 1])], "div",
                  shape=[B, d])
    logits = g.op("Gemm", [pooled, g.initializer("classifier.weight",
                                                 weights(model.classifier.weight)),
                           g.initializer("classifier.bias", weights(model.classifier.bias))],
                  "linear", transB=1)
    g.output(logits, FLOAT, [B, model.classifier.out_features])
    return g.save(path, opset)


def conv_module(module, path, opset, optimize=True):
    """asr_models.ConvModule (Conformer convolution): inputs x [B, N, d] and
    key_padding_mask [B, N] bool."""
    _require(module, asr_models.ConvModule)
    g = GraphBuilder(optimize)
    d = module.norm.normalized_shape[0]
    x = g.input("x", FLOAT, [B, N, d])
    padded = g.input("key_padding_mask", BOOL, [B, N])
    y = layer_norm(g, x, module.norm, "norm", shape=[B, N, d])
    y = g.op("Transpose", [y], "transpose", perm=[0, 2, 1], shape=[B, d, N])
    y = conv1d(g, y, module.pointwise, "pointwise", shape=[B, 2 * d, N])
    y = glu(g, y, 1, shape=[B, d, N])
    y = conv1d(g, y, module.depthwise, "depthwise", shape=[B, d, N])
    y = g.op("Transpose", [y], "transpose", perm=[0, 2, 1], shape=[B, N, d])
    y = silu(g, layer_norm(g, y, module.after_norm, "after_norm"), shape=[B, N, d])
    y = linear(g, y, module.out, "out", "matmul", shape=[B, N, d])
    padded3 = g.op("Unsqueeze", [padded, g.const([-1])], "unsqueeze", dtype=BOOL,
                   shape=[B, N, 1])
    y = masked_fill(g, y, padded3, 0.0, shape=[B, N, d])
    g.output(y, FLOAT, [B, N, d])
    return g.save(path, opset)


def norms(module, path, opset, optimize=True):
    """A module with .group (nn.GroupNorm over [B, C, N]) and an RMS norm over the
    channels (.rms_weight, .eps), at opset >= 23: aten_group_norm writes
    GroupNormalization from opset 21 on, aten_rms_norm RMSNormalization from 23; inputs
    x [B, N, C] and key_padding_mask [B, N] bool."""
    g = GraphBuilder(optimize)
    c = module.group.num_channels
    x = g.input("x", FLOAT, [B, N, c])
    padded = g.input("key_padding_mask", BOOL, [B, N])
    y = g.op("Transpose", [x], "transpose", perm=[0, 2, 1], shape=[B, c, N])
    y = g.op("GroupNormalization",
             [y, g.initializer("group.weight", weights(module.group.weight)),
              g.initializer("group.bias", weights(module.group.bias))],
             "group_norm", num_groups=module.group.num_groups,
             epsilon=float(module.group.eps), shape=[B, c, N])
    y = g.op("Transpose", [y], "transpose", perm=[0, 2, 1], shape=[B, N, c])
    y = g.op("RMSNormalization", [y, g.initializer("rms_weight", weights(module.rms_weight))],
             "rms_norm", axis=-1, epsilon=float(module.eps), shape=[B, N, c])
    padded3 = g.op("Unsqueeze", [padded, g.const([-1])], "unsqueeze", dtype=BOOL,
                   shape=[B, N, 1])
    y = masked_fill(g, y, padded3, 0.0, shape=[B, N, c])
    g.output(y, FLOAT, [B, N, c])
    return g.save(path, opset)


def _padding_mask_4d(g, padded):
    """key_padding_mask[:, None, None, :]: the whole-axis Slices of axes 0 and 3 around two
    Unsqueezes; the optimizer drops the Slices and merges the Unsqueezes."""
    if g.optimize:
        return g.op("Unsqueeze", [padded, g.const([1, 2])], "unsqueeze", dtype=BOOL,
                    shape=[B, 1, 1, N])
    mask = slice_(g, padded, 0, 0, INT64_MAX)
    mask = g.op("Unsqueeze", [mask, g.const([1])], "unsqueeze", dtype=BOOL)
    mask = g.op("Unsqueeze", [mask, g.const([2])], "unsqueeze", dtype=BOOL)
    return slice_(g, mask, 3, 0, INT64_MAX, shape=[B, 1, 1, N])


def self_attention(module, path, opset, optimize=True):
    """asr_models.SelfAttention: inputs x [B, N, d] and key_padding_mask [B, N] bool. Its
    reshapes become views as ATen's reshape decomposes them: the first of a contiguous
    tensor a view, the second, after a transpose, a clone (Identity) and an _unsafe_view;
    unpacking the permuted qkv is Tensor.__iter__, an unbind over the static axis 0:
    Split(num_outputs=3) and a Squeeze per part."""
    _require(module, asr_models.SelfAttention)
    g = GraphBuilder(optimize)
    h, d_h = module.heads, module.d_h
    d = h * d_h
    x = g.input("x", FLOAT, [B, N, d])
    padded = g.input("key_padding_mask", BOOL, [B, N])
    b, n = SymSize(g, x, 0), SymSize(g, x, 1)
    qkv = linear(g, x, module.qkv, "qkv", "matmul", shape=[B, N, 3 * d])
    qkv = reshape(g, qkv, [b, n, 3, h, d_h], view=True, shape=[B, N, 3, h, d_h])
    qkv = g.op("Transpose", [qkv], "permute", perm=[2, 0, 3, 1, 4], shape=[3, B, h, N, d_h])
    parts = g.op("Split", [qkv], "split", outputs=3, axis=0, num_outputs=3)
    q, k, v = (g.op("Squeeze", [part, g.const([0])], "getitem", shape=[B, h, N, d_h])
               for part in parts)
    scores = g.op("MatMul", [q, g.op("Transpose", [k], "transpose", perm=[0, 1, 3, 2])],
                  "matmul", shape=[B, h, N, N])
    scores = g.op("Div", [scores, g.const(d_h ** 0.5, np.float32)], "div")
    scores = masked_fill(g, scores, _padding_mask_4d(g, padded), -1e9, shape=[B, h, N, N])
    probs = g.op("Softmax", [scores], "softmax", axis=-1, shape=[B, h, N, N])
    y = g.op("MatMul", [probs, v], "matmul", shape=[B, h, N, d_h])
    y = g.op("Transpose", [y], "transpose", perm=[0, 2, 1, 3], shape=[B, N, h, d_h])
    if not optimize:
        y = g.op("Identity", [y], "clone")
    y = g.op("Reshape", [y, merge_dims(g, [b, n, d])], "_unsafe_view", allowzero=1,
             shape=[B, N, d])
    y = linear(g, y, module.out, "out", "matmul", shape=[B, N, d])
    g.output(y, FLOAT, [B, N, d])
    return g.save(path, opset)


def _unflatten_last(g, x, rank, sizes, shape=None):
    """aten_unflatten of the last axis: the head of Shape(x) and the new sizes concatenated;
    it also slices the (empty) tail of the shape, unread."""
    dim = rank - 1
    size = g.op("Shape", [x], dtype=INT64)
    head = g.op("Slice", [size, g.const([0]), g.op("Reshape", [g.const(dim), g.const([1])],
                                                   dtype=INT64)], dtype=INT64)
    if not g.optimize:
        tail_start = g.op("Reshape", [g.const(dim + 1), g.const([1])], dtype=INT64)
        g.op("Slice", [size, tail_start, g.const([INT64_MAX])], dtype=INT64)
    new = [g.const([s]) if g.optimize else
           g.op("Reshape", [g.const(s), g.const([1])], dtype=INT64) for s in sizes]
    return g.op("Reshape", [x, g.op("Concat", [head, *new], dtype=INT64, axis=0)],
                "unflatten", allowzero=1, shape=shape)


def _sdpa(g, q, k, v, mask, head_dim, shape=None):
    """aten_scaled_dot_product_attention below opset 23 with a float mask and no scale:
    scale = 1 / sqrt(E) from the query's shape, its square root multiplied into the query
    and into the key, transposed through a 3-D Reshape; softmax(q k^T + mask) v. The
    optimizer folds the scale into one constant."""
    if g.optimize:
        scale = np.float32(1.0) / np.sqrt(np.float32(head_dim))
        root = root_k = g.const([np.sqrt(scale)], np.float32)
    else:  # the tracer drops the CastLikes between float32 values
        size = g.op("Gather", [g.op("Shape", [q], dtype=INT64), g.const([-1])], dtype=INT64)
        size = g.op("CastLike", [size, q])
        scale = g.op("Div", [g.const(1.0, np.float32), g.op("Sqrt", [size])])
    key_shape = g.op("Shape", [k], dtype=INT64)
    last = g.op("Slice", [key_shape, g.const([-1]), g.const([INT64_MAX])], dtype=INT64)
    second_last = g.op("Slice", [key_shape, g.const([-2]), g.const([-1])], dtype=INT64)
    first = g.op("Slice", [key_shape, g.const([-INT64_MAX - 1]), g.const([-2])], dtype=INT64)
    kt = g.op("Reshape", [k, g.op("Concat", [g.const([-1]), second_last, last], dtype=INT64,
                                  axis=0)])
    kt = g.op("Transpose", [kt], perm=[0, 2, 1])
    kt = g.op("Reshape", [kt, g.op("Concat", [first, last, second_last], dtype=INT64, axis=0)])
    if not g.optimize:
        root, root_k = g.op("Sqrt", [scale]), g.op("Sqrt", [scale])
    scores = g.op("MatMul", [g.op("Mul", [q, root]), g.op("Mul", [kt, root_k])])
    probs = g.op("Softmax", [g.op("Add", [scores, mask])], axis=-1)
    return g.op("MatMul", [probs, v], "scaled_dot_product_attention", shape=shape)


def multihead_attention(module, path, opset, optimize=True):
    """A module with .attn, an nn.MultiheadAttention(d, heads, batch_first=True) called as
    attn(x, x, x, key_padding_mask=..., need_weights=module.need_weights)[0]: inputs x
    [B, N, d] and key_padding_mask [B, N] bool. Under export it takes
    F.multi_head_attention_forward (the fast path is never taken while tracing):
    _canonical_mask makes the mask float (zeros_like, masked_fill with -inf);
    _in_projection_packed runs linear, unflatten(-1, (3, d)), unsqueeze(0),
    transpose(0, -2), squeeze(-2), contiguous (Identity) and selects q, k, v (Gather);
    the views merge batch and heads, the mask is viewed to [B, 1, 1, N], expanded over
    the heads and reshaped (clone, _unsafe_view) to [B*heads, 1, N]. need_weights=False
    ends in scaled_dot_product_attention on [B, heads, N, d_h]; need_weights=True in
    baddbmm (MatMul + Add), softmax and bmm, and also averages the weights over the heads,
    unread: the optimizer removes them. out_proj on the 2-D rows is Gemm."""
    attn = module.attn
    _require(attn, torch.nn.MultiheadAttention)
    if not attn.batch_first or not attn._qkv_same_embed_dim or attn.in_proj_bias is None \
            or attn.bias_k is not None or attn.add_zero_attn:
        raise ValueError("multihead_attention() writes batch-first self-attention with "
                         "packed, biased projections only")
    g = GraphBuilder(optimize)
    e, h, d_h = attn.embed_dim, attn.num_heads, attn.head_dim
    x = g.input("x", FLOAT, [B, N, e])
    padded = g.input("key_padding_mask", BOOL, [B, N])
    b, n = SymSize(g, x, 0), SymSize(g, x, 1)

    def batch_heads():  # bsz * num_heads, a SymInt product each time it is written
        return g.op("Mul", [b.scalar(), g.const(h)], "mul", shape=[], dtype=INT64)

    def view(t, dims, shape=None):
        return reshape(g, t, dims, view=True, shape=shape)

    zero = g.const(0.0, np.float32) if optimize else \
        g.op("Cast", [g.const(0)], to=FLOAT)
    zeros = g.op("Expand", [zero, g.op("Shape", [padded], dtype=INT64)], "zeros_like",
                 shape=[B, N])
    mask = masked_fill(g, zeros, padded, float("-inf"), shape=[B, N])
    xt = g.op("Transpose", [x], "transpose", perm=[1, 0, 2], shape=[N, B, e])
    proj = _linear_matmul(g, xt, weights(attn.in_proj_weight), weights(attn.in_proj_bias),
                          "attn.in_proj_weight", "attn.in_proj_bias", shape=[N, B, 3 * e])
    proj = _unflatten_last(g, proj, 3, (3, e), shape=[N, B, 3, e])
    proj = g.op("Unsqueeze", [proj, g.const([0])], "unsqueeze", shape=[1, N, B, 3, e])
    proj = g.op("Transpose", [proj], "transpose", perm=[3, 1, 2, 0, 4], shape=[3, N, B, 1, e])
    proj = g.op("Squeeze", [proj, g.const([-2])], "squeeze", shape=[3, N, B, e])
    if not optimize:
        proj = g.op("Identity", [proj], "clone")
    q, k, v = (g.op("Gather", [proj, g.const(i)], "select", axis=0, shape=[N, B, e])
               for i in range(3))
    q, k, v = (g.op("Transpose", [view(t, [n, batch_heads(), d_h])], "transpose",
                    perm=[1, 0, 2], shape=[f"{h}*{B}", N, d_h]) for t in (q, k, v))
    mask = view(mask, [b, 1, 1, n], shape=[B, 1, 1, N])
    mask = g.op("Expand", [mask, merge_dims(g, [1, h, 1, 1])], "expand", shape=[B, h, 1, N])
    if not optimize:
        mask = g.op("Identity", [mask], "clone")
    mask = g.op("Reshape", [mask, merge_dims(g, [batch_heads(), 1, n])], "_unsafe_view",
                allowzero=1, shape=[f"{h}*{B}", 1, N])
    if module.need_weights:
        q = g.op("Mul", [q, g.const((1.0 / d_h) ** 0.5, np.float32)], "mul")
        kt = g.op("Transpose", [k], "transpose", perm=[0, 2, 1])
        scores = g.op("Add", [g.op("MatMul", [q, kt]), mask], "baddbmm",
                      shape=[f"{h}*{B}", N, N])
        probs = g.op("Softmax", [scores], "softmax", axis=-1)
        y = g.op("MatMul", [probs, v], "bmm", shape=[f"{h}*{B}", N, d_h])
        y = g.op("Transpose", [y], "transpose", perm=[1, 0, 2], shape=[N, f"{h}*{B}", d_h])
        rows = g.op("Mul", [n.scalar(), b.scalar()], "mul", shape=[], dtype=INT64)
    else:
        mask = view(mask, [b, h, -1, n], shape=[B, h, 1, N])
        q, k, v = (view(t, [b, h, n, d_h], shape=[B, h, N, d_h]) for t in (q, k, v))
        y = _sdpa(g, q, k, v, mask, d_h, shape=[B, h, N, d_h])
        y = g.op("Transpose", [y], "permute", perm=[2, 0, 1, 3], shape=[N, B, h, d_h])
        rows = g.op("Mul", [b.scalar(), n.scalar()], "mul", shape=[], dtype=INT64)
    if not optimize:
        y = g.op("Identity", [y], "clone")
    y = view(y, [rows, e])
    y = g.op("Gemm", [y, g.initializer("attn.out_proj.weight", weights(attn.out_proj.weight)),
                      g.initializer("attn.out_proj.bias", weights(attn.out_proj.bias))],
             "linear", transB=1)
    y = view(y, [n, b, e], shape=[N, B, e])
    if module.need_weights and not optimize:  # attn_output_weights.mean(dim=1), unread
        averaged = view(probs, [b, h, n, n])
        g.op("ReduceMean", [averaged, g.op("Reshape", [g.const([1]), g.const([-1])],
                                           dtype=INT64)], "mean", keepdims=0)
    y = g.op("Transpose", [y], "transpose", perm=[1, 0, 2], shape=[B, N, e])
    g.output(y, FLOAT, [B, N, e])
    return g.save(path, opset)
