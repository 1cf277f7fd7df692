// A layer that adds its positions as pe[:, :N].expand_as(x)
// (Inputs/expanded-positions-op14.mlir, written by Inputs/make_fusion_inputs.py):
// the expansion is an add of a zero tensor of run-time size (iota * 0), which
// the add of the tokens broadcasts to anyway, so the table prefix is found and
// the layer fuses with no iota left.
// RUN: hmc-opt %S/Inputs/expanded-positions-op14.mlir | FileCheck %s --check-prefix=BEFORE
// RUN: hmc-opt %S/Inputs/expanded-positions-op14.mlir --hm-canonicalize --canonicalize --cse --hm-fuse-hypermixing --canonicalize | FileCheck %s

// BEFORE: hm.slice_to_dim %{{.*}}, %arg0 {axis = 1 : i64, reference_axis = 1 : i64}
// BEFORE: hm.iota %arg0 {reference_axis = 0 : i64}

// CHECK-LABEL: func.func @main
// CHECK-NOT: hm.iota
// CHECK: %[[Y:.*]] = hm.hyper_mix %arg0 mask %{{.*}} hyper1({{.*}}) hyper2({{.*}}) norm({{.*}}) positions({{.*}}) {algorithm = "auto", heads = 2 : i64, {{.*}}}
// CHECK-NEXT: return %[[Y]]
