// The same layer with ESPnet's [B, 1, N] mask as the model input
// (Inputs/espnet-mask-input-op17.mlir, written by Inputs/make_fusion_inputs.py):
// the mask keys as that input, and the fused op gets it as [B, N], reshaped
// with the names of the input's hm.dims.
// RUN: hmc-opt %S/Inputs/espnet-mask-input-op17.mlir | FileCheck %s --check-prefix=BEFORE
// RUN: hmc-opt %S/Inputs/espnet-mask-input-op17.mlir --hm-canonicalize --canonicalize --cse --hm-fuse-hypermixing --canonicalize | FileCheck %s

// BEFORE: %[[KEEP:.*]] = hm.not %arg1 : tensor<?x1x?xi1>
// BEFORE-NEXT: %[[COLUMN:.*]] = hm.transpose %[[KEEP]] {perm = array<i64: 0, 2, 1>} : tensor<?x1x?xi1> -> tensor<?x?x1xi1>
// BEFORE-NEXT: hm.cast %[[COLUMN]] : tensor<?x?x1xi1> -> tensor<?x?x1xf32>

// CHECK-LABEL: func.func @main
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x8xf32> {{.*}}, %[[PAD:.*]]: tensor<?x1x?xi1> {hm.dims = ["B", 1, "N"]
// CHECK-NOT: hm.transpose
// CHECK: %[[KEEP:.*]] = hm.not %[[PAD]] : tensor<?x1x?xi1>
// CHECK-NEXT: %[[ROW:.*]] = hm.cast %[[KEEP]] : tensor<?x1x?xi1> -> tensor<?x1x?xf32>
// CHECK-NEXT: %[[M:.*]] = hm.reshape %[[ROW]] {shape = ["B", "N"]} : tensor<?x1x?xf32> -> tensor<?x?xf32>
// CHECK-NEXT: %[[Y:.*]] = hm.hyper_mix %[[X]] mask %[[M]] hyper1({{.*}}) hyper2({{.*}}) norm({{.*}}) positions({{.*}}) {algorithm = "auto", heads = 2 : i64, {{.*}}}
// CHECK-NEXT: return %[[Y]]
