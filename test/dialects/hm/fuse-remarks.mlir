// A near-miss stays unfused and the pass says which check failed.
// RUN: hmc-opt %s --hm-fuse-hypermixing --split-input-file --verify-diagnostics | FileCheck %s

// The hypernetwork has no nonlinearity between its two layers.
// CHECK-LABEL: func.func @no_hidden_gelu
// CHECK-NOT: hm.hyper_mix
func.func @no_hidden_gelu(%x: tensor<?x?x4xf32> {hm.dims = ["B", "N", 4]}) -> tensor<?x?x4xf32> {
  %w1 = hm.constant dense<0.5> : tensor<4x3xf32>
  %b1 = hm.constant dense<0.1> : tensor<3xf32>
  %w2 = hm.constant dense<0.25> : tensor<3x2xf32>
  %b2 = hm.constant dense<0.2> : tensor<2xf32>
  %h = hm.linear %x, %w1, %b1 : (tensor<?x?x4xf32>, tensor<4x3xf32>, tensor<3xf32>) -> tensor<?x?x3xf32>
  %w = hm.linear %h, %w2, %b2 : (tensor<?x?x3xf32>, tensor<3x2xf32>, tensor<2xf32>) -> tensor<?x?x2xf32>
  %wt = hm.transpose %w {perm = array<i64: 0, 2, 1>} : tensor<?x?x2xf32> -> tensor<?x2x?xf32>
  %s = hm.matmul %wt, %x : tensor<?x2x?xf32>, tensor<?x?x4xf32> -> tensor<?x2x4xf32>
  // expected-remark @+1 {{HyperMixing subgraph not fused: first hypernetwork: no GELU between the hypernetwork layers}}
  %z = hm.gelu %s : tensor<?x2x4xf32>
  %y = hm.matmul %w, %z : tensor<?x?x2xf32>, tensor<?x2x4xf32> -> tensor<?x?x4xf32>
  return %y : tensor<?x?x4xf32>
}

// -----

// With the GELU in place the same graph fuses (no positions, no mask).
// CHECK-LABEL: func.func @fuses
// CHECK: hm.hyper_mix %arg0 hyper1({{.*}}) {algorithm = "auto", heads = 1 : i64, positional = "none"}
func.func @fuses(%x: tensor<?x?x4xf32> {hm.dims = ["B", "N", 4]}) -> tensor<?x?x4xf32> {
  %w1 = hm.constant dense<[[0.5, -0.25, 0.125], [0.3, 0.2, -0.1], [-0.4, 0.6, 0.05], [0.7, -0.3, 0.2]]> : tensor<4x3xf32>
  %b1 = hm.constant dense<[0.1, -0.2, 0.3]> : tensor<3xf32>
  %w2 = hm.constant dense<[[0.25, -0.5], [0.4, 0.1], [-0.3, 0.35]]> : tensor<3x2xf32>
  %b2 = hm.constant dense<[0.2, -0.1]> : tensor<2xf32>
  %h = hm.linear %x, %w1, %b1 : (tensor<?x?x4xf32>, tensor<4x3xf32>, tensor<3xf32>) -> tensor<?x?x3xf32>
  %g = hm.gelu %h : tensor<?x?x3xf32>
  %w = hm.linear %g, %w2, %b2 : (tensor<?x?x3xf32>, tensor<3x2xf32>, tensor<2xf32>) -> tensor<?x?x2xf32>
  %wt = hm.transpose %w {perm = array<i64: 0, 2, 1>} : tensor<?x?x2xf32> -> tensor<?x2x?xf32>
  %s = hm.matmul %wt, %x : tensor<?x2x?xf32>, tensor<?x?x4xf32> -> tensor<?x2x4xf32>
  %z = hm.gelu %s : tensor<?x2x4xf32>
  // expected-remark @+1 {{fused HyperMixing: heads = 1, d = 4, k = 2, tied, positions none}}
  %y = hm.matmul %w, %z : tensor<?x?x2xf32>, tensor<?x2x4xf32> -> tensor<?x?x4xf32>
  return %y : tensor<?x?x4xf32>
}

// -----

// The mixed sum divided by the token count (a mean, not HyperMixing's sum)
// stays unfused, and the remark says why.
// CHECK-LABEL: func.func @mean_over_tokens
// CHECK-NOT: hm.hyper_mix
func.func @mean_over_tokens(%x: tensor<?x?x4xf32> {hm.dims = ["B", "N", 4]}, %n: tensor<f32>) -> tensor<?x?x4xf32> {
  %w1 = hm.constant dense<[[0.5, -0.25, 0.125], [0.3, 0.2, -0.1], [-0.4, 0.6, 0.05], [0.7, -0.3, 0.2]]> : tensor<4x3xf32>
  %b1 = hm.constant dense<[0.1, -0.2, 0.3]> : tensor<3xf32>
  %w2 = hm.constant dense<[[0.25, -0.5], [0.4, 0.1], [-0.3, 0.35]]> : tensor<3x2xf32>
  %b2 = hm.constant dense<[0.2, -0.1]> : tensor<2xf32>
  %h = hm.linear %x, %w1, %b1 : (tensor<?x?x4xf32>, tensor<4x3xf32>, tensor<3xf32>) -> tensor<?x?x3xf32>
  %g = hm.gelu %h : tensor<?x?x3xf32>
  %w = hm.linear %g, %w2, %b2 : (tensor<?x?x3xf32>, tensor<3x2xf32>, tensor<2xf32>) -> tensor<?x?x2xf32>
  %wt = hm.transpose %w {perm = array<i64: 0, 2, 1>} : tensor<?x?x2xf32> -> tensor<?x2x?xf32>
  %s = hm.matmul %wt, %x : tensor<?x2x?xf32>, tensor<?x?x4xf32> -> tensor<?x2x4xf32>
  %m = hm.div %s, %n : tensor<?x2x4xf32>, tensor<f32> -> tensor<?x2x4xf32>
  // expected-remark @+1 {{HyperMixing subgraph not fused: the product before the mixing GELU is scaled (a mean over the tokens?); HyperMixing sums over the tokens unscaled}}
  %z = hm.gelu %m : tensor<?x2x4xf32>
  %y = hm.matmul %w, %z : tensor<?x?x2xf32>, tensor<?x2x4xf32> -> tensor<?x?x4xf32>
  return %y : tensor<?x?x4xf32>
}

// -----

// The second product mixes with the transposed Z: the shapes line up only
// because d = k, and the float64 check rejects it.
// CHECK-LABEL: func.func @wrong_orientation
// CHECK-NOT: hm.hyper_mix
func.func @wrong_orientation(%x: tensor<?x?x2xf32> {hm.dims = ["B", "N", 2]}) -> tensor<?x?x2xf32> {
  %w1 = hm.constant dense<[[0.5, -0.25, 0.125], [0.3, 0.2, -0.1]]> : tensor<2x3xf32>
  %b1 = hm.constant dense<[0.1, -0.2, 0.3]> : tensor<3xf32>
  %w2 = hm.constant dense<[[0.25, -0.5], [0.4, 0.1], [-0.3, 0.35]]> : tensor<3x2xf32>
  %b2 = hm.constant dense<[0.2, -0.1]> : tensor<2xf32>
  %h = hm.linear %x, %w1, %b1 : (tensor<?x?x2xf32>, tensor<2x3xf32>, tensor<3xf32>) -> tensor<?x?x3xf32>
  %g = hm.gelu %h : tensor<?x?x3xf32>
  %w = hm.linear %g, %w2, %b2 : (tensor<?x?x3xf32>, tensor<3x2xf32>, tensor<2xf32>) -> tensor<?x?x2xf32>
  %wt = hm.transpose %w {perm = array<i64: 0, 2, 1>} : tensor<?x?x2xf32> -> tensor<?x2x?xf32>
  %s = hm.matmul %wt, %x : tensor<?x2x?xf32>, tensor<?x?x2xf32> -> tensor<?x2x2xf32>
  // expected-remark @+1 {{the matched candidate does not reproduce the subgraph}}
  %z = hm.gelu %s : tensor<?x2x2xf32>
  %zt = hm.transpose %z {perm = array<i64: 0, 2, 1>} : tensor<?x2x2xf32> -> tensor<?x2x2xf32>
  %y = hm.matmul %w, %zt : tensor<?x?x2xf32>, tensor<?x2x2xf32> -> tensor<?x?x2xf32>
  return %y : tensor<?x?x2xf32>
}

// -----

// Hypernetworks without biases (the idiap reference's default) fuse with
// zero biases.
// CHECK-LABEL: func.func @bias_free
// CHECK: hm.hyper_mix %arg0 hyper1({{.*}}) {algorithm = "auto", heads = 1 : i64, positional = "none"}
func.func @bias_free(%x: tensor<?x?x4xf32> {hm.dims = ["B", "N", 4]}) -> tensor<?x?x4xf32> {
  %w1 = hm.constant dense<[[0.5, -0.25, 0.125], [0.3, 0.2, -0.1], [-0.4, 0.6, 0.05], [0.7, -0.3, 0.2]]> : tensor<4x3xf32>
  %w2 = hm.constant dense<[[0.25, -0.5], [0.4, 0.1], [-0.3, 0.35]]> : tensor<3x2xf32>
  %h = hm.linear %x, %w1 : (tensor<?x?x4xf32>, tensor<4x3xf32>) -> tensor<?x?x3xf32>
  %g = hm.gelu %h : tensor<?x?x3xf32>
  %w = hm.linear %g, %w2 : (tensor<?x?x3xf32>, tensor<3x2xf32>) -> tensor<?x?x2xf32>
  %wt = hm.transpose %w {perm = array<i64: 0, 2, 1>} : tensor<?x?x2xf32> -> tensor<?x2x?xf32>
  %s = hm.matmul %wt, %x : tensor<?x2x?xf32>, tensor<?x?x4xf32> -> tensor<?x2x4xf32>
  %z = hm.gelu %s : tensor<?x2x4xf32>
  // expected-remark @+1 {{fused HyperMixing: heads = 1, d = 4, k = 2, tied, positions none}}
  %y = hm.matmul %w, %z : tensor<?x?x2xf32>, tensor<?x2x4xf32> -> tensor<?x?x4xf32>
  return %y : tensor<?x?x4xf32>
}

// -----

// Positions switched off as a constant 0 added to the tokens: no positions.
// CHECK-LABEL: func.func @tokens_plus_zero
// CHECK: hm.hyper_mix %arg0 hyper1({{.*}}) {algorithm = "auto", heads = 1 : i64, positional = "none"}
func.func @tokens_plus_zero(%x: tensor<?x?x4xf32> {hm.dims = ["B", "N", 4]}) -> tensor<?x?x4xf32> {
  %zero = hm.constant dense<0.0> : tensor<f32>
  %in = hm.add %x, %zero : tensor<?x?x4xf32>, tensor<f32> -> tensor<?x?x4xf32>
  %w1 = hm.constant dense<[[0.5, -0.25, 0.125], [0.3, 0.2, -0.1], [-0.4, 0.6, 0.05], [0.7, -0.3, 0.2]]> : tensor<4x3xf32>
  %b1 = hm.constant dense<[0.1, -0.2, 0.3]> : tensor<3xf32>
  %w2 = hm.constant dense<[[0.25, -0.5], [0.4, 0.1], [-0.3, 0.35]]> : tensor<3x2xf32>
  %b2 = hm.constant dense<[0.2, -0.1]> : tensor<2xf32>
  %h = hm.linear %in, %w1, %b1 : (tensor<?x?x4xf32>, tensor<4x3xf32>, tensor<3xf32>) -> tensor<?x?x3xf32>
  %g = hm.gelu %h : tensor<?x?x3xf32>
  %w = hm.linear %g, %w2, %b2 : (tensor<?x?x3xf32>, tensor<3x2xf32>, tensor<2xf32>) -> tensor<?x?x2xf32>
  %wt = hm.transpose %w {perm = array<i64: 0, 2, 1>} : tensor<?x?x2xf32> -> tensor<?x2x?xf32>
  %s = hm.matmul %wt, %x : tensor<?x2x?xf32>, tensor<?x?x4xf32> -> tensor<?x2x4xf32>
  %z = hm.gelu %s : tensor<?x2x4xf32>
  // expected-remark @+1 {{fused HyperMixing: heads = 1, d = 4, k = 2, tied, positions none}}
  %y = hm.matmul %w, %z : tensor<?x?x2xf32>, tensor<?x2x4xf32> -> tensor<?x?x4xf32>
  return %y : tensor<?x?x4xf32>
}

// -----

// A scalar other than 0 added to the tokens is no position table (it
// crashed the pass, which read the last dim of a rank-0 constant).
// CHECK-LABEL: func.func @tokens_plus_scalar
// CHECK-NOT: hm.hyper_mix
func.func @tokens_plus_scalar(%x: tensor<?x?x4xf32> {hm.dims = ["B", "N", 4]}) -> tensor<?x?x4xf32> {
  %one = hm.constant dense<1.0> : tensor<f32>
  %in = hm.add %x, %one : tensor<?x?x4xf32>, tensor<f32> -> tensor<?x?x4xf32>
  %w1 = hm.constant dense<[[0.5, -0.25, 0.125], [0.3, 0.2, -0.1], [-0.4, 0.6, 0.05], [0.7, -0.3, 0.2]]> : tensor<4x3xf32>
  %b1 = hm.constant dense<[0.1, -0.2, 0.3]> : tensor<3xf32>
  %w2 = hm.constant dense<[[0.25, -0.5], [0.4, 0.1], [-0.3, 0.35]]> : tensor<3x2xf32>
  %b2 = hm.constant dense<[0.2, -0.1]> : tensor<2xf32>
  %h = hm.linear %in, %w1, %b1 : (tensor<?x?x4xf32>, tensor<4x3xf32>, tensor<3xf32>) -> tensor<?x?x3xf32>
  %g = hm.gelu %h : tensor<?x?x3xf32>
  %w = hm.linear %g, %w2, %b2 : (tensor<?x?x3xf32>, tensor<3x2xf32>, tensor<2xf32>) -> tensor<?x?x2xf32>
  %wt = hm.transpose %w {perm = array<i64: 0, 2, 1>} : tensor<?x?x2xf32> -> tensor<?x2x?xf32>
  %s = hm.matmul %wt, %x : tensor<?x2x?xf32>, tensor<?x?x4xf32> -> tensor<?x2x4xf32>
  // expected-remark @+1 {{HyperMixing subgraph not fused: the position table is not [L, d]}}
  %z = hm.gelu %s : tensor<?x2x4xf32>
  %y = hm.matmul %w, %z : tensor<?x?x2xf32>, tensor<?x2x4xf32> -> tensor<?x?x4xf32>
  return %y : tensor<?x?x4xf32>
}

// -----

// A learned bias added to every token ([d]) is no table of positions: it
// stays unfused with its own remark.
// CHECK-LABEL: func.func @tokens_plus_bias
// CHECK-NOT: hm.hyper_mix
func.func @tokens_plus_bias(%x: tensor<?x?x4xf32> {hm.dims = ["B", "N", 4]}) -> tensor<?x?x4xf32> {
  %bias = hm.constant dense<[0.1, 0.2, 0.3, 0.4]> : tensor<4xf32>
  %in = hm.add %x, %bias : tensor<?x?x4xf32>, tensor<4xf32> -> tensor<?x?x4xf32>
  %w1 = hm.constant dense<[[0.5, -0.25, 0.125], [0.3, 0.2, -0.1], [-0.4, 0.6, 0.05], [0.7, -0.3, 0.2]]> : tensor<4x3xf32>
  %b1 = hm.constant dense<[0.1, -0.2, 0.3]> : tensor<3xf32>
  %w2 = hm.constant dense<[[0.25, -0.5], [0.4, 0.1], [-0.3, 0.35]]> : tensor<3x2xf32>
  %b2 = hm.constant dense<[0.2, -0.1]> : tensor<2xf32>
  %h = hm.linear %in, %w1, %b1 : (tensor<?x?x4xf32>, tensor<4x3xf32>, tensor<3xf32>) -> tensor<?x?x3xf32>
  %g = hm.gelu %h : tensor<?x?x3xf32>
  %w = hm.linear %g, %w2, %b2 : (tensor<?x?x3xf32>, tensor<3x2xf32>, tensor<2xf32>) -> tensor<?x?x2xf32>
  %wt = hm.transpose %w {perm = array<i64: 0, 2, 1>} : tensor<?x?x2xf32> -> tensor<?x2x?xf32>
  %s = hm.matmul %wt, %x : tensor<?x2x?xf32>, tensor<?x?x4xf32> -> tensor<?x2x4xf32>
  // expected-remark @+1 {{HyperMixing subgraph not fused: the hypernetwork input adds a constant that is no position table ([L, d])}}
  %z = hm.gelu %s : tensor<?x2x4xf32>
  %y = hm.matmul %w, %z : tensor<?x?x2xf32>, tensor<?x2x4xf32> -> tensor<?x?x4xf32>
  return %y : tensor<?x?x4xf32>
}

// -----

// A tanh activation shaped like GELU's tanh approximation but with another
// cubic coefficient (0.1, not 0.044715) as the mixing activation: there is no
// hm.gelu to anchor on, so the remark sits on the first product.
// CHECK-LABEL: func.func @tanh_gelu_mixing
// CHECK-NOT: hm.hyper_mix
func.func @tanh_gelu_mixing(%x: tensor<?x?x4xf32> {hm.dims = ["B", "N", 4]}) -> tensor<?x?x4xf32> {
  %w1 = hm.constant dense<[[0.5, -0.25, 0.125], [0.3, 0.2, -0.1], [-0.4, 0.6, 0.05], [0.7, -0.3, 0.2]]> : tensor<4x3xf32>
  %b1 = hm.constant dense<[0.1, -0.2, 0.3]> : tensor<3xf32>
  %w2 = hm.constant dense<[[0.25, -0.5], [0.4, 0.1], [-0.3, 0.35]]> : tensor<3x2xf32>
  %b2 = hm.constant dense<[0.2, -0.1]> : tensor<2xf32>
  %half = hm.constant dense<0.5> : tensor<f32>
  %one = hm.constant dense<1.0> : tensor<f32>
  %three = hm.constant dense<3.0> : tensor<f32>
  %c = hm.constant dense<0.1> : tensor<f32>
  %k = hm.constant dense<0.7978845608> : tensor<f32>
  %h = hm.linear %x, %w1, %b1 : (tensor<?x?x4xf32>, tensor<4x3xf32>, tensor<3xf32>) -> tensor<?x?x3xf32>
  %g = hm.gelu %h : tensor<?x?x3xf32>
  %w = hm.linear %g, %w2, %b2 : (tensor<?x?x3xf32>, tensor<3x2xf32>, tensor<2xf32>) -> tensor<?x?x2xf32>
  %wt = hm.transpose %w {perm = array<i64: 0, 2, 1>} : tensor<?x?x2xf32> -> tensor<?x2x?xf32>
  // expected-remark @+1 {{HyperMixing subgraph not fused: the mixing activation after this product uses tanh but is not GELU's tanh approximation; hm.hyper_mix computes GELU, exact or its tanh approximation}}
  %s = hm.matmul %wt, %x : tensor<?x2x?xf32>, tensor<?x?x4xf32> -> tensor<?x2x4xf32>
  %cube = hm.pow %s, %three : tensor<?x2x4xf32>, tensor<f32> -> tensor<?x2x4xf32>
  %term = hm.mul %cube, %c : tensor<?x2x4xf32>, tensor<f32> -> tensor<?x2x4xf32>
  %inner = hm.add %s, %term : tensor<?x2x4xf32>, tensor<?x2x4xf32> -> tensor<?x2x4xf32>
  %scaled = hm.mul %inner, %k : tensor<?x2x4xf32>, tensor<f32> -> tensor<?x2x4xf32>
  %t = hm.tanh %scaled : tensor<?x2x4xf32>
  %onet = hm.add %t, %one : tensor<?x2x4xf32>, tensor<f32> -> tensor<?x2x4xf32>
  %xs = hm.mul %s, %half : tensor<?x2x4xf32>, tensor<f32> -> tensor<?x2x4xf32>
  %z = hm.mul %xs, %onet : tensor<?x2x4xf32>, tensor<?x2x4xf32> -> tensor<?x2x4xf32>
  %y = hm.matmul %w, %z : tensor<?x?x2xf32>, tensor<?x2x4xf32> -> tensor<?x?x4xf32>
  return %y : tensor<?x?x4xf32>
}

// -----

// A ReLU mixing activation, with hypernetworks that use a ReLU as well.
// CHECK-LABEL: func.func @relu_mixing
// CHECK-NOT: hm.hyper_mix
func.func @relu_mixing(%x: tensor<?x?x4xf32> {hm.dims = ["B", "N", 4]}) -> tensor<?x?x4xf32> {
  %w1 = hm.constant dense<[[0.5, -0.25, 0.125], [0.3, 0.2, -0.1], [-0.4, 0.6, 0.05], [0.7, -0.3, 0.2]]> : tensor<4x3xf32>
  %b1 = hm.constant dense<[0.1, -0.2, 0.3]> : tensor<3xf32>
  %w2 = hm.constant dense<[[0.25, -0.5], [0.4, 0.1], [-0.3, 0.35]]> : tensor<3x2xf32>
  %b2 = hm.constant dense<[0.2, -0.1]> : tensor<2xf32>
  %h = hm.linear %x, %w1, %b1 : (tensor<?x?x4xf32>, tensor<4x3xf32>, tensor<3xf32>) -> tensor<?x?x3xf32>
  %g = hm.relu %h : tensor<?x?x3xf32>
  %w = hm.linear %g, %w2, %b2 : (tensor<?x?x3xf32>, tensor<3x2xf32>, tensor<2xf32>) -> tensor<?x?x2xf32>
  %wt = hm.transpose %w {perm = array<i64: 0, 2, 1>} : tensor<?x?x2xf32> -> tensor<?x2x?xf32>
  // expected-remark @+1 {{HyperMixing subgraph not fused: the mixing activation after this product is a ReLU; hm.hyper_mix computes GELU, exact or its tanh approximation}}
  %s = hm.matmul %wt, %x : tensor<?x2x?xf32>, tensor<?x?x4xf32> -> tensor<?x2x4xf32>
  %z = hm.relu %s : tensor<?x2x4xf32>
  %y = hm.matmul %w, %z : tensor<?x?x2xf32>, tensor<?x2x4xf32> -> tensor<?x?x4xf32>
  return %y : tensor<?x?x4xf32>
}

// -----

// Attention scores reach the second product through a softmax, not an
// elementwise activation: no HyperMixing remark.
// CHECK-LABEL: func.func @attention_scores
// CHECK-NOT: hm.hyper_mix
func.func @attention_scores(%x: tensor<?x?x4xf32> {hm.dims = ["B", "N", 4]}) -> tensor<?x?x4xf32> {
  %wq = hm.constant dense<0.5> : tensor<4x4xf32>
  %wk = hm.constant dense<0.25> : tensor<4x4xf32>
  %bq = hm.constant dense<0.1> : tensor<4xf32>
  %q = hm.linear %x, %wq, %bq : (tensor<?x?x4xf32>, tensor<4x4xf32>, tensor<4xf32>) -> tensor<?x?x4xf32>
  %k = hm.linear %x, %wk, %bq : (tensor<?x?x4xf32>, tensor<4x4xf32>, tensor<4xf32>) -> tensor<?x?x4xf32>
  %kt = hm.transpose %k {perm = array<i64: 0, 2, 1>} : tensor<?x?x4xf32> -> tensor<?x4x?xf32>
  %s = hm.matmul %q, %kt : tensor<?x?x4xf32>, tensor<?x4x?xf32> -> tensor<?x?x?xf32>
  %p = hm.softmax %s {axis = -1 : i64} : tensor<?x?x?xf32>
  %y = hm.matmul %p, %x : tensor<?x?x?xf32>, tensor<?x?x4xf32> -> tensor<?x?x4xf32>
  return %y : tensor<?x?x4xf32>
}

// -----

// Attention on scaled tokens with ReLU scores: the projections are single
// dense layers (no hypernetwork), so no HyperMixing remark.
// CHECK-LABEL: func.func @relu_attention
// CHECK-NOT: hm.hyper_mix
func.func @relu_attention(%x: tensor<?x?x4xf32> {hm.dims = ["B", "N", 4]}) -> tensor<?x?x4xf32> {
  %two = hm.constant dense<2.0> : tensor<f32>
  %one = hm.constant dense<1.0> : tensor<f32>
  %wq = hm.constant dense<0.5> : tensor<4x4xf32>
  %wk = hm.constant dense<0.25> : tensor<4x4xf32>
  %bq = hm.constant dense<0.1> : tensor<4xf32>
  %xs = hm.mul %x, %two : tensor<?x?x4xf32>, tensor<f32> -> tensor<?x?x4xf32>
  %h = hm.add %xs, %one : tensor<?x?x4xf32>, tensor<f32> -> tensor<?x?x4xf32>
  %q = hm.linear %h, %wq, %bq : (tensor<?x?x4xf32>, tensor<4x4xf32>, tensor<4xf32>) -> tensor<?x?x4xf32>
  %k = hm.linear %h, %wk, %bq : (tensor<?x?x4xf32>, tensor<4x4xf32>, tensor<4xf32>) -> tensor<?x?x4xf32>
  %kt = hm.transpose %k {perm = array<i64: 0, 2, 1>} : tensor<?x?x4xf32> -> tensor<?x4x?xf32>
  %s = hm.matmul %q, %kt : tensor<?x?x4xf32>, tensor<?x4x?xf32> -> tensor<?x?x?xf32>
  %p = hm.relu %s : tensor<?x?x?xf32>
  %y = hm.matmul %p, %x : tensor<?x?x?xf32>, tensor<?x?x4xf32> -> tensor<?x?x4xf32>
  return %y : tensor<?x?x4xf32>
}

// -----

// Cross mixing: the hypernetwork reads the keys for W1 and the queries for
// W2, and W1 mixes the values.
// CHECK-LABEL: func.func @cross_mixing
// CHECK: hm.hyper_mix %arg0 keys(%arg1, %arg2) hyper1({{.*}}) hyper2({{.*}}) {algorithm = "auto", heads = 1 : i64, positional = "none"}
func.func @cross_mixing(%q: tensor<?x?x4xf32> {hm.dims = ["B", "M", 4]}, %k: tensor<?x?x4xf32> {hm.dims = ["B", "N", 4]}, %v: tensor<?x?x4xf32> {hm.dims = ["B", "N", 4]}) -> tensor<?x?x4xf32> {
  %w1 = hm.constant dense<[[0.5, -0.25, 0.125], [0.3, 0.2, -0.1], [-0.4, 0.6, 0.05], [0.7, -0.3, 0.2]]> : tensor<4x3xf32>
  %w2 = hm.constant dense<[[0.25, -0.5], [0.4, 0.1], [-0.3, 0.35]]> : tensor<3x2xf32>
  %hk = hm.linear %k, %w1 : (tensor<?x?x4xf32>, tensor<4x3xf32>) -> tensor<?x?x3xf32>
  %gk = hm.gelu %hk : tensor<?x?x3xf32>
  %wk = hm.linear %gk, %w2 : (tensor<?x?x3xf32>, tensor<3x2xf32>) -> tensor<?x?x2xf32>
  %hq = hm.linear %q, %w1 : (tensor<?x?x4xf32>, tensor<4x3xf32>) -> tensor<?x?x3xf32>
  %gq = hm.gelu %hq : tensor<?x?x3xf32>
  %wq = hm.linear %gq, %w2 : (tensor<?x?x3xf32>, tensor<3x2xf32>) -> tensor<?x?x2xf32>
  %wt = hm.transpose %wk {perm = array<i64: 0, 2, 1>} : tensor<?x?x2xf32> -> tensor<?x2x?xf32>
  %s = hm.matmul %wt, %v : tensor<?x2x?xf32>, tensor<?x?x4xf32> -> tensor<?x2x4xf32>
  %z = hm.gelu %s : tensor<?x2x4xf32>
  // expected-remark @+1 {{fused HyperMixing: heads = 1, d = 4, k = 2, cross (queries over keys and values), positions none}}
  %y = hm.matmul %wq, %z : tensor<?x?x2xf32>, tensor<?x2x4xf32> -> tensor<?x?x4xf32>
  return %y : tensor<?x?x4xf32>
}

// -----

// The keys are scaled before their hypernetwork and the queries are not: the
// op has one input scale.
// CHECK-LABEL: func.func @cross_scales_differ
// CHECK-NOT: hm.hyper_mix
func.func @cross_scales_differ(%q: tensor<?x?x4xf32> {hm.dims = ["B", "M", 4]}, %k: tensor<?x?x4xf32> {hm.dims = ["B", "N", 4]}, %v: tensor<?x?x4xf32> {hm.dims = ["B", "N", 4]}) -> tensor<?x?x4xf32> {
  %two = hm.constant dense<2.0> : tensor<f32>
  %ks = hm.mul %k, %two : tensor<?x?x4xf32>, tensor<f32> -> tensor<?x?x4xf32>
  %w1 = hm.constant dense<[[0.5, -0.25, 0.125], [0.3, 0.2, -0.1], [-0.4, 0.6, 0.05], [0.7, -0.3, 0.2]]> : tensor<4x3xf32>
  %w2 = hm.constant dense<[[0.25, -0.5], [0.4, 0.1], [-0.3, 0.35]]> : tensor<3x2xf32>
  %hk = hm.linear %ks, %w1 : (tensor<?x?x4xf32>, tensor<4x3xf32>) -> tensor<?x?x3xf32>
  %gk = hm.gelu %hk : tensor<?x?x3xf32>
  %wk = hm.linear %gk, %w2 : (tensor<?x?x3xf32>, tensor<3x2xf32>) -> tensor<?x?x2xf32>
  %hq = hm.linear %q, %w1 : (tensor<?x?x4xf32>, tensor<4x3xf32>) -> tensor<?x?x3xf32>
  %gq = hm.gelu %hq : tensor<?x?x3xf32>
  %wq = hm.linear %gq, %w2 : (tensor<?x?x3xf32>, tensor<3x2xf32>) -> tensor<?x?x2xf32>
  %wt = hm.transpose %wk {perm = array<i64: 0, 2, 1>} : tensor<?x?x2xf32> -> tensor<?x2x?xf32>
  %s = hm.matmul %wt, %v : tensor<?x2x?xf32>, tensor<?x?x4xf32> -> tensor<?x2x4xf32>
  // expected-remark @+1 {{HyperMixing subgraph not fused: the hypernetworks' inputs differ in scale or positions}}
  %z = hm.gelu %s : tensor<?x2x4xf32>
  %y = hm.matmul %wq, %z : tensor<?x?x2xf32>, tensor<?x2x4xf32> -> tensor<?x?x4xf32>
  return %y : tensor<?x?x4xf32>
}

// -----

// Only the generated weights are masked, by a float mask input that may hold
// any value: the op then leaves the tokens unmasked (mask_tokens = false),
// which is the model's result for any mask.
// CHECK-LABEL: func.func @weights_masked_by_float_input
// CHECK: hm.hyper_mix %arg0 mask %arg1 hyper1({{.*}}) {{{.*}}mask_tokens = false{{.*}}}
func.func @weights_masked_by_float_input(%x: tensor<?x?x4xf32> {hm.dims = ["B", "N", 4]}, %m: tensor<?x?xf32> {hm.dims = ["B", "N"]}) -> tensor<?x?x4xf32> {
  %w1 = hm.constant dense<[[0.5, -0.25, 0.125], [0.3, 0.2, -0.1], [-0.4, 0.6, 0.05], [0.7, -0.3, 0.2]]> : tensor<4x3xf32>
  %w2 = hm.constant dense<[[0.25, -0.5], [0.4, 0.1], [-0.3, 0.35]]> : tensor<3x2xf32>
  %m3 = hm.reshape %m {shape = ["B", "N", 1]} : tensor<?x?xf32> -> tensor<?x?x1xf32>
  %h = hm.linear %x, %w1 : (tensor<?x?x4xf32>, tensor<4x3xf32>) -> tensor<?x?x3xf32>
  %g = hm.gelu %h : tensor<?x?x3xf32>
  %w = hm.linear %g, %w2 : (tensor<?x?x3xf32>, tensor<3x2xf32>) -> tensor<?x?x2xf32>
  %wm = hm.mul %w, %m3 : tensor<?x?x2xf32>, tensor<?x?x1xf32> -> tensor<?x?x2xf32>
  %wt = hm.transpose %wm {perm = array<i64: 0, 2, 1>} : tensor<?x?x2xf32> -> tensor<?x2x?xf32>
  %s = hm.matmul %wt, %x : tensor<?x2x?xf32>, tensor<?x?x4xf32> -> tensor<?x2x4xf32>
  %z = hm.gelu %s : tensor<?x2x4xf32>
  // expected-remark @+1 {{fused HyperMixing: heads = 1, d = 4, k = 2, tied, masked, generated weights masked only, positions none}}
  %y = hm.matmul %wm, %z : tensor<?x?x2xf32>, tensor<?x2x4xf32> -> tensor<?x?x4xf32>
  return %y : tensor<?x?x4xf32>
}

// -----

// W_2 and the mixed tokens are masked by a float mask input, W_1 and the
// hypernetwork's input are not: the fused op would mask them too, which is
// the same for masks of 0 and 1 only, and the check on random masks says so.
// CHECK-LABEL: func.func @second_weights_and_tokens_masked_by_float_input
// CHECK-NOT: hm.hyper_mix
func.func @second_weights_and_tokens_masked_by_float_input(%x: tensor<?x?x4xf32> {hm.dims = ["B", "N", 4]}, %m: tensor<?x?xf32> {hm.dims = ["B", "N"]}) -> tensor<?x?x4xf32> {
  %w1 = hm.constant dense<[[0.5, -0.25, 0.125], [0.3, 0.2, -0.1], [-0.4, 0.6, 0.05], [0.7, -0.3, 0.2]]> : tensor<4x3xf32>
  %w2 = hm.constant dense<[[0.25, -0.5], [0.4, 0.1], [-0.3, 0.35]]> : tensor<3x2xf32>
  %m3 = hm.reshape %m {shape = ["B", "N", 1]} : tensor<?x?xf32> -> tensor<?x?x1xf32>
  %xm = hm.mul %x, %m3 : tensor<?x?x4xf32>, tensor<?x?x1xf32> -> tensor<?x?x4xf32>
  %h = hm.linear %x, %w1 : (tensor<?x?x4xf32>, tensor<4x3xf32>) -> tensor<?x?x3xf32>
  %g = hm.gelu %h : tensor<?x?x3xf32>
  %w = hm.linear %g, %w2 : (tensor<?x?x3xf32>, tensor<3x2xf32>) -> tensor<?x?x2xf32>
  %wm = hm.mul %w, %m3 : tensor<?x?x2xf32>, tensor<?x?x1xf32> -> tensor<?x?x2xf32>
  %wt = hm.transpose %w {perm = array<i64: 0, 2, 1>} : tensor<?x?x2xf32> -> tensor<?x2x?xf32>
  %s = hm.matmul %wt, %xm : tensor<?x2x?xf32>, tensor<?x?x4xf32> -> tensor<?x2x4xf32>
  // expected-remark-re @+1 {{HyperMixing subgraph not fused: the matched candidate does not reproduce the subgraph (relative error {{.*}} on random inputs); the layer masks other values than the op, which is the same only for masks of 0 and 1}}
  %z = hm.gelu %s : tensor<?x2x4xf32>
  %y = hm.matmul %wm, %z : tensor<?x?x2xf32>, tensor<?x2x4xf32> -> tensor<?x?x4xf32>
  return %y : tensor<?x?x4xf32>
}

// -----

// The mixed tokens and both generated weights are masked by a float mask
// input, the hypernetworks' input is not: mask_hyper_input = false, which is
// the layer for any mask values.
// CHECK-LABEL: func.func @mixed_tokens_and_weights_masked_by_float_input
// CHECK: hm.hyper_mix %arg0 mask %arg1 hyper1({{.*}}) {algorithm = "auto", heads = 1 : i64, mask_hyper_input = false, positional = "none"}
func.func @mixed_tokens_and_weights_masked_by_float_input(%x: tensor<?x?x4xf32> {hm.dims = ["B", "N", 4]}, %m: tensor<?x?xf32> {hm.dims = ["B", "N"]}) -> tensor<?x?x4xf32> {
  %w1 = hm.constant dense<[[0.5, -0.25, 0.125], [0.3, 0.2, -0.1], [-0.4, 0.6, 0.05], [0.7, -0.3, 0.2]]> : tensor<4x3xf32>
  %w2 = hm.constant dense<[[0.25, -0.5], [0.4, 0.1], [-0.3, 0.35]]> : tensor<3x2xf32>
  %m3 = hm.reshape %m {shape = ["B", "N", 1]} : tensor<?x?xf32> -> tensor<?x?x1xf32>
  %xm = hm.mul %x, %m3 : tensor<?x?x4xf32>, tensor<?x?x1xf32> -> tensor<?x?x4xf32>
  %h = hm.linear %x, %w1 : (tensor<?x?x4xf32>, tensor<4x3xf32>) -> tensor<?x?x3xf32>
  %g = hm.gelu %h : tensor<?x?x3xf32>
  %w = hm.linear %g, %w2 : (tensor<?x?x3xf32>, tensor<3x2xf32>) -> tensor<?x?x2xf32>
  %wm = hm.mul %w, %m3 : tensor<?x?x2xf32>, tensor<?x?x1xf32> -> tensor<?x?x2xf32>
  %wt = hm.transpose %wm {perm = array<i64: 0, 2, 1>} : tensor<?x?x2xf32> -> tensor<?x2x?xf32>
  %s = hm.matmul %wt, %xm : tensor<?x2x?xf32>, tensor<?x?x4xf32> -> tensor<?x2x4xf32>
  %z = hm.gelu %s : tensor<?x2x4xf32>
  // expected-remark @+1 {{fused HyperMixing: heads = 1, d = 4, k = 2, tied, masked, hypernetworks read unmasked tokens, positions none}}
  %y = hm.matmul %wm, %z : tensor<?x?x2xf32>, tensor<?x2x4xf32> -> tensor<?x?x4xf32>
  return %y : tensor<?x?x4xf32>
}

// -----

// Only the mixed tokens are masked: the hypernetworks read unmasked tokens
// and neither W_1 nor W_2 is masked, so a padded token's output row comes
// from its own (padding) values, which no form of the op computes.
// CHECK-LABEL: func.func @only_mixed_tokens_masked
// CHECK-NOT: hm.hyper_mix
func.func @only_mixed_tokens_masked(%x: tensor<?x?x4xf32> {hm.dims = ["B", "N", 4]}, %keep: tensor<?x?xi1> {hm.dims = ["B", "N"]}) -> tensor<?x?x4xf32> {
  %w1 = hm.constant dense<[[0.5, -0.25, 0.125], [0.3, 0.2, -0.1], [-0.4, 0.6, 0.05], [0.7, -0.3, 0.2]]> : tensor<4x3xf32>
  %w2 = hm.constant dense<[[0.25, -0.5], [0.4, 0.1], [-0.3, 0.35]]> : tensor<3x2xf32>
  %k3 = hm.reshape %keep {shape = ["B", "N", 1]} : tensor<?x?xi1> -> tensor<?x?x1xi1>
  %m3 = hm.cast %k3 : tensor<?x?x1xi1> -> tensor<?x?x1xf32>
  %xm = hm.mul %x, %m3 : tensor<?x?x4xf32>, tensor<?x?x1xf32> -> tensor<?x?x4xf32>
  %h = hm.linear %x, %w1 : (tensor<?x?x4xf32>, tensor<4x3xf32>) -> tensor<?x?x3xf32>
  %g = hm.gelu %h : tensor<?x?x3xf32>
  %w = hm.linear %g, %w2 : (tensor<?x?x3xf32>, tensor<3x2xf32>) -> tensor<?x?x2xf32>
  %wt = hm.transpose %w {perm = array<i64: 0, 2, 1>} : tensor<?x?x2xf32> -> tensor<?x2x?xf32>
  %s = hm.matmul %wt, %xm : tensor<?x2x?xf32>, tensor<?x?x4xf32> -> tensor<?x2x4xf32>
  // expected-remark @+1 {{HyperMixing subgraph not fused: the mixed tokens are masked, but W_2 is not and the hypernetworks read unmasked tokens: a padded token's output row then comes from the padding's own values, which hm.hyper_mix does not compute}}
  %z = hm.gelu %s : tensor<?x2x4xf32>
  %y = hm.matmul %w, %z : tensor<?x?x2xf32>, tensor<?x2x4xf32> -> tensor<?x?x4xf32>
  return %y : tensor<?x?x4xf32>
}

// -----

// The tokens (mixed and read) and W_1 are masked, W_2 is not: for a 0/1 mask
// W_1's mask meets zero tokens and changes nothing, so the layer is the
// tokens-only form (mask_weights = false); its padded rows keep W_2's rows.
// CHECK-LABEL: func.func @tokens_and_first_weights_masked
// CHECK: hm.hyper_mix %arg0 mask %{{.*}} hyper1({{.*}}) hyper2({{.*}}) {{{.*}}mask_weights = false{{.*}}}
func.func @tokens_and_first_weights_masked(%x: tensor<?x?x4xf32> {hm.dims = ["B", "N", 4]}, %keep: tensor<?x?xi1> {hm.dims = ["B", "N"]}) -> tensor<?x?x4xf32> {
  %w1 = hm.constant dense<[[0.5, -0.25, 0.125], [0.3, 0.2, -0.1], [-0.4, 0.6, 0.05], [0.7, -0.3, 0.2]]> : tensor<4x3xf32>
  %w2 = hm.constant dense<[[0.25, -0.5], [0.4, 0.1], [-0.3, 0.35]]> : tensor<3x2xf32>
  %v1 = hm.constant dense<[[-0.2, 0.45, 0.3], [0.6, -0.15, 0.25], [0.1, 0.35, -0.5], [-0.3, 0.2, 0.4]]> : tensor<4x3xf32>
  %v2 = hm.constant dense<[[-0.35, 0.2], [0.15, 0.5], [0.45, -0.1]]> : tensor<3x2xf32>
  %k3 = hm.reshape %keep {shape = ["B", "N", 1]} : tensor<?x?xi1> -> tensor<?x?x1xi1>
  %m3 = hm.cast %k3 : tensor<?x?x1xi1> -> tensor<?x?x1xf32>
  %xm = hm.mul %x, %m3 : tensor<?x?x4xf32>, tensor<?x?x1xf32> -> tensor<?x?x4xf32>
  %h = hm.linear %xm, %w1 : (tensor<?x?x4xf32>, tensor<4x3xf32>) -> tensor<?x?x3xf32>
  %g = hm.gelu %h : tensor<?x?x3xf32>
  %w = hm.linear %g, %w2 : (tensor<?x?x3xf32>, tensor<3x2xf32>) -> tensor<?x?x2xf32>
  %h2 = hm.linear %xm, %v1 : (tensor<?x?x4xf32>, tensor<4x3xf32>) -> tensor<?x?x3xf32>
  %g2 = hm.gelu %h2 : tensor<?x?x3xf32>
  %u = hm.linear %g2, %v2 : (tensor<?x?x3xf32>, tensor<3x2xf32>) -> tensor<?x?x2xf32>
  %wm = hm.mul %w, %m3 : tensor<?x?x2xf32>, tensor<?x?x1xf32> -> tensor<?x?x2xf32>
  %wt = hm.transpose %wm {perm = array<i64: 0, 2, 1>} : tensor<?x?x2xf32> -> tensor<?x2x?xf32>
  %s = hm.matmul %wt, %xm : tensor<?x2x?xf32>, tensor<?x?x4xf32> -> tensor<?x2x4xf32>
  %z = hm.gelu %s : tensor<?x2x4xf32>
  // expected-remark @+1 {{fused HyperMixing: heads = 1, d = 4, k = 2, masked, tokens masked only, positions none}}
  %y = hm.matmul %u, %z : tensor<?x?x2xf32>, tensor<?x2x4xf32> -> tensor<?x?x4xf32>
  return %y : tensor<?x?x4xf32>
}

// -----

// The same layer with a float mask input that may hold any value: masking
// W_1 as well as the tokens is then not the tokens-only form.
// CHECK-LABEL: func.func @tokens_and_first_weights_masked_by_float_input
// CHECK-NOT: hm.hyper_mix
func.func @tokens_and_first_weights_masked_by_float_input(%x: tensor<?x?x4xf32> {hm.dims = ["B", "N", 4]}, %m: tensor<?x?xf32> {hm.dims = ["B", "N"]}) -> tensor<?x?x4xf32> {
  %w1 = hm.constant dense<[[0.5, -0.25, 0.125], [0.3, 0.2, -0.1], [-0.4, 0.6, 0.05], [0.7, -0.3, 0.2]]> : tensor<4x3xf32>
  %w2 = hm.constant dense<[[0.25, -0.5], [0.4, 0.1], [-0.3, 0.35]]> : tensor<3x2xf32>
  %v1 = hm.constant dense<[[-0.2, 0.45, 0.3], [0.6, -0.15, 0.25], [0.1, 0.35, -0.5], [-0.3, 0.2, 0.4]]> : tensor<4x3xf32>
  %v2 = hm.constant dense<[[-0.35, 0.2], [0.15, 0.5], [0.45, -0.1]]> : tensor<3x2xf32>
  %m3 = hm.reshape %m {shape = ["B", "N", 1]} : tensor<?x?xf32> -> tensor<?x?x1xf32>
  %xm = hm.mul %x, %m3 : tensor<?x?x4xf32>, tensor<?x?x1xf32> -> tensor<?x?x4xf32>
  %h = hm.linear %xm, %w1 : (tensor<?x?x4xf32>, tensor<4x3xf32>) -> tensor<?x?x3xf32>
  %g = hm.gelu %h : tensor<?x?x3xf32>
  %w = hm.linear %g, %w2 : (tensor<?x?x3xf32>, tensor<3x2xf32>) -> tensor<?x?x2xf32>
  %h2 = hm.linear %xm, %v1 : (tensor<?x?x4xf32>, tensor<4x3xf32>) -> tensor<?x?x3xf32>
  %g2 = hm.gelu %h2 : tensor<?x?x3xf32>
  %u = hm.linear %g2, %v2 : (tensor<?x?x3xf32>, tensor<3x2xf32>) -> tensor<?x?x2xf32>
  %wm = hm.mul %w, %m3 : tensor<?x?x2xf32>, tensor<?x?x1xf32> -> tensor<?x?x2xf32>
  %wt = hm.transpose %wm {perm = array<i64: 0, 2, 1>} : tensor<?x?x2xf32> -> tensor<?x2x?xf32>
  %s = hm.matmul %wt, %xm : tensor<?x2x?xf32>, tensor<?x?x4xf32> -> tensor<?x2x4xf32>
  // expected-remark-re @+1 {{HyperMixing subgraph not fused: the matched candidate does not reproduce the subgraph (relative error {{.*}} on random inputs); the layer masks other values than the op, which is the same only for masks of 0 and 1}}
  %z = hm.gelu %s : tensor<?x2x4xf32>
  %y = hm.matmul %u, %z : tensor<?x?x2xf32>, tensor<?x2x4xf32> -> tensor<?x?x4xf32>
  return %y : tensor<?x?x4xf32>
}

// -----

// The hypernetworks read (x + P) * m, positions masked too, and W_1 and W_2
// are masked: padded rows differ from x * m + P, but their generated rows are
// zeroed by a 0/1 mask, so the layer fuses.
// CHECK-LABEL: func.func @positions_masked_with_the_tokens
// CHECK: hm.hyper_mix %arg0 mask %{{.*}} hyper1({{.*}}) hyper2({{.*}}) positions(%{{.*}}) {{{.*}}positional = "table"{{.*}}}
func.func @positions_masked_with_the_tokens(%x: tensor<?x?x4xf32> {hm.dims = ["B", "N", 4]}, %keep: tensor<?x?xi1> {hm.dims = ["B", "N"]}) -> tensor<?x?x4xf32> {
  %w1 = hm.constant dense<[[0.5, -0.25, 0.125], [0.3, 0.2, -0.1], [-0.4, 0.6, 0.05], [0.7, -0.3, 0.2]]> : tensor<4x3xf32>
  %w2 = hm.constant dense<[[0.25, -0.5], [0.4, 0.1], [-0.3, 0.35]]> : tensor<3x2xf32>
  %v1 = hm.constant dense<[[-0.2, 0.45, 0.3], [0.6, -0.15, 0.25], [0.1, 0.35, -0.5], [-0.3, 0.2, 0.4]]> : tensor<4x3xf32>
  %v2 = hm.constant dense<[[-0.35, 0.2], [0.15, 0.5], [0.45, -0.1]]> : tensor<3x2xf32>
  %k3 = hm.reshape %keep {shape = ["B", "N", 1]} : tensor<?x?xi1> -> tensor<?x?x1xi1>
  %m3 = hm.cast %k3 : tensor<?x?x1xi1> -> tensor<?x?x1xf32>
  %xm = hm.mul %x, %m3 : tensor<?x?x4xf32>, tensor<?x?x1xf32> -> tensor<?x?x4xf32>
  %pe = hm.constant dense<[[[0.1, -0.2, 0.3, 0.05], [0.2, 0.1, -0.3, 0.4], [-0.15, 0.25, 0.1, -0.2], [0.3, -0.1, 0.2, 0.15], [0.05, 0.35, -0.25, 0.1], [-0.3, 0.2, 0.15, -0.05]]]> : tensor<1x6x4xf32>
  %p = hm.slice_to_dim %pe, %x {axis = 1 : i64, reference_axis = 1 : i64} : (tensor<1x6x4xf32>, tensor<?x?x4xf32>) -> tensor<1x?x4xf32>
  %xp = hm.add %x, %p : tensor<?x?x4xf32>, tensor<1x?x4xf32> -> tensor<?x?x4xf32>
  %xpm = hm.mul %xp, %m3 : tensor<?x?x4xf32>, tensor<?x?x1xf32> -> tensor<?x?x4xf32>
  %h = hm.linear %xpm, %w1 : (tensor<?x?x4xf32>, tensor<4x3xf32>) -> tensor<?x?x3xf32>
  %g = hm.gelu %h : tensor<?x?x3xf32>
  %w = hm.linear %g, %w2 : (tensor<?x?x3xf32>, tensor<3x2xf32>) -> tensor<?x?x2xf32>
  %h2 = hm.linear %xpm, %v1 : (tensor<?x?x4xf32>, tensor<4x3xf32>) -> tensor<?x?x3xf32>
  %g2 = hm.gelu %h2 : tensor<?x?x3xf32>
  %u = hm.linear %g2, %v2 : (tensor<?x?x3xf32>, tensor<3x2xf32>) -> tensor<?x?x2xf32>
  %wm = hm.mul %w, %m3 : tensor<?x?x2xf32>, tensor<?x?x1xf32> -> tensor<?x?x2xf32>
  %um = hm.mul %u, %m3 : tensor<?x?x2xf32>, tensor<?x?x1xf32> -> tensor<?x?x2xf32>
  %wt = hm.transpose %wm {perm = array<i64: 0, 2, 1>} : tensor<?x?x2xf32> -> tensor<?x2x?xf32>
  %s = hm.matmul %wt, %xm : tensor<?x2x?xf32>, tensor<?x?x4xf32> -> tensor<?x2x4xf32>
  %z = hm.gelu %s : tensor<?x2x4xf32>
  // expected-remark @+1 {{fused HyperMixing: heads = 1, d = 4, k = 2, masked, positions table}}
  %y = hm.matmul %um, %z : tensor<?x?x2xf32>, tensor<?x2x4xf32> -> tensor<?x?x4xf32>
  return %y : tensor<?x?x4xf32>
}

// -----

// The same with tokens masked before and after the positions are added,
// (x * m + P) * m.
// CHECK-LABEL: func.func @positions_masked_with_masked_tokens
// CHECK: hm.hyper_mix %arg0 mask %{{.*}} hyper1({{.*}}) hyper2({{.*}}) positions(%{{.*}}) {{{.*}}positional = "table"{{.*}}}
func.func @positions_masked_with_masked_tokens(%x: tensor<?x?x4xf32> {hm.dims = ["B", "N", 4]}, %keep: tensor<?x?xi1> {hm.dims = ["B", "N"]}) -> tensor<?x?x4xf32> {
  %w1 = hm.constant dense<[[0.5, -0.25, 0.125], [0.3, 0.2, -0.1], [-0.4, 0.6, 0.05], [0.7, -0.3, 0.2]]> : tensor<4x3xf32>
  %w2 = hm.constant dense<[[0.25, -0.5], [0.4, 0.1], [-0.3, 0.35]]> : tensor<3x2xf32>
  %v1 = hm.constant dense<[[-0.2, 0.45, 0.3], [0.6, -0.15, 0.25], [0.1, 0.35, -0.5], [-0.3, 0.2, 0.4]]> : tensor<4x3xf32>
  %v2 = hm.constant dense<[[-0.35, 0.2], [0.15, 0.5], [0.45, -0.1]]> : tensor<3x2xf32>
  %k3 = hm.reshape %keep {shape = ["B", "N", 1]} : tensor<?x?xi1> -> tensor<?x?x1xi1>
  %m3 = hm.cast %k3 : tensor<?x?x1xi1> -> tensor<?x?x1xf32>
  %xm = hm.mul %x, %m3 : tensor<?x?x4xf32>, tensor<?x?x1xf32> -> tensor<?x?x4xf32>
  %pe = hm.constant dense<[[[0.1, -0.2, 0.3, 0.05], [0.2, 0.1, -0.3, 0.4], [-0.15, 0.25, 0.1, -0.2], [0.3, -0.1, 0.2, 0.15], [0.05, 0.35, -0.25, 0.1], [-0.3, 0.2, 0.15, -0.05]]]> : tensor<1x6x4xf32>
  %p = hm.slice_to_dim %pe, %x {axis = 1 : i64, reference_axis = 1 : i64} : (tensor<1x6x4xf32>, tensor<?x?x4xf32>) -> tensor<1x?x4xf32>
  %xp = hm.add %xm, %p : tensor<?x?x4xf32>, tensor<1x?x4xf32> -> tensor<?x?x4xf32>
  %xpm = hm.mul %xp, %m3 : tensor<?x?x4xf32>, tensor<?x?x1xf32> -> tensor<?x?x4xf32>
  %h = hm.linear %xpm, %w1 : (tensor<?x?x4xf32>, tensor<4x3xf32>) -> tensor<?x?x3xf32>
  %g = hm.gelu %h : tensor<?x?x3xf32>
  %w = hm.linear %g, %w2 : (tensor<?x?x3xf32>, tensor<3x2xf32>) -> tensor<?x?x2xf32>
  %h2 = hm.linear %xpm, %v1 : (tensor<?x?x4xf32>, tensor<4x3xf32>) -> tensor<?x?x3xf32>
  %g2 = hm.gelu %h2 : tensor<?x?x3xf32>
  %u = hm.linear %g2, %v2 : (tensor<?x?x3xf32>, tensor<3x2xf32>) -> tensor<?x?x2xf32>
  %wm = hm.mul %w, %m3 : tensor<?x?x2xf32>, tensor<?x?x1xf32> -> tensor<?x?x2xf32>
  %um = hm.mul %u, %m3 : tensor<?x?x2xf32>, tensor<?x?x1xf32> -> tensor<?x?x2xf32>
  %wt = hm.transpose %wm {perm = array<i64: 0, 2, 1>} : tensor<?x?x2xf32> -> tensor<?x2x?xf32>
  %s = hm.matmul %wt, %xm : tensor<?x2x?xf32>, tensor<?x?x4xf32> -> tensor<?x2x4xf32>
  %z = hm.gelu %s : tensor<?x2x4xf32>
  // expected-remark @+1 {{fused HyperMixing: heads = 1, d = 4, k = 2, masked, positions table}}
  %y = hm.matmul %um, %z : tensor<?x?x2xf32>, tensor<?x2x4xf32> -> tensor<?x?x4xf32>
  return %y : tensor<?x?x4xf32>
}

// -----

// The same input with W_2 left unmasked: a padded token's W_2 row is generated
// from 0 rather than from its position, which the op does not compute.
// CHECK-LABEL: func.func @positions_masked_with_the_tokens_second_weights_not
// CHECK-NOT: hm.hyper_mix
func.func @positions_masked_with_the_tokens_second_weights_not(%x: tensor<?x?x4xf32> {hm.dims = ["B", "N", 4]}, %keep: tensor<?x?xi1> {hm.dims = ["B", "N"]}) -> tensor<?x?x4xf32> {
  %w1 = hm.constant dense<[[0.5, -0.25, 0.125], [0.3, 0.2, -0.1], [-0.4, 0.6, 0.05], [0.7, -0.3, 0.2]]> : tensor<4x3xf32>
  %w2 = hm.constant dense<[[0.25, -0.5], [0.4, 0.1], [-0.3, 0.35]]> : tensor<3x2xf32>
  %v1 = hm.constant dense<[[-0.2, 0.45, 0.3], [0.6, -0.15, 0.25], [0.1, 0.35, -0.5], [-0.3, 0.2, 0.4]]> : tensor<4x3xf32>
  %v2 = hm.constant dense<[[-0.35, 0.2], [0.15, 0.5], [0.45, -0.1]]> : tensor<3x2xf32>
  %k3 = hm.reshape %keep {shape = ["B", "N", 1]} : tensor<?x?xi1> -> tensor<?x?x1xi1>
  %m3 = hm.cast %k3 : tensor<?x?x1xi1> -> tensor<?x?x1xf32>
  %xm = hm.mul %x, %m3 : tensor<?x?x4xf32>, tensor<?x?x1xf32> -> tensor<?x?x4xf32>
  %pe = hm.constant dense<[[[0.1, -0.2, 0.3, 0.05], [0.2, 0.1, -0.3, 0.4], [-0.15, 0.25, 0.1, -0.2], [0.3, -0.1, 0.2, 0.15], [0.05, 0.35, -0.25, 0.1], [-0.3, 0.2, 0.15, -0.05]]]> : tensor<1x6x4xf32>
  %p = hm.slice_to_dim %pe, %x {axis = 1 : i64, reference_axis = 1 : i64} : (tensor<1x6x4xf32>, tensor<?x?x4xf32>) -> tensor<1x?x4xf32>
  %xp = hm.add %x, %p : tensor<?x?x4xf32>, tensor<1x?x4xf32> -> tensor<?x?x4xf32>
  %xpm = hm.mul %xp, %m3 : tensor<?x?x4xf32>, tensor<?x?x1xf32> -> tensor<?x?x4xf32>
  %h = hm.linear %xpm, %w1 : (tensor<?x?x4xf32>, tensor<4x3xf32>) -> tensor<?x?x3xf32>
  %g = hm.gelu %h : tensor<?x?x3xf32>
  %w = hm.linear %g, %w2 : (tensor<?x?x3xf32>, tensor<3x2xf32>) -> tensor<?x?x2xf32>
  %h2 = hm.linear %xpm, %v1 : (tensor<?x?x4xf32>, tensor<4x3xf32>) -> tensor<?x?x3xf32>
  %g2 = hm.gelu %h2 : tensor<?x?x3xf32>
  %u = hm.linear %g2, %v2 : (tensor<?x?x3xf32>, tensor<3x2xf32>) -> tensor<?x?x2xf32>
  %wm = hm.mul %w, %m3 : tensor<?x?x2xf32>, tensor<?x?x1xf32> -> tensor<?x?x2xf32>
  %wt = hm.transpose %wm {perm = array<i64: 0, 2, 1>} : tensor<?x?x2xf32> -> tensor<?x2x?xf32>
  %s = hm.matmul %wt, %xm : tensor<?x2x?xf32>, tensor<?x?x4xf32> -> tensor<?x2x4xf32>
  // expected-remark @+1 {{HyperMixing subgraph not fused: the hypernetworks' input is masked after the positions are added, and the generated weights are not both masked}}
  %z = hm.gelu %s : tensor<?x2x4xf32>
  %y = hm.matmul %u, %z : tensor<?x?x2xf32>, tensor<?x2x4xf32> -> tensor<?x?x4xf32>
  return %y : tensor<?x?x4xf32>
}

// -----

// Cross mixing that masks only its tokens, each side by its own float mask
// input (keys and values by one, queries by the other): W_1 and W_2 stay
// unmasked, which mask_weights = false reproduces for any mask values.
// CHECK-LABEL: func.func @cross_mixing_tokens_masked_only
// CHECK: hm.hyper_mix %arg0 keys(%arg1, %arg2) mask %arg4 key_mask %arg3 hyper1({{.*}}) hyper2({{.*}}) {{{.*}}mask_weights = false{{.*}}}
func.func @cross_mixing_tokens_masked_only(%q: tensor<?x?x4xf32> {hm.dims = ["B", "M", 4]}, %k: tensor<?x?x4xf32> {hm.dims = ["B", "N", 4]}, %v: tensor<?x?x4xf32> {hm.dims = ["B", "N", 4]}, %mk: tensor<?x?xf32> {hm.dims = ["B", "N"]}, %mq: tensor<?x?xf32> {hm.dims = ["B", "M"]}) -> tensor<?x?x4xf32> {
  %w1 = hm.constant dense<[[0.5, -0.25, 0.125], [0.3, 0.2, -0.1], [-0.4, 0.6, 0.05], [0.7, -0.3, 0.2]]> : tensor<4x3xf32>
  %w2 = hm.constant dense<[[0.25, -0.5], [0.4, 0.1], [-0.3, 0.35]]> : tensor<3x2xf32>
  %mk3 = hm.reshape %mk {shape = ["B", "N", 1]} : tensor<?x?xf32> -> tensor<?x?x1xf32>
  %mq3 = hm.reshape %mq {shape = ["B", "M", 1]} : tensor<?x?xf32> -> tensor<?x?x1xf32>
  %km = hm.mul %k, %mk3 : tensor<?x?x4xf32>, tensor<?x?x1xf32> -> tensor<?x?x4xf32>
  %vm = hm.mul %v, %mk3 : tensor<?x?x4xf32>, tensor<?x?x1xf32> -> tensor<?x?x4xf32>
  %qm = hm.mul %q, %mq3 : tensor<?x?x4xf32>, tensor<?x?x1xf32> -> tensor<?x?x4xf32>
  %hk = hm.linear %km, %w1 : (tensor<?x?x4xf32>, tensor<4x3xf32>) -> tensor<?x?x3xf32>
  %gk = hm.gelu %hk : tensor<?x?x3xf32>
  %wk = hm.linear %gk, %w2 : (tensor<?x?x3xf32>, tensor<3x2xf32>) -> tensor<?x?x2xf32>
  %hq = hm.linear %qm, %w1 : (tensor<?x?x4xf32>, tensor<4x3xf32>) -> tensor<?x?x3xf32>
  %gq = hm.gelu %hq : tensor<?x?x3xf32>
  %wq = hm.linear %gq, %w2 : (tensor<?x?x3xf32>, tensor<3x2xf32>) -> tensor<?x?x2xf32>
  %wt = hm.transpose %wk {perm = array<i64: 0, 2, 1>} : tensor<?x?x2xf32> -> tensor<?x2x?xf32>
  %s = hm.matmul %wt, %vm : tensor<?x2x?xf32>, tensor<?x?x4xf32> -> tensor<?x2x4xf32>
  %z = hm.gelu %s : tensor<?x2x4xf32>
  // expected-remark @+1 {{fused HyperMixing: heads = 1, d = 4, k = 2, cross (queries over keys and values), masked, keys masked, tokens masked only, positions none}}
  %y = hm.matmul %wq, %z : tensor<?x?x2xf32>, tensor<?x2x4xf32> -> tensor<?x?x4xf32>
  return %y : tensor<?x?x4xf32>
}

// -----

// The same with only the queries masked: the op has a query mask and no key
// mask.
// CHECK-LABEL: func.func @cross_mixing_queries_masked_only
// CHECK: hm.hyper_mix %arg0 keys(%arg1, %arg2) mask %arg3 hyper1({{.*}}) hyper2({{.*}}) {{{.*}}mask_weights = false{{.*}}}
func.func @cross_mixing_queries_masked_only(%q: tensor<?x?x4xf32> {hm.dims = ["B", "M", 4]}, %k: tensor<?x?x4xf32> {hm.dims = ["B", "N", 4]}, %v: tensor<?x?x4xf32> {hm.dims = ["B", "N", 4]}, %mq: tensor<?x?xf32> {hm.dims = ["B", "M"]}) -> tensor<?x?x4xf32> {
  %w1 = hm.constant dense<[[0.5, -0.25, 0.125], [0.3, 0.2, -0.1], [-0.4, 0.6, 0.05], [0.7, -0.3, 0.2]]> : tensor<4x3xf32>
  %w2 = hm.constant dense<[[0.25, -0.5], [0.4, 0.1], [-0.3, 0.35]]> : tensor<3x2xf32>
  %mq3 = hm.reshape %mq {shape = ["B", "M", 1]} : tensor<?x?xf32> -> tensor<?x?x1xf32>
  %qm = hm.mul %q, %mq3 : tensor<?x?x4xf32>, tensor<?x?x1xf32> -> tensor<?x?x4xf32>
  %hk = hm.linear %k, %w1 : (tensor<?x?x4xf32>, tensor<4x3xf32>) -> tensor<?x?x3xf32>
  %gk = hm.gelu %hk : tensor<?x?x3xf32>
  %wk = hm.linear %gk, %w2 : (tensor<?x?x3xf32>, tensor<3x2xf32>) -> tensor<?x?x2xf32>
  %hq = hm.linear %qm, %w1 : (tensor<?x?x4xf32>, tensor<4x3xf32>) -> tensor<?x?x3xf32>
  %gq = hm.gelu %hq : tensor<?x?x3xf32>
  %wq = hm.linear %gq, %w2 : (tensor<?x?x3xf32>, tensor<3x2xf32>) -> tensor<?x?x2xf32>
  %wt = hm.transpose %wk {perm = array<i64: 0, 2, 1>} : tensor<?x?x2xf32> -> tensor<?x2x?xf32>
  %s = hm.matmul %wt, %v : tensor<?x2x?xf32>, tensor<?x?x4xf32> -> tensor<?x2x4xf32>
  %z = hm.gelu %s : tensor<?x2x4xf32>
  // expected-remark @+1 {{fused HyperMixing: heads = 1, d = 4, k = 2, cross (queries over keys and values), masked, tokens masked only, positions none}}
  %y = hm.matmul %wq, %z : tensor<?x?x2xf32>, tensor<?x2x4xf32> -> tensor<?x?x4xf32>
  return %y : tensor<?x?x4xf32>
}

// -----

// ESPnet subsamples its padding mask by slicing, x_mask[:, :-2:2][:, :-2:2],
// alongside two stride-2 convolutions: the tokens' length T_2 derives from T.
// The check's random input is long enough for both (an input length whose
// derived length would come out below 1 is raised), so the slices agree with
// the derivation and the layer fuses.
// CHECK-LABEL: func.func @mask_sliced_like_the_front_end
// CHECK: hm.hyper_mix %arg0 mask %{{.*}} hyper1(
func.func @mask_sliced_like_the_front_end(%x: tensor<?x?x4xf32> {hm.dims = ["B", "T_2", 4]}, %pad: tensor<?x?xi1> {hm.dims = ["B", "T"]}) -> tensor<?x?x4xf32> attributes {hm.derived_dims = [{add = -3 : i64, base = "T", div = 2 : i64, name = "T_1", post = 1 : i64}, {add = -3 : i64, base = "T_1", div = 2 : i64, name = "T_2", post = 1 : i64}]} {
  %keep = hm.not %pad : tensor<?x?xi1>
  %s1 = hm.slice %keep {axes = array<i64: 1>, ends = array<i64: -2>, starts = array<i64: 0>, steps = array<i64: 2>} : tensor<?x?xi1> -> tensor<?x?xi1>
  %s2 = hm.slice %s1 {axes = array<i64: 1>, ends = array<i64: -2>, starts = array<i64: 0>, steps = array<i64: 2>} : tensor<?x?xi1> -> tensor<?x?xi1>
  %m3 = hm.reshape %s2 {shape = ["B", "T_2", 1]} : tensor<?x?xi1> -> tensor<?x?x1xi1>
  %m = hm.cast %m3 : tensor<?x?x1xi1> -> tensor<?x?x1xf32>
  %xm = hm.mul %x, %m : tensor<?x?x4xf32>, tensor<?x?x1xf32> -> tensor<?x?x4xf32>
  %w1 = hm.constant dense<[[0.5, -0.25, 0.125], [0.3, 0.2, -0.1], [-0.4, 0.6, 0.05], [0.7, -0.3, 0.2]]> : tensor<4x3xf32>
  %w2 = hm.constant dense<[[0.25, -0.5], [0.4, 0.1], [-0.3, 0.35]]> : tensor<3x2xf32>
  %h = hm.linear %xm, %w1 : (tensor<?x?x4xf32>, tensor<4x3xf32>) -> tensor<?x?x3xf32>
  %g = hm.gelu %h : tensor<?x?x3xf32>
  %w = hm.linear %g, %w2 : (tensor<?x?x3xf32>, tensor<3x2xf32>) -> tensor<?x?x2xf32>
  %wm = hm.mul %w, %m : tensor<?x?x2xf32>, tensor<?x?x1xf32> -> tensor<?x?x2xf32>
  %wt = hm.transpose %wm {perm = array<i64: 0, 2, 1>} : tensor<?x?x2xf32> -> tensor<?x2x?xf32>
  %s = hm.matmul %wt, %xm : tensor<?x2x?xf32>, tensor<?x?x4xf32> -> tensor<?x2x4xf32>
  %z = hm.gelu %s : tensor<?x2x4xf32>
  // expected-remark @+1 {{fused HyperMixing: heads = 1, d = 4, k = 2, tied, masked, positions none}}
  %y = hm.matmul %wm, %z : tensor<?x?x2xf32>, tensor<?x2x4xf32> -> tensor<?x?x4xf32>
  return %y : tensor<?x?x4xf32>
}

// -----

// A hypernetwork of one dense layer (W = x A + a) is not the two-layer MLP.
// CHECK-LABEL: func.func @one_layer_hypernetwork
// CHECK-NOT: hm.hyper_mix
func.func @one_layer_hypernetwork(%x: tensor<?x?x4xf32> {hm.dims = ["B", "N", 4]}) -> tensor<?x?x4xf32> {
  %w1 = hm.constant dense<[[0.25, -0.5], [0.4, 0.1], [-0.3, 0.35], [0.2, 0.6]]> : tensor<4x2xf32>
  %w = hm.linear %x, %w1 : (tensor<?x?x4xf32>, tensor<4x2xf32>) -> tensor<?x?x2xf32>
  %wt = hm.transpose %w {perm = array<i64: 0, 2, 1>} : tensor<?x?x2xf32> -> tensor<?x2x?xf32>
  %s = hm.matmul %wt, %x : tensor<?x2x?xf32>, tensor<?x?x4xf32> -> tensor<?x2x4xf32>
  // expected-remark @+1 {{HyperMixing subgraph not fused: first hypernetwork: the hypernetwork is one dense layer; hm.hyper_mix takes two with a GELU between them}}
  %z = hm.gelu %s : tensor<?x2x4xf32>
  %y = hm.matmul %w, %z : tensor<?x?x2xf32>, tensor<?x2x4xf32> -> tensor<?x?x4xf32>
  return %y : tensor<?x?x4xf32>
}

// -----

// The hypernetwork's activation is shaped like GELU's tanh approximation but
// with another slope, 0.5 h (1 + tanh(0.7 (h + 0.044715 h^3))).
// CHECK-LABEL: func.func @tanh_gelu_hypernetwork
// CHECK-NOT: hm.hyper_mix
func.func @tanh_gelu_hypernetwork(%x: tensor<?x?x4xf32> {hm.dims = ["B", "N", 4]}) -> tensor<?x?x4xf32> {
  %w1 = hm.constant dense<[[0.5, -0.25, 0.125], [0.3, 0.2, -0.1], [-0.4, 0.6, 0.05], [0.7, -0.3, 0.2]]> : tensor<4x3xf32>
  %w2 = hm.constant dense<[[0.25, -0.5], [0.4, 0.1], [-0.3, 0.35]]> : tensor<3x2xf32>
  %half = hm.constant dense<0.5> : tensor<f32>
  %one = hm.constant dense<1.0> : tensor<f32>
  %c = hm.constant dense<0.044715> : tensor<f32>
  %k = hm.constant dense<0.7> : tensor<f32>
  %h = hm.linear %x, %w1 : (tensor<?x?x4xf32>, tensor<4x3xf32>) -> tensor<?x?x3xf32>
  %h2 = hm.mul %h, %h : tensor<?x?x3xf32>, tensor<?x?x3xf32> -> tensor<?x?x3xf32>
  %h3 = hm.mul %h2, %h : tensor<?x?x3xf32>, tensor<?x?x3xf32> -> tensor<?x?x3xf32>
  %ch3 = hm.mul %h3, %c : tensor<?x?x3xf32>, tensor<f32> -> tensor<?x?x3xf32>
  %inner = hm.add %h, %ch3 : tensor<?x?x3xf32>, tensor<?x?x3xf32> -> tensor<?x?x3xf32>
  %arg = hm.mul %inner, %k : tensor<?x?x3xf32>, tensor<f32> -> tensor<?x?x3xf32>
  %t = hm.tanh %arg : tensor<?x?x3xf32>
  %t1 = hm.add %t, %one : tensor<?x?x3xf32>, tensor<f32> -> tensor<?x?x3xf32>
  %hh = hm.mul %h, %half : tensor<?x?x3xf32>, tensor<f32> -> tensor<?x?x3xf32>
  %g = hm.mul %hh, %t1 : tensor<?x?x3xf32>, tensor<?x?x3xf32> -> tensor<?x?x3xf32>
  %w = hm.linear %g, %w2 : (tensor<?x?x3xf32>, tensor<3x2xf32>) -> tensor<?x?x2xf32>
  %wt = hm.transpose %w {perm = array<i64: 0, 2, 1>} : tensor<?x?x2xf32> -> tensor<?x2x?xf32>
  %s = hm.matmul %wt, %x : tensor<?x2x?xf32>, tensor<?x?x4xf32> -> tensor<?x2x4xf32>
  // expected-remark @+1 {{HyperMixing subgraph not fused: first hypernetwork: the activation between the hypernetwork layers uses tanh but is not GELU's tanh approximation; hm.hyper_mix computes GELU, exact or that approximation}}
  %z = hm.gelu %s : tensor<?x2x4xf32>
  %y = hm.matmul %w, %z : tensor<?x?x2xf32>, tensor<?x2x4xf32> -> tensor<?x?x4xf32>
  return %y : tensor<?x?x4xf32>
}

// -----

// The two hypernetworks have hidden layers of 3 and 5 units: the first gets
// two zero units, which add nothing, and the op takes 5 for both.
// CHECK-LABEL: func.func @hidden_sizes_differ
// CHECK: hm.hyper_mix %arg0 hyper1({{.*}}) hyper2({{.*}}) {algorithm = "auto", heads = 1 : i64, positional = "none"} : (tensor<?x?x4xf32>, tensor<1x5x4xf32>, tensor<1x5xf32>, tensor<1x2x5xf32>, tensor<1x2xf32>, tensor<1x5x4xf32>, tensor<1x5xf32>, tensor<1x2x5xf32>, tensor<1x2xf32>)
func.func @hidden_sizes_differ(%x: tensor<?x?x4xf32> {hm.dims = ["B", "N", 4]}) -> tensor<?x?x4xf32> {
  %a1 = hm.constant dense<[[0.5, -0.25, 0.125], [0.3, 0.2, -0.1], [-0.4, 0.6, 0.05], [0.7, -0.3, 0.2]]> : tensor<4x3xf32>
  %c1 = hm.constant dense<[[0.25, -0.5], [0.4, 0.1], [-0.3, 0.35]]> : tensor<3x2xf32>
  %a2 = hm.constant dense<0.3> : tensor<4x5xf32>
  %c2 = hm.constant dense<-0.2> : tensor<5x2xf32>
  %h1 = hm.linear %x, %a1 : (tensor<?x?x4xf32>, tensor<4x3xf32>) -> tensor<?x?x3xf32>
  %g1 = hm.gelu %h1 : tensor<?x?x3xf32>
  %w1 = hm.linear %g1, %c1 : (tensor<?x?x3xf32>, tensor<3x2xf32>) -> tensor<?x?x2xf32>
  %h2 = hm.linear %x, %a2 : (tensor<?x?x4xf32>, tensor<4x5xf32>) -> tensor<?x?x5xf32>
  %g2 = hm.gelu %h2 : tensor<?x?x5xf32>
  %w2 = hm.linear %g2, %c2 : (tensor<?x?x5xf32>, tensor<5x2xf32>) -> tensor<?x?x2xf32>
  %wt = hm.transpose %w1 {perm = array<i64: 0, 2, 1>} : tensor<?x?x2xf32> -> tensor<?x2x?xf32>
  %s = hm.matmul %wt, %x : tensor<?x2x?xf32>, tensor<?x?x4xf32> -> tensor<?x2x4xf32>
  %z = hm.gelu %s : tensor<?x2x4xf32>
  // expected-remark @+1 {{fused HyperMixing: heads = 1, d = 4, k = 2, positions none}}
  %y = hm.matmul %w2, %z : tensor<?x?x2xf32>, tensor<?x2x4xf32> -> tensor<?x?x4xf32>
  return %y : tensor<?x?x4xf32>
}

// -----

// The mixed sum divided by each row's token count, a [B, 1, 1] tensor.
// CHECK-LABEL: func.func @divided_by_token_count
// CHECK-NOT: hm.hyper_mix
func.func @divided_by_token_count(%x: tensor<?x?x4xf32> {hm.dims = ["B", "N", 4]}, %count: tensor<?x1x1xf32> {hm.dims = ["B", 1, 1]}) -> tensor<?x?x4xf32> {
  %w1 = hm.constant dense<[[0.5, -0.25, 0.125], [0.3, 0.2, -0.1], [-0.4, 0.6, 0.05], [0.7, -0.3, 0.2]]> : tensor<4x3xf32>
  %w2 = hm.constant dense<[[0.25, -0.5], [0.4, 0.1], [-0.3, 0.35]]> : tensor<3x2xf32>
  %h = hm.linear %x, %w1 : (tensor<?x?x4xf32>, tensor<4x3xf32>) -> tensor<?x?x3xf32>
  %g = hm.gelu %h : tensor<?x?x3xf32>
  %w = hm.linear %g, %w2 : (tensor<?x?x3xf32>, tensor<3x2xf32>) -> tensor<?x?x2xf32>
  %wt = hm.transpose %w {perm = array<i64: 0, 2, 1>} : tensor<?x?x2xf32> -> tensor<?x2x?xf32>
  %s = hm.matmul %wt, %x : tensor<?x2x?xf32>, tensor<?x?x4xf32> -> tensor<?x2x4xf32>
  %mean = hm.div %s, %count : tensor<?x2x4xf32>, tensor<?x1x1xf32> -> tensor<?x2x4xf32>
  // expected-remark @+1 {{HyperMixing subgraph not fused: the product before the mixing GELU is scaled (a mean over the tokens?); HyperMixing sums over the tokens unscaled}}
  %z = hm.gelu %mean : tensor<?x2x4xf32>
  %y = hm.matmul %w, %z : tensor<?x?x2xf32>, tensor<?x2x4xf32> -> tensor<?x?x4xf32>
  return %y : tensor<?x?x4xf32>
}

// -----

// A time-major [T, B] mask, sliced like the front-end and transposed to
// [B, T_2]: the check runs B and the derived T_2 at different sizes (a
// derived length equal to another symbol's raises its input length), so the
// mask taken from behind the transpose is caught as the wrong shape.
// CHECK-LABEL: func.func @time_major_mask_behind_a_transpose
// CHECK-NOT: hm.hyper_mix
func.func @time_major_mask_behind_a_transpose(%x: tensor<?x?x4xf32> {hm.dims = ["B", "T_2", 4]}, %mf: tensor<?x?xf32> {hm.dims = ["T", "B"]}) -> tensor<?x?x4xf32> attributes {hm.derived_dims = [{add = -3 : i64, base = "T", div = 2 : i64, name = "T_1", post = 1 : i64}, {add = -3 : i64, base = "T_1", div = 2 : i64, name = "T_2", post = 1 : i64}]} {
  %s1 = hm.slice %mf {axes = array<i64: 0>, ends = array<i64: -2>, starts = array<i64: 0>, steps = array<i64: 2>} : tensor<?x?xf32> -> tensor<?x?xf32>
  %s2 = hm.slice %s1 {axes = array<i64: 0>, ends = array<i64: -2>, starts = array<i64: 0>, steps = array<i64: 2>} : tensor<?x?xf32> -> tensor<?x?xf32>
  %zero = hm.constant dense<0.0> : tensor<f32>
  %eq = hm.equal %s2, %zero : tensor<?x?xf32>, tensor<f32> -> tensor<?x?xi1>
  %t = hm.transpose %eq {perm = array<i64: 1, 0>} : tensor<?x?xi1> -> tensor<?x?xi1>
  %pad = hm.reshape %t {shape = ["B", "T_2", 1]} : tensor<?x?xi1> -> tensor<?x?x1xi1>
  %xm = hm.where %pad, %zero, %x : (tensor<?x?x1xi1>, tensor<f32>, tensor<?x?x4xf32>) -> tensor<?x?x4xf32>
  %w1 = hm.constant dense<[[0.5, -0.25, 0.125], [0.3, 0.2, -0.1], [-0.4, 0.6, 0.05], [0.7, -0.3, 0.2]]> : tensor<4x3xf32>
  %w2 = hm.constant dense<[[0.25, -0.5], [0.4, 0.1], [-0.3, 0.35]]> : tensor<3x2xf32>
  %h = hm.linear %xm, %w1 : (tensor<?x?x4xf32>, tensor<4x3xf32>) -> tensor<?x?x3xf32>
  %g = hm.gelu %h : tensor<?x?x3xf32>
  %w = hm.linear %g, %w2 : (tensor<?x?x3xf32>, tensor<3x2xf32>) -> tensor<?x?x2xf32>
  %wm = hm.where %pad, %zero, %w : (tensor<?x?x1xi1>, tensor<f32>, tensor<?x?x2xf32>) -> tensor<?x?x2xf32>
  %wt = hm.transpose %wm {perm = array<i64: 0, 2, 1>} : tensor<?x?x2xf32> -> tensor<?x2x?xf32>
  %s = hm.matmul %wt, %xm : tensor<?x2x?xf32>, tensor<?x?x4xf32> -> tensor<?x2x4xf32>
  // expected-remark @+1 {{HyperMixing subgraph not fused: cannot check the candidate: the mask is not [B, N] for the tokens}}
  %z = hm.gelu %s : tensor<?x2x4xf32>
  %y = hm.matmul %wm, %z : tensor<?x?x2xf32>, tensor<?x2x4xf32> -> tensor<?x?x4xf32>
  return %y : tensor<?x?x4xf32>
}

// -----

// The hypernetwork's GELU is the exact one, the mixing GELU torch's tanh
// approximation: hm.hyper_mix takes one form for every GELU.
// CHECK-LABEL: func.func @mixed_gelu_forms
// CHECK-NOT: hm.hyper_mix
func.func @mixed_gelu_forms(%x: tensor<?x?x4xf32> {hm.dims = ["B", "N", 4]}) -> tensor<?x?x4xf32> {
  %w1 = hm.constant dense<[[0.5, -0.25, 0.125], [0.3, 0.2, -0.1], [-0.4, 0.6, 0.05], [0.7, -0.3, 0.2]]> : tensor<4x3xf32>
  %b1 = hm.constant dense<[0.1, -0.2, 0.3]> : tensor<3xf32>
  %w2 = hm.constant dense<[[0.25, -0.5], [0.4, 0.1], [-0.3, 0.35]]> : tensor<3x2xf32>
  %b2 = hm.constant dense<[0.2, -0.1]> : tensor<2xf32>
  %h = hm.linear %x, %w1, %b1 : (tensor<?x?x4xf32>, tensor<4x3xf32>, tensor<3xf32>) -> tensor<?x?x3xf32>
  %g = hm.gelu %h : tensor<?x?x3xf32>
  %w = hm.linear %g, %w2, %b2 : (tensor<?x?x3xf32>, tensor<3x2xf32>, tensor<2xf32>) -> tensor<?x?x2xf32>
  %wt = hm.transpose %w {perm = array<i64: 0, 2, 1>} : tensor<?x?x2xf32> -> tensor<?x2x?xf32>
  %s = hm.matmul %wt, %x : tensor<?x2x?xf32>, tensor<?x?x4xf32> -> tensor<?x2x4xf32>
  // expected-remark @+1 {{HyperMixing subgraph not fused: the hypernetworks' GELUs and the mixing GELU differ in form (erf or tanh approximation); hm.hyper_mix takes one form for all}}
  %z = hm.gelu %s {approximate = "tanh"} : tensor<?x2x4xf32>
  %y = hm.matmul %w, %z : tensor<?x?x2xf32>, tensor<?x2x4xf32> -> tensor<?x?x4xf32>
  return %y : tensor<?x?x4xf32>
}

// -----

// The same layer with the tanh approximation in both places fuses.
// CHECK-LABEL: func.func @tanh_gelu_forms
// CHECK: hm.hyper_mix %arg0 hyper1({{.*}}) {{{.*}}gelu_approximate = "tanh"
func.func @tanh_gelu_forms(%x: tensor<?x?x4xf32> {hm.dims = ["B", "N", 4]}) -> tensor<?x?x4xf32> {
  %w1 = hm.constant dense<[[0.5, -0.25, 0.125], [0.3, 0.2, -0.1], [-0.4, 0.6, 0.05], [0.7, -0.3, 0.2]]> : tensor<4x3xf32>
  %b1 = hm.constant dense<[0.1, -0.2, 0.3]> : tensor<3xf32>
  %w2 = hm.constant dense<[[0.25, -0.5], [0.4, 0.1], [-0.3, 0.35]]> : tensor<3x2xf32>
  %b2 = hm.constant dense<[0.2, -0.1]> : tensor<2xf32>
  %h = hm.linear %x, %w1, %b1 : (tensor<?x?x4xf32>, tensor<4x3xf32>, tensor<3xf32>) -> tensor<?x?x3xf32>
  %g = hm.gelu %h {approximate = "tanh"} : tensor<?x?x3xf32>
  %w = hm.linear %g, %w2, %b2 : (tensor<?x?x3xf32>, tensor<3x2xf32>, tensor<2xf32>) -> tensor<?x?x2xf32>
  %wt = hm.transpose %w {perm = array<i64: 0, 2, 1>} : tensor<?x?x2xf32> -> tensor<?x2x?xf32>
  %s = hm.matmul %wt, %x : tensor<?x2x?xf32>, tensor<?x?x4xf32> -> tensor<?x2x4xf32>
  %z = hm.gelu %s {approximate = "tanh"} : tensor<?x2x4xf32>
  // expected-remark @+1 {{fused HyperMixing: heads = 1, d = 4, k = 2, tied, tanh GELU, positions none}}
  %y = hm.matmul %w, %z : tensor<?x?x2xf32>, tensor<?x2x4xf32> -> tensor<?x?x4xf32>
  return %y : tensor<?x?x4xf32>
}
