// RUN: hmc-opt %s -hm-add-audio-frontend -split-input-file -verify-diagnostics | FileCheck %s

// The [B, T, 80] features input becomes audio [B, S] through hm.fbank, T
// follows from S, and the log-probs gain their greedy CTC decoding.
// CHECK-LABEL: func.func @main
// CHECK-SAME: (%[[A:.*]]: tensor<?x?xf32> {hm.dims = ["B", "S"], hm.name = "audio"})
// CHECK-SAME: -> (tensor<?x?x7xf32> {hm.dims = ["B", "T", 7], hm.name = "log_probs"}, tensor<?x?xi64> {hm.dims = ["B", "T"], hm.name = "token_ids"})
// CHECK-SAME: hm.derived_dims = [{add = -400 : i64, base = "S", div = 160 : i64, name = "T", post = 1 : i64}]
// CHECK: %[[F:.*]] = hm.fbank %[[A]] window %{{.*}} dft(%{{.*}}, %{{.*}}) mel %{{.*}} {floor = 1.000000e-10 : f64, hop = 160 : i64} : (tensor<?x?xf32>, tensor<400xf32>, tensor<201x400xf32>, tensor<201x400xf32>, tensor<80x201xf32>) -> tensor<?x?x80xf32>
// CHECK: %[[L:.*]] = hm.linear %[[F]]
// CHECK: %[[I:.*]] = hm.ctc_greedy %[[L]] {blank = 0 : i64} : tensor<?x?x7xf32> -> tensor<?x?xi64>
// CHECK: return %[[L]], %[[I]]
func.func @main(%feats: tensor<?x?x80xf32> {hm.dims = ["B", "T", 80], hm.name = "feats"}) -> (tensor<?x?x7xf32> {hm.dims = ["B", "T", 7], hm.name = "log_probs"}) {
  %w = hm.constant dense<0.5> : tensor<80x7xf32>
  %y = hm.linear %feats, %w : (tensor<?x?x80xf32>, tensor<80x7xf32>) -> tensor<?x?x7xf32>
  return %y : tensor<?x?x7xf32>
}

// -----

// expected-error @+1 {{--audio-frontend needs a float32 input [B, T, 80] of filterbank features with dynamic B and T}}
func.func @no_features(%x: tensor<?x?x64xf32> {hm.dims = ["B", "T", 64], hm.name = "x"}) -> (tensor<?x?x64xf32> {hm.dims = ["B", "T", 64], hm.name = "y"}) {
  return %x : tensor<?x?x64xf32>
}
