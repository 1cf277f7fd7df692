//===- HMOps.td - hm operations ------------------------------*- tablegen -*-===//

#ifndef HM_OPS_TD
#define HM_OPS_TD

include "hm/HMDialect.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"
include "mlir/IR/OpBase.td"
include "mlir/IR/CommonTypeConstraints.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def HM_Tensor : RankedTensorOf<[F32, F64, I1, I32, I64]>;
def HM_FloatTensor : RankedTensorOf<[F32, F64]>;

//===----------------------------------------------------------------------===//
// Weights and constants
//===----------------------------------------------------------------------===//

def HM_ConstantOp : HM_Op<"constant",
    [ConstantLike, Pure, AllTypesMatch<["value", "output"]>]> {
  let summary = "a constant tensor (weights are dense_resource blobs)";
  let description = [{
    Weights and other large constants hold a `dense_resource` attribute whose
    bytes live in the module's resource section, so IR text stays readable.
    Small constants (scalars, shape vectors) may be plain `dense`.
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs HM_Tensor:$output);
  let assemblyFormat = "attr-dict $value";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

class HM_BinaryOp<string mnemonic, string what>
    : HM_Op<mnemonic, [Pure]> {
  let summary = "elementwise " # what # " with NumPy broadcasting";
  let arguments = (ins HM_Tensor:$lhs, HM_Tensor:$rhs);
  let results = (outs HM_Tensor:$output);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($output)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    mlir::LogicalResult verifyBroadcast();
  }];
  let extraClassDefinition = [{
    ::mlir::LogicalResult $cppClass::verify() { return verifyBroadcast(); }
  }];
}

def HM_AddOp : HM_BinaryOp<"add", "addition">;
def HM_SubOp : HM_BinaryOp<"sub", "subtraction">;
def HM_MulOp : HM_BinaryOp<"mul", "multiplication">;
def HM_DivOp : HM_BinaryOp<"div", "division">;
def HM_PowOp : HM_BinaryOp<"pow", "power">;
def HM_MaxOp : HM_BinaryOp<"max", "maximum">;
def HM_MinOp : HM_BinaryOp<"min", "minimum">;
// Integer x mod 0 and x rem 0 are 0 (no trap); for floats they are NaN.
def HM_ModOp : HM_BinaryOp<"mod",
    "floored remainder x - floor(x / y) y (the divisor's sign, Python's %)">;
def HM_RemOp : HM_BinaryOp<"rem",
    "truncated remainder x - trunc(x / y) y (the dividend's sign, C's fmod)">;

// Greater and greater-or-equal are these with the operands swapped.
class HM_CompareOp<string mnemonic, string what>
    : HM_BinaryOp<mnemonic, what # " comparison (true where it holds)"> {
  let results = (outs RankedTensorOf<[I1]>:$output);
}

def HM_EqualOp : HM_CompareOp<"equal", "lhs == rhs">;
def HM_LessOp : HM_CompareOp<"less", "lhs < rhs">;
def HM_LessEqualOp : HM_CompareOp<"less_equal", "lhs <= rhs">;

class HM_LogicalOp<string mnemonic, string what>
    : HM_BinaryOp<mnemonic, "logical " # what> {
  let arguments = (ins RankedTensorOf<[I1]>:$lhs, RankedTensorOf<[I1]>:$rhs);
  let results = (outs RankedTensorOf<[I1]>:$output);
}

def HM_AndOp : HM_LogicalOp<"and", "and">;
def HM_OrOp : HM_LogicalOp<"or", "or">;
def HM_XorOp : HM_LogicalOp<"xor", "exclusive or">;

class HM_UnaryOp<string mnemonic, string what, Type type = HM_FloatTensor>
    : HM_Op<mnemonic, [Pure, SameOperandsAndResultType]> {
  let summary = what;
  let arguments = (ins type:$input);
  let results = (outs type:$output);
  let assemblyFormat = "$input attr-dict `:` type($output)";
}

def HM_ErfOp : HM_UnaryOp<"erf", "the error function">;
def HM_GeluOp : HM_Op<"gelu", [Pure, SameOperandsAndResultType]> {
  let summary = "GELU, exact or with torch's tanh approximation";
  let description = [{
    With `approximate = "none"`, the exact 0.5 x (1 + erf(x / sqrt 2)); with
    `approximate = "tanh"`, 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))),
    as torch's `approximate` argument and ONNX's Gelu name them.
  }];
  let arguments = (ins HM_FloatTensor:$input,
                   DefaultValuedAttr<StrAttr, "\"none\"">:$approximate);
  let results = (outs HM_FloatTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($output)";
  let hasVerifier = 1;
}
def HM_NegOp : HM_UnaryOp<"neg", "negation",
                          RankedTensorOf<[F32, F64, I32, I64]>>;
def HM_SqrtOp : HM_UnaryOp<"sqrt", "square root">;
def HM_NotOp : HM_UnaryOp<"not", "logical not", RankedTensorOf<[I1]>>;
def HM_SigmoidOp : HM_UnaryOp<"sigmoid", "logistic sigmoid 1 / (1 + exp(-x))">;
def HM_TanhOp : HM_UnaryOp<"tanh", "hyperbolic tangent">;
def HM_ExpOp : HM_UnaryOp<"exp", "exponential">;
def HM_LogOp : HM_UnaryOp<"log", "natural logarithm">;
def HM_ReluOp : HM_UnaryOp<"relu", "max(x, 0)">;
def HM_RoundOp : HM_UnaryOp<"round", "the nearest integer, ties to even">;
def HM_FloorOp : HM_UnaryOp<"floor", "the largest integer not above x">;
def HM_CeilOp : HM_UnaryOp<"ceil", "the smallest integer not below x">;
def HM_SinOp : HM_UnaryOp<"sin", "sine">;
def HM_CosOp : HM_UnaryOp<"cos", "cosine">;
def HM_AbsOp : HM_UnaryOp<"abs", "absolute value",
                          RankedTensorOf<[F32, F64, I32, I64]>>;

def HM_LeakyReluOp : HM_Op<"leaky_relu", [Pure, SameOperandsAndResultType]> {
  let summary = "x for x >= 0, alpha * x below";
  let arguments = (ins HM_FloatTensor:$input, F64Attr:$alpha);
  let results = (outs HM_FloatTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($output)";
}

def HM_WhereOp : HM_Op<"where", [Pure]> {
  let summary = "condition ? x : y with NumPy broadcasting";
  let arguments = (ins RankedTensorOf<[I1]>:$condition, HM_Tensor:$x,
                       HM_Tensor:$y);
  let results = (outs HM_Tensor:$output);
  let assemblyFormat = [{
    $condition `,` $x `,` $y attr-dict `:` functional-type(operands, results)
  }];
}

class HM_SoftmaxLikeOp<string mnemonic, string what>
    : HM_Op<mnemonic, [Pure, SameOperandsAndResultType]> {
  let summary = what # " along `axis`";
  let arguments = (ins HM_FloatTensor:$input, I64Attr:$axis);
  let results = (outs HM_FloatTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($output)";
}
def HM_SoftmaxOp : HM_SoftmaxLikeOp<"softmax", "softmax">;
def HM_LogSoftmaxOp : HM_SoftmaxLikeOp<"log_softmax", "log of the softmax">;

def HM_CastOp : HM_Op<"cast", [Pure, SameOperandsAndResultShape]> {
  let summary = "element type conversion (bool converts to 0 or 1)";
  let arguments = (ins HM_Tensor:$input);
  let results = (outs HM_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Dense algebra and normalisation
//===----------------------------------------------------------------------===//

def HM_LinearOp : HM_Op<"linear", [Pure]> {
  let summary = "x @ weight + bias over the last dimension";
  let description = [{
    `weight` is `[K, M]` as models store it for MatMul (input features
    first); `bias`, when present, is `[M]`. Leading dimensions of `x` pass
    through.
  }];
  let arguments = (ins HM_FloatTensor:$input, HM_FloatTensor:$weight,
                       Optional<HM_FloatTensor>:$bias);
  let results = (outs HM_FloatTensor:$output);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def HM_MatMulOp : HM_Op<"matmul", [Pure]> {
  let summary = "batched matrix product with broadcast batch dimensions";
  let arguments = (ins HM_FloatTensor:$lhs, HM_FloatTensor:$rhs);
  let results = (outs HM_FloatTensor:$output);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($output)
  }];
  let hasVerifier = 1;
}

def HM_EinsumOp : HM_Op<"einsum", [Pure]> {
  let summary = "Einstein summation (imported, rewritten before lowering)";
  let arguments = (ins Variadic<HM_FloatTensor>:$inputs, StrAttr:$equation);
  let results = (outs HM_FloatTensor:$output);
  let assemblyFormat = [{
    $equation $inputs attr-dict `:` functional-type($inputs, results)
  }];
  let hasVerifier = 1;
}

def HM_LayerNormOp : HM_Op<"layer_norm", [Pure, AttrSizedOperandSegments]> {
  let summary = "layer normalisation over the trailing dimensions from `axis`";
  let arguments = (ins HM_FloatTensor:$input,
                       Optional<HM_FloatTensor>:$gamma,
                       Optional<HM_FloatTensor>:$beta,
                       DefaultValuedAttr<I64Attr, "-1">:$axis,
                       F64Attr:$epsilon);
  let results = (outs HM_FloatTensor:$output);
  let assemblyFormat = [{
    $input (`scale` $gamma^)? (`bias` $beta^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def HM_ReduceMeanOp : HM_Op<"reduce_mean", [Pure]> {
  let summary = "mean over `axes`";
  let arguments = (ins HM_FloatTensor:$input, DenseI64ArrayAttr:$axes,
                       DefaultValuedAttr<BoolAttr, "true">:$keepdims);
  let results = (outs HM_FloatTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Layout
//===----------------------------------------------------------------------===//

def HM_ReduceSumOp : HM_Op<"reduce_sum", [Pure]> {
  let summary = "sum over `axes`";
  let arguments = (ins HM_Tensor:$input, DenseI64ArrayAttr:$axes,
                       DefaultValuedAttr<BoolAttr, "true">:$keepdims);
  let results = (outs HM_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasVerifier = 1;
}

def HM_ReduceMaxOp : HM_Op<"reduce_max", [Pure]> {
  let summary = "maximum over `axes`";
  let arguments = (ins RankedTensorOf<[F32, F64, I32, I64]>:$input,
                       DenseI64ArrayAttr:$axes,
                       DefaultValuedAttr<BoolAttr, "true">:$keepdims);
  let results = (outs RankedTensorOf<[F32, F64, I32, I64]>:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasVerifier = 1;
}

def HM_ReduceMinOp : HM_Op<"reduce_min", [Pure]> {
  let summary = "minimum over `axes`";
  let arguments = (ins RankedTensorOf<[F32, F64, I32, I64]>:$input,
                       DenseI64ArrayAttr:$axes,
                       DefaultValuedAttr<BoolAttr, "true">:$keepdims);
  let results = (outs RankedTensorOf<[F32, F64, I32, I64]>:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasVerifier = 1;
}

class HM_ArgExtremumOp<string mnemonic, string what> : HM_Op<mnemonic, [Pure]> {
  let summary = "int64 index of the " # what # " along `axis`";
  let description = [{
    Ties go to the first index, or to the last with `select_last_index`
    (ONNX ArgMax/ArgMin; PyTorch's argmax picks the first).
  }];
  let arguments = (ins RankedTensorOf<[F32, F64, I32, I64]>:$input,
                       I64Attr:$axis,
                       DefaultValuedAttr<BoolAttr, "true">:$keepdims,
                       DefaultValuedAttr<BoolAttr, "false">:$select_last_index);
  let results = (outs RankedTensorOf<[I64]>:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasVerifier = 1;
}

def HM_ArgMaxOp : HM_ArgExtremumOp<"arg_max", "maximum">;
def HM_ArgMinOp : HM_ArgExtremumOp<"arg_min", "minimum">;

def HM_CumSumOp : HM_Op<"cumsum", [Pure, SameOperandsAndResultType]> {
  let summary = "running sum along `axis`";
  let description = [{
    ONNX CumSum: element i along `axis` is the sum of elements 0..i, or of
    0..i-1 with `exclusive` (0 for the first); `reverse` sums from the end
    instead. Float sums accumulate in float64.
  }];
  let arguments = (ins RankedTensorOf<[F32, F64, I32, I64]>:$input,
                       I64Attr:$axis,
                       DefaultValuedAttr<BoolAttr, "false">:$exclusive,
                       DefaultValuedAttr<BoolAttr, "false">:$reverse);
  let results = (outs RankedTensorOf<[F32, F64, I32, I64]>:$output);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def HM_GatherOp : HM_Op<"gather", [Pure]> {
  let summary = "picks slices of `input` along `axis` by run-time `indices`";
  let description = [{
    ONNX Gather: the result shape is input.shape[:axis] + indices.shape +
    input.shape[axis+1:]. An embedding lookup is a gather from a weight
    table along axis 0. Indices may be negative (counted from the end); an
    index outside [-dim, dim) is a run-time error.
  }];
  let arguments = (ins HM_Tensor:$input, RankedTensorOf<[I32, I64]>:$indices,
                       I64Attr:$axis);
  let results = (outs HM_Tensor:$output);
  let assemblyFormat = [{
    $input `,` $indices attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def HM_GatherElementsOp : HM_Op<"gather_elements", [Pure]> {
  let summary = "picks entries of `input` along `axis` by run-time `indices`";
  let description = [{
    ONNX GatherElements (torch.gather): `indices` has the input's rank and
    the result its shape; result[i0, .., ia, ..] = input[i0, ..,
    indices[i0, .., ia, ..], ..] with `a` the axis. Away from the axis,
    `indices` may be shorter than `input`. Indices may be negative (counted
    from the end); an index outside [-dim, dim) is a run-time error.
  }];
  let arguments = (ins HM_Tensor:$input, RankedTensorOf<[I32, I64]>:$indices,
                       I64Attr:$axis);
  let results = (outs HM_Tensor:$output);
  let assemblyFormat = [{
    $input `,` $indices attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def HM_ScatterNdOp : HM_Op<"scatter_nd", [Pure]> {
  let summary = "`input` with the entries that run-time `indices` name replaced";
  let description = [{
    ONNX ScatterND without reduction: indices [..., k] lists coordinates of
    the first k axes of `input`; updates has shape indices.shape[:-1] +
    input.shape[k:]. Indices may be negative (counted from the end); one
    outside [-dim, dim) is a run-time error. Where two indices name the
    same entry, the later one wins.
  }];
  let arguments = (ins HM_Tensor:$input, RankedTensorOf<[I32, I64]>:$indices,
                       HM_Tensor:$updates);
  let results = (outs HM_Tensor:$output);
  let assemblyFormat = [{
    $input `,` $indices `,` $updates attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def HM_ConvOp : HM_Op<"conv", [Pure]> {
  let summary = "N-d convolution, ONNX Conv layout [B, C, spatial...]";
  let description = [{
    out[b, co, o] = bias[co] + sum over the group's input channels ci and
    kernel offsets k of x[b, ci, o * stride + k * dilation - pad_begin] *
    weight[co, ci, k], reading zeros outside x. `pads` lists the begin
    paddings of every spatial dim, then the end paddings.
  }];
  let arguments = (ins HM_FloatTensor:$input, HM_FloatTensor:$weight,
                       Optional<HM_FloatTensor>:$bias,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$dilations,
                       DenseI64ArrayAttr:$pads, I64Attr:$groups);
  let results = (outs HM_FloatTensor:$output);
  let assemblyFormat = [{
    $input `,` $weight (`bias` $bias^)? attr-dict `:` functional-type(operands, results)
  }];
}

def HM_PadOp : HM_Op<"pad", [Pure]> {
  let summary = "pads every dimension (ONNX Pad: begins, then ends)";
  let arguments = (ins HM_FloatTensor:$input, StrAttr:$mode,
                       DenseI64ArrayAttr:$pads,
                       DefaultValuedAttr<F64Attr, "0.0">:$value);
  let results = (outs HM_FloatTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
}

def HM_FbankOp : HM_Op<"fbank", [Pure]> {
  let summary = "log-Mel filterbank of raw audio";
  let description = [{
    audio [B, S] -> [B, T, M] with T = floor((S - W) / hop) + 1: frame t is
    audio[b, t*hop .. t*hop + W), multiplied by `window` [W], transformed by
    the real DFT basis `cos`, `sin` [F, W], its power spectrum filtered by
    `mel` [M, F] and logged: ln(max(mel . (re^2 + im^2), floor)).
  }];
  let arguments = (ins F32Tensor:$audio, F32Tensor:$window, F32Tensor:$cos,
                       F32Tensor:$sin, F32Tensor:$mel, I64Attr:$hop,
                       F64Attr:$floor);
  let results = (outs F32Tensor:$output);
  let assemblyFormat = [{
    $audio `window` $window `dft` `(` $cos `,` $sin `)` `mel` $mel attr-dict
    `:` functional-type(operands, results)
  }];
}

def HM_CtcGreedyOp : HM_Op<"ctc_greedy", [Pure]> {
  let summary = "greedy CTC decoding of log-probs [B, T, V] to ids [B, T]";
  let description = [{
    Per row: argmax per frame (ties to the lowest id), repeats collapsed,
    `blank` dropped; the ids are left-aligned and the row is padded with -1.
  }];
  let arguments = (ins F32Tensor:$log_probs, I64Attr:$blank);
  let results = (outs RankedTensorOf<[I64]>:$ids);
  let assemblyFormat = "$log_probs attr-dict `:` type($log_probs) `->` type($ids)";
}

def HM_TransposeOp : HM_Op<"transpose", [Pure]> {
  let summary = "dimension permutation: output dim i is input dim perm[i]";
  let arguments = (ins HM_Tensor:$input, DenseI64ArrayAttr:$perm);
  let results = (outs HM_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def HM_ReshapeOp : HM_Op<"reshape", [Pure]> {
  let summary = "row-major reinterpretation to `shape`";
  let description = [{
    `shape` gives every result dimension: an integer, or for a dynamic
    dimension a product of symbols and integers as a string ("B*8", "N").
    Symbols are the dynamic input dimensions named by the function's
    `hm.dims` argument attributes.
  }];
  let arguments = (ins HM_Tensor:$input, ArrayAttr:$shape);
  let results = (outs HM_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def HM_SliceOp : HM_Op<"slice", [Pure]> {
  let summary = "strided slice along `axes` with constant bounds";
  let description = [{
    Output index i of a sliced axis reads input index starts + i * steps.
    On a static axis, `ends` is absolute and exclusive (-1 for a negative
    step that runs to index 0). On a dynamic axis with a dynamic result,
    `ends` counts from the end (0 is the end, -2 stops two short: what
    `x[:, s:-2:2]` exports to); the step must be positive and the start
    non-negative, and the result has floor((dim + ends - starts - 1) /
    steps) + 1 entries.
  }];
  let arguments = (ins HM_Tensor:$input, DenseI64ArrayAttr:$axes,
                       DenseI64ArrayAttr:$starts, DenseI64ArrayAttr:$ends,
                       DenseI64ArrayAttr:$steps);
  let results = (outs HM_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasVerifier = 1;
}

def HM_ConcatOp : HM_Op<"concat", [Pure]> {
  let summary = "concatenation along `axis`";
  let arguments = (ins Variadic<HM_Tensor>:$inputs, I64Attr:$axis);
  let results = (outs HM_Tensor:$output);
  let assemblyFormat = [{
    $inputs attr-dict `:` functional-type($inputs, results)
  }];
  let hasVerifier = 1;
}

def HM_SliceToDimOp : HM_Op<"slice_to_dim", [Pure]> {
  let summary = "the first dim(reference, reference_axis) entries along `axis`";
  let description = [{
    What `pe[:, :x.size(1)]` exports to: a prefix of a table whose length is a
    dynamic dimension of another tensor.
  }];
  let arguments = (ins HM_Tensor:$input, HM_Tensor:$reference, I64Attr:$axis,
                       I64Attr:$reference_axis);
  let results = (outs HM_Tensor:$output);
  let assemblyFormat = [{
    $input `,` $reference attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def HM_IotaOp : HM_Op<"iota", [Pure]> {
  let summary = "0, 1, ..., dim(reference, reference_axis) - 1";
  let description = [{
    What `torch.arange(x.size(1))` used as data exports to: a run-time index
    vector whose length is a dynamic dimension of another tensor. Only the
    reference's dimension is used, never its values.
  }];
  let arguments = (ins HM_Tensor:$reference, I64Attr:$reference_axis);
  let results = (outs RankedTensorOf<[F32, F64, I32, I64]>:$output);
  let assemblyFormat = [{
    $reference attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def HM_DimSizeOp : HM_Op<"dim_size", [Pure]> {
  let summary = "dim(reference, reference_axis) as a one-element tensor";
  let description = [{
    What a dynamic dimension used as data exports to, e.g. the `x.size(1)` in
    `round(wav_lens * x.size(1))`. The reference's values are not read.
  }];
  let arguments = (ins HM_Tensor:$reference, I64Attr:$reference_axis);
  let results = (outs RankedTensorOf<[F32, F64, I32, I64]>:$output);
  let assemblyFormat = [{
    $reference attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// The fused HyperMixing token mixer
//===----------------------------------------------------------------------===//

def HM_HyperMixOp : HM_Op<"hyper_mix", [Pure, AttrSizedOperandSegments]> {
  let summary = "fused multi-head HyperMixing token mixing";
  let description = [{
    Computes docs/hypermixing.md for x [B, N, d] with an optional validity
    mask [B, N] (1 = token, 0 = padding). Per head j, two hypernetworks
    W_i = m * (gelu(H_j A_i_j^T + a_i_j) C_i_j^T + c_i_j), H = s*m*x (+ P)
    with s = `input_scale` (1, or e.g. sqrt(d) in implementations that scale
    tokens before adding positions), mix
    Y_j = W_2 gelu(W_1^T (m*x_j)), heads concatenated, then an optional
    LayerNorm. Weights: A [h, f, d/h], a [h, f], C [h, k/h, f], c [h, k/h].
    `tied` drops the second hypernetwork's operands (W_2 = W_1).
    With `mask_weights` false, W_1 and W_2 are not multiplied by m, as in
    layers that mask only their tokens: a padded token's output row is its
    W_2 row (generated from P alone, its masked token being 0) times the
    mixed matrix. With `mask_tokens` false, the tokens (mixed and read by
    the hypernetworks) are not, as in layers that mask only W_1 and W_2.
    With `mask_hyper_input` false, the hypernetworks read the unmasked
    tokens, H = s*x (+ P), while the mixed tokens stay masked, as in layers
    that mask what they mix and generate but not what they generate from.
    `gelu_approximate` names the form of every GELU in the op, the
    hypernetworks' and the mixing one: "none" (erf) or "tanh" (as hm.gelu's
    `approximate`).

    With `keys` and `values` [B, N_k, d] (cross mixing, the idiap reference's
    query/key/value form), W_1 comes from the keys and mixes the values, both
    masked by `key_mask` [B, N_k]; W_2 comes from the input (the queries),
    masked by `mask`, and the result has the queries' shape. Without them
    all three are the input.

    With `positional = "sinusoidal"`, P is computed from its formula; a
    `position_table` [L, d] (the model's own stored table) supplies rows
    below L exactly as the model rounded them, and rows from L on are
    computed, so no length limit is inherited from the table. With
    `positional = "table"` (learned positions), P is the `position_table`
    alone: each length (N, and N_k when cross) plus `position_offset` must not
    exceed L, as in the model.

    `algorithm` selects how the kernel runs: "two_phase" generates W_1 and
    W_2 on the fly; "reassociated" multiplies through the linear last
    hypernetwork layer first (exact algebra, different rounding); "auto"
    compiles both and picks two_phase for short sequences.
  }];
  let arguments = (ins
    HM_FloatTensor:$input,
    Optional<HM_FloatTensor>:$keys,
    Optional<HM_FloatTensor>:$values,
    Optional<HM_FloatTensor>:$mask,
    Optional<HM_FloatTensor>:$key_mask,
    HM_FloatTensor:$hyper1_in_weight, HM_FloatTensor:$hyper1_in_bias,
    HM_FloatTensor:$hyper1_out_weight, HM_FloatTensor:$hyper1_out_bias,
    Optional<HM_FloatTensor>:$hyper2_in_weight,
    Optional<HM_FloatTensor>:$hyper2_in_bias,
    Optional<HM_FloatTensor>:$hyper2_out_weight,
    Optional<HM_FloatTensor>:$hyper2_out_bias,
    Optional<HM_FloatTensor>:$gamma,
    Optional<HM_FloatTensor>:$beta,
    Optional<HM_FloatTensor>:$position_table,
    I64Attr:$heads,
    DefaultValuedAttr<StrAttr, "\"sinusoidal\"">:$positional,
    DefaultValuedAttr<I64Attr, "0">:$position_offset,
    DefaultValuedAttr<F64Attr, "1.0">:$input_scale,
    OptionalAttr<F64Attr>:$layer_norm_epsilon,
    DefaultValuedAttr<StrAttr, "\"two_phase\"">:$algorithm,
    DefaultValuedAttr<BoolAttr, "true">:$mask_weights,
    DefaultValuedAttr<BoolAttr, "true">:$mask_tokens,
    DefaultValuedAttr<BoolAttr, "true">:$mask_hyper_input,
    DefaultValuedAttr<StrAttr, "\"none\"">:$gelu_approximate);
  let results = (outs HM_FloatTensor:$output);
  let assemblyFormat = [{
    $input (`keys` `(` $keys^ `,` $values `)`)? (`mask` $mask^)?
    (`key_mask` $key_mask^)?
    `hyper1` `(` $hyper1_in_weight `,` $hyper1_in_bias `,` $hyper1_out_weight `,` $hyper1_out_bias `)`
    (`hyper2` `(` $hyper2_in_weight^ `,` $hyper2_in_bias `,` $hyper2_out_weight `,` $hyper2_out_bias `)`)?
    (`norm` `(` $gamma^ `,` $beta `)`)?
    (`positions` `(` $position_table^ `)`)?
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    bool isTied() { return !getHyper2InWeight(); }
    bool hasLayerNorm() { return static_cast<bool>(getGamma()); }
    bool isCross() { return static_cast<bool>(getKeys()); }
  }];
}

#endif // HM_OPS_TD
