// ESPnet keeps its padding mask as [B, 1, N] (~make_pad_mask(lengths)[:, None,
// :]) and applies it as mask.transpose(1, 2).to(dtype) (Inputs/espnet-mask-
// op17.mlir, written by Inputs/make_fusion_inputs.py). The transpose moves
// only a unit dim, so canonicalization makes it a reshape, the cast sinks
// below it, and the layer fuses with the [B, N] mask cast(not(pad)).
// RUN: hmc-opt %S/Inputs/espnet-mask-op17.mlir | FileCheck %s --check-prefix=BEFORE
// RUN: hmc-opt %S/Inputs/espnet-mask-op17.mlir --hm-canonicalize --canonicalize --cse --hm-fuse-hypermixing --canonicalize | FileCheck %s

// BEFORE: %[[KEEP:.*]] = hm.not %arg1 : tensor<?x?xi1>
// BEFORE-NEXT: %[[ROW:.*]] = hm.reshape %[[KEEP]] {shape = ["B", 1, "N"]} : tensor<?x?xi1> -> tensor<?x1x?xi1>
// BEFORE-NEXT: %[[COLUMN:.*]] = hm.transpose %[[ROW]] {perm = array<i64: 0, 2, 1>} : tensor<?x1x?xi1> -> tensor<?x?x1xi1>
// BEFORE-NEXT: hm.cast %[[COLUMN]] : tensor<?x?x1xi1> -> tensor<?x?x1xf32>

// CHECK-LABEL: func.func @main
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x8xf32> {{.*}}, %[[PAD:.*]]: tensor<?x?xi1>
// CHECK-NOT: hm.transpose
// CHECK: %[[KEEP:.*]] = hm.not %[[PAD]] : tensor<?x?xi1>
// CHECK-NEXT: %[[M:.*]] = hm.cast %[[KEEP]] : tensor<?x?xi1> -> tensor<?x?xf32>
// CHECK-NEXT: %[[Y:.*]] = hm.hyper_mix %[[X]] mask %[[M]] hyper1({{.*}}) hyper2({{.*}}) norm({{.*}}) positions({{.*}}) {algorithm = "auto", heads = 2 : i64, {{.*}}}
// CHECK-NEXT: return %[[Y]]
