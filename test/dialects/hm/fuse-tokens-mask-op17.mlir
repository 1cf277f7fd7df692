// A layer that masks only its input tokens (Inputs/tokens-mask-op17.mlir,
// written by Inputs/make_fusion_inputs.py): the hypernetworks read m x + P
// and the mixing reads m x, while W1 and W2 stay unmasked. It fuses with
// mask_weights = false: a padded token's output row is its W2 row, generated
// from P alone, times the mixed matrix, as in the model, not zero.
// RUN: hmc-opt %S/Inputs/tokens-mask-op17.mlir | FileCheck %s --check-prefix=BEFORE
// RUN: hmc-opt %S/Inputs/tokens-mask-op17.mlir --hm-canonicalize --canonicalize --cse --hm-fuse-hypermixing --canonicalize 2>&1 | FileCheck %s

// The tokens are masked once; nothing multiplies the generated weights.
// BEFORE: %[[KEEP:.*]] = hm.not %arg1
// BEFORE: %[[MX:.*]] = hm.mul %arg0, %{{.*}} : tensor<?x?x8xf32>, tensor<?x?x1xf32>
// BEFORE: hm.add %[[MX]], %{{.*}} : tensor<?x?x8xf32>, tensor<1x?x8xf32>
// BEFORE-NOT: tensor<?x1x?x1xf32>
// BEFORE: %[[HEADS:.*]] = hm.reshape %[[MX]] {shape = ["B", "N", 2, 4]}
// BEFORE-NEXT: %[[T:.*]] = hm.transpose %[[HEADS]]
// BEFORE-NEXT: %[[TOKENS:.*]] = hm.reshape %[[T]]
// BEFORE-NEXT: hm.matmul %[[TOKENS]], %{{.*}} : tensor<?x4x?xf32>

// CHECK: remark: fused HyperMixing: heads = 2, d = 8, k = 8, masked, tokens masked only, positions sinusoidal
// CHECK-LABEL: func.func @main
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x8xf32> {{.*}}, %[[PAD:.*]]: tensor<?x?xi1>
// CHECK: %[[KEEP:.*]] = hm.not %[[PAD]] : tensor<?x?xi1>
// CHECK-NEXT: %[[M:.*]] = hm.cast %[[KEEP]] : tensor<?x?xi1> -> tensor<?x?xf32>
// CHECK-NEXT: %[[Y:.*]] = hm.hyper_mix %[[X]] mask %[[M]] hyper1({{.*}}) hyper2({{.*}}) norm({{.*}}) positions({{.*}}) {algorithm = "auto", heads = 2 : i64, {{.*}}mask_weights = false}
// CHECK-NEXT: return %[[Y]]
