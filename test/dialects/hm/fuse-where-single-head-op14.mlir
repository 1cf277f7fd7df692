// A single-head layer that masks with torch.where(mask > 0, t, zeros_like(t))
// (Inputs/where-single-head-op14.mlir, written by Inputs/make_fusion_inputs.py;
// zeros_like of a run-time shape is a broadcast of iota * 0) fuses with the
// condition as its 0/1 mask: a select keeps whole rows even where the float
// mask is not 0 or 1.
// RUN: hmc-opt %S/Inputs/where-single-head-op14.mlir | FileCheck %s --check-prefix=BEFORE
// RUN: hmc-opt %S/Inputs/where-single-head-op14.mlir --hm-canonicalize --canonicalize --cse --hm-fuse-hypermixing --canonicalize | FileCheck %s

// BEFORE: hm.iota
// BEFORE-COUNT-3: hm.where

// CHECK-LABEL: func.func @main
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x6xf32> {{.*}}, %[[MASK:.*]]: tensor<?x?xf32>
// CHECK-NOT: hm.where
// CHECK: %[[KEEP:.*]] = hm.less %{{.*}}, %[[MASK]] : tensor<f32>, tensor<?x?xf32> -> tensor<?x?xi1>
// CHECK-NEXT: %[[M:.*]] = hm.cast %[[KEEP]] : tensor<?x?xi1> -> tensor<?x?xf32>
// CHECK-NEXT: %[[Y:.*]] = hm.hyper_mix %[[X]] mask %[[M]] hyper1({{.*}}) hyper2({{.*}}) norm({{.*}}) positions({{.*}}) {algorithm = "auto", heads = 1 : i64, {{.*}}}
// CHECK-NEXT: return %[[Y]]
