// The exported HyperMixing layer (Inputs/matmul-single-head-mask-op14.mlir, written by
// Inputs/make_fusion_inputs.py) before and after fusion.
// RUN: hmc-opt %S/Inputs/matmul-single-head-mask-op14.mlir | FileCheck %s --check-prefix=BEFORE
// RUN: hmc-opt %S/Inputs/matmul-single-head-mask-op14.mlir --hm-canonicalize --canonicalize --hm-fuse-hypermixing --canonicalize | FileCheck %s

// BEFORE: hm.slice_to_dim
// BEFORE-COUNT-4: hm.linear
// BEFORE: hm.transpose
// BEFORE: hm.matmul
// BEFORE: hm.matmul
// BEFORE: hm.reduce_mean

// CHECK-LABEL: func.func @main
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x6xf32> {{.*}}, %[[M:.*]]: tensor<?x?xf32>
// CHECK: %[[Y:.*]] = hm.hyper_mix %[[X]] mask %[[M]] hyper1({{.*}}) hyper2({{.*}}) norm({{.*}}) positions({{.*}}) {algorithm = "auto", heads = 1 : i64, layer_norm_epsilon = 9.9999997473787516E-6 : f64} : ({{.*}}tensor<1x5x6xf32>, tensor<1x5xf32>, tensor<1x4x5xf32>, tensor<1x4xf32>
// CHECK-NEXT: return %[[Y]]
// CHECK-NOT: hm.linear
