// A layer whose positions are a learned [1, L, d] parameter sliced to the
// length (Inputs/learned-positions-op17.mlir, written by
// Inputs/make_fusion_inputs.py): not the sinusoid, so the op reads the table
// alone (positional = "table") and the length is bounded by its 12 rows.
// RUN: hmc-opt %S/Inputs/learned-positions-op17.mlir | FileCheck %s --check-prefix=BEFORE
// RUN: hmc-opt %S/Inputs/learned-positions-op17.mlir --hm-canonicalize --canonicalize --cse --hm-fuse-hypermixing --canonicalize | FileCheck %s

// BEFORE: %[[PE:.*]] = hm.constant dense_resource<pe> : tensor<1x12x8xf32>
// BEFORE: hm.slice_to_dim %[[PE]], %arg0 {axis = 1 : i64, reference_axis = 1 : i64}

// CHECK-LABEL: func.func @main
// CHECK: %[[TABLE:.*]] = hm.constant dense_resource<hm.positions> : tensor<12x8xf32>
// CHECK-NOT: hm.slice_to_dim
// CHECK: %[[Y:.*]] = hm.hyper_mix %arg0 mask %{{.*}} hyper1({{.*}}) hyper2({{.*}}) norm({{.*}}) positions(%[[TABLE]]) {algorithm = "auto", heads = 2 : i64, {{.*}}positional = "table"}
// CHECK-NEXT: return %[[Y]]
