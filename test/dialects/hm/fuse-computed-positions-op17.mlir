// A layer that computes its sinusoids for the run-time length (hm.iota,
// hm.sin, hm.cos; Inputs/computed-positions-op17.mlir, written by
// Inputs/make_fusion_inputs.py) fuses with the op's own formula: sinusoidal
// positions and no table.
// RUN: hmc-opt %S/Inputs/computed-positions-op17.mlir | FileCheck %s --check-prefix=BEFORE
// RUN: hmc-opt %S/Inputs/computed-positions-op17.mlir --hm-canonicalize --canonicalize --hm-fuse-hypermixing --canonicalize | FileCheck %s

// BEFORE: hm.iota %arg0 {reference_axis = 1 : i64}
// BEFORE: hm.sin
// BEFORE: hm.cos
// BEFORE: hm.concat
// BEFORE-COUNT-4: hm.einsum "{{b.*}},mhf->bmlh"

// CHECK-LABEL: func.func @main
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x8xf32> {{.*}}, %[[PAD:.*]]: tensor<?x?xi1>
// CHECK-NOT: hm.iota
// CHECK-NOT: hm.sin
// CHECK: %[[Y:.*]] = hm.hyper_mix %[[X]] mask %{{.*}} hyper1({{.*}}) hyper2({{.*}}) norm({{.*}}) {algorithm = "auto", heads = 2 : i64, layer_norm_epsilon = 9.9999997473787516E-6 : f64} : ({{.*}}) -> tensor<?x?x8xf32>
// CHECK-NEXT: return %[[Y]]
