// The exported HyperMixing layer (Inputs/einsum-heads-mask-op17.mlir, written by
// Inputs/make_fusion_inputs.py) before and after fusion.
// RUN: hmc-opt %S/Inputs/einsum-heads-mask-op17.mlir | FileCheck %s --check-prefix=BEFORE
// RUN: hmc-opt %S/Inputs/einsum-heads-mask-op17.mlir --hm-canonicalize --canonicalize --hm-fuse-hypermixing --canonicalize | FileCheck %s

// BEFORE: hm.not %arg1
// BEFORE: hm.slice_to_dim
// BEFORE-COUNT-4: hm.einsum "{{b.*}},mhf->bmlh"
// BEFORE: hm.matmul
// BEFORE: hm.erf
// BEFORE: hm.matmul
// BEFORE: hm.layer_norm

// CHECK-LABEL: func.func @main
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x8xf32> {{.*}}, %[[PAD:.*]]: tensor<?x?xi1>
// CHECK: %[[NOT:.*]] = hm.not %[[PAD]]
// CHECK: %[[M:.*]] = hm.cast %[[NOT]] : tensor<?x?xi1> -> tensor<?x?xf32>
// CHECK: %[[Y:.*]] = hm.hyper_mix %[[X]] mask %[[M]] hyper1({{.*}}) hyper2({{.*}}) norm({{.*}}) positions({{.*}}) {algorithm = "auto", heads = 2 : i64, layer_norm_epsilon = 9.9999997473787516E-6 : f64} : ({{.*}}tensor<2x4x4xf32>, tensor<2x4xf32>, tensor<2x4x4xf32>, tensor<2x4xf32>{{.*}}tensor<12x8xf32>) -> tensor<?x?x8xf32>
// CHECK-NEXT: return %[[Y]]
// CHECK-NOT: hm.einsum
