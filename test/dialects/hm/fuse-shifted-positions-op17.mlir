// A layer that counts positions from 1 by slicing its table from row 1
// (pe[:, 1:N + 1], the idiap reference's form; Inputs/shifted-positions-op17.mlir,
// written by Inputs/make_fusion_inputs.py): the importer keeps rows 1.. of the
// 12-row table, and the layer fuses with position_offset = 1 (a 12-row table
// with row P[0] back in front).
// RUN: hmc-opt %S/Inputs/shifted-positions-op17.mlir | FileCheck %s --check-prefix=BEFORE
// RUN: hmc-opt %S/Inputs/shifted-positions-op17.mlir --hm-canonicalize --canonicalize --cse --hm-fuse-hypermixing --canonicalize | FileCheck %s
// RUN: hmc-opt %S/Inputs/shifted-positions-op17.mlir --hm-canonicalize --canonicalize --cse --hm-fuse-hypermixing 2>&1 >/dev/null | FileCheck %s --check-prefix=REMARK

// REMARK: remark: fused HyperMixing: heads = 2, d = 8, k = 8, masked, positions sinusoidal from 1

// BEFORE: hm.derived_dims = [{add = 1 : i64, base = "N", div = 1 : i64, name = "N_1", post = 0 : i64}]
// BEFORE: hm.slice_to_dim %{{.*}}, %arg0 {axis = 1 : i64, reference_axis = 1 : i64} : (tensor<1x11x8xf32>

// CHECK: %[[Y:.*]] = hm.hyper_mix %arg0 mask %{{.*}} hyper1({{.*}}) hyper2({{.*}}) norm({{.*}}) positions({{.*}}) {{{.*}}position_offset = 1 : i64} : ({{.*}}tensor<12x8xf32>) -> tensor<?x?x8xf32>
// CHECK-NEXT: return %[[Y]]
