// A layer that masks with masked_fill(pad, 0) (tokens and both generated
// weights; Inputs/masked-fill-op17.mlir, written by Inputs/make_fusion_inputs.py)
// fuses: the selects key as "keep where pad is false", and with no float mask
// to pass on, the fused op gets cast(not(pad)).
// RUN: hmc-opt %S/Inputs/masked-fill-op17.mlir | FileCheck %s --check-prefix=BEFORE
// RUN: hmc-opt %S/Inputs/masked-fill-op17.mlir --hm-canonicalize --canonicalize --cse --hm-fuse-hypermixing --canonicalize | FileCheck %s

// BEFORE-COUNT-3: hm.where

// CHECK-LABEL: func.func @main
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x8xf32> {{.*}}, %[[PAD:.*]]: tensor<?x?xi1>
// CHECK-NOT: hm.where
// CHECK: %[[KEEP:.*]] = hm.not %[[PAD]] : tensor<?x?xi1>
// CHECK-NEXT: %[[M:.*]] = hm.cast %[[KEEP]] : tensor<?x?xi1> -> tensor<?x?xf32>
// CHECK-NEXT: %[[Y:.*]] = hm.hyper_mix %[[X]] mask %[[M]] hyper1({{.*}}) hyper2({{.*}}) norm({{.*}}) positions({{.*}}) {algorithm = "auto", heads = 2 : i64, {{.*}}}
// CHECK-NEXT: return %[[Y]]
