// A layer that writes its sinusoids into a zero table by slice assignment,
// pe[:, 0::2] = sin and pe[:, 1::2] = cos (two hm.scatter_nd over indices
// computed for the run-time length; Inputs/scattered-positions-op17.mlir,
// written by Inputs/make_fusion_inputs.py), fuses with the op's own formula:
// the evaluator runs the scatters and finds the sinusoid table.
// RUN: hmc-opt %S/Inputs/scattered-positions-op17.mlir | FileCheck %s --check-prefix=BEFORE
// RUN: hmc-opt %S/Inputs/scattered-positions-op17.mlir --hm-canonicalize --canonicalize --hm-fuse-hypermixing --canonicalize | FileCheck %s

// BEFORE: hm.iota %arg0 {reference_axis = 1 : i64}
// BEFORE: hm.sin
// BEFORE: hm.scatter_nd
// BEFORE: hm.cos
// BEFORE: hm.scatter_nd
// BEFORE-COUNT-4: hm.einsum "{{b.*}},mhf->bmlh"

// CHECK-LABEL: func.func @main
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x8xf32> {{.*}}, %[[PAD:.*]]: tensor<?x?xi1>
// CHECK-NOT: hm.scatter_nd
// CHECK-NOT: hm.sin
// CHECK: %[[Y:.*]] = hm.hyper_mix %[[X]] mask %{{.*}} hyper1({{.*}}) hyper2({{.*}}) norm({{.*}}) {algorithm = "auto", heads = 2 : i64, layer_norm_epsilon = 9.9999997473787516E-6 : f64} : ({{.*}}) -> tensor<?x?x8xf32>
// CHECK-NEXT: return %[[Y]]
