// Hypernetworks as per-head weight stacks [h, in, out] applied by batched
// products to [B, h, N, d_h], mixing by batched products over [B, h]
// (Inputs/batched-matmul-heads-mask-op14.mlir, written by
// Inputs/make_fusion_inputs.py). Before and after fusion:
// RUN: hmc-opt %S/Inputs/batched-matmul-heads-mask-op14.mlir | FileCheck %s --check-prefix=BEFORE
// RUN: hmc-opt %S/Inputs/batched-matmul-heads-mask-op14.mlir --hm-canonicalize --canonicalize --cse --hm-fuse-hypermixing --canonicalize | FileCheck %s

// BEFORE: hm.slice_to_dim %{{.*}}, %arg0 {axis = 0 : i64, reference_axis = 1 : i64}
// BEFORE: hm.matmul %{{.*}}, %{{.*}} : tensor<?x2x?x4xf32>, tensor<2x4x4xf32> -> tensor<?x2x?x4xf32>
// BEFORE-NOT: hm.einsum
// BEFORE: hm.matmul %{{.*}}, %{{.*}} : tensor<?x2x4x?xf32>, tensor<?x2x?x4xf32> -> tensor<?x2x4x4xf32>
// BEFORE: hm.reduce_mean

// CHECK-LABEL: func.func @main
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x8xf32> {{.*}}, %[[M:.*]]: tensor<?x?xf32>
// CHECK: %[[Y:.*]] = hm.hyper_mix %[[X]] mask %[[M]] hyper1({{.*}}) hyper2({{.*}}) norm({{.*}}) positions({{.*}}) {algorithm = "auto", heads = 2 : i64
// CHECK-NEXT: return %[[Y]]
// CHECK-NOT: hm.matmul
