// Heads written as a Python loop: each head slices its channels, runs its own
// dense hypernetworks and products, and the heads are concatenated before the
// LayerNorm (Inputs/per-head-loop-mask-op17.mlir, written by
// Inputs/make_fusion_inputs.py). The heads stack into one multi-head op.
// RUN: hmc-opt %S/Inputs/per-head-loop-mask-op17.mlir | FileCheck %s --check-prefix=BEFORE
// RUN: hmc-opt %S/Inputs/per-head-loop-mask-op17.mlir --hm-canonicalize --canonicalize --cse --hm-fuse-hypermixing --canonicalize | FileCheck %s
// With the second head's W_2 left unmasked the heads do not stack, and the
// remark says why.
// RUN: sed 's/%98 = hm.matmul %86,/%98 = hm.matmul %84,/' %S/Inputs/per-head-loop-mask-op17.mlir | hmc-opt --hm-canonicalize --canonicalize --cse --hm-fuse-hypermixing 2>&1 | FileCheck %s --check-prefix=ONE-HEAD-UNMASKED
// ONE-HEAD-UNMASKED: remark: HyperMixing subgraph not fused: the heads mask their generated weights differently
// ONE-HEAD-UNMASKED-NOT: hm.hyper_mix

// BEFORE: hm.slice %{{.*}} {axes = array<i64: 2>, ends = array<i64: 4>, starts = array<i64: 0>, steps = array<i64: 1>}
// BEFORE: hm.slice %{{.*}} {axes = array<i64: 2>, ends = array<i64: 8>, starts = array<i64: 4>, steps = array<i64: 1>}
// BEFORE: hm.concat %{{.*}}, %{{.*}} {axis = 2 : i64} : (tensor<?x?x4xf32>, tensor<?x?x4xf32>) -> tensor<?x?x8xf32>

// CHECK-LABEL: func.func @main
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x8xf32> {{.*}}, %[[M:.*]]: tensor<?x?xf32>
// CHECK: %[[Y:.*]] = hm.hyper_mix %[[X]] mask %[[M]] hyper1({{.*}}) hyper2({{.*}}) norm({{.*}}) positions({{.*}}) {algorithm = "auto", heads = 2 : i64
// CHECK-SAME: tensor<2x4x4xf32>, tensor<2x4xf32>, tensor<2x4x4xf32>, tensor<2x4xf32>
// CHECK-NEXT: return %[[Y]]
// CHECK-NOT: hm.concat
