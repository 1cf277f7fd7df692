// RUN: hmc-opt %s -split-input-file -verify-diagnostics

func.func @broadcast(%a: tensor<4x3xf32>, %b: tensor<5xf32>) -> tensor<4x3xf32> {
  // expected-error @+1 {{operand shapes [4, 3] and [5] do not broadcast}}
  %0 = hm.add %a, %b : tensor<4x3xf32>, tensor<5xf32> -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

func.func @element_types(%a: tensor<4xf32>, %b: tensor<4xf64>) -> tensor<4xf32> {
  // expected-error @+1 {{operand element types differ: 'f32' vs 'f64'}}
  %0 = hm.mul %a, %b : tensor<4xf32>, tensor<4xf64> -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @compare_result(%a: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{result #0 must be ranked tensor of 1-bit signless integer values}}
  %0 = hm.less %a, %b : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @linear(%x: tensor<?x6xf32>) -> tensor<?x4xf32> {
  %w = hm.constant dense<1.0> : tensor<8x4xf32>
  // expected-error @+1 {{input features 6 differ from weight rows 8}}
  %0 = hm.linear %x, %w : (tensor<?x6xf32>, tensor<8x4xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

func.func @transpose(%x: tensor<2x3xf32>) -> tensor<3x2xf32> {
  // expected-error @+1 {{perm is not a permutation of 0..1}}
  %0 = hm.transpose %x {perm = array<i64: 0, 0>} : tensor<2x3xf32> -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

func.func @reshape(%x: tensor<2x3xf32>) -> tensor<7xf32> {
  // expected-error @+1 {{cannot reshape [2, 3] (6 elements) to [7] (7 elements)}}
  %0 = hm.reshape %x {shape = [7]} : tensor<2x3xf32> -> tensor<7xf32>
  return %0 : tensor<7xf32>
}

// -----

func.func @reshape_symbolic(%x: tensor<?x3xf32>) -> tensor<?x3xf32> {
  // expected-error @+1 {{shape entry 1 is symbolic but the result dim is static}}
  %0 = hm.reshape %x {shape = ["B", "N"]} : tensor<?x3xf32> -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

func.func @heads(%x: tensor<?x?x10xf32>) -> tensor<?x?x10xf32> {
  %A = hm.constant dense<0.1> : tensor<3x3x3xf32>
  %a = hm.constant dense<0.1> : tensor<3x3xf32>
  // expected-error @+1 {{d = 10 is not divisible by heads = 3}}
  %y = hm.hyper_mix %x hyper1(%A, %a, %A, %a) {heads = 3} : (tensor<?x?x10xf32>, tensor<3x3x3xf32>, tensor<3x3xf32>, tensor<3x3x3xf32>, tensor<3x3xf32>) -> tensor<?x?x10xf32>
  return %y : tensor<?x?x10xf32>
}

// -----

func.func @hypernetwork_shape(%x: tensor<?x?x16xf32>) -> tensor<?x?x16xf32> {
  %A = hm.constant dense<0.1> : tensor<2x8x7xf32>
  %a = hm.constant dense<0.1> : tensor<2x8xf32>
  %C = hm.constant dense<0.1> : tensor<2x4x8xf32>
  %c = hm.constant dense<0.1> : tensor<2x4xf32>
  // expected-error @+1 {{hypernetwork 1 input weight must have shape [2, 8, 8], got [2, 8, 7]}}
  %y = hm.hyper_mix %x hyper1(%A, %a, %C, %c) {heads = 2} : (tensor<?x?x16xf32>, tensor<2x8x7xf32>, tensor<2x8xf32>, tensor<2x4x8xf32>, tensor<2x4xf32>) -> tensor<?x?x16xf32>
  return %y : tensor<?x?x16xf32>
}

// -----

func.func @norm_epsilon(%x: tensor<?x?x16xf32>) -> tensor<?x?x16xf32> {
  %A = hm.constant dense<0.1> : tensor<2x8x8xf32>
  %a = hm.constant dense<0.1> : tensor<2x8xf32>
  %C = hm.constant dense<0.1> : tensor<2x4x8xf32>
  %c = hm.constant dense<0.1> : tensor<2x4xf32>
  %g = hm.constant dense<1.0> : tensor<16xf32>
  // expected-error @+1 {{layer_norm_epsilon must be set exactly when the norm(gamma, beta) operands are present}}
  %y = hm.hyper_mix %x hyper1(%A, %a, %C, %c) norm(%g, %g) {heads = 2} : (tensor<?x?x16xf32>, tensor<2x8x8xf32>, tensor<2x8xf32>, tensor<2x4x8xf32>, tensor<2x4xf32>, tensor<16xf32>, tensor<16xf32>) -> tensor<?x?x16xf32>
  return %y : tensor<?x?x16xf32>
}

// -----

func.func @positional(%x: tensor<?x?x16xf32>) -> tensor<?x?x16xf32> {
  %A = hm.constant dense<0.1> : tensor<2x8x8xf32>
  %a = hm.constant dense<0.1> : tensor<2x8xf32>
  %C = hm.constant dense<0.1> : tensor<2x4x8xf32>
  %c = hm.constant dense<0.1> : tensor<2x4xf32>
  // expected-error @+1 {{positional must be "none", "sinusoidal" or "table", got "learned"}}
  %y = hm.hyper_mix %x hyper1(%A, %a, %C, %c) {heads = 2, positional = "learned"} : (tensor<?x?x16xf32>, tensor<2x8x8xf32>, tensor<2x8xf32>, tensor<2x4x8xf32>, tensor<2x4xf32>) -> tensor<?x?x16xf32>
  return %y : tensor<?x?x16xf32>
}

// -----

func.func @table_without_table(%x: tensor<?x?x16xf32>) -> tensor<?x?x16xf32> {
  %A = hm.constant dense<0.1> : tensor<2x8x8xf32>
  %a = hm.constant dense<0.1> : tensor<2x8xf32>
  %C = hm.constant dense<0.1> : tensor<2x4x8xf32>
  %c = hm.constant dense<0.1> : tensor<2x4xf32>
  // expected-error @+1 {{positional = "table" needs a position_table}}
  %y = hm.hyper_mix %x hyper1(%A, %a, %C, %c) {heads = 2, positional = "table"} : (tensor<?x?x16xf32>, tensor<2x8x8xf32>, tensor<2x8xf32>, tensor<2x4x8xf32>, tensor<2x4xf32>) -> tensor<?x?x16xf32>
  return %y : tensor<?x?x16xf32>
}

// -----

func.func @partial_hyper2(%x: tensor<?x?x16xf32>) -> tensor<?x?x16xf32> {
  %A = hm.constant dense<0.1> : tensor<2x8x8xf32>
  %a = hm.constant dense<0.1> : tensor<2x8xf32>
  %C = hm.constant dense<0.1> : tensor<2x4x8xf32>
  %c = hm.constant dense<0.1> : tensor<2x4xf32>
  // expected-error @+1 {{hyper2 needs all four operands or none (tied)}}
  %y = "hm.hyper_mix"(%x, %A, %a, %C, %c, %A) {heads = 2 : i64, operandSegmentSizes = array<i32: 1, 0, 0, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0>} : (tensor<?x?x16xf32>, tensor<2x8x8xf32>, tensor<2x8xf32>, tensor<2x4x8xf32>, tensor<2x4xf32>, tensor<2x8x8xf32>) -> tensor<?x?x16xf32>
  return %y : tensor<?x?x16xf32>
}

// -----

func.func @keys_without_values(%x: tensor<?x?x16xf32>, %k: tensor<?x?x16xf32>) -> tensor<?x?x16xf32> {
  %A = hm.constant dense<0.1> : tensor<2x8x8xf32>
  %a = hm.constant dense<0.1> : tensor<2x8xf32>
  %C = hm.constant dense<0.1> : tensor<2x4x8xf32>
  %c = hm.constant dense<0.1> : tensor<2x4xf32>
  // expected-error @+1 {{keys and values come together}}
  %y = "hm.hyper_mix"(%x, %k, %A, %a, %C, %c) {heads = 2 : i64, operandSegmentSizes = array<i32: 1, 1, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0>} : (tensor<?x?x16xf32>, tensor<?x?x16xf32>, tensor<2x8x8xf32>, tensor<2x8xf32>, tensor<2x4x8xf32>, tensor<2x4xf32>) -> tensor<?x?x16xf32>
  return %y : tensor<?x?x16xf32>
}

// -----

func.func @key_mask_without_keys(%x: tensor<?x?x16xf32>, %m: tensor<?x?xf32>) -> tensor<?x?x16xf32> {
  %A = hm.constant dense<0.1> : tensor<2x8x8xf32>
  %a = hm.constant dense<0.1> : tensor<2x8xf32>
  %C = hm.constant dense<0.1> : tensor<2x4x8xf32>
  %c = hm.constant dense<0.1> : tensor<2x4xf32>
  // expected-error @+1 {{a key_mask needs keys and values}}
  %y = "hm.hyper_mix"(%x, %m, %A, %a, %C, %c) {heads = 2 : i64, operandSegmentSizes = array<i32: 1, 0, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0>} : (tensor<?x?x16xf32>, tensor<?x?xf32>, tensor<2x8x8xf32>, tensor<2x8xf32>, tensor<2x4x8xf32>, tensor<2x4xf32>) -> tensor<?x?x16xf32>
  return %y : tensor<?x?x16xf32>
}

// -----

func.func @values_longer_than_keys(%x: tensor<2x?x16xf32>, %k: tensor<2x5x16xf32>, %v: tensor<2x6x16xf32>) -> tensor<2x?x16xf32> {
  %A = hm.constant dense<0.1> : tensor<2x8x8xf32>
  %a = hm.constant dense<0.1> : tensor<2x8xf32>
  %C = hm.constant dense<0.1> : tensor<2x4x8xf32>
  %c = hm.constant dense<0.1> : tensor<2x4xf32>
  // expected-error @+1 {{values must have shape [2, 5, 16], got [2, 6, 16]}}
  %y = hm.hyper_mix %x keys(%k, %v) hyper1(%A, %a, %C, %c) {heads = 2} : (tensor<2x?x16xf32>, tensor<2x5x16xf32>, tensor<2x6x16xf32>, tensor<2x8x8xf32>, tensor<2x8xf32>, tensor<2x4x8xf32>, tensor<2x4xf32>) -> tensor<2x?x16xf32>
  return %y : tensor<2x?x16xf32>
}

// -----

func.func @key_mask_of_the_queries(%x: tensor<2x7x16xf32>, %k: tensor<2x5x16xf32>, %m: tensor<2x7xf32>) -> tensor<2x7x16xf32> {
  %A = hm.constant dense<0.1> : tensor<2x8x8xf32>
  %a = hm.constant dense<0.1> : tensor<2x8xf32>
  %C = hm.constant dense<0.1> : tensor<2x4x8xf32>
  %c = hm.constant dense<0.1> : tensor<2x4xf32>
  // expected-error @+1 {{key_mask must have shape [2, 5], got [2, 7]}}
  %y = hm.hyper_mix %x keys(%k, %k) key_mask %m hyper1(%A, %a, %C, %c) {heads = 2} : (tensor<2x7x16xf32>, tensor<2x5x16xf32>, tensor<2x5x16xf32>, tensor<2x7xf32>, tensor<2x8x8xf32>, tensor<2x8xf32>, tensor<2x4x8xf32>, tensor<2x4xf32>) -> tensor<2x7x16xf32>
  return %y : tensor<2x7x16xf32>
}

// -----

func.func @concat(%a: tensor<?x4xf32>, %b: tensor<?x3xf32>) -> tensor<?x8xf32> {
  // expected-error @+1 {{result dim 1 is 8, the inputs add up to 7}}
  %0 = hm.concat %a, %b {axis = 1} : (tensor<?x4xf32>, tensor<?x3xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

func.func @gather_shape(%ids: tensor<?x?xi64>) -> tensor<?x8xf32> {
  %table = hm.constant dense<0.5> : tensor<100x8xf32>
  // expected-error @+1 {{result rank must be 3}}
  %e = hm.gather %table, %ids {axis = 0} : (tensor<100x8xf32>, tensor<?x?xi64>) -> tensor<?x8xf32>
  return %e : tensor<?x8xf32>
}

// -----

func.func @gather_axis(%ids: tensor<?xi64>) -> tensor<?xf32> {
  %table = hm.constant dense<0.5> : tensor<100xf32>
  // expected-error @+1 {{axis 1 is out of range for rank 1}}
  %e = hm.gather %table, %ids {axis = 1} : (tensor<100xf32>, tensor<?xi64>) -> tensor<?xf32>
  return %e : tensor<?xf32>
}

// -----

func.func @reduce_sum_rank(%x: tensor<?x?x8xf32>) -> tensor<?x8xf32> {
  // expected-error @+1 {{result rank must be 3}}
  %s = hm.reduce_sum %x {axes = array<i64: 1>} : tensor<?x?x8xf32> -> tensor<?x8xf32>
  return %s : tensor<?x8xf32>
}

// -----

func.func @iota_length(%x: tensor<?x5xf32>) -> tensor<4xi64> {
  // expected-error @+1 {{result length 4 differs from the reference dim 5}}
  %0 = hm.iota %x {reference_axis = 1 : i64} : (tensor<?x5xf32>) -> tensor<4xi64>
  return %0 : tensor<4xi64>
}

// -----

func.func @iota_axis(%x: tensor<?x5xf32>) -> tensor<?xi64> {
  // expected-error @+1 {{reference_axis 2 is out of range}}
  %0 = hm.iota %x {reference_axis = 2 : i64} : (tensor<?x5xf32>) -> tensor<?xi64>
  return %0 : tensor<?xi64>
}

// -----

func.func @dim_size_elements(%x: tensor<?x5xf32>) -> tensor<2xi64> {
  // expected-error @+1 {{result must hold one element, got [2]}}
  %0 = hm.dim_size %x {reference_axis = 0 : i64} : (tensor<?x5xf32>) -> tensor<2xi64>
  return %0 : tensor<2xi64>
}

// -----

func.func @arg_max_axis(%x: tensor<?x8xf32>) -> tensor<?xi64> {
  // expected-error @+1 {{axis 2 is out of range for rank 2}}
  %i = hm.arg_max %x {axis = 2 : i64, keepdims = false} : tensor<?x8xf32> -> tensor<?xi64>
  return %i : tensor<?xi64>
}

// -----

func.func @cumsum_axis(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  // expected-error @+1 {{axis -1 is out of range for rank 2}}
  %s = hm.cumsum %x {axis = -1 : i64} : tensor<?x8xf32>
  return %s : tensor<?x8xf32>
}

// -----

func.func @gather_elements_rank(%x: tensor<?x8xf32>, %i: tensor<?xi64>) -> tensor<?xf32> {
  // expected-error @+1 {{indices have rank 1, the input 2}}
  %y = hm.gather_elements %x, %i {axis = 1 : i64} : (tensor<?x8xf32>, tensor<?xi64>) -> tensor<?xf32>
  return %y : tensor<?xf32>
}

// -----

func.func @gather_elements_longer(%x: tensor<?x2xf32>, %i: tensor<9x3xi64>) -> tensor<9x3xf32> {
  // expected-error @+1 {{indices dimension 1 (3) is longer than the input's (2)}}
  %y = hm.gather_elements %x, %i {axis = 0 : i64} : (tensor<?x2xf32>, tensor<9x3xi64>) -> tensor<9x3xf32>
  return %y : tensor<9x3xf32>
}

// -----

func.func @scatter_nd_updates(%x: tensor<?x8xf32>, %i: tensor<?x4x2xi64>, %u: tensor<?x3xf32>) -> tensor<?x8xf32> {
  // expected-error @+1 {{updates shape [?, 3] differs from [?, 4]}}
  %y = hm.scatter_nd %x, %i, %u : (tensor<?x8xf32>, tensor<?x4x2xi64>, tensor<?x3xf32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

func.func @scatter_nd_coordinates(%x: tensor<?x8xf32>, %i: tensor<?x3xi64>, %u: tensor<?xf32>) -> tensor<?x8xf32> {
  // expected-error @+1 {{indices name 3 coordinates of a rank 2 input}}
  %y = hm.scatter_nd %x, %i, %u : (tensor<?x8xf32>, tensor<?x3xi64>, tensor<?xf32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

func.func @arg_min_shape(%x: tensor<?x8xf32>) -> tensor<?x8xi64> {
  // expected-error @+1 {{result shape [?, 8] differs from [?, 1]}}
  %i = hm.arg_min %x {axis = 1 : i64} : tensor<?x8xf32> -> tensor<?x8xi64>
  return %i : tensor<?x8xi64>
}

// -----

func.func @reduce_max_rank(%x: tensor<?x?x8xf32>) -> tensor<?x8xf32> {
  // expected-error @+1 {{result rank must be 3}}
  %s = hm.reduce_max %x {axes = array<i64: 1>} : tensor<?x?x8xf32> -> tensor<?x8xf32>
  return %s : tensor<?x8xf32>
}

// -----

func.func @slice_count(%x: tensor<2x16xf32>) -> tensor<2x7xf32> {
  // expected-error @+1 {{result dim 1 is 7, the slice has 8 entries}}
  %0 = hm.slice %x {axes = array<i64: 1>, starts = array<i64: 1>, ends = array<i64: 16>, steps = array<i64: 2>} : tensor<2x16xf32> -> tensor<2x7xf32>
  return %0 : tensor<2x7xf32>
}

// -----

func.func @slice_dynamic_from_end(%x: tensor<2x?xf32>) -> tensor<2x?xf32> {
  // expected-error @+1 {{a dynamic slice of axis 1 needs starts >= 0, steps > 0 and ends <= 0 (counted from the end)}}
  %0 = hm.slice %x {axes = array<i64: 1>, starts = array<i64: 0>, ends = array<i64: 4>, steps = array<i64: 2>} : tensor<2x?xf32> -> tensor<2x?xf32>
  return %0 : tensor<2x?xf32>
}

// -----

func.func @slice_dynamic_past_zero(%x: tensor<2x?xf32>) -> tensor<2x2xf32> {
  // expected-error @+1 {{a static slice of the dynamic axis 1 may only be [0, 1)}}
  %0 = hm.slice %x {axes = array<i64: 1>, starts = array<i64: 0>, ends = array<i64: 2>, steps = array<i64: 1>} : tensor<2x?xf32> -> tensor<2x2xf32>
  return %0 : tensor<2x2xf32>
}

// -----

func.func @slice_backwards_from_the_end(%x: tensor<4xf32>) -> tensor<5xf32> {
  // expected-error @+1 {{slice [4, -1) is out of range for axis 0 of size 4}}
  %0 = hm.slice %x {axes = array<i64: 0>, starts = array<i64: 4>, ends = array<i64: -1>, steps = array<i64: -1>} : tensor<4xf32> -> tensor<5xf32>
  return %0 : tensor<5xf32>
}

// -----

func.func @slice_static_to_dynamic(%x: tensor<8xf32>) -> tensor<?xf32> {
  // expected-error @+1 {{a dynamic result needs a dynamic input axis, not axis 0 of size 8}}
  %0 = hm.slice %x {axes = array<i64: 0>, starts = array<i64: 0>, ends = array<i64: 8>, steps = array<i64: 1>} : tensor<8xf32> -> tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

func.func @gelu_approximation_name(%x: tensor<?x?x16xf32>) -> tensor<?x?x16xf32> {
  %A = hm.constant dense<0.1> : tensor<2x8x8xf32>
  %a = hm.constant dense<0.1> : tensor<2x8xf32>
  %C = hm.constant dense<0.1> : tensor<2x4x8xf32>
  %c = hm.constant dense<0.1> : tensor<2x4xf32>
  // expected-error @+1 {{gelu_approximate must be "none" or "tanh", got "sigmoid"}}
  %y = hm.hyper_mix %x hyper1(%A, %a, %C, %c) {heads = 2, gelu_approximate = "sigmoid"} : (tensor<?x?x16xf32>, tensor<2x8x8xf32>, tensor<2x8xf32>, tensor<2x4x8xf32>, tensor<2x4xf32>) -> tensor<?x?x16xf32>
  return %y : tensor<?x?x16xf32>
}

// -----

func.func @gelu_form(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{approximate must be "none" or "tanh", got "fast"}}
  %0 = hm.gelu %x {approximate = "fast"} : tensor<4xf32>
  return %0 : tensor<4xf32>
}
