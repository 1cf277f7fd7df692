// A layer that masks only its generated weights W1 and W2 and leaves the
// tokens unmasked (Inputs/weights-mask-op17.mlir, written by
// Inputs/make_fusion_inputs.py) fuses with mask_tokens = false: the op masks
// W1 and W2 alone, as the model does, whatever values the mask holds.
// RUN: hmc-opt %S/Inputs/weights-mask-op17.mlir | FileCheck %s --check-prefix=BEFORE
// RUN: hmc-opt %S/Inputs/weights-mask-op17.mlir --hm-canonicalize --canonicalize --cse --hm-fuse-hypermixing --canonicalize | FileCheck %s

// The hypernetworks read x + pe, the mixing matmul reads x itself.
// BEFORE: hm.add %arg0, %{{.*}} : tensor<?x?x8xf32>, tensor<1x?x8xf32> -> tensor<?x?x8xf32>
// BEFORE-COUNT-2: hm.mul %{{.*}}, %{{.*}} : tensor<?x2x?x4xf32>, tensor<?x1x?x1xf32>
// BEFORE: %[[HEADS:.*]] = hm.reshape %arg0 {shape = ["B", "N", 2, 4]}
// BEFORE-NEXT: %[[T:.*]] = hm.transpose %[[HEADS]]
// BEFORE-NEXT: %[[TOKENS:.*]] = hm.reshape %[[T]]
// BEFORE-NEXT: hm.matmul %[[TOKENS]], %{{.*}} : tensor<?x4x?xf32>

// CHECK-LABEL: func.func @main
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x8xf32> {{.*}}, %[[PAD:.*]]: tensor<?x?xi1>
// CHECK: %[[KEEP:.*]] = hm.not %[[PAD]] : tensor<?x?xi1>
// CHECK-NEXT: %[[M:.*]] = hm.cast %[[KEEP]] : tensor<?x?xi1> -> tensor<?x?xf32>
// CHECK-NEXT: %[[Y:.*]] = hm.hyper_mix %[[X]] mask %[[M]] hyper1({{.*}}) hyper2({{.*}}) norm({{.*}}) positions({{.*}}) {algorithm = "auto", heads = 2 : i64, {{.*}}mask_tokens = false{{.*}}}
// CHECK-NEXT: return %[[Y]]
