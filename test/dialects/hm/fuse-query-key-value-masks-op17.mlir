// Cross mixing in the idiap reference's query/key/value form
// (Inputs/query-key-value-masks-op17.mlir, written by
// Inputs/make_fusion_inputs.py; d = 8, 2 heads): W1 is generated from the keys
// and mixes the values, both masked by the key padding mask, W2 from the
// queries under their own mask, the hypernetworks reading tokens * sqrt(d) +
// positions from 1. It fuses into one hm.hyper_mix with keys(K, V), the
// queries' mask and the keys' mask.
// RUN: hmc-opt %S/Inputs/query-key-value-masks-op17.mlir | FileCheck %s --check-prefix=BEFORE
// RUN: hmc-opt %S/Inputs/query-key-value-masks-op17.mlir --hm-canonicalize --canonicalize --cse --hm-fuse-hypermixing --canonicalize | FileCheck %s

// BEFORE-LABEL: func.func @main
// BEFORE-SAME: (%[[Q:.*]]: tensor<?x?x8xf32> {hm.dims = ["B", "M", 8]{{.*}}, %[[K:.*]]: tensor<?x?x8xf32> {hm.dims = ["B", "N", 8]{{.*}}, %[[V:.*]]: tensor<?x?x8xf32> {hm.dims = ["B", "N", 8]
// BEFORE: hm.mul %[[K]], %[[KEEP:.*]] :
// BEFORE: hm.mul %[[V]], %[[KEEP]] :
// BEFORE: hm.mul %[[Q]], %{{.*}} :
// BEFORE-COUNT-4: hm.einsum
// BEFORE: hm.matmul
// BEFORE: hm.erf
// BEFORE: hm.matmul
// BEFORE: hm.layer_norm
// BEFORE-NOT: hm.hyper_mix

// CHECK-LABEL: func.func @main
// CHECK-SAME: (%[[Q:.*]]: tensor<?x?x8xf32> {{.*}}, %[[K:.*]]: tensor<?x?x8xf32> {{.*}}, %[[V:.*]]: tensor<?x?x8xf32> {{.*}}, %[[QPAD:.*]]: tensor<?x?xi1> {{.*}}, %[[KPAD:.*]]: tensor<?x?xi1>
// CHECK-DAG: %[[KKEEP:.*]] = hm.not %[[KPAD]]
// CHECK-DAG: %[[KM:.*]] = hm.cast %[[KKEEP]] : tensor<?x?xi1> -> tensor<?x?xf32>
// CHECK-DAG: %[[QKEEP:.*]] = hm.not %[[QPAD]]
// CHECK-DAG: %[[QM:.*]] = hm.cast %[[QKEEP]] : tensor<?x?xi1> -> tensor<?x?xf32>
// CHECK: %[[Y:.*]] = hm.hyper_mix %[[Q]] keys(%[[K]], %[[V]]) mask %[[QM]] key_mask %[[KM]] hyper1({{.*}}) hyper2({{.*}}) norm({{.*}}) positions({{.*}}) {algorithm = "auto", heads = 2 : i64, input_scale = 2.8284270763397217 : f64, {{.*}}position_offset = 1 : i64}
// CHECK-NEXT: return %[[Y]]
// CHECK-NOT: hm.einsum
