// RUN: hmc-opt %s | FileCheck %s
// RUN: hmc-opt %s | hmc-opt | FileCheck %s

// CHECK-LABEL: func.func @elementwise
func.func @elementwise(%x: tensor<?x?x8xf32>, %m: tensor<?x?xi1>) -> tensor<?x?x8xf32> {
  // CHECK: hm.constant dense<5.000000e-01> : tensor<f32>
  %half = hm.constant dense<0.5> : tensor<f32>
  // CHECK: hm.add %{{.*}}, %{{.*}} : tensor<?x?x8xf32>, tensor<f32> -> tensor<?x?x8xf32>
  %0 = hm.add %x, %half : tensor<?x?x8xf32>, tensor<f32> -> tensor<?x?x8xf32>
  %1 = hm.sub %0, %x : tensor<?x?x8xf32>, tensor<?x?x8xf32> -> tensor<?x?x8xf32>
  %2 = hm.mul %1, %x : tensor<?x?x8xf32>, tensor<?x?x8xf32> -> tensor<?x?x8xf32>
  %3 = hm.div %2, %half : tensor<?x?x8xf32>, tensor<f32> -> tensor<?x?x8xf32>
  // CHECK: hm.erf %{{.*}} : tensor<?x?x8xf32>
  %4 = hm.erf %3 : tensor<?x?x8xf32>
  // CHECK: hm.gelu %{{.*}} : tensor<?x?x8xf32>
  %5 = hm.gelu %4 : tensor<?x?x8xf32>
  // CHECK: hm.gelu %{{.*}} {approximate = "tanh"} : tensor<?x?x8xf32>
  %tanh_gelu = hm.gelu %4 {approximate = "tanh"} : tensor<?x?x8xf32>
  // CHECK: hm.not %{{.*}} : tensor<?x?xi1>
  %6 = hm.not %m : tensor<?x?xi1>
  // CHECK: hm.cast %{{.*}} : tensor<?x?xi1> -> tensor<?x?xf32>
  %7 = hm.cast %6 : tensor<?x?xi1> -> tensor<?x?xf32>
  // CHECK: hm.reshape %{{.*}} {shape = ["B", "N", 1]} : tensor<?x?xf32> -> tensor<?x?x1xf32>
  %8 = hm.reshape %7 {shape = ["B", "N", 1]} : tensor<?x?xf32> -> tensor<?x?x1xf32>
  %9 = hm.mul %5, %8 : tensor<?x?x8xf32>, tensor<?x?x1xf32> -> tensor<?x?x8xf32>
  return %9 : tensor<?x?x8xf32>
}

// CHECK-LABEL: func.func @compare
func.func @compare(%lengths: tensor<?x1xi64>, %positions: tensor<?xi64>, %x: tensor<?x?xf32>) -> tensor<?x?xi1> {
  %zero = hm.constant dense<0.0> : tensor<f32>
  // CHECK: hm.less %{{.*}}, %{{.*}} : tensor<?xi64>, tensor<?x1xi64> -> tensor<?x?xi1>
  %0 = hm.less %positions, %lengths : tensor<?xi64>, tensor<?x1xi64> -> tensor<?x?xi1>
  // CHECK: hm.less_equal %{{.*}}, %{{.*}} : tensor<f32>, tensor<?x?xf32> -> tensor<?x?xi1>
  %1 = hm.less_equal %zero, %x : tensor<f32>, tensor<?x?xf32> -> tensor<?x?xi1>
  // CHECK: hm.equal %{{.*}}, %{{.*}} : tensor<?x?xi1>, tensor<?x?xi1> -> tensor<?x?xi1>
  %2 = hm.equal %0, %1 : tensor<?x?xi1>, tensor<?x?xi1> -> tensor<?x?xi1>
  // CHECK: hm.and %{{.*}}, %{{.*}} : tensor<?x?xi1>, tensor<?x?xi1> -> tensor<?x?xi1>
  %3 = hm.and %2, %0 : tensor<?x?xi1>, tensor<?x?xi1> -> tensor<?x?xi1>
  // CHECK: hm.or %{{.*}}, %{{.*}} : tensor<?x?xi1>, tensor<?x?xi1> -> tensor<?x?xi1>
  %4 = hm.or %3, %1 : tensor<?x?xi1>, tensor<?x?xi1> -> tensor<?x?xi1>
  // CHECK: hm.xor %{{.*}}, %{{.*}} : tensor<?x?xi1>, tensor<?x?xi1> -> tensor<?x?xi1>
  %5 = hm.xor %4, %2 : tensor<?x?xi1>, tensor<?x?xi1> -> tensor<?x?xi1>
  return %5 : tensor<?x?xi1>
}

// CHECK-LABEL: func.func @dense
func.func @dense(%x: tensor<?x?x8xf32>) -> tensor<?x?x8xf32> {
  %w = hm.constant dense<1.0> : tensor<8x4xf32>
  %b = hm.constant dense<0.5> : tensor<4xf32>
  // CHECK: hm.linear %{{.*}}, %{{.*}}, %{{.*}} : (tensor<?x?x8xf32>, tensor<8x4xf32>, tensor<4xf32>) -> tensor<?x?x4xf32>
  %0 = hm.linear %x, %w, %b : (tensor<?x?x8xf32>, tensor<8x4xf32>, tensor<4xf32>) -> tensor<?x?x4xf32>
  // CHECK: hm.transpose %{{.*}} {perm = array<i64: 0, 2, 1>}
  %1 = hm.transpose %0 {perm = array<i64: 0, 2, 1>} : tensor<?x?x4xf32> -> tensor<?x4x?xf32>
  // CHECK: hm.matmul
  %2 = hm.matmul %1, %x : tensor<?x4x?xf32>, tensor<?x?x8xf32> -> tensor<?x4x8xf32>
  %g = hm.constant dense<1.0> : tensor<8xf32>
  // CHECK: hm.layer_norm %{{.*}} scale %{{.*}} bias %{{.*}} {epsilon = 1.000000e-05 : f64}
  %3 = hm.layer_norm %x scale %g bias %g {epsilon = 1.0e-5 : f64} : (tensor<?x?x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  // CHECK: hm.einsum "bnd,de->bne"
  %4 = hm.einsum "bnd,de->bne" %3, %w : (tensor<?x?x8xf32>, tensor<8x4xf32>) -> tensor<?x?x4xf32>
  // CHECK: hm.concat %{{.*}}, %{{.*}} {axis = 2 : i64} : (tensor<?x?x8xf32>, tensor<?x?x4xf32>) -> tensor<?x?x12xf32>
  %c = hm.concat %3, %4 {axis = 2} : (tensor<?x?x8xf32>, tensor<?x?x4xf32>) -> tensor<?x?x12xf32>
  // CHECK: hm.reduce_mean %{{.*}} {axes = array<i64: 2>}
  %5 = hm.reduce_mean %3 {axes = array<i64: 2>} : tensor<?x?x8xf32> -> tensor<?x?x1xf32>
  return %3 : tensor<?x?x8xf32>
}

// CHECK-LABEL: func.func @weights_as_resources
func.func @weights_as_resources() -> tensor<2x2xf32> {
  // CHECK: hm.constant dense_resource<w0> : tensor<2x2xf32>
  %w = hm.constant dense_resource<w0> : tensor<2x2xf32>
  return %w : tensor<2x2xf32>
}

// CHECK-LABEL: func.func @positions
func.func @positions(%x: tensor<?x?x8xf32>) -> tensor<1x?x8xf32> {
  %table = hm.constant dense<0.25> : tensor<1x16x8xf32>
  // CHECK: hm.slice_to_dim %{{.*}}, %{{.*}} {axis = 1 : i64, reference_axis = 1 : i64}
  %p = hm.slice_to_dim %table, %x {axis = 1 : i64, reference_axis = 1 : i64} : (tensor<1x16x8xf32>, tensor<?x?x8xf32>) -> tensor<1x?x8xf32>
  return %p : tensor<1x?x8xf32>
}

// CHECK-LABEL: func.func @index_ranges
func.func @index_ranges(%x: tensor<?x?x8xf32>) -> (tensor<?xf32>, tensor<1xi64>) {
  // CHECK: hm.iota %{{.*}} {reference_axis = 1 : i64} : (tensor<?x?x8xf32>) -> tensor<?xf32>
  %i = hm.iota %x {reference_axis = 1 : i64} : (tensor<?x?x8xf32>) -> tensor<?xf32>
  // CHECK: hm.dim_size %{{.*}} {reference_axis = 0 : i64} : (tensor<?x?x8xf32>) -> tensor<1xi64>
  %n = hm.dim_size %x {reference_axis = 0 : i64} : (tensor<?x?x8xf32>) -> tensor<1xi64>
  // CHECK: hm.round %{{.*}} : tensor<?xf32>
  // CHECK: hm.floor %{{.*}} : tensor<?xf32>
  // CHECK: hm.ceil %{{.*}} : tensor<?xf32>
  %r = hm.round %i : tensor<?xf32>
  %f = hm.floor %r : tensor<?xf32>
  %c = hm.ceil %f : tensor<?xf32>
  return %c, %n : tensor<?xf32>, tensor<1xi64>
}

// CHECK-LABEL: func.func @hyper_mix
func.func @hyper_mix(%x: tensor<?x?x16xf32>, %m: tensor<?x?xf32>) -> (tensor<?x?x16xf32>, tensor<?x?x16xf32>) {
  %A = hm.constant dense<0.1> : tensor<2x8x8xf32>
  %a = hm.constant dense<0.2> : tensor<2x8xf32>
  %C = hm.constant dense<0.3> : tensor<2x12x8xf32>
  %c = hm.constant dense<0.4> : tensor<2x12xf32>
  %g = hm.constant dense<1.0> : tensor<16xf32>
  %t = hm.constant dense<0.0> : tensor<32x16xf32>
  // CHECK: hm.hyper_mix %{{.*}} mask %{{.*}} hyper1(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) norm(%{{.*}}, %{{.*}}) positions(%{{.*}}) {heads = 2 : i64, layer_norm_epsilon = 1.000000e-05 : f64}
  %y = hm.hyper_mix %x mask %m hyper1(%A, %a, %C, %c) norm(%g, %g) positions(%t) {heads = 2, layer_norm_epsilon = 1.0e-5 : f64} : (tensor<?x?x16xf32>, tensor<?x?xf32>, tensor<2x8x8xf32>, tensor<2x8xf32>, tensor<2x12x8xf32>, tensor<2x12xf32>, tensor<16xf32>, tensor<16xf32>, tensor<32x16xf32>) -> tensor<?x?x16xf32>
  // CHECK: hm.hyper_mix %{{.*}} hyper1({{.*}}) hyper2({{.*}}) {algorithm = "auto", heads = 2 : i64, positional = "none"}
  %z = hm.hyper_mix %x hyper1(%A, %a, %C, %c) hyper2(%A, %a, %C, %c) {heads = 2, positional = "none", algorithm = "auto"} : (tensor<?x?x16xf32>, tensor<2x8x8xf32>, tensor<2x8xf32>, tensor<2x12x8xf32>, tensor<2x12xf32>, tensor<2x8x8xf32>, tensor<2x8xf32>, tensor<2x12x8xf32>, tensor<2x12xf32>) -> tensor<?x?x16xf32>
  return %y, %z : tensor<?x?x16xf32>, tensor<?x?x16xf32>
}

// Cross mixing: queries of one length over keys and values of another.
// CHECK-LABEL: func.func @hyper_mix_cross
func.func @hyper_mix_cross(%q: tensor<?x?x16xf32>, %k: tensor<?x?x16xf32>, %v: tensor<?x?x16xf32>, %mq: tensor<?x?xf32>, %mk: tensor<?x?xf32>) -> tensor<?x?x16xf32> {
  %A = hm.constant dense<0.1> : tensor<2x8x8xf32>
  %a = hm.constant dense<0.2> : tensor<2x8xf32>
  %C = hm.constant dense<0.3> : tensor<2x12x8xf32>
  %c = hm.constant dense<0.4> : tensor<2x12xf32>
  // CHECK: hm.hyper_mix %[[Q:.*]] keys(%[[K:.*]], %[[V:.*]]) mask %[[MQ:.*]] key_mask %[[MK:.*]] hyper1({{.*}}) {heads = 2 : i64}
  %y = hm.hyper_mix %q keys(%k, %v) mask %mq key_mask %mk hyper1(%A, %a, %C, %c) {heads = 2} : (tensor<?x?x16xf32>, tensor<?x?x16xf32>, tensor<?x?x16xf32>, tensor<?x?xf32>, tensor<?x?xf32>, tensor<2x8x8xf32>, tensor<2x8xf32>, tensor<2x12x8xf32>, tensor<2x12xf32>) -> tensor<?x?x16xf32>
  return %y : tensor<?x?x16xf32>
}

// CHECK-LABEL: func.func @embedding_and_pooling
func.func @embedding_and_pooling(%ids: tensor<?x?xi64>, %m: tensor<?x?x1xf32>) -> tensor<?x8xf32> {
  %table = hm.constant dense<0.5> : tensor<100x8xf32>
  %one = hm.constant dense<1.0> : tensor<1xf32>
  // CHECK: hm.gather %{{.*}}, %{{.*}} {axis = 0 : i64} : (tensor<100x8xf32>, tensor<?x?xi64>) -> tensor<?x?x8xf32>
  %e = hm.gather %table, %ids {axis = 0} : (tensor<100x8xf32>, tensor<?x?xi64>) -> tensor<?x?x8xf32>
  %x = hm.mul %e, %m : tensor<?x?x8xf32>, tensor<?x?x1xf32> -> tensor<?x?x8xf32>
  // CHECK: hm.reduce_sum %{{.*}} {axes = array<i64: 1>, keepdims = false} : tensor<?x?x8xf32> -> tensor<?x8xf32>
  %s = hm.reduce_sum %x {axes = array<i64: 1>, keepdims = false} : tensor<?x?x8xf32> -> tensor<?x8xf32>
  %n = hm.reduce_sum %m {axes = array<i64: 1>, keepdims = false} : tensor<?x?x1xf32> -> tensor<?x1xf32>
  // CHECK: hm.max %{{.*}}, %{{.*}} : tensor<?x1xf32>, tensor<1xf32> -> tensor<?x1xf32>
  %c = hm.max %n, %one : tensor<?x1xf32>, tensor<1xf32> -> tensor<?x1xf32>
  // CHECK: hm.min
  %d = hm.min %c, %one : tensor<?x1xf32>, tensor<1xf32> -> tensor<?x1xf32>
  %y = hm.div %s, %d : tensor<?x8xf32>, tensor<?x1xf32> -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// CHECK-LABEL: func.func @speech_ops
func.func @speech_ops(%x: tensor<?x1x?x80xf32>, %m: tensor<?x?x1xi1>) -> tensor<?x?x32xf32> {
  %w = hm.constant dense<0.1> : tensor<32x1x3x3xf32>
  %b = hm.constant dense<0.2> : tensor<32xf32>
  // CHECK: hm.pad %{{.*}} {mode = "reflect", pads = array<i64: 0, 0, 1, 1, 0, 0, 1, 1>}
  %p = hm.pad %x {mode = "reflect", pads = array<i64: 0, 0, 1, 1, 0, 0, 1, 1>} : tensor<?x1x?x80xf32> -> tensor<?x1x?x82xf32>
  // CHECK: hm.conv %{{.*}}, %{{.*}} bias %{{.*}} {dilations = array<i64: 1, 1>, groups = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>}
  %c = hm.conv %p, %w bias %b {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, groups = 1} : (tensor<?x1x?x82xf32>, tensor<32x1x3x3xf32>, tensor<32xf32>) -> tensor<?x32x?x40xf32>
  // CHECK: hm.leaky_relu %{{.*}} {alpha = 1.000000e-02 : f64}
  %l = hm.leaky_relu %c {alpha = 0.01 : f64} : tensor<?x32x?x40xf32>
  %s = hm.slice %l {axes = array<i64: 3>, starts = array<i64: 0>, ends = array<i64: 1>, steps = array<i64: 1>} : tensor<?x32x?x40xf32> -> tensor<?x32x?x1xf32>
  %r = hm.reshape %s {shape = ["B", 32, "T"]} : tensor<?x32x?x1xf32> -> tensor<?x32x?xf32>
  %t = hm.transpose %r {perm = array<i64: 0, 2, 1>} : tensor<?x32x?xf32> -> tensor<?x?x32xf32>
  // CHECK: hm.sigmoid
  %g = hm.sigmoid %t : tensor<?x?x32xf32>
  %zero = hm.constant dense<0.0> : tensor<1xf32>
  // CHECK: hm.where %{{.*}}, %{{.*}}, %{{.*}} : (tensor<?x?x1xi1>, tensor<1xf32>, tensor<?x?x32xf32>) -> tensor<?x?x32xf32>
  %z = hm.where %m, %zero, %g : (tensor<?x?x1xi1>, tensor<1xf32>, tensor<?x?x32xf32>) -> tensor<?x?x32xf32>
  // CHECK: hm.log_softmax %{{.*}} {axis = 2 : i64}
  %y = hm.log_softmax %z {axis = 2} : tensor<?x?x32xf32>
  // CHECK: hm.softmax
  %q = hm.softmax %y {axis = 2} : tensor<?x?x32xf32>
  return %q : tensor<?x?x32xf32>
}


// CHECK-LABEL: func.func @extrema_and_remainders
func.func @extrema_and_remainders(%x: tensor<?x?x8xf32>, %n: tensor<?xi64>) -> (tensor<?x8xf32>, tensor<?x1x8xf32>, tensor<?x?xi64>, tensor<?x1x8xi64>, tensor<?xi64>, tensor<?xi64>, tensor<?xi64>) {
  %three = hm.constant dense<3> : tensor<i64>
  // CHECK: hm.reduce_max %{{.*}} {axes = array<i64: 1>, keepdims = false} : tensor<?x?x8xf32> -> tensor<?x8xf32>
  %high = hm.reduce_max %x {axes = array<i64: 1>, keepdims = false} : tensor<?x?x8xf32> -> tensor<?x8xf32>
  // CHECK: hm.reduce_min %{{.*}} {axes = array<i64: 1>} : tensor<?x?x8xf32> -> tensor<?x1x8xf32>
  %low = hm.reduce_min %x {axes = array<i64: 1>} : tensor<?x?x8xf32> -> tensor<?x1x8xf32>
  // CHECK: hm.arg_max %{{.*}} {axis = 2 : i64, keepdims = false, select_last_index = true} : tensor<?x?x8xf32> -> tensor<?x?xi64>
  %best = hm.arg_max %x {axis = 2 : i64, keepdims = false, select_last_index = true} : tensor<?x?x8xf32> -> tensor<?x?xi64>
  // CHECK: hm.arg_min %{{.*}} {axis = 1 : i64} : tensor<?x?x8xf32> -> tensor<?x1x8xi64>
  %worst = hm.arg_min %x {axis = 1 : i64} : tensor<?x?x8xf32> -> tensor<?x1x8xi64>
  // CHECK: hm.mod %{{.*}}, %{{.*}} : tensor<?xi64>, tensor<i64> -> tensor<?xi64>
  %floored = hm.mod %n, %three : tensor<?xi64>, tensor<i64> -> tensor<?xi64>
  // CHECK: hm.rem %{{.*}}, %{{.*}} : tensor<?xi64>, tensor<i64> -> tensor<?xi64>
  %truncated = hm.rem %n, %three : tensor<?xi64>, tensor<i64> -> tensor<?xi64>
  // CHECK: hm.abs %{{.*}} : tensor<?xi64>
  %magnitude = hm.abs %n : tensor<?xi64>
  return %high, %low, %best, %worst, %floored, %truncated, %magnitude : tensor<?x8xf32>, tensor<?x1x8xf32>, tensor<?x?xi64>, tensor<?x1x8xi64>, tensor<?xi64>, tensor<?xi64>, tensor<?xi64>
}

{-#
  dialect_resources: {
    builtin: {
      w0: "0x040000000000803F000000400000404000008040"
    }
  }
#-}
