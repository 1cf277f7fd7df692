// SpeechBrain's layout of the same layer (Inputs/speechbrain-layout-mask-op17.mlir,
// written by Inputs/make_fusion_inputs.py): the mask is cast after its
// unsqueeze, tokens are mixed as [B*h, d_h, N], the second hypernetwork layer
// contracts its hidden axis as "bmlh,mfh->bmlf" and heads are joined through
// [B, d, N]. Before and after fusion:
// RUN: hmc-opt %S/Inputs/speechbrain-layout-mask-op17.mlir | FileCheck %s --check-prefix=BEFORE
// RUN: hmc-opt %S/Inputs/speechbrain-layout-mask-op17.mlir --hm-canonicalize --canonicalize --cse --hm-fuse-hypermixing --canonicalize | FileCheck %s

// BEFORE: %[[NOT:.*]] = hm.not %arg1
// BEFORE-NEXT: %[[R:.*]] = hm.reshape %[[NOT]] {shape = ["B", "N", 1]}
// BEFORE-NEXT: hm.cast %[[R]] : tensor<?x?x1xi1> -> tensor<?x?x1xf32>
// BEFORE: hm.einsum "bmlh,mfh->bmlf"
// BEFORE: hm.reshape %{{.*}} {shape = ["B*2", 4, "N"]}
// BEFORE: hm.reshape %{{.*}} {shape = ["B", 8, "N"]}

// CHECK-LABEL: func.func @main
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x8xf32> {{.*}}, %[[PAD:.*]]: tensor<?x?xi1>
// CHECK: %[[NOT:.*]] = hm.not %[[PAD]]
// CHECK: %[[M:.*]] = hm.cast %[[NOT]] : tensor<?x?xi1> -> tensor<?x?xf32>
// CHECK: %[[Y:.*]] = hm.hyper_mix %[[X]] mask %[[M]] hyper1({{.*}}) hyper2({{.*}}) norm({{.*}}) positions({{.*}}) {algorithm = "auto", heads = 2 : i64
// CHECK-NEXT: return %[[Y]]
