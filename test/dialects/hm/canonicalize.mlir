// RUN: hmc-opt %s --hm-canonicalize | FileCheck %s
// RUN: hmc-opt %s --hm-canonicalize | FileCheck %s --check-prefix=BLOB

// torch.onnx's GELU: x * (1 + erf(x / sqrt 2)) * 0.5.
// CHECK-LABEL: func.func @gelu_from_erf
// CHECK-SAME: (%[[X:.*]]: tensor<?x8xf32>)
// CHECK-NEXT: %[[G:.*]] = hm.gelu %[[X]] : tensor<?x8xf32>
// CHECK-NEXT: return %[[G]]
func.func @gelu_from_erf(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %sqrt2 = hm.constant dense<1.41421354> : tensor<f32>
  %one = hm.constant dense<1.0> : tensor<f32>
  %half = hm.constant dense<0.5> : tensor<f32>
  %0 = hm.div %x, %sqrt2 : tensor<?x8xf32>, tensor<f32> -> tensor<?x8xf32>
  %1 = hm.erf %0 : tensor<?x8xf32>
  %2 = hm.add %1, %one : tensor<?x8xf32>, tensor<f32> -> tensor<?x8xf32>
  %3 = hm.mul %x, %2 : tensor<?x8xf32>, tensor<?x8xf32> -> tensor<?x8xf32>
  %4 = hm.mul %3, %half : tensor<?x8xf32>, tensor<f32> -> tensor<?x8xf32>
  return %4 : tensor<?x8xf32>
}

// The other association: (0.5 * x) * (1 + erf(x * 0.7071)).
// CHECK-LABEL: func.func @gelu_half_first
// CHECK-NEXT: hm.gelu
// CHECK-NEXT: return
func.func @gelu_half_first(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %rsqrt2 = hm.constant dense<0.707106769> : tensor<f32>
  %one = hm.constant dense<1.0> : tensor<f32>
  %half = hm.constant dense<0.5> : tensor<f32>
  %0 = hm.mul %x, %rsqrt2 : tensor<?x8xf32>, tensor<f32> -> tensor<?x8xf32>
  %1 = hm.erf %0 : tensor<?x8xf32>
  %2 = hm.add %one, %1 : tensor<f32>, tensor<?x8xf32> -> tensor<?x8xf32>
  %3 = hm.mul %half, %x : tensor<f32>, tensor<?x8xf32> -> tensor<?x8xf32>
  %4 = hm.mul %3, %2 : tensor<?x8xf32>, tensor<?x8xf32> -> tensor<?x8xf32>
  return %4 : tensor<?x8xf32>
}

// Not a GELU: the erf argument is scaled by 2, so nothing changes.
// CHECK-LABEL: func.func @not_gelu
// CHECK-NOT: hm.gelu
// CHECK: hm.erf
func.func @not_gelu(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %two = hm.constant dense<2.0> : tensor<f32>
  %one = hm.constant dense<1.0> : tensor<f32>
  %half = hm.constant dense<0.5> : tensor<f32>
  %0 = hm.div %x, %two : tensor<?x8xf32>, tensor<f32> -> tensor<?x8xf32>
  %1 = hm.erf %0 : tensor<?x8xf32>
  %2 = hm.add %1, %one : tensor<?x8xf32>, tensor<f32> -> tensor<?x8xf32>
  %3 = hm.mul %x, %2 : tensor<?x8xf32>, tensor<?x8xf32> -> tensor<?x8xf32>
  %4 = hm.mul %3, %half : tensor<?x8xf32>, tensor<f32> -> tensor<?x8xf32>
  return %4 : tensor<?x8xf32>
}

// torch.onnx's tanh GELU (approximate="tanh", opset <= 19):
// 0.5 * (x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * (x * (x * x)))))).
// CHECK-LABEL: func.func @gelu_from_tanh
// CHECK-SAME: (%[[X:.*]]: tensor<?x8xf32>)
// CHECK-NEXT: %[[G:.*]] = hm.gelu %[[X]] {approximate = "tanh"} : tensor<?x8xf32>
// CHECK-NEXT: return %[[G]]
func.func @gelu_from_tanh(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %slope = hm.constant dense<0.797884583> : tensor<f32>
  %cubic = hm.constant dense<4.471500e-02> : tensor<f32>
  %one = hm.constant dense<1.0> : tensor<f32>
  %half = hm.constant dense<0.5> : tensor<f32>
  %0 = hm.mul %x, %x : tensor<?x8xf32>, tensor<?x8xf32> -> tensor<?x8xf32>
  %1 = hm.mul %x, %0 : tensor<?x8xf32>, tensor<?x8xf32> -> tensor<?x8xf32>
  %2 = hm.mul %cubic, %1 : tensor<f32>, tensor<?x8xf32> -> tensor<?x8xf32>
  %3 = hm.add %x, %2 : tensor<?x8xf32>, tensor<?x8xf32> -> tensor<?x8xf32>
  %4 = hm.mul %slope, %3 : tensor<f32>, tensor<?x8xf32> -> tensor<?x8xf32>
  %5 = hm.tanh %4 : tensor<?x8xf32>
  %6 = hm.add %one, %5 : tensor<f32>, tensor<?x8xf32> -> tensor<?x8xf32>
  %7 = hm.mul %x, %6 : tensor<?x8xf32>, tensor<?x8xf32> -> tensor<?x8xf32>
  %8 = hm.mul %half, %7 : tensor<f32>, tensor<?x8xf32> -> tensor<?x8xf32>
  return %8 : tensor<?x8xf32>
}

// The dynamo exporter's spelling: Pow(x, 3), sqrt(2 / pi) computed from
// its constants, constants on the right, and (0.5 * x) * (1 + tanh(...)) for
// the product.
// CHECK-LABEL: func.func @gelu_from_tanh_pow
// CHECK-NEXT: hm.gelu %{{.*}} {approximate = "tanh"}
// CHECK-NEXT: return
func.func @gelu_from_tanh_pow(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %three = hm.constant dense<3.0> : tensor<f32>
  %two = hm.constant dense<2.0> : tensor<f32>
  %pi = hm.constant dense<3.14159274> : tensor<f32>
  %ratio = hm.div %two, %pi : tensor<f32>, tensor<f32> -> tensor<f32>
  %slope = hm.sqrt %ratio : tensor<f32>
  %cubic = hm.constant dense<4.471500e-02> : tensor<f32>
  %one = hm.constant dense<1.0> : tensor<f32>
  %half = hm.constant dense<0.5> : tensor<f32>
  %0 = hm.pow %x, %three : tensor<?x8xf32>, tensor<f32> -> tensor<?x8xf32>
  %1 = hm.mul %0, %cubic : tensor<?x8xf32>, tensor<f32> -> tensor<?x8xf32>
  %2 = hm.add %x, %1 : tensor<?x8xf32>, tensor<?x8xf32> -> tensor<?x8xf32>
  %3 = hm.mul %2, %slope : tensor<?x8xf32>, tensor<f32> -> tensor<?x8xf32>
  %4 = hm.tanh %3 : tensor<?x8xf32>
  %5 = hm.add %4, %one : tensor<?x8xf32>, tensor<f32> -> tensor<?x8xf32>
  %6 = hm.mul %half, %x : tensor<f32>, tensor<?x8xf32> -> tensor<?x8xf32>
  %7 = hm.mul %6, %5 : tensor<?x8xf32>, tensor<?x8xf32> -> tensor<?x8xf32>
  return %7 : tensor<?x8xf32>
}

// The factored form of fused implementations, with their rounded constant:
// (0.5 * (1 + tanh(0.79788456 * x * (1 + 0.044715 * x * x)))) * x.
// CHECK-LABEL: func.func @gelu_from_tanh_factored
// CHECK-NEXT: hm.gelu %{{.*}} {approximate = "tanh"}
// CHECK-NEXT: return
func.func @gelu_from_tanh_factored(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %slope = hm.constant dense<0.79788456> : tensor<f32>
  %cubic = hm.constant dense<4.471500e-02> : tensor<f32>
  %one = hm.constant dense<1.0> : tensor<f32>
  %half = hm.constant dense<0.5> : tensor<f32>
  %0 = hm.mul %x, %slope : tensor<?x8xf32>, tensor<f32> -> tensor<?x8xf32>
  %1 = hm.mul %cubic, %x : tensor<f32>, tensor<?x8xf32> -> tensor<?x8xf32>
  %2 = hm.mul %1, %x : tensor<?x8xf32>, tensor<?x8xf32> -> tensor<?x8xf32>
  %3 = hm.add %one, %2 : tensor<f32>, tensor<?x8xf32> -> tensor<?x8xf32>
  %4 = hm.mul %0, %3 : tensor<?x8xf32>, tensor<?x8xf32> -> tensor<?x8xf32>
  %5 = hm.tanh %4 : tensor<?x8xf32>
  %6 = hm.add %5, %one : tensor<?x8xf32>, tensor<f32> -> tensor<?x8xf32>
  %7 = hm.mul %half, %6 : tensor<f32>, tensor<?x8xf32> -> tensor<?x8xf32>
  %8 = hm.mul %7, %x : tensor<?x8xf32>, tensor<?x8xf32> -> tensor<?x8xf32>
  return %8 : tensor<?x8xf32>
}

// Not a GELU: the cubic coefficient is 0.05, so the tanh stays.
// CHECK-LABEL: func.func @not_tanh_gelu
// CHECK-NOT: hm.gelu
// CHECK: hm.tanh
func.func @not_tanh_gelu(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %three = hm.constant dense<3.0> : tensor<f32>
  %slope = hm.constant dense<0.797884583> : tensor<f32>
  %cubic = hm.constant dense<5.000000e-02> : tensor<f32>
  %one = hm.constant dense<1.0> : tensor<f32>
  %half = hm.constant dense<0.5> : tensor<f32>
  %0 = hm.pow %x, %three : tensor<?x8xf32>, tensor<f32> -> tensor<?x8xf32>
  %1 = hm.mul %0, %cubic : tensor<?x8xf32>, tensor<f32> -> tensor<?x8xf32>
  %2 = hm.add %x, %1 : tensor<?x8xf32>, tensor<?x8xf32> -> tensor<?x8xf32>
  %3 = hm.mul %2, %slope : tensor<?x8xf32>, tensor<f32> -> tensor<?x8xf32>
  %4 = hm.tanh %3 : tensor<?x8xf32>
  %5 = hm.add %4, %one : tensor<?x8xf32>, tensor<f32> -> tensor<?x8xf32>
  %6 = hm.mul %half, %x : tensor<f32>, tensor<?x8xf32> -> tensor<?x8xf32>
  %7 = hm.mul %6, %5 : tensor<?x8xf32>, tensor<?x8xf32> -> tensor<?x8xf32>
  return %7 : tensor<?x8xf32>
}

// The opset <= 16 LayerNorm decomposition.
// CHECK-LABEL: func.func @layer_norm_from_parts
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x4xf32>)
// CHECK-DAG: %[[G:.*]] = hm.constant dense<[1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00]>
// CHECK-DAG: %[[B:.*]] = hm.constant dense<[5.000000e-01, 0.000000e+00, -5.000000e-01, 1.000000e+00]>
// CHECK: %[[N:.*]] = hm.layer_norm %[[X]] scale %[[G]] bias %[[B]] {epsilon = 9.9999997473787516E-6 : f64}
// CHECK-NEXT: return %[[N]]
func.func @layer_norm_from_parts(%x: tensor<?x?x4xf32>) -> tensor<?x?x4xf32> {
  %mean = hm.reduce_mean %x {axes = array<i64: 2>} : tensor<?x?x4xf32> -> tensor<?x?x1xf32>
  %d = hm.sub %x, %mean : tensor<?x?x4xf32>, tensor<?x?x1xf32> -> tensor<?x?x4xf32>
  %two = hm.constant dense<2.0> : tensor<f32>
  %sq = hm.pow %d, %two : tensor<?x?x4xf32>, tensor<f32> -> tensor<?x?x4xf32>
  %var = hm.reduce_mean %sq {axes = array<i64: 2>} : tensor<?x?x4xf32> -> tensor<?x?x1xf32>
  %eps = hm.constant dense<9.99999974E-6> : tensor<f32>
  %ve = hm.add %var, %eps : tensor<?x?x1xf32>, tensor<f32> -> tensor<?x?x1xf32>
  %sd = hm.sqrt %ve : tensor<?x?x1xf32>
  %n = hm.div %d, %sd : tensor<?x?x4xf32>, tensor<?x?x1xf32> -> tensor<?x?x4xf32>
  %g = hm.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %s = hm.mul %n, %g : tensor<?x?x4xf32>, tensor<4xf32> -> tensor<?x?x4xf32>
  %b = hm.constant dense<[0.5, 0.0, -0.5, 1.0]> : tensor<4xf32>
  %y = hm.add %s, %b : tensor<?x?x4xf32>, tensor<4xf32> -> tensor<?x?x4xf32>
  return %y : tensor<?x?x4xf32>
}

// Over the last two axes (a conv front-end's LayerNorm([freq, channels])).
// CHECK-LABEL: func.func @layer_norm_two_axes
// CHECK: %[[N:.*]] = hm.layer_norm %{{.*}} scale %{{.*}} bias %{{.*}} {axis = -2 : i64, epsilon = 9.9999997473787516E-6 : f64}
// CHECK-NEXT: return %[[N]]
func.func @layer_norm_two_axes(%x: tensor<?x?x3x4xf32>) -> tensor<?x?x3x4xf32> {
  %mean = hm.reduce_mean %x {axes = array<i64: -2, -1>} : tensor<?x?x3x4xf32> -> tensor<?x?x1x1xf32>
  %d = hm.sub %x, %mean : tensor<?x?x3x4xf32>, tensor<?x?x1x1xf32> -> tensor<?x?x3x4xf32>
  %two = hm.constant dense<2.0> : tensor<f32>
  %sq = hm.pow %d, %two : tensor<?x?x3x4xf32>, tensor<f32> -> tensor<?x?x3x4xf32>
  %var = hm.reduce_mean %sq {axes = array<i64: -2, -1>} : tensor<?x?x3x4xf32> -> tensor<?x?x1x1xf32>
  %eps = hm.constant dense<9.99999974E-6> : tensor<f32>
  %ve = hm.add %var, %eps : tensor<?x?x1x1xf32>, tensor<f32> -> tensor<?x?x1x1xf32>
  %sd = hm.sqrt %ve : tensor<?x?x1x1xf32>
  %n = hm.div %d, %sd : tensor<?x?x3x4xf32>, tensor<?x?x1x1xf32> -> tensor<?x?x3x4xf32>
  %g = hm.constant dense<1.5> : tensor<3x4xf32>
  %s = hm.mul %n, %g : tensor<?x?x3x4xf32>, tensor<3x4xf32> -> tensor<?x?x3x4xf32>
  %b = hm.constant dense<0.5> : tensor<3x4xf32>
  %y = hm.add %s, %b : tensor<?x?x3x4xf32>, tensor<3x4xf32> -> tensor<?x?x3x4xf32>
  return %y : tensor<?x?x3x4xf32>
}

// Normalising over a dynamic axis (GroupNorm over channels x time) keeps its
// reductions: the kernel's gamma and beta are weights of the normalised
// dimensions.
// CHECK-LABEL: func.func @norm_over_dynamic_axis
// CHECK-NOT: hm.layer_norm
// CHECK: hm.reduce_mean
// CHECK: hm.reduce_mean
// CHECK-NOT: hm.layer_norm
func.func @norm_over_dynamic_axis(%x: tensor<?x4x?xf32>) -> tensor<?x4x?xf32> {
  %mean = hm.reduce_mean %x {axes = array<i64: 2>} : tensor<?x4x?xf32> -> tensor<?x4x1xf32>
  %d = hm.sub %x, %mean : tensor<?x4x?xf32>, tensor<?x4x1xf32> -> tensor<?x4x?xf32>
  %sq = hm.mul %d, %d : tensor<?x4x?xf32>, tensor<?x4x?xf32> -> tensor<?x4x?xf32>
  %var = hm.reduce_mean %sq {axes = array<i64: 2>} : tensor<?x4x?xf32> -> tensor<?x4x1xf32>
  %eps = hm.constant dense<9.99999974E-6> : tensor<f32>
  %ve = hm.add %var, %eps : tensor<?x4x1xf32>, tensor<f32> -> tensor<?x4x1xf32>
  %sd = hm.sqrt %ve : tensor<?x4x1xf32>
  %n = hm.div %d, %sd : tensor<?x4x?xf32>, tensor<?x4x1xf32> -> tensor<?x4x?xf32>
  return %n : tensor<?x4x?xf32>
}

// An inference BatchNormalization after a convolution (per-channel scale,
// then shift) folds into the convolution's weights and bias.
// CHECK-LABEL: func.func @batch_norm_into_conv
// CHECK-DAG: %[[W:.*]] = hm.constant dense_resource<conv.folded_weight> : tensor<2x1x3xf32>
// CHECK-DAG: %[[B:.*]] = hm.constant dense_resource<conv.folded_bias{{.*}}> : tensor<2xf32>
// CHECK: %[[Y:.*]] = hm.conv %{{.*}}, %[[W]] bias %[[B]] {dilations = array<i64: 1>, groups = 2 : i64, pads = array<i64: 1, 1>, strides = array<i64: 1>}
// CHECK-NEXT: return %[[Y]]
// The weights scaled per channel ([1 2 3] * 2, [4 5 6] * 3), the bias
// scaled and shifted (0.5 * 2 + 1, -0.5 * 3 + 1), as float32 blobs.
// BLOB: conv.folded_weight: "0x0400000000000040000080400000C040000040410000704100009041"
// BLOB: conv.folded_bias{{.*}}: "0x0400000000000040000000BF"
func.func @batch_norm_into_conv(%x: tensor<?x2x?xf32>) -> tensor<?x2x?xf32> {
  %w = hm.constant dense<[[[1.0, 2.0, 3.0]], [[4.0, 5.0, 6.0]]]> : tensor<2x1x3xf32>
  %b = hm.constant dense<[0.5, -0.5]> : tensor<2xf32>
  %c = hm.conv %x, %w bias %b {strides = array<i64: 1>, dilations = array<i64: 1>, pads = array<i64: 1, 1>, groups = 2} : (tensor<?x2x?xf32>, tensor<2x1x3xf32>, tensor<2xf32>) -> tensor<?x2x?xf32>
  %s = hm.constant dense<[[2.0], [3.0]]> : tensor<2x1xf32>
  %m = hm.mul %c, %s : tensor<?x2x?xf32>, tensor<2x1xf32> -> tensor<?x2x?xf32>
  %t = hm.constant dense<[[1.0], [1.0]]> : tensor<2x1xf32>
  %y = hm.add %m, %t : tensor<?x2x?xf32>, tensor<2x1xf32> -> tensor<?x2x?xf32>
  return %y : tensor<?x2x?xf32>
}

// A dense layer's bias add joins the layer (torch puts the bias first).
// CHECK-LABEL: func.func @linear_bias
// CHECK: %[[L:.*]] = hm.linear %{{.*}}, %{{.*}}, %{{.*}} : (tensor<?x?x8xf32>, tensor<8x4xf32>, tensor<4xf32>) -> tensor<?x?x4xf32>
// CHECK-NEXT: return %[[L]]
func.func @linear_bias(%x: tensor<?x?x8xf32>) -> tensor<?x?x4xf32> {
  %w = hm.constant dense<0.5> : tensor<8x4xf32>
  %b = hm.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %0 = hm.linear %x, %w : (tensor<?x?x8xf32>, tensor<8x4xf32>) -> tensor<?x?x4xf32>
  %1 = hm.add %b, %0 : tensor<4xf32>, tensor<?x?x4xf32> -> tensor<?x?x4xf32>
  return %1 : tensor<?x?x4xf32>
}

// A mask cast after its unsqueeze is cast first, so its [B, N] form exists.
// CHECK-LABEL: func.func @cast_before_reshape
// CHECK-SAME: (%[[M:.*]]: tensor<?x?xi1>)
// CHECK-NEXT: %[[F:.*]] = hm.cast %[[M]] : tensor<?x?xi1> -> tensor<?x?xf32>
// CHECK-NEXT: %[[R:.*]] = hm.reshape %[[F]] {shape = ["B", "N", 1]} : tensor<?x?xf32> -> tensor<?x?x1xf32>
// CHECK-NEXT: return %[[R]]
func.func @cast_before_reshape(%m: tensor<?x?xi1>) -> tensor<?x?x1xf32> {
  %0 = hm.reshape %m {shape = ["B", "N", 1]} : tensor<?x?xi1> -> tensor<?x?x1xi1>
  %1 = hm.cast %0 : tensor<?x?x1xi1> -> tensor<?x?x1xf32>
  return %1 : tensor<?x?x1xf32>
}

// A transpose that moves only unit dims is a reshape, spelled with the names
// the argument's hm.dims give; one that reorders two dynamic dims is not.
// CHECK-LABEL: func.func @unit_transpose
// CHECK-SAME: (%[[M:.*]]: tensor<?x1x?xf32> {{.*}}, %[[X:.*]]: tensor<?x?x1xf32>
// CHECK-NEXT: %[[R:.*]] = hm.reshape %[[M]] {shape = ["B", "T", 1]} : tensor<?x1x?xf32> -> tensor<?x?x1xf32>
// CHECK-NEXT: %[[T:.*]] = hm.transpose %[[X]] {perm = array<i64: 1, 0, 2>}
// CHECK-NEXT: return %[[R]], %[[T]]
func.func @unit_transpose(%m: tensor<?x1x?xf32> {hm.dims = ["B", 1, "T"]}, %x: tensor<?x?x1xf32> {hm.dims = ["B", "T", 1]}) -> (tensor<?x?x1xf32>, tensor<?x?x1xf32>) {
  %0 = hm.transpose %m {perm = array<i64: 0, 2, 1>} : tensor<?x1x?xf32> -> tensor<?x?x1xf32>
  %1 = hm.transpose %x {perm = array<i64: 1, 0, 2>} : tensor<?x?x1xf32> -> tensor<?x?x1xf32>
  return %0, %1 : tensor<?x?x1xf32>, tensor<?x?x1xf32>
}

// Without names for its dynamic dims the transpose stays.
// CHECK-LABEL: func.func @unit_transpose_unnamed
// CHECK-NEXT: hm.transpose
func.func @unit_transpose_unnamed(%m: tensor<?x1x?xf32>) -> tensor<?x?x1xf32> {
  %0 = hm.transpose %m {perm = array<i64: 0, 2, 1>} : tensor<?x1x?xf32> -> tensor<?x?x1xf32>
  return %0 : tensor<?x?x1xf32>
}

// x.reshape(-1, d) -> Linear -> GELU -> * 0.5 -> .view(B, N, d'): the linear
// and the elementwise ops run on [B, N, d] and the two reshapes compose into
// one that merges nothing.
// CHECK-LABEL: func.func @merged_rows
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x8xf32>)
// CHECK: %[[L:.*]] = hm.linear %[[X]], %{{.*}} : (tensor<?x?x8xf32>, tensor<8x4xf32>) -> tensor<?x?x4xf32>
// CHECK-NEXT: %[[G:.*]] = hm.gelu %[[L]] : tensor<?x?x4xf32>
// CHECK-NEXT: %[[H:.*]] = hm.mul %[[G]], %{{.*}} : tensor<?x?x4xf32>, tensor<f32> -> tensor<?x?x4xf32>
// CHECK-NEXT: %[[Y:.*]] = hm.reshape %[[H]] {shape = ["B", "N", 4]} : tensor<?x?x4xf32> -> tensor<?x?x4xf32>
// CHECK-NEXT: return %[[Y]]
func.func @merged_rows(%x: tensor<?x?x8xf32>) -> tensor<?x?x4xf32> {
  %w = hm.constant dense<0.5> : tensor<8x4xf32>
  %half = hm.constant dense<0.5> : tensor<f32>
  %0 = hm.reshape %x {shape = ["B*N", 8]} : tensor<?x?x8xf32> -> tensor<?x8xf32>
  %1 = hm.linear %0, %w : (tensor<?x8xf32>, tensor<8x4xf32>) -> tensor<?x4xf32>
  %2 = hm.gelu %1 : tensor<?x4xf32>
  %3 = hm.mul %2, %half : tensor<?x4xf32>, tensor<f32> -> tensor<?x4xf32>
  %4 = hm.reshape %3 {shape = ["B", "N", 4]} : tensor<?x4xf32> -> tensor<?x?x4xf32>
  return %4 : tensor<?x?x4xf32>
}

// A merge returned as it is stays (the return has no result to move).
// CHECK-LABEL: func.func @merged_rows_returned
// CHECK-NEXT: %[[R:.*]] = hm.reshape %{{.*}} {shape = ["B*N", 8]}
// CHECK-NEXT: return %[[R]]
func.func @merged_rows_returned(%x: tensor<?x?x8xf32>) -> tensor<?x8xf32> {
  %0 = hm.reshape %x {shape = ["B*N", 8]} : tensor<?x?x8xf32> -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// With a run-time other operand the reshape stays where it is.
// CHECK-LABEL: func.func @merged_rows_plus_tensor
// CHECK: %[[R:.*]] = hm.reshape %{{.*}} {shape = ["B*N", 8]}
// CHECK-NEXT: hm.add %[[R]], %{{.*}} : tensor<?x8xf32>, tensor<?x8xf32> -> tensor<?x8xf32>
func.func @merged_rows_plus_tensor(%x: tensor<?x?x8xf32>, %y: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %0 = hm.reshape %x {shape = ["B*N", 8]} : tensor<?x?x8xf32> -> tensor<?x8xf32>
  %1 = hm.add %0, %y : tensor<?x8xf32>, tensor<?x8xf32> -> tensor<?x8xf32>
  return %1 : tensor<?x8xf32>
}

// Layer norm and softmax over the kept last dimension commute with the merge;
// over another axis they do not.
// CHECK-LABEL: func.func @merged_rows_normalised
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x8xf32>
// CHECK: %[[N:.*]] = hm.layer_norm %[[X]] scale %{{.*}} bias %{{.*}} {epsilon = 1.000000e-05 : f64} : (tensor<?x?x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
// CHECK-NEXT: %[[S:.*]] = hm.softmax %[[N]] {axis = 2 : i64} : tensor<?x?x8xf32>
// CHECK-NEXT: %[[L:.*]] = hm.log_softmax %[[S]] {axis = 2 : i64} : tensor<?x?x8xf32>
// CHECK-NEXT: %[[Y:.*]] = hm.reshape %[[L]] {shape = ["B*N", 8]}
// CHECK-NEXT: hm.softmax %[[Y]] {axis = 0 : i64} : tensor<?x8xf32>
func.func @merged_rows_normalised(%x: tensor<?x?x8xf32>, %g: tensor<8xf32>, %b: tensor<8xf32>) -> tensor<?x8xf32> {
  %0 = hm.reshape %x {shape = ["B*N", 8]} : tensor<?x?x8xf32> -> tensor<?x8xf32>
  %1 = hm.layer_norm %0 scale %g bias %b {epsilon = 1.0e-05 : f64} : (tensor<?x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  %2 = hm.softmax %1 {axis = 1 : i64} : tensor<?x8xf32>
  %3 = hm.log_softmax %2 {axis = -1 : i64} : tensor<?x8xf32>
  %4 = hm.softmax %3 {axis = 0 : i64} : tensor<?x8xf32>
  return %4 : tensor<?x8xf32>
}
