#!/usr/bin/python3
"""Small hand-built ONNX models for the importer's lit tests.

  make_onnx.py KIND OUT.onnx
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def tensor(name, shape, elem=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, elem, shape)


def save(graph, path, opset=17, **kwargs):
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    onnx.save(model, path, **kwargs)


def unsupported(path):
    nodes = [
        helper.make_node("Det", ["x"], ["d1"], name="det_a"),
        helper.make_node("Det", ["x"], ["d2"], name="det_b"),
        helper.make_node("Add", ["d1", "d2"], ["s"], name="add"),
        helper.make_node("Hardmax", ["s"], ["y"], name="hardmax"),
    ]
    graph = helper.make_graph(nodes, "g", [tensor("x", ["B", 3, 3])], [tensor("y", ["B"])])
    save(graph, path)


def external(path):
    rng = np.random.default_rng(3)
    w = numpy_helper.from_array(rng.standard_normal((8, 4)).astype(np.float32), "w")
    b = numpy_helper.from_array(rng.standard_normal((4,)).astype(np.float32), "b")
    nodes = [helper.make_node("MatMul", ["x", "w"], ["t"], name="mm"),
             helper.make_node("Add", ["t", "b"], ["y"], name="add")]
    graph = helper.make_graph(nodes, "g", [tensor("x", ["batch", "seq", 8])],
                              [tensor("y", ["batch", "seq", 4])], initializer=[w, b])
    save(graph, path, save_as_external_data=True, all_tensors_to_one_file=True,
         location=os.path.basename(path) + ".data", size_threshold=0)


def unify(path):
    # x and mask name their dimensions differently; the Mul shows they agree.
    nodes = [helper.make_node("Unsqueeze", ["mask", "axis"], ["m3"], name="unsq"),
             helper.make_node("Mul", ["x", "m3"], ["xm"], name="mul"),
             helper.make_node("Shape", ["xm"], ["shape"], name="shape"),
             helper.make_node("Reshape", ["xm", "shape"], ["y"], name="reshape")]
    axis = numpy_helper.from_array(np.array([-1], dtype=np.int64), "axis")
    graph = helper.make_graph(nodes, "g",
                              [tensor("x", ["batch", "len", 6]), tensor("mask", ["mask_dim0", "mask_dim1"])],
                              [tensor("y", ["batch", "len", 6])], initializer=[axis])
    save(graph, path)


def gelu20(path, approximate=None):
    attrs = {} if approximate is None else {"approximate": approximate}
    nodes = [helper.make_node("Gelu", ["x"], ["y"], name="gelu", **attrs)]
    graph = helper.make_graph(nodes, "g", [tensor("x", ["N", 5])], [tensor("y", ["N", 5])])
    save(graph, path, opset=20)


def gelu_tanh_dynamo(path):
    # nn.GELU(approximate="tanh") as the dynamo exporter decomposes it below
    # opset 20: Pow(x, 3), and sqrt(2 / pi) computed from its constants.
    def scalar(name, value):
        return numpy_helper.from_array(np.array(value, dtype=np.float32), name)
    constants = [scalar("three", 3.0), scalar("kappa", 0.044715), scalar("two", 2.0),
                 scalar("pi", np.pi), scalar("one", 1.0), scalar("half", 0.5)]
    nodes = [helper.make_node("Pow", ["x", "three"], ["cubed"], name="cube"),
             helper.make_node("Mul", ["kappa", "cubed"], ["t1"], name="scale_cube"),
             helper.make_node("Add", ["x", "t1"], ["t2"], name="inner"),
             helper.make_node("Div", ["two", "pi"], ["ratio"], name="ratio"),
             helper.make_node("CastLike", ["ratio", "x"], ["ratio_x"], name="cast"),
             helper.make_node("Sqrt", ["ratio_x"], ["slope"], name="slope"),
             helper.make_node("Mul", ["slope", "t2"], ["t3"], name="argument"),
             helper.make_node("Tanh", ["t3"], ["t4"], name="tanh"),
             helper.make_node("Add", ["t4", "one"], ["t5"], name="one_plus"),
             helper.make_node("Mul", ["x", "t5"], ["t6"], name="times_x"),
             helper.make_node("Mul", ["half", "t6"], ["y"], name="half")]
    graph = helper.make_graph(nodes, "g", [tensor("x", ["N", 5])], [tensor("y", ["N", 5])],
                              initializer=constants)
    save(graph, path, opset=18)


def old_opset(path):
    nodes = [helper.make_node("Identity", ["x"], ["y"], name="id")]
    graph = helper.make_graph(nodes, "g", [tensor("x", [2])], [tensor("y", [2])])
    save(graph, path, opset=10)


def opset11(path):
    # Opset 11 forms: axes and split sizes as attributes; the 2-D Softmax over
    # one axis followed by unit dimensions, and over the last axis by default.
    nodes = [helper.make_node("Unsqueeze", ["x"], ["x4"], name="unsq", axes=[3]),
             helper.make_node("Softmax", ["x4"], ["s4"], name="softmax", axis=2),
             helper.make_node("Squeeze", ["s4"], ["s"], name="sq", axes=[3]),
             helper.make_node("Split", ["s"], ["a", "b"], name="split", axis=2,
                              split=[2, 4]),
             helper.make_node("ReduceSum", ["b"], ["r"], name="sum", axes=[2],
                              keepdims=0),
             helper.make_node("LogSoftmax", ["r"], ["y"], name="logsoftmax")]
    graph = helper.make_graph(nodes, "g", [tensor("x", ["B", 5, 6])],
                              [tensor("y", ["B", 5]), tensor("a", ["B", 5, 2])])
    save(graph, path, opset=11)


def softmax11_flat(path):
    # At opset 11 axis 1 of [B, 5, 6] normalises over 30 values at once.
    nodes = [helper.make_node("Softmax", ["x"], ["y"], name="flat_softmax", axis=1)]
    graph = helper.make_graph(nodes, "g", [tensor("x", ["B", 5, 6])],
                              [tensor("y", ["B", 5, 6])])
    save(graph, path, opset=11)


def compare(path):
    # A padding mask from an int64 attention mask, float thresholds in all
    # four orders, and logic on the results.
    zero = numpy_helper.from_array(np.array(0, dtype=np.int64), "zero")
    half = numpy_helper.from_array(np.array(0.5, dtype=np.float32), "half")
    nodes = [helper.make_node("Equal", ["mask", "zero"], ["pad"], name="is_pad"),
             helper.make_node("Greater", ["x", "half"], ["gt"], name="gt"),
             helper.make_node("GreaterOrEqual", ["x", "half"], ["ge"], name="ge"),
             helper.make_node("Less", ["x", "half"], ["lt"], name="lt"),
             helper.make_node("LessOrEqual", ["x", "half"], ["le"], name="le"),
             helper.make_node("Or", ["pad", "gt"], ["either"], name="either"),
             helper.make_node("And", ["ge", "le"], ["both"], name="both"),
             helper.make_node("Xor", ["lt", "le"], ["one"], name="one")]
    bool_out = [tensor(n, ["B", "N"], TensorProto.BOOL)
                for n in ("pad", "gt", "ge", "lt", "le", "either", "both", "one")]
    graph = helper.make_graph(nodes, "g", [tensor("x", ["B", "N"]),
                                           tensor("mask", ["B", "N"], TensorProto.INT64)],
                              bool_out, initializer=[zero, half])
    save(graph, path)


def reductions(path):
    # Opset 18: ReduceMax and ReduceMin take their axes as an input.
    axes = numpy_helper.from_array(np.array([1], dtype=np.int64), "axes")
    three = numpy_helper.from_array(np.array(3, dtype=np.int64), "three")
    token_axis = numpy_helper.from_array(np.array(-2, dtype=np.int32), "token_axis")
    nodes = [helper.make_node("ReduceMax", ["x", "axes"], ["high"], name="high",
                              keepdims=0),
             helper.make_node("ReduceMin", ["x", "axes"], ["low"], name="low"),
             helper.make_node("ArgMax", ["x"], ["best"], name="best", axis=-1,
                              keepdims=0, select_last_index=1),
             helper.make_node("ArgMin", ["x"], ["worst"], name="worst", axis=1),
             helper.make_node("Mod", ["lengths", "three"], ["floored"], name="floored"),
             helper.make_node("Mod", ["lengths", "three"], ["truncated"], name="truncated",
                              fmod=1),
             helper.make_node("Abs", ["x"], ["magnitude"], name="magnitude"),
             helper.make_node("GlobalAveragePool", ["x"], ["mean_pool"], name="mean_pool"),
             helper.make_node("GlobalMaxPool", ["x"], ["max_pool"], name="max_pool"),
             helper.make_node("CumSum", ["x", "token_axis"], ["from_end"], name="from_end",
                              exclusive=1, reverse=1)]
    graph = helper.make_graph(
        nodes, "g", [tensor("x", ["B", "N", 5]), tensor("lengths", ["B"], TensorProto.INT64)],
        [tensor("high", ["B", 5]), tensor("low", ["B", 1, 5]),
         tensor("best", ["B", "N"], TensorProto.INT64),
         tensor("worst", ["B", 1, 5], TensorProto.INT64),
         tensor("floored", ["B"], TensorProto.INT64),
         tensor("truncated", ["B"], TensorProto.INT64), tensor("magnitude", ["B", "N", 5]),
         tensor("mean_pool", ["B", "N", 1]), tensor("max_pool", ["B", "N", 1]),
         tensor("from_end", ["B", "N", 5])],
        initializer=[axes, three, token_axis])
    save(graph, path, opset=18)


def expand(path):
    # A bool mask [B, N, 1] widened to [B, N, 4], and a float row [6] given
    # leading dimensions [3, 1, 6].
    wide = numpy_helper.from_array(np.array([1, 1, 4], dtype=np.int64), "wide_shape")
    lead = numpy_helper.from_array(np.array([3, 1, 6], dtype=np.int64), "lead_shape")
    nodes = [helper.make_node("Expand", ["mask", "wide_shape"], ["wide"], name="widen"),
             helper.make_node("Expand", ["x", "lead_shape"], ["rows"], name="rows")]
    graph = helper.make_graph(
        nodes, "g", [tensor("mask", ["B", "N", 1], TensorProto.BOOL), tensor("x", [6])],
        [tensor("wide", ["B", "N", 4], TensorProto.BOOL), tensor("rows", [3, 1, 6])],
        initializer=[wide, lead])
    save(graph, path)


def tile(path):
    # Tensor.repeat(1, 3, 2) of [B, 1, 4]: the unit axis broadcasts, the
    # static one is copied.
    repeats = numpy_helper.from_array(np.array([1, 3, 2], dtype=np.int64), "repeats")
    nodes = [helper.make_node("Tile", ["x", "repeats"], ["y"], name="repeat")]
    graph = helper.make_graph(nodes, "g", [tensor("x", ["B", 1, 4])],
                              [tensor("y", ["B", 3, 8])], initializer=[repeats])
    save(graph, path)


def strided_slices(path):
    # ESPnet's subsampled mask m[:, :, :-2:2], a time axis from frame 1 by
    # 3 to its end, torch.flip of a static axis (step -1), and of the
    # dynamic time axis with the static one in the same Slice.
    big = np.iinfo(np.int64).max
    consts = {
        "s0": [0], "e_crop": [-2], "a2": [2], "k2": [2],
        "s1": [1], "e_end": [big], "a1": [1], "k3": [3],
        "s_last": [-1], "e_first": [-big], "a_feat": [2], "k_back": [-1],
        "s_both": [-1, -1], "e_both": [-big, -big], "a_both": [1, 2], "k_both": [-1, -1],
    }
    init = [numpy_helper.from_array(np.array(v, dtype=np.int64), k)
            for k, v in consts.items()]
    nodes = [
        helper.make_node("Slice", ["m", "s0", "e_crop", "a2", "k2"], ["m2"], name="subsample"),
        helper.make_node("Slice", ["x", "s1", "e_end", "a1", "k3"], ["x3"], name="every_third"),
        helper.make_node("Slice", ["x", "s_last", "e_first", "a_feat", "k_back"], ["flip"],
                         name="flip"),
        helper.make_node("Slice", ["x", "s_both", "e_both", "a_both", "k_both"], ["both"],
                         name="flip_both"),
    ]
    graph = helper.make_graph(
        nodes, "g",
        [tensor("m", ["B", 1, "T"], TensorProto.BOOL), tensor("x", ["B", "T", 5])],
        [tensor("m2", ["B", 1, "T_1"], TensorProto.BOOL),
         tensor("x3", ["B", "T_2", 5]), tensor("flip", ["B", "T", 5]),
         tensor("both", ["B", "T", 5])],
        initializer=init)
    save(graph, path)


def last_frames(path, starts=-3, ends=np.iinfo(np.int64).max):
    # x[:, -3:] of a dynamic T: the start depends on T.
    init = [numpy_helper.from_array(np.array(v, dtype=np.int64), k)
            for k, v in {"s": [starts], "e": [ends], "a": [1]}.items()]
    nodes = [helper.make_node("Slice", ["x", "s", "e", "a"], ["y"], name="last")]
    graph = helper.make_graph(nodes, "g", [tensor("x", ["B", "T", 5])],
                              [tensor("y", ["B", 3, 5])], initializer=init)
    save(graph, path)


def empty_split(path):
    # Split of [B, 3] into 3 and 0 columns: the second part is empty.
    split = numpy_helper.from_array(np.array([3, 0], dtype=np.int64), "split")
    nodes = [helper.make_node("Split", ["x", "split"], ["a", "b"], axis=1, name="split")]
    graph = helper.make_graph(nodes, "g", [tensor("x", ["B", 3])],
                              [tensor("a", ["B", 3]), tensor("b", ["B", 0])],
                              initializer=[split])
    save(graph, path)


def empty_input(path):
    nodes = [helper.make_node("Relu", ["x"], ["y"], name="relu")]
    graph = helper.make_graph(nodes, "g", [tensor("x", [0, 7])], [tensor("y", [0, 7])])
    save(graph, path)


def dynamic_index(path):
    # x[1] of [B, 3]: row 1 exists only when B >= 2.
    index = numpy_helper.from_array(np.array(1, dtype=np.int64), "index")
    nodes = [helper.make_node("Gather", ["x", "index"], ["y"], axis=0, name="second_row")]
    graph = helper.make_graph(nodes, "g", [tensor("x", ["B", 3])], [tensor("y", [3])],
                              initializer=[index])
    save(graph, path)


def flattened_output(path):
    # torch.flatten(x, 0, 1) of [B, 3, 7] as an output: its rows are B*3;
    # and relu(x.reshape(B, 21)), whose product dims come after the merge.
    shape = numpy_helper.from_array(np.array([0, -1], dtype=np.int64), "shape")
    nodes = [helper.make_node("Flatten", ["x"], ["y"], axis=2, name="flatten"),
             helper.make_node("Transpose", ["x"], ["xt"], perm=[1, 0, 2], name="swap"),
             helper.make_node("Reshape", ["xt", "shape"], ["merged"], name="merge"),
             helper.make_node("Relu", ["merged"], ["z"], name="relu")]
    graph = helper.make_graph(nodes, "g", [tensor("x", ["B", 3, 7])],
                              [tensor("y", ["R", 7]), tensor("z", [3, "C"])],
                              initializer=[shape])
    save(graph, path)


def flattened_tokens(path):
    # x.reshape(-1, d) of [B, N, 7] as an output: rows B*N, a product of two
    # dynamic dimensions.
    nodes = [helper.make_node("Flatten", ["x"], ["y"], axis=2, name="flatten")]
    graph = helper.make_graph(nodes, "g", [tensor("x", ["B", "N", 7])], [tensor("y", ["R", 7])])
    save(graph, path)


def decomposed(path):
    # Softplus, a three-way Sum and ReduceLogSumExp without keepdims, which
    # hmc writes with its elementwise and reduction ops.
    axes = numpy_helper.from_array(np.array([1], dtype=np.int64), "axes")
    nodes = [helper.make_node("Softplus", ["x"], ["s"], name="softplus"),
             helper.make_node("Sum", ["x", "s", "x"], ["t"], name="sum3"),
             helper.make_node("ReduceLogSumExp", ["t", "axes"], ["y"], keepdims=0,
                              name="lse")]
    graph = helper.make_graph(nodes, "g", [tensor("x", ["B", 5])], [tensor("y", ["B"])],
                              initializer=[axes])
    save(graph, path, opset=18)


def gemm_matrix_bias(path):
    # torch.addmm with a per-element bias [M, N]: the linear, then an add of
    # beta * C; and x @ w with a constant 1-D w: one column, dropped.
    rng = np.random.default_rng(0)
    w = numpy_helper.from_array(rng.standard_normal((4, 5)).astype(np.float32), "w")
    c = numpy_helper.from_array(rng.standard_normal((2, 5)).astype(np.float32), "c")
    v = numpy_helper.from_array(rng.standard_normal(4).astype(np.float32), "v")
    nodes = [helper.make_node("Gemm", ["x", "w", "c"], ["y"], name="addmm", beta=0.5),
             helper.make_node("MatMul", ["x", "v"], ["s"], name="scores")]
    graph = helper.make_graph(nodes, "g", [tensor("x", [2, 4])],
                              [tensor("y", [2, 5]), tensor("s", [2])],
                              initializer=[w, c, v])
    save(graph, path)


def passthrough(path):
    # Outputs without a kernel of their own: the input, and a result twice.
    nodes = [helper.make_node("Identity", ["x"], ["same"], name="same"),
             helper.make_node("Relu", ["x"], ["y"], name="relu"),
             helper.make_node("Identity", ["y"], ["again"], name="again")]
    graph = helper.make_graph(nodes, "g", [tensor("x", ["B", 3])],
                              [tensor("same", ["B", 3]), tensor("y", ["B", 3]),
                               tensor("again", ["B", 3])])
    save(graph, path)


def expand_dynamic(path):
    # [1] to [N]: the length is not known at compile time.
    nodes = [helper.make_node("Shape", ["x"], ["n"], name="n"),
             helper.make_node("Expand", ["one", "n"], ["y"], name="to_length")]
    one = numpy_helper.from_array(np.ones(1, dtype=np.float32), "one")
    graph = helper.make_graph(nodes, "g", [tensor("x", ["N"])], [tensor("y", ["N"])],
                              initializer=[one])
    save(graph, path)


def index_ranges(path):
    # Positions relative to the length, rounded: round(4 * arange(N) / N) / 4,
    # with N read from x [B, N] (a Range used as data and a dimension used as
    # data); and zeros [B, N] from ConstantOfShape of x's run-time shape.
    scalar = lambda name, v: numpy_helper.from_array(np.array(v, dtype=np.int64), name)
    four = numpy_helper.from_array(np.array(4.0, dtype=np.float32), "four")
    nodes = [helper.make_node("Shape", ["x"], ["shape"], name="shape"),
             helper.make_node("Gather", ["shape", "one"], ["n"], name="n"),
             helper.make_node("Range", ["zero", "n", "one"], ["index"], name="arange"),
             helper.make_node("Cast", ["index"], ["position"], to=TensorProto.FLOAT,
                              name="position"),
             helper.make_node("Cast", ["n"], ["length"], to=TensorProto.FLOAT,
                              name="length"),
             helper.make_node("Div", ["position", "length"], ["relative"], name="relative"),
             helper.make_node("Mul", ["relative", "four"], ["scaled"], name="scaled"),
             helper.make_node("Round", ["scaled"], ["rounded"], name="round"),
             helper.make_node("Div", ["rounded", "four"], ["y"], name="quarters"),
             helper.make_node("ConstantOfShape", ["shape"], ["zeros"], name="zeros",
                              value=numpy_helper.from_array(np.zeros(1, np.float32))),
             helper.make_node("Add", ["zeros", "y"], ["grid"], name="grid")]
    graph = helper.make_graph(nodes, "g", [tensor("x", ["B", "N"])],
                              [tensor("y", ["N"]), tensor("grid", ["B", "N"])],
                              initializer=[scalar("zero", 0), scalar("one", 1), four])
    save(graph, path)


def group_norm(path):
    # torch's GroupNorm(2, 8) on [B, 8, T]: channels merged into time, then
    # InstanceNormalization per group, then the channels' shape again.
    groups = numpy_helper.from_array(np.array([0, 2, -1], dtype=np.int64), "groups")
    scale = numpy_helper.from_array(np.array([1.5, 0.5], dtype=np.float32), "scale")
    bias = numpy_helper.from_array(np.array([0.25, -0.25], dtype=np.float32), "bias")
    nodes = [helper.make_node("Reshape", ["x", "groups"], ["grouped"], name="grouped"),
             helper.make_node("InstanceNormalization", ["grouped", "scale", "bias"],
                              ["normalised"], name="norm", epsilon=1e-3),
             helper.make_node("Shape", ["x"], ["shape"], name="shape"),
             helper.make_node("Reshape", ["normalised", "shape"], ["y"], name="ungrouped")]
    graph = helper.make_graph(nodes, "g", [tensor("x", ["B", 8, "T"])],
                              [tensor("y", ["B", 8, "T"])],
                              initializer=[groups, scale, bias])
    save(graph, path)


def merged_fill(path):
    # ConstantOfShape([B * 4, 1, N]): a product dimension no tensor has.
    scalar = lambda name, v: numpy_helper.from_array(np.array(v, dtype=np.int64), name)
    nodes = [helper.make_node("Shape", ["x"], ["shape"], name="shape"),
             helper.make_node("Gather", ["shape", "zero"], ["b"], name="b"),
             helper.make_node("Gather", ["shape", "one"], ["n"], name="n"),
             helper.make_node("Mul", ["b", "four"], ["rows"], name="rows"),
             helper.make_node("Unsqueeze", ["rows", "axis"], ["rows1"], name="rows1"),
             helper.make_node("Unsqueeze", ["n", "axis"], ["n1"], name="n1"),
             helper.make_node("Concat", ["rows1", "ones", "n1"], ["target"], name="target",
                              axis=0),
             helper.make_node("ConstantOfShape", ["target"], ["y"], name="fill",
                              value=numpy_helper.from_array(np.full(1, -2.5, np.float32)))]
    graph = helper.make_graph(nodes, "g", [tensor("x", ["B", "N"])],
                              [tensor("y", ["B*4", 1, "N"])],
                              initializer=[scalar("zero", 0), scalar("one", 1),
                                           scalar("four", 4),
                                           numpy_helper.from_array(np.array([0], np.int64),
                                                                   "axis"),
                                           numpy_helper.from_array(np.array([1], np.int64),
                                                                   "ones")])
    save(graph, path)


def max_pool(path):
    # MaxPool over time of [B, 4, T]: kernel 3, stride 2, one frame of padding.
    nodes = [helper.make_node("MaxPool", ["x"], ["y"], name="pool", kernel_shape=[3],
                              strides=[2], pads=[1, 1])]
    graph = helper.make_graph(nodes, "g", [tensor("x", ["B", 4, "T"])],
                              [tensor("y", ["B", 4, "T_2"])])
    save(graph, path)


def counts(path):
    # arange(1, N + 1): Range(1, N + 1, 1) over x's N, as data.
    one = numpy_helper.from_array(np.array(1, dtype=np.int64), "one")
    nodes = [helper.make_node("Shape", ["x"], ["shape"], name="shape"),
             helper.make_node("Gather", ["shape", "one"], ["n"], name="n"),
             helper.make_node("Add", ["n", "one"], ["end"], name="end"),
             helper.make_node("Range", ["one", "end", "one"], ["y"], name="counts")]
    graph = helper.make_graph(nodes, "g", [tensor("x", ["B", "N"])],
                              [tensor("y", ["N"], TensorProto.INT64)], initializer=[one])
    save(graph, path)


def learned_positions(path):
    # BERT's learned positions: table[position_ids[:, :N]] with position_ids a
    # stored arange and N read from ids [B, N].
    ints = lambda name, v: numpy_helper.from_array(np.array(v, dtype=np.int64), name)
    table = numpy_helper.from_array(
        np.random.default_rng(5).standard_normal((8, 4)).astype(np.float32), "table")
    nodes = [helper.make_node("Shape", ["ids"], ["shape"], name="shape"),
             helper.make_node("Gather", ["shape", "one"], ["n"], name="n"),
             helper.make_node("Unsqueeze", ["n", "zero_axis"], ["end"], name="end"),
             helper.make_node("Slice", ["position_ids", "start", "end", "one_axis"],
                              ["positions"], name="prefix"),
             helper.make_node("Gather", ["table", "positions"], ["y"], name="lookup")]
    graph = helper.make_graph(
        nodes, "g", [tensor("ids", ["B", "N"], TensorProto.INT64)], [tensor("y", [1, "N", 4])],
        initializer=[ints("one", 1), ints("zero_axis", [0]), ints("start", [0]),
                     ints("one_axis", [1]), ints("position_ids", [list(range(8))]), table])
    save(graph, path)


def merged_rows(path):
    # x.reshape(-1, 4) @ W -> relu -> .view(B, N, 3).
    ints = lambda name, v: numpy_helper.from_array(np.array(v, dtype=np.int64), name)
    w = numpy_helper.from_array(
        np.random.default_rng(6).standard_normal((4, 3)).astype(np.float32), "w")
    nodes = [helper.make_node("Reshape", ["x", "rows_shape"], ["rows"], name="rows"),
             helper.make_node("MatMul", ["rows", "w"], ["h"], name="mm"),
             helper.make_node("Relu", ["h"], ["r"], name="relu"),
             helper.make_node("Shape", ["x"], ["shape"], name="shape"),
             helper.make_node("Slice", ["shape", "zero", "two"], ["bn"], name="bn"),
             helper.make_node("Concat", ["bn", "three"], ["out_shape"], axis=0, name="cat"),
             helper.make_node("Reshape", ["r", "out_shape"], ["v"], name="view"),
             helper.make_node("Neg", ["v"], ["y"], name="neg")]
    graph = helper.make_graph(
        nodes, "g", [tensor("x", ["B", "N", 4])], [tensor("y", ["B", "N", 3])],
        initializer=[ints("rows_shape", [-1, 4]), ints("zero", [0]), ints("two", [2]),
                     ints("three", [3]), w])
    save(graph, path)


def last_token(path):
    # x[arange(B), lengths - 1] as torch.onnx writes it: a gather of rows of
    # x flattened to [B*N, 4] at arange(B) * N + lengths - 1.
    ints = lambda name, v: numpy_helper.from_array(np.array(v, dtype=np.int64), name)
    nodes = [helper.make_node("Shape", ["x"], ["shape"], name="shape"),
             helper.make_node("Gather", ["shape", "zero"], ["b"], axis=0, name="b"),
             helper.make_node("Gather", ["shape", "one"], ["n"], axis=0, name="n"),
             helper.make_node("Range", ["zero", "b", "one"], ["rows"], name="arange"),
             helper.make_node("Mul", ["rows", "n"], ["starts"], name="starts"),
             helper.make_node("Sub", ["lengths", "one"], ["last"], name="last"),
             helper.make_node("Add", ["last", "starts"], ["index"], name="index"),
             helper.make_node("Flatten", ["x"], ["flat"], axis=2, name="flat"),
             helper.make_node("Gather", ["flat", "index"], ["y"], axis=0, name="pick")]
    graph = helper.make_graph(
        nodes, "g", [tensor("x", ["B", "N", 4]), tensor("lengths", ["B"], TensorProto.INT64)],
        [tensor("y", ["B", 4])], initializer=[ints("zero", 0), ints("one", 1)])
    save(graph, path)


def squeeze_if(path, runtime=False):
    # x[:, :1].squeeze(1) as torch 1.13 writes it for a dynamic N: an If on
    # shape[1] == 1, squeezing in one branch (with runtime=True the condition
    # reads the data instead).
    ints = lambda name, v: numpy_helper.from_array(np.array(v, dtype=np.int64), name)
    then_branch = helper.make_graph(
        [helper.make_node("Squeeze", ["first", "one_axis"], ["squeezed"], name="squeeze")],
        "then", [], [tensor("squeezed", ["B", 4])])
    else_branch = helper.make_graph(
        [helper.make_node("Identity", ["first"], ["kept"], name="keep")],
        "else", [], [tensor("kept", ["B", 1, 4])])
    condition = [helper.make_node("Shape", ["first"], ["shape"], name="shape"),
                 helper.make_node("Gather", ["shape", "one"], ["n"], axis=0, name="n"),
                 helper.make_node("Equal", ["n", "one"], ["is_one"], name="is_one")]
    if runtime:
        condition = [helper.make_node("ReduceMax", ["x"], ["peak"], keepdims=0, name="peak"),
                     helper.make_node("Less", ["peak", "limit"], ["is_one"], name="is_one")]
    nodes = [helper.make_node("Slice", ["x", "zero1", "one1", "one1"], ["first"], name="first"),
             *condition,
             helper.make_node("If", ["is_one"], ["y"], then_branch=then_branch,
                              else_branch=else_branch, name="if")]
    graph = helper.make_graph(
        nodes, "g", [tensor("x", ["B", "N", 4])], [tensor("y", ["B", 4])],
        initializer=[ints("zero1", [0]), ints("one1", [1]), ints("one", 1),
                     ints("one_axis", [1]),
                     numpy_helper.from_array(np.array(0.5, dtype=np.float32), "limit")])
    save(graph, path)


def derived_size_compare(path):
    # where(N - 1 == 0, x, -x): N - 1 is 0 at N = 1, so the comparison is
    # made at run time, not assumed false for a size of at least 1.
    ints = lambda name, v: numpy_helper.from_array(np.array(v, dtype=np.int64), name)
    nodes = [helper.make_node("Shape", ["x"], ["shape"], name="shape"),
             helper.make_node("Gather", ["shape", "one"], ["n"], axis=0, name="n"),
             helper.make_node("Sub", ["n", "one"], ["m"], name="m"),
             helper.make_node("Equal", ["m", "zero"], ["c"], name="c"),
             helper.make_node("Neg", ["x"], ["nx"], name="nx"),
             helper.make_node("Where", ["c", "x", "nx"], ["y"], name="pick")]
    graph = helper.make_graph(nodes, "g", [tensor("x", ["B", "N", 4])],
                              [tensor("y", ["B", "N", 4])],
                              initializer=[ints("one", 1), ints("zero", 0)])
    save(graph, path)


def einsum_grouped(path):
    # A grouped per-head projection left unfused: einsum("blmf,mhf->bmlh").
    w = numpy_helper.from_array(
        np.random.default_rng(7).standard_normal((2, 3, 4)).astype(np.float32), "w")
    nodes = [helper.make_node("Einsum", ["x", "w"], ["y"], equation="blmf,mhf->bmlh",
                              name="grouped")]
    graph = helper.make_graph(
        nodes, "g", [tensor("x", ["B", "N", 2, 4])], [tensor("y", ["B", 2, "N", 3])],
        initializer=[w])
    save(graph, path)


def merged_heads(path):
    # Heads merged into the batch, as x.transpose(1, 2).reshape(B * 2, 2, N),
    # then a batched MatMul and a reshape back to [B, 8].
    ints = lambda name, v: numpy_helper.from_array(np.array(v, dtype=np.int64), name)
    nodes = [helper.make_node("Transpose", ["x"], ["xt"], perm=[0, 2, 1], name="xt"),
             helper.make_node("Reshape", ["xt", "heads_shape"], ["v"], name="heads"),
             helper.make_node("Reshape", ["x", "rows_shape"], ["w"], name="rows"),
             helper.make_node("MatMul", ["v", "w"], ["z"], name="mix"),
             helper.make_node("Reshape", ["z", "out_shape"], ["y"], name="out")]
    graph = helper.make_graph(
        nodes, "g", [tensor("x", ["B", "N", 4])], [tensor("y", ["B", 8])],
        initializer=[ints("heads_shape", [-1, 2, 0]), ints("rows_shape", [-1, 0, 2]),
                     ints("out_shape", [-1, 8])])
    save(graph, path)


def range_product(path):
    # arange(2 N): no tensor has a dimension of that length.
    nodes = [helper.make_node("Shape", ["x"], ["n"], name="n"),
             helper.make_node("Mul", ["n", "two"], ["n2"], name="n2"),
             helper.make_node("Squeeze", ["n2"], ["limit"], name="limit"),
             helper.make_node("Range", ["zero", "limit", "one"], ["index"], name="arange"),
             helper.make_node("Cast", ["index"], ["y"], to=TensorProto.FLOAT, name="cast")]
    ints = [numpy_helper.from_array(np.array(v, dtype=np.int64), name)
            for name, v in (("zero", 0), ("one", 1), ("two", [2]))]
    graph = helper.make_graph(nodes, "g", [tensor("x", ["N"])], [tensor("y", ["M"])],
                              initializer=ints)
    save(graph, path)


def ffn(path):
    # A half-step SiLU feed-forward block with its residual, as in the
    # Conformer: y = x + 0.5 * (silu(x W1 + b1) W2 + b2).
    rng = np.random.default_rng(4)
    weights = [numpy_helper.from_array(rng.standard_normal(shape).astype(np.float32), name)
               for name, shape in (("w1", (8, 12)), ("b1", (12,)), ("w2", (12, 8)),
                                   ("b2", (8,)))]
    half = numpy_helper.from_array(np.array(0.5, dtype=np.float32), "half")
    nodes = [helper.make_node("MatMul", ["x", "w1"], ["h0"], name="mm1"),
             helper.make_node("Add", ["h0", "b1"], ["h1"], name="bias1"),
             helper.make_node("Sigmoid", ["h1"], ["gate"], name="sigmoid"),
             helper.make_node("Mul", ["h1", "gate"], ["h2"], name="silu"),
             helper.make_node("MatMul", ["h2", "w2"], ["f0"], name="mm2"),
             helper.make_node("Add", ["f0", "b2"], ["f1"], name="bias2"),
             helper.make_node("Mul", ["f1", "half"], ["f2"], name="scale"),
             helper.make_node("Add", ["x", "f2"], ["y"], name="residual")]
    graph = helper.make_graph(nodes, "g", [tensor("x", ["B", "N", 8])],
                              [tensor("y", ["B", "N", 8])], initializer=weights + [half])
    save(graph, path)


def masked_linear(path):
    # y = (x W + b) * mask[..., None]: the mask a run-time [B, N, 1] buffer
    # that broadcasts over the outputs, as padding masks do.
    rng = np.random.default_rng(6)
    weights = [numpy_helper.from_array(rng.standard_normal(shape).astype(np.float32), name)
               for name, shape in (("w", (8, 12)), ("b", (12,)))]
    axes = numpy_helper.from_array(np.array([2], dtype=np.int64), "axes")
    nodes = [helper.make_node("MatMul", ["x", "w"], ["h0"], name="mm"),
             helper.make_node("Add", ["h0", "b"], ["h1"], name="bias"),
             helper.make_node("Unsqueeze", ["mask", "axes"], ["m"], name="unsqueeze"),
             helper.make_node("Mul", ["h1", "m"], ["y"], name="masked")]
    graph = helper.make_graph(nodes, "g", [tensor("x", ["B", "N", 8]), tensor("mask", ["B", "N"])],
                              [tensor("y", ["B", "N", 12])], initializer=weights + [axes])
    save(graph, path)


def wide_linear(path):
    # y = x W + b with 32 outputs: two 16-column weight panels.
    rng = np.random.default_rng(5)
    weights = [numpy_helper.from_array(rng.standard_normal(shape).astype(np.float32), name)
               for name, shape in (("w", (3, 32)), ("b", (32,)))]
    nodes = [helper.make_node("MatMul", ["x", "w"], ["h"], name="mm"),
             helper.make_node("Add", ["h", "b"], ["y"], name="bias")]
    graph = helper.make_graph(nodes, "g", [tensor("x", ["B", "N", 3])],
                              [tensor("y", ["B", "N", 32])], initializer=weights)
    save(graph, path)


def reflect_conv(path):
    # The HyperConformer front-end's padding, here asymmetric: a reflect Pad
    # of time and frequency, then a 3x3 stride-2 Conv that pads nothing.
    rng = np.random.default_rng(6)
    weights = [numpy_helper.from_array(rng.standard_normal(shape).astype(np.float32), name)
               for name, shape in (("w", (4, 2, 3, 3)), ("b", (4,)))]
    pads = numpy_helper.from_array(np.array([0, 0, 2, 1, 0, 0, 1, 2], np.int64), "pads")
    nodes = [helper.make_node("Pad", ["x", "pads"], ["p"], name="pad", mode="reflect"),
             helper.make_node("Conv", ["p", "w", "b"], ["y"], name="conv",
                              kernel_shape=[3, 3], strides=[2, 2])]
    graph = helper.make_graph(nodes, "g", [tensor("x", ["B", 2, "T", 20])],
                              [tensor("y", ["B", 4, "T2", 11])],
                              initializer=weights + [pads])
    save(graph, path)


def conv_norm(path):
    # The HyperConformer front-end's first block without its reflect pad:
    # Conv2d, then LayerNorm over (F, C) between transposes, LeakyReLU.
    rng = np.random.default_rng(7)
    weights = [numpy_helper.from_array(rng.standard_normal(shape).astype(np.float32), name)
               for name, shape in (("w", (6, 2, 3, 3)), ("b", (6,)), ("g", (10, 6)),
                                   ("beta", (10, 6)))]
    nodes = [helper.make_node("Conv", ["x", "w", "b"], ["c"], name="conv",
                              kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]),
             helper.make_node("Transpose", ["c"], ["t"], name="to_last", perm=[0, 2, 3, 1]),
             helper.make_node("LayerNormalization", ["t", "g", "beta"], ["n"], name="norm",
                              axis=-2),
             helper.make_node("LeakyRelu", ["n"], ["a"], name="act", alpha=0.01),
             helper.make_node("Transpose", ["a"], ["y"], name="back", perm=[0, 3, 1, 2])]
    graph = helper.make_graph(nodes, "g", [tensor("x", ["B", 2, "T", 20])],
                              [tensor("y", ["B", 6, "T2", 10])], initializer=weights)
    save(graph, path)


def conv_module_nodes(x, y, prefix="", lone_relu=False):
    """A Conformer conv module between transposes from x to y ([B, T, 4]):
    pointwise Conv, GLU as Split + Sigmoid + Mul, depthwise Conv, Relu and
    a per-channel scale [C, 1]; with lone_relu the Relu is the last op (a
    kernel of its own, not a fused chain). Names start with `prefix`."""
    rng = np.random.default_rng(8 + len(prefix))
    shapes = [("pw", (8, 4, 1)), ("pb", (8,)), ("dw", (4, 1, 3)), ("db", (4,))]
    if not lone_relu:
        shapes.append(("scale", (4, 1)))
    weights = [numpy_helper.from_array(rng.standard_normal(shape).astype(np.float32),
                                       prefix + name) for name, shape in shapes]
    n = lambda name: prefix + name
    nodes = [helper.make_node("Transpose", [x], [n("t")], name=n("to_channels"), perm=[0, 2, 1]),
             helper.make_node("Conv", [n("t"), n("pw"), n("pb")], [n("p")], name=n("pointwise"),
                              kernel_shape=[1]),
             helper.make_node("Split", [n("p")], [n("a"), n("b")], name=n("split"), axis=1,
                              num_outputs=2),
             helper.make_node("Sigmoid", [n("b")], [n("s")], name=n("sigmoid")),
             helper.make_node("Mul", [n("a"), n("s")], [n("g")], name=n("glu")),
             helper.make_node("Conv", [n("g"), n("dw"), n("db")], [n("d")], name=n("depthwise"),
                              kernel_shape=[3], pads=[1, 1], group=4),
             helper.make_node("Relu", [n("d")], [n("r")], name=n("relu"))]
    if lone_relu:
        nodes.append(helper.make_node("Transpose", [n("r")], [y], name=n("back"),
                                      perm=[0, 2, 1]))
    else:
        nodes += [helper.make_node("Mul", [n("r"), n("scale")], [n("m")], name=n("scaled")),
                  helper.make_node("Transpose", [n("m")], [y], name=n("back"), perm=[0, 2, 1])]
    return nodes, weights


def conv_module(path, escape=False, lone_relu=False, twice=False, shared_scale=False):
    # One conv module (conv_module_nodes). With escape, the GLU result is
    # also a graph output; with twice, a residual add and a second module
    # follow; with shared_scale, the scale [4, 1] also scales a second
    # input [B, 4, T] outside the module.
    nodes, weights = conv_module_nodes("x", "y" if not twice else "y1", lone_relu=lone_relu)
    inputs = [tensor("x", ["B", "T", 4])]
    outputs = [tensor("y", ["B", "T", 4])]
    if twice:
        second, second_weights = conv_module_nodes("z", "y", prefix="second_")
        nodes += [helper.make_node("Add", ["x", "y1"], ["z"], name="residual")] + second
        weights += second_weights
    if escape:
        outputs.append(tensor("g", ["B", 4, "T"]))
    if shared_scale:
        nodes.append(helper.make_node("Mul", ["w", "scale"], ["v"], name="outside"))
        inputs.append(tensor("w", ["B", 4, "T"]))
        outputs.append(tensor("v", ["B", 4, "T"]))
    graph = helper.make_graph(nodes, "g", inputs, outputs, initializer=weights)
    save(graph, path, opset=18)


def ln_transposed(path):
    # The HyperConformer front-end's LayerNorm: a conv output [B, C, T, F]
    # normalised over (F, C) between two transposes, with its LeakyReLU.
    rng = np.random.default_rng(5)
    gamma = numpy_helper.from_array(rng.standard_normal((20, 6)).astype(np.float32), "g")
    beta = numpy_helper.from_array(rng.standard_normal((20, 6)).astype(np.float32), "b")
    nodes = [helper.make_node("Transpose", ["x"], ["t"], name="to_last", perm=[0, 2, 3, 1]),
             helper.make_node("LayerNormalization", ["t", "g", "b"], ["n"], name="norm",
                              axis=-2),
             helper.make_node("LeakyRelu", ["n"], ["a"], name="act", alpha=0.01),
             helper.make_node("Transpose", ["a"], ["y"], name="back", perm=[0, 3, 1, 2])]
    graph = helper.make_graph(nodes, "g", [tensor("x", ["B", 6, "T", 20])],
                              [tensor("y", ["B", 6, "T", 20])], initializer=[gamma, beta])
    save(graph, path)


def recent_opset(path, opset):
    """Operators re-versioned in opsets 21 to 27 (new element types only),
    as torch's dynamo exporter writes them: Conv, Transpose, Shape with
    start/end, Reshape from it, Squeeze/Unsqueeze, Pad, Cast and Identity;
    and Celu."""
    rng = np.random.default_rng(21)
    w = numpy_helper.from_array(rng.standard_normal((4, 3, 3)).astype(np.float32), "w")
    ints = lambda name, values: numpy_helper.from_array(np.array(values, dtype=np.int64), name)
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["c"], name="conv", pads=[1, 1]),
        helper.make_node("Celu", ["c"], ["a"], name="celu", alpha=0.5),
        helper.make_node("Transpose", ["a"], ["t"], name="transpose", perm=[0, 2, 1]),
        helper.make_node("Shape", ["t"], ["bt"], name="shape", start=0, end=2),
        helper.make_node("Concat", ["bt", "two_two"], ["target"], name="concat", axis=0),
        helper.make_node("Reshape", ["t", "target"], ["r"], name="reshape"),
        helper.make_node("Unsqueeze", ["r", "axis0"], ["u"], name="unsqueeze"),
        helper.make_node("Squeeze", ["u", "axis0"], ["q"], name="squeeze"),
        helper.make_node("Pad", ["q", "pads"], ["p"], name="pad", mode="constant"),
        helper.make_node("Cast", ["p"], ["d"], name="cast", to=TensorProto.DOUBLE),
        helper.make_node("Identity", ["d"], ["y"], name="identity"),
    ]
    graph = helper.make_graph(
        nodes, "g", [tensor("x", ["B", 3, "T"])], [tensor("y", ["B", "T", 2, 3], TensorProto.DOUBLE)],
        initializer=[w, ints("two_two", [2, 2]), ints("axis0", [0]),
                     ints("pads", [0, 0, 0, 0, 0, 0, 0, 1])])
    save(graph, path, opset=opset)


def new_operator(path):
    # Attention arrived in opset 23; not supported yet.
    nodes = [helper.make_node("Attention", ["q", "k", "v"], ["y"], name="attention")]
    qkv = [tensor(name, ["B", 2, "N", 8]) for name in ("q", "k", "v")]
    graph = helper.make_graph(nodes, "g", qkv, [tensor("y", ["B", 2, "N", 8])])
    save(graph, path, opset=23)


def dynamo_idioms(path, read_mean=False):
    """What torch's dynamo exporter writes without its optimizer: CastLike of
    fill values and bounds, and LayerNormalization's mean and inverse
    deviation named though nothing reads them (unless read_mean)."""
    rng = np.random.default_rng(18)
    scale = numpy_helper.from_array(rng.uniform(0.5, 1.5, 6).astype(np.float32), "ln.weight")
    bias = numpy_helper.from_array(rng.standard_normal(6).astype(np.float32), "ln.bias")
    fill = numpy_helper.from_array(np.array(-1e4, dtype=np.float64), "fill")
    low = numpy_helper.from_array(np.array(1, dtype=np.int64), "low")
    nodes = [
        helper.make_node("LayerNormalization", ["x", "ln.weight", "ln.bias"],
                         ["ln", "ln_mean", "ln_rstd"], name="layer_norm", epsilon=1e-5),
        helper.make_node("CastLike", ["fill", "x"], ["fill_f"], name="fill_like"),
        helper.make_node("Where", ["pad", "fill_f", "ln"], ["masked"], name="masked_fill"),
        helper.make_node("CastLike", ["low", "x"], ["low_f"], name="low_like"),
        helper.make_node("Clip", ["masked", "low_f"], ["y"], name="clamp"),
    ]
    outputs = [tensor("y", ["B", "N", 6])]
    if read_mean:
        nodes.append(helper.make_node("Identity", ["ln_mean"], ["mean"], name="mean"))
        outputs.append(tensor("mean", ["B", "N", 1]))
    graph = helper.make_graph(nodes, "g", [tensor("x", ["B", "N", 6]),
                                           tensor("pad", ["B", "N", 1], TensorProto.BOOL)],
                              outputs, initializer=[scale, bias, fill, low])
    save(graph, path, opset=18)


def group_normalization(path, opset, groups=4):
    """GroupNormalization: scale and bias per group before opset 21, per channel from 21."""
    rng = np.random.default_rng(opset)
    length = 4 if opset < 21 else 12
    scale = numpy_helper.from_array(rng.uniform(0.5, 1.5, length).astype(np.float32), "scale")
    bias = numpy_helper.from_array(rng.standard_normal(length).astype(np.float32), "bias")
    nodes = [helper.make_node("GroupNormalization", ["x", "scale", "bias"], ["y"],
                              name="group_norm", num_groups=groups, epsilon=1e-5)]
    graph = helper.make_graph(nodes, "g", [tensor("x", ["B", 12, "T"])],
                              [tensor("y", ["B", 12, "T"])], initializer=[scale, bias])
    save(graph, path, opset=opset)


def int64_max_bound(path):
    # Slice bounds through Cast(to=INT64), as torch's dynamo exporter writes them
    # unoptimized: INT64_MAX must stay exact (through a double it overflowed).
    big = numpy_helper.from_array(np.array([2**63 - 1], dtype=np.int64), "big")
    zero = numpy_helper.from_array(np.array([0], dtype=np.int64), "zero")
    nodes = [helper.make_node("Cast", ["big"], ["end"], name="cast", to=TensorProto.INT64),
             helper.make_node("Slice", ["x", "zero", "end", "zero"], ["y"], name="slice")]
    graph = helper.make_graph(nodes, "g", [tensor("x", ["B", 5])], [tensor("y", ["B", 5])],
                              initializer=[big, zero])
    save(graph, path, opset=18)


def missing_external(path):
    external(path)
    os.remove(path + ".data")


def malformed(path, kind):
    """Graphs the ONNX checker does not vet at opset 18 but the importer must."""
    x = tensor("x", ["B", 3, 2])
    y = tensor("y", None)
    const = numpy_helper.from_array(np.ones((3, 2), dtype=np.float32), "c")
    nodes = {
        "missing_input": [helper.make_node("Gather", ["x"], ["y"], name="g")],
        "bad_perm": [helper.make_node("Transpose", ["c"], ["t"], name="tr", perm=[0, 0]),
                     helper.make_node("Add", ["x", "t"], ["y"], name="add")],
        "no_value": [helper.make_node("Constant", [], ["k"], name="k"),
                     helper.make_node("Add", ["x", "k"], ["y"], name="add")],
        "repeated_axes": [helper.make_node("Unsqueeze", ["x", "axes"], ["y"], name="unsq")],
    }[kind]
    axes = numpy_helper.from_array(np.array([1, 1], dtype=np.int64), "axes")
    graph = helper.make_graph(nodes, "g", [x], [y], initializer=[const, axes])
    save(graph, path, opset=18)


KINDS = {f.__name__: f for f in (unsupported, external, unify, gelu20, old_opset,
                                 opset11, softmax11_flat, compare, reductions, expand, tile,
                                 strided_slices, last_frames, empty_split, empty_input,
                                 dynamic_index, flattened_output, flattened_tokens, decomposed, gemm_matrix_bias,
                                 passthrough,
                                 expand_dynamic, index_ranges, counts, group_norm, merged_fill, max_pool,
                                 learned_positions,
                                 merged_rows, merged_heads, last_token, einsum_grouped, range_product, ffn, wide_linear, reflect_conv, conv_norm, conv_module, ln_transposed,
                                 missing_external)}
for _opset in (22, 27, 28):
    KINDS[f"opset{_opset}"] = (lambda o: lambda path: recent_opset(path, o))(_opset)
KINDS["conv_module_escape"] = lambda path: conv_module(path, escape=True)
KINDS["conv_module_lone_relu"] = lambda path: conv_module(path, lone_relu=True)
KINDS["conv_module_twice"] = lambda path: conv_module(path, twice=True)
KINDS["conv_module_shared_scale"] = lambda path: conv_module(path, shared_scale=True)
KINDS["squeeze_if"] = squeeze_if
KINDS["derived_size_compare"] = derived_size_compare
KINDS["runtime_if"] = lambda path: squeeze_if(path, runtime=True)
KINDS["gelu20_tanh"] = lambda path: gelu20(path, "tanh")
KINDS["gelu20_fast"] = lambda path: gelu20(path, "fast")
KINDS["gelu_tanh_dynamo"] = gelu_tanh_dynamo
KINDS["new_operator"] = new_operator
KINDS["dynamo_idioms"] = dynamo_idioms
KINDS["group_norm18"] = lambda path: group_normalization(path, 18)
KINDS["group_norm21"] = lambda path: group_normalization(path, 21)
KINDS["group_norm_bad_groups"] = lambda path: group_normalization(path, 21, groups=5)
KINDS["int64_max_bound"] = int64_max_bound
KINDS["layer_norm_mean_read"] = lambda path: dynamo_idioms(path, read_mean=True)
# x[:, 2:0]: an end of 0 is index 0, not the end of T.
KINDS["empty_frames"] = lambda path: last_frames(path, starts=2, ends=0)
for _kind in ("missing_input", "bad_perm", "no_value", "repeated_axes"):
    KINDS[_kind] = (lambda k: lambda path: malformed(path, k))(_kind)

def local_functions(path, recursive=False):
    # torch's export_modules_as_functions: a "Block" function called twice
    # (unnamed calls, with different slopes), calling a "Leaky" function whose
    # LeakyRelu alpha refers to the caller's attribute "slope".
    def call(op, inputs, outputs, **attrs):
        return helper.make_node(op, inputs, outputs, domain="custom", **attrs)

    alpha = onnx.AttributeProto(name="alpha", ref_attr_name="slope",
                                type=onnx.AttributeProto.FLOAT)
    leaky = helper.make_node("LeakyRelu", ["a"], ["b"])
    leaky.attribute.append(alpha)
    opsets = [helper.make_opsetid("", 17), helper.make_opsetid("custom", 1)]
    functions = [helper.make_function("custom", "Leaky", ["a"], ["b"], [leaky], opsets,
                                      attributes=["slope"])]
    slope = onnx.AttributeProto(name="slope", ref_attr_name="slope",
                                type=onnx.AttributeProto.FLOAT)
    inner = call("Block" if recursive else "Leaky", ["t", "w"] if recursive else ["t"], ["y"])
    inner.attribute.append(slope)
    functions.append(helper.make_function(
        "custom", "Block", ["x", "w"], ["y", "unused"],
        [helper.make_node("MatMul", ["x", "w"], ["t"]), inner,
         helper.make_node("Identity", ["t"], ["unused"])], opsets, attributes=["slope"]))
    w = numpy_helper.from_array(np.arange(16, dtype=np.float32).reshape(4, 4) / 8 - 1, "w")
    nodes = [call("Block", ["x", "w"], ["h"], slope=0.2),
             call("Block", ["h", "w"], ["y"], slope=0.3)]
    graph = helper.make_graph(nodes, "g", [tensor("x", ["B", 4])], [tensor("y", ["B", 4])],
                              initializer=[w])
    model = helper.make_model(graph, opset_imports=opsets, functions=functions)
    model.ir_version = 8
    onnx.save(model, path)


def unshaped(path, which):
    # A graph output (or input) typed without a shape, as onnx.utils.Extractor
    # leaves outputs whose shapes inference lost.
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    x = tensor("x", ["B", "N"]) if which == "output" else \
        helper.make_tensor_value_info("x", TensorProto.FLOAT, None)
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"], name="relu")], "g",
                              [x], [y])
    save(graph, path)


def float64_erf(path):
    # model.double(): GELU's Erf on float64, which the kernels lack.
    nodes = [helper.make_node("Erf", ["x"], ["y"], name="gelu_erf")]
    graph = helper.make_graph(nodes, "g", [tensor("x", ["B", 4], TensorProto.DOUBLE)],
                              [tensor("y", ["B", 4], TensorProto.DOUBLE)])
    save(graph, path)


def mixed_batch(path):
    # ids exported with a fixed batch of 2 beside a mask with a dynamic one.
    nodes = [helper.make_node("Mul", ["x", "m"], ["y"], name="masked")]
    graph = helper.make_graph(nodes, "g", [tensor("x", [2, "N"]), tensor("m", ["B", "N"])],
                              [tensor("y", [2, "N"])])
    save(graph, path)


KINDS["mixed_batch"] = mixed_batch
KINDS["float64_erf"] = float64_erf
KINDS["unshaped_output"] = lambda path: unshaped(path, "output")
KINDS["unshaped_input"] = lambda path: unshaped(path, "input")
def passthrough_functions(path):
    # A function whose second output is its input (no node makes it), called
    # with its first output left empty although its body reads it.
    opsets = [helper.make_opsetid("", 17), helper.make_opsetid("custom", 1)]
    body = [helper.make_node("Relu", ["a"], ["r"]), helper.make_node("Neg", ["r"], ["n"])]
    function = helper.make_function("custom", "Pair", ["a"], ["r", "a", "n"], body, opsets)
    nodes = [helper.make_node("Pair", ["x"], ["", "same", "y"], domain="custom", name="pair")]
    graph = helper.make_graph(nodes, "g", [tensor("x", ["B", 4])],
                              [tensor("same", ["B", 4]), tensor("y", ["B", 4])])
    model = helper.make_model(graph, opset_imports=opsets, functions=[function])
    model.ir_version = 8
    onnx.save(model, path)


def relative_shift(path, front="pad"):
    # Transformer-XL relative positions as SpeechBrain's RelPosMHAXL computes
    # them for a run-time T: the 2T - 1 positions (T rows and T - 1 more
    # joined along T), scores against them [B, T, 2T - 1], and the relative
    # shift: pad one column in front, view as [B, 2T, T], drop the first row,
    # view back as [B, T, 2T - 1], keep the first (2T - 1) // 2 + 1 = T.
    # front="concat" concatenates a zero column instead (ESPnet), "pad_end"
    # pads at the end (no relative shift).
    big = np.iinfo(np.int64).max
    pads = [0, 0, 0, 0, 0, 1] if front == "pad_end" else [0, 0, 1, 0, 0, 0]
    consts = {"one": [1], "end": [big], "axis1": [1], "zero": [0], "two": [2],
              "minus1": [-1], "pads": pads, "half": [2]}
    init = [numpy_helper.from_array(np.array(v, dtype=np.int64), k)
            for k, v in consts.items()]
    nodes = [
        helper.make_node("Slice", ["x", "one", "end", "axis1"], ["future"], name="future"),
        helper.make_node("Concat", ["x", "future"], ["positions"], axis=1, name="positions"),
        helper.make_node("Transpose", ["positions"], ["keys"], perm=[0, 2, 1]),
        helper.make_node("MatMul", ["x", "keys"], ["scores"], name="scores"),
        helper.make_node("Shape", ["scores"], ["shape"]),
    ] + ([
        helper.make_node("Slice", ["shape", "zero", "two"], ["lead"]),
        helper.make_node("Concat", ["lead", "one"], ["column"], axis=0),
        helper.make_node("ConstantOfShape", ["column"], ["zeros"],
                         value=helper.make_tensor("v", TensorProto.FLOAT, [1], [0.0])),
        helper.make_node("Concat", ["zeros", "scores"], ["padded"], axis=2, name="pad"),
    ] if front == "concat" else [
        helper.make_node("Pad", ["scores", "pads"], ["padded"], name="pad"),
    ]) + [
        helper.make_node("Gather", ["shape", "zero"], ["b"], axis=0),
        helper.make_node("Gather", ["shape", "one"], ["t"], axis=0),
        helper.make_node("Gather", ["shape", "two"], ["p"], axis=0),
        helper.make_node("Concat", ["b", "minus1", "t"], ["wide"], axis=0),
        helper.make_node("Reshape", ["padded", "wide"], ["tall"], name="view_tall"),
        helper.make_node("Slice", ["tall", "one", "end", "axis1"], ["cropped"], name="crop"),
        helper.make_node("Reshape", ["cropped", "shape"], ["shifted"], name="view_back"),
        helper.make_node("Div", ["p", "half"], ["p2"]),
        helper.make_node("Add", ["p2", "one"], ["keep"]),
        helper.make_node("Slice", ["shifted", "zero", "keep", "two"], ["y"], name="keep"),
    ]
    graph = helper.make_graph(nodes, "g", [tensor("x", ["B", "T", 4])],
                              [tensor("y", ["B", "T", "T"])], initializer=init)
    save(graph, path)


def concat_two_symbols(path):
    nodes = [helper.make_node("Concat", ["x", "z"], ["y"], axis=1, name="join")]
    graph = helper.make_graph(nodes, "g", [tensor("x", ["B", "T", 4]), tensor("z", ["B", "S", 4])],
                              [tensor("y", ["B", "U", 4])])
    save(graph, path)


def mask_view(path):
    # mask.view(B, 1, 1, T) with T read from the features: the mask's own
    # length name M is the features' T.
    init = [numpy_helper.from_array(np.array(v, dtype=np.int64), k)
            for k, v in {"zero": [0], "one": [1], "ones": [1, 1]}.items()]
    nodes = [
        helper.make_node("Shape", ["x"], ["shape"]),
        helper.make_node("Gather", ["shape", "zero"], ["b"], axis=0),
        helper.make_node("Gather", ["shape", "one"], ["t"], axis=0),
        helper.make_node("Concat", ["b", "ones", "t"], ["target"], axis=0),
        helper.make_node("Reshape", ["mask", "target"], ["y"], name="view"),
    ]
    graph = helper.make_graph(
        nodes, "g", [tensor("x", ["B", "T", 4]), tensor("mask", ["B", "M"], TensorProto.BOOL)],
        [tensor("y", ["B", 1, 1, "T"], TensorProto.BOOL)], initializer=init)
    save(graph, path)


def moving_window(path, grow=0):
    # ESPnet's pe[:, c - T + 1 : c + T] of a stored [1, 2L - 1, 4] table
    # (L = 6, c = 5): the start moves back and the end forward with T.
    # grow > 0 ends the window grow rows further (not supported).
    table = np.random.default_rng(5).standard_normal((1, 11, 4)).astype(np.float32)
    init = [numpy_helper.from_array(table, "pe")] + [
        numpy_helper.from_array(np.array(v, dtype=np.int64), k)
        for k, v in {"one": [1], "c": [5], "c_end": [5 + grow]}.items()]
    nodes = [
        helper.make_node("Shape", ["x"], ["shape"]),
        helper.make_node("Gather", ["shape", "one"], ["t"], axis=0),
        helper.make_node("Sub", ["c", "t"], ["back"]),
        helper.make_node("Add", ["back", "one"], ["start"]),
        helper.make_node("Add", ["c_end", "t"], ["end"]),
        helper.make_node("Slice", ["pe", "start", "end", "one"], ["y"], name="window"),
    ]
    graph = helper.make_graph(nodes, "g", [tensor("x", ["B", "T", 4])],
                              [tensor("y", [1, "P", 4])], initializer=init)
    save(graph, path)


def gather_elements(path, index_batch="B"):
    # torch.gather(x, 1, at) of x [B, N, 4] at run-time indices [B, 1, 4].
    nodes = [helper.make_node("GatherElements", ["x", "at"], ["y"], axis=1,
                              name="pick")]
    graph = helper.make_graph(
        nodes, "g", [tensor("x", ["B", "N", 4]),
                     tensor("at", [index_batch, 1, 4], TensorProto.INT64)],
        [tensor("y", [index_batch, 1, 4])])
    save(graph, path)


KINDS["relative_shift"] = relative_shift
KINDS["relative_shift_concat"] = lambda path: relative_shift(path, "concat")
KINDS["relative_shift_pad_end"] = lambda path: relative_shift(path, "pad_end")
KINDS["moving_window"] = moving_window
KINDS["growing_window"] = lambda path: moving_window(path, grow=2)
KINDS["mask_view"] = mask_view
KINDS["masked_linear"] = masked_linear
KINDS["gather_elements"] = gather_elements
KINDS["gather_elements_other_batch"] = lambda path: gather_elements(path, "C")
KINDS["concat_two_symbols"] = concat_two_symbols
KINDS["passthrough_functions"] = passthrough_functions
KINDS["local_functions"] = local_functions
KINDS["recursive_functions"] = lambda path: local_functions(path, recursive=True)

if __name__ == "__main__":
    KINDS[sys.argv[1]](sys.argv[2])
