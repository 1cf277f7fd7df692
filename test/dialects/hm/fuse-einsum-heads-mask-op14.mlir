// The exported HyperMixing layer (Inputs/einsum-heads-mask-op14.mlir, written by
// Inputs/make_fusion_inputs.py) before and after fusion.
// RUN: hmc-opt %S/Inputs/einsum-heads-mask-op14.mlir | FileCheck %s --check-prefix=BEFORE
// RUN: hmc-opt %S/Inputs/einsum-heads-mask-op14.mlir --hm-canonicalize --canonicalize --hm-fuse-hypermixing --canonicalize | FileCheck %s

// BEFORE-COUNT-4: hm.einsum
// BEFORE: hm.reduce_mean
// BEFORE: hm.pow
// BEFORE: hm.sqrt

// CHECK-LABEL: func.func @main
// CHECK: hm.not
// CHECK: hm.cast
// CHECK: %[[Y:.*]] = hm.hyper_mix %arg0 mask %{{.*}} hyper1({{.*}}) hyper2({{.*}}) norm({{.*}}) positions({{.*}}) {algorithm = "auto", heads = 2 : i64, layer_norm_epsilon = 9.9999997473787516E-6 : f64}
// CHECK-NEXT: return %[[Y]]
// CHECK-NOT: hm.reduce_mean
