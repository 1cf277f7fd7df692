// Hypernetworks as grouped pointwise Conv1d layers (one group per head) on the
// channels-first tokens [B, d, N], generating W_1 and W_2 as [B, k, N]
// (Inputs/conv1d-heads-mask-op17.mlir, written by Inputs/make_fusion_inputs.py).
// Each group is one head's dense layer, so the convolutions become the op's
// per-head weights: in [2, 3, 4] and out [2, 4, 3] for d_h = 4, a hidden
// size of 3 and k_h = 4.
// RUN: hmc-opt %S/Inputs/conv1d-heads-mask-op17.mlir | FileCheck %s --check-prefix=BEFORE
// RUN: hmc-opt %S/Inputs/conv1d-heads-mask-op17.mlir --hm-canonicalize --canonicalize --cse --hm-fuse-hypermixing --canonicalize | FileCheck %s
// A convolution that reads neighbouring tokens is no token-wise layer:
// RUN: sed 's/%8 = hm.conv \(.*\) pads = array<i64: 0, 0>/%8 = hm.conv \1 pads = array<i64: 1, 1>/' %S/Inputs/conv1d-heads-mask-op17.mlir | hmc-opt --hm-canonicalize --canonicalize --cse --hm-fuse-hypermixing 2>&1 | FileCheck %s --check-prefix=PADDED
// PADDED: remark: HyperMixing subgraph not fused: first hypernetwork: convolutional hypernetwork layer is not a pointwise Conv1d with a constant weight
// PADDED-NOT: hm.hyper_mix

// BEFORE: hm.transpose %{{.*}} {perm = array<i64: 0, 2, 1>} : tensor<?x?x8xf32> -> tensor<?x8x?xf32>
// BEFORE: hm.conv %{{.*}} {dilations = array<i64: 1>, groups = 2 : i64, pads = array<i64: 0, 0>, strides = array<i64: 1>} : (tensor<?x8x?xf32>, tensor<6x4x1xf32>, tensor<6xf32>) -> tensor<?x6x?xf32>
// BEFORE: hm.conv %{{.*}} : (tensor<?x6x?xf32>, tensor<8x3x1xf32>, tensor<8xf32>) -> tensor<?x8x?xf32>
// BEFORE: hm.matmul %{{.*}}, %{{.*}} : tensor<?x2x4x?xf32>, tensor<?x2x?x4xf32> -> tensor<?x2x4x4xf32>

// CHECK-LABEL: func.func @main
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x8xf32> {{.*}}, %[[M:.*]]: tensor<?x?xf32>
// CHECK: %[[Y:.*]] = hm.hyper_mix %[[X]] mask %[[M]] hyper1({{.*}}) hyper2({{.*}}) norm({{.*}}) positions({{.*}}) {algorithm = "auto", heads = 2 : i64
// CHECK-SAME: tensor<2x3x4xf32>, tensor<2x3xf32>, tensor<2x4x3xf32>, tensor<2x4xf32>, tensor<2x3x4xf32>, tensor<2x3xf32>, tensor<2x4x3xf32>, tensor<2x4xf32>
// CHECK-NEXT: return %[[Y]]
// CHECK-NOT: hm.conv
