// The exported HyperMixing layer (Inputs/einsum-heads-nomask-op17.mlir, written by
// Inputs/make_fusion_inputs.py) before and after fusion.
// RUN: hmc-opt %S/Inputs/einsum-heads-nomask-op17.mlir | FileCheck %s --check-prefix=BEFORE
// RUN: hmc-opt %S/Inputs/einsum-heads-nomask-op17.mlir --hm-canonicalize --canonicalize --hm-fuse-hypermixing --canonicalize | FileCheck %s

// BEFORE-NOT: hm.not
// BEFORE-COUNT-4: hm.einsum
// BEFORE: hm.layer_norm

// CHECK-LABEL: func.func @main
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x8xf32>
// CHECK: %[[Y:.*]] = hm.hyper_mix %[[X]] hyper1({{.*}}) hyper2({{.*}}) norm({{.*}}) positions({{.*}}) {algorithm = "auto", heads = 2 : i64
// CHECK-NEXT: return %[[Y]]
