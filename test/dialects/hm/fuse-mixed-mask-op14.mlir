// A layer that masks the tokens it mixes and both generated weights, while its
// hypernetworks read the unmasked tokens plus positions
// (Inputs/mixed-mask-op14.mlir, written by Inputs/make_fusion_inputs.py),
// fuses as self mixing: with a 0/1 mask on W1 and W2 a padded token's
// hypernetwork input changes no output.
// RUN: hmc-opt %S/Inputs/mixed-mask-op14.mlir | FileCheck %s --check-prefix=BEFORE
// RUN: hmc-opt %S/Inputs/mixed-mask-op14.mlir --hm-canonicalize --canonicalize --cse --hm-fuse-hypermixing --canonicalize | FileCheck %s

// BEFORE: %[[MASKED:.*]] = hm.mul %arg0, %{{.*}} : tensor<?x?x8xf32>, tensor<?x?x1xf32>
// BEFORE: hm.add %arg0, %{{.*}} : tensor<?x?x8xf32>, tensor<1x?x8xf32> -> tensor<?x?x8xf32>
// BEFORE-COUNT-2: hm.mul %{{.*}}, %{{.*}} : tensor<?x2x?x4xf32>, tensor<?x1x?x1xf32>
// BEFORE: hm.reshape %[[MASKED]] {shape = ["B", "N", 2, 4]}

// CHECK-LABEL: func.func @main
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x8xf32> {{.*}}, %[[PAD:.*]]: tensor<?x?xi1>
// CHECK: %[[KEEP:.*]] = hm.not %[[PAD]] : tensor<?x?xi1>
// CHECK-NEXT: %[[M:.*]] = hm.cast %[[KEEP]] : tensor<?x?xi1> -> tensor<?x?xf32>
// CHECK-NEXT: %[[Y:.*]] = hm.hyper_mix %[[X]] mask %[[M]] hyper1({{.*}}) hyper2({{.*}}) norm({{.*}}) positions({{.*}}) {algorithm = "auto", heads = 2 : i64, {{.*}}}
// CHECK-NEXT: return %[[Y]]
