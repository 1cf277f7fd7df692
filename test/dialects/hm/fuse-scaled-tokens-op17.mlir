// A single-head layer whose hypernetworks read x * sqrt(d) + P while the mixed
// tokens stay x (Inputs/scaled-tokens-op17.mlir, written by
// Inputs/make_fusion_inputs.py; d = 6) fuses with input_scale = sqrt(6) as
// float32 rounded it.
// RUN: hmc-opt %S/Inputs/scaled-tokens-op17.mlir | FileCheck %s --check-prefix=BEFORE
// RUN: hmc-opt %S/Inputs/scaled-tokens-op17.mlir --hm-canonicalize --canonicalize --cse --hm-fuse-hypermixing --canonicalize | FileCheck %s

// BEFORE: hm.constant dense<2.44948983> : tensor<f32>

// CHECK-LABEL: func.func @main
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x6xf32> {{.*}}, %[[MASK:.*]]: tensor<?x?xf32>
// CHECK: %[[Y:.*]] = hm.hyper_mix %[[X]] mask %[[MASK]] hyper1({{.*}}) hyper2({{.*}}) norm({{.*}}) positions({{.*}}) {algorithm = "auto", heads = 1 : i64, input_scale = 2.4494898319244385 : f64, {{.*}}}
// CHECK-NEXT: return %[[Y]]
