// The exported HyperMixing layer (Inputs/matmul-single-head-tied-op17.mlir, written by
// Inputs/make_fusion_inputs.py) before and after fusion.
// RUN: hmc-opt %S/Inputs/matmul-single-head-tied-op17.mlir | FileCheck %s --check-prefix=BEFORE
// RUN: hmc-opt %S/Inputs/matmul-single-head-tied-op17.mlir --hm-canonicalize --canonicalize --hm-fuse-hypermixing --canonicalize | FileCheck %s

// BEFORE-COUNT-2: hm.linear
// BEFORE-NOT: hm.linear
// BEFORE: hm.layer_norm

// CHECK-LABEL: func.func @main
// CHECK: %[[Y:.*]] = hm.hyper_mix %arg0 mask %arg1 hyper1({{.*}}) norm({{.*}}) positions({{.*}}) {algorithm = "auto", heads = 1 : i64
// CHECK-NOT: hyper2
// CHECK-NEXT: return %[[Y]]
