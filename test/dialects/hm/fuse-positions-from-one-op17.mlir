// A layer whose stored table counts positions from 1 (row i holds P[i + 1];
// Inputs/positions-from-one-op17.mlir, written by Inputs/make_fusion_inputs.py)
// fuses with position_offset = 1 and a table that gets row P[0] in front
// (13 rows for the 12 stored).
// RUN: hmc-opt %S/Inputs/positions-from-one-op17.mlir | FileCheck %s --check-prefix=BEFORE
// RUN: hmc-opt %S/Inputs/positions-from-one-op17.mlir --hm-canonicalize --canonicalize --cse --hm-fuse-hypermixing --canonicalize | FileCheck %s

// BEFORE: hm.slice_to_dim %{{.*}}, %arg0 {axis = 1 : i64, reference_axis = 1 : i64} : (tensor<1x12x8xf32>

// CHECK: %[[Y:.*]] = hm.hyper_mix %arg0 mask %{{.*}} hyper1({{.*}}) hyper2({{.*}}) norm({{.*}}) positions({{.*}}) {{{.*}}position_offset = 1 : i64} : ({{.*}}tensor<13x8xf32>) -> tensor<?x?x8xf32>
// CHECK-NEXT: return %[[Y]]
