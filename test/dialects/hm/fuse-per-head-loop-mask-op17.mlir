// Heads written as a Python loop: each head slices its channels, runs its own
// dense hypernetworks and products, and the heads are concatenated before the
// LayerNorm (Inputs/per-head-loop-mask-op17.mlir, written by
// Inputs/make_fusion_inputs.py). The heads stack into one multi-head op.
// RUN: hmc-opt %S/Inputs/per-head-loop-mask-op17.mlir | FileCheck %s --check-prefix=BEFORE
// RUN: hmc-opt %S/Inputs/per-head-loop-mask-op17.mlir --hm-canonicalize --canonicalize --cse --hm-fuse-hypermixing --canonicalize | FileCheck %s

// BEFORE: hm.slice %{{.*}} {axes = array<i64: 2>, ends = array<i64: 4>, starts = array<i64: 0>, steps = array<i64: 1>}
// BEFORE: hm.slice %{{.*}} {axes = array<i64: 2>, ends = array<i64: 8>, starts = array<i64: 4>, steps = array<i64: 1>}
// BEFORE: hm.concat %{{.*}}, %{{.*}} {axis = 2 : i64} : (tensor<?x?x4xf32>, tensor<?x?x4xf32>) -> tensor<?x?x8xf32>

// CHECK-LABEL: func.func @main
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x8xf32> {{.*}}, %[[M:.*]]: tensor<?x?xf32>
// CHECK: %[[Y:.*]] = hm.hyper_mix %[[X]] mask %[[M]] hyper1({{.*}}) hyper2({{.*}}) norm({{.*}}) positions({{.*}}) {algorithm = "auto", heads = 2 : i64
// CHECK-SAME: tensor<2x4x4xf32>, tensor<2x4xf32>, tensor<2x4x4xf32>, tensor<2x4xf32>
// CHECK-NEXT: return %[[Y]]
// CHECK-NOT: hm.concat
