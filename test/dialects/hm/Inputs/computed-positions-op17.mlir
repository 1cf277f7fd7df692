module {
  func.func @main(%arg0: tensor<?x?x8xf32> {hm.dims = ["B", "N", 8], hm.name = "x"}, %arg1: tensor<?x?xi1> {hm.dims = ["B", "N"], hm.name = "mask"}) -> (tensor<?x?x8xf32> {hm.dims = ["B", "N", 8], hm.name = "y"}) {
    %0 = hm.not %arg1 : tensor<?x?xi1>
    %1 = hm.cast %0 : tensor<?x?xi1> -> tensor<?x?xf32>
    %2 = hm.reshape %1 {shape = ["B", "N", 1]} : tensor<?x?xf32> -> tensor<?x?x1xf32>
    %3 = hm.mul %arg0, %2 : tensor<?x?x8xf32>, tensor<?x?x1xf32> -> tensor<?x?x8xf32>
    %4 = hm.iota %arg0 {reference_axis = 1 : i64} : (tensor<?x?x8xf32>) -> tensor<?xf32>
    %5 = hm.reshape %4 {shape = ["N", 1]} : tensor<?xf32> -> tensor<?x1xf32>
    %6 = hm.constant dense<[1.000000e+00, 0.099999994, 0.00999999977, 9.99999931E-4]> : tensor<4xf32>
    %7 = hm.mul %5, %6 : tensor<?x1xf32>, tensor<4xf32> -> tensor<?x4xf32>
    %8 = hm.sin %7 : tensor<?x4xf32>
    %9 = hm.cos %7 : tensor<?x4xf32>
    %10 = hm.reshape %8 {shape = ["N", 4, 1]} : tensor<?x4xf32> -> tensor<?x4x1xf32>
    %11 = hm.reshape %9 {shape = ["N", 4, 1]} : tensor<?x4xf32> -> tensor<?x4x1xf32>
    %12 = hm.concat %10, %11 {axis = 2 : i64} : (tensor<?x4x1xf32>, tensor<?x4x1xf32>) -> tensor<?x4x2xf32>
    %13 = hm.reshape %12 {shape = ["N", 8]} : tensor<?x4x2xf32> -> tensor<?x8xf32>
    %14 = hm.add %3, %13 : tensor<?x?x8xf32>, tensor<?x8xf32> -> tensor<?x?x8xf32>
    %15 = hm.reshape %14 {shape = ["B", "N", 2, 4]} : tensor<?x?x8xf32> -> tensor<?x?x2x4xf32>
    %16 = hm.constant dense_resource<hyper_w1.w1> : tensor<2x4x4xf32>
    %17 = hm.einsum "blmf,mhf->bmlh" %15, %16 : (tensor<?x?x2x4xf32>, tensor<2x4x4xf32>) -> tensor<?x2x?x4xf32>
    %18 = hm.constant dense<[[[0.115021951, -0.0370247625, 0.267864466, -0.146716818]], [[-0.434106261, 0.358220875, 0.163872287, -0.622504592]]]> : tensor<2x1x4xf32>
    %19 = hm.add %17, %18 : tensor<?x2x?x4xf32>, tensor<2x1x4xf32> -> tensor<?x2x?x4xf32>
    %20 = hm.constant dense<1.41421354> : tensor<f32>
    %21 = hm.div %19, %20 : tensor<?x2x?x4xf32>, tensor<f32> -> tensor<?x2x?x4xf32>
    %22 = hm.erf %21 : tensor<?x2x?x4xf32>
    %23 = hm.constant dense<1.000000e+00> : tensor<f32>
    %24 = hm.add %22, %23 : tensor<?x2x?x4xf32>, tensor<f32> -> tensor<?x2x?x4xf32>
    %25 = hm.mul %19, %24 : tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32> -> tensor<?x2x?x4xf32>
    %26 = hm.constant dense<5.000000e-01> : tensor<f32>
    %27 = hm.mul %25, %26 : tensor<?x2x?x4xf32>, tensor<f32> -> tensor<?x2x?x4xf32>
    %28 = hm.constant dense_resource<hyper_w1.w2> : tensor<2x4x4xf32>
    %29 = hm.einsum "bmlf,mhf->bmlh" %27, %28 : (tensor<?x2x?x4xf32>, tensor<2x4x4xf32>) -> tensor<?x2x?x4xf32>
    %30 = hm.constant dense<[[[-0.440801263, 0.20803915, -9.167540e-02, 0.0608849786]], [[0.206482902, 0.261291206, 0.162377492, 0.166715741]]]> : tensor<2x1x4xf32>
    %31 = hm.add %29, %30 : tensor<?x2x?x4xf32>, tensor<2x1x4xf32> -> tensor<?x2x?x4xf32>
    %32 = hm.constant dense_resource<hyper_w2.w1> : tensor<2x4x4xf32>
    %33 = hm.einsum "blmf,mhf->bmlh" %15, %32 : (tensor<?x?x2x4xf32>, tensor<2x4x4xf32>) -> tensor<?x2x?x4xf32>
    %34 = hm.constant dense<[[[0.262591034, -0.367284894, -5.592810e-01, -0.20130679]], [[-0.0219753198, 0.579304695, 0.11095985, -0.705862284]]]> : tensor<2x1x4xf32>
    %35 = hm.add %33, %34 : tensor<?x2x?x4xf32>, tensor<2x1x4xf32> -> tensor<?x2x?x4xf32>
    %36 = hm.constant dense<1.41421354> : tensor<f32>
    %37 = hm.div %35, %36 : tensor<?x2x?x4xf32>, tensor<f32> -> tensor<?x2x?x4xf32>
    %38 = hm.erf %37 : tensor<?x2x?x4xf32>
    %39 = hm.constant dense<1.000000e+00> : tensor<f32>
    %40 = hm.add %38, %39 : tensor<?x2x?x4xf32>, tensor<f32> -> tensor<?x2x?x4xf32>
    %41 = hm.mul %35, %40 : tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32> -> tensor<?x2x?x4xf32>
    %42 = hm.constant dense<5.000000e-01> : tensor<f32>
    %43 = hm.mul %41, %42 : tensor<?x2x?x4xf32>, tensor<f32> -> tensor<?x2x?x4xf32>
    %44 = hm.constant dense_resource<hyper_w2.w2> : tensor<2x4x4xf32>
    %45 = hm.einsum "bmlf,mhf->bmlh" %43, %44 : (tensor<?x2x?x4xf32>, tensor<2x4x4xf32>) -> tensor<?x2x?x4xf32>
    %46 = hm.constant dense<[[[-0.200536385, -0.355250984, 0.0713408813, 0.368880689]], [[-0.0458289944, 0.137991399, 0.212657452, 0.680099785]]]> : tensor<2x1x4xf32>
    %47 = hm.add %45, %46 : tensor<?x2x?x4xf32>, tensor<2x1x4xf32> -> tensor<?x2x?x4xf32>
    %48 = hm.reshape %1 {shape = ["B", 1, "N"]} : tensor<?x?xf32> -> tensor<?x1x?xf32>
    %49 = hm.reshape %48 {shape = ["B", 1, "N", 1]} : tensor<?x1x?xf32> -> tensor<?x1x?x1xf32>
    %50 = hm.mul %31, %49 : tensor<?x2x?x4xf32>, tensor<?x1x?x1xf32> -> tensor<?x2x?x4xf32>
    %51 = hm.mul %47, %49 : tensor<?x2x?x4xf32>, tensor<?x1x?x1xf32> -> tensor<?x2x?x4xf32>
    %52 = hm.reshape %50 {shape = ["B*2", "N", 4]} : tensor<?x2x?x4xf32> -> tensor<?x?x4xf32>
    %53 = hm.reshape %51 {shape = ["B*2", "N", 4]} : tensor<?x2x?x4xf32> -> tensor<?x?x4xf32>
    %54 = hm.reshape %3 {shape = ["B", "N", 2, 4]} : tensor<?x?x8xf32> -> tensor<?x?x2x4xf32>
    %55 = hm.transpose %54 {perm = array<i64: 0, 2, 3, 1>} : tensor<?x?x2x4xf32> -> tensor<?x2x4x?xf32>
    %56 = hm.reshape %55 {shape = ["B*2", 4, "N"]} : tensor<?x2x4x?xf32> -> tensor<?x4x?xf32>
    %57 = hm.matmul %56, %52 : tensor<?x4x?xf32>, tensor<?x?x4xf32> -> tensor<?x4x4xf32>
    %58 = hm.constant dense<1.41421354> : tensor<f32>
    %59 = hm.div %57, %58 : tensor<?x4x4xf32>, tensor<f32> -> tensor<?x4x4xf32>
    %60 = hm.erf %59 : tensor<?x4x4xf32>
    %61 = hm.constant dense<1.000000e+00> : tensor<f32>
    %62 = hm.add %60, %61 : tensor<?x4x4xf32>, tensor<f32> -> tensor<?x4x4xf32>
    %63 = hm.mul %57, %62 : tensor<?x4x4xf32>, tensor<?x4x4xf32> -> tensor<?x4x4xf32>
    %64 = hm.constant dense<5.000000e-01> : tensor<f32>
    %65 = hm.mul %63, %64 : tensor<?x4x4xf32>, tensor<f32> -> tensor<?x4x4xf32>
    %66 = hm.transpose %65 {perm = array<i64: 0, 2, 1>} : tensor<?x4x4xf32> -> tensor<?x4x4xf32>
    %67 = hm.matmul %53, %66 : tensor<?x?x4xf32>, tensor<?x4x4xf32> -> tensor<?x?x4xf32>
    %68 = hm.reshape %67 {shape = ["B", 2, "N", 4]} : tensor<?x?x4xf32> -> tensor<?x2x?x4xf32>
    %69 = hm.transpose %68 {perm = array<i64: 0, 2, 1, 3>} : tensor<?x2x?x4xf32> -> tensor<?x?x2x4xf32>
    %70 = hm.reshape %69 {shape = ["B", "N", 8]} : tensor<?x?x2x4xf32> -> tensor<?x?x8xf32>
    %71 = hm.constant dense<[1.9451828, 1.28275847, 1.82521558, 1.01001585, 0.660925567, 0.549081206, 0.133569479, 1.38078415]> : tensor<8xf32>
    %72 = hm.constant dense<[-0.345807821, 0.0526944697, -0.489702255, 0.331270456, 0.643937587, -0.328794181, -0.214192182, -0.51249361]> : tensor<8xf32>
    %73 = hm.layer_norm %70 scale %71 bias %72 {epsilon = 9.9999997473787516E-6 : f64} : (tensor<?x?x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
    return %73 : tensor<?x?x8xf32>
  }
}

{-#
  dialect_resources: {
    builtin: {
      hyper_w1.w1: "0x40000000A1C382BE699E033F49D034BEDFE27B3D6AE9B9BD2CA53FBFDA83913D603786BEF1B4FEBDF97586BE071AB93F233F98BE26EA273FDB50343EFE5528BFBDF182BB43D4FD3D594E493FF9D951BF19D84BBF0C569EBD1B580CBFACEC2E3FC874B03E7A7949BE46FA9D3E23BAC03E332D9A3E6A1F813FA69515BF327F29BF2239103F",
      hyper_w1.w2: "0x40000000051528BCF268A1BE036B8C3E26544BBF332F873E547AE53EBF5AFF3EECBEDCBDE0CD293F1B7F5EBD7C6403BFF37DB23C48EEF8BE48820F3E8EEA913E87F73D3F16503ABFE8E78E3E719981BEDF546E3EED44DCBE3B52DABED70B813FF356AD3D8C29E7BE07E85ABF967F8BBD95FC393F34DD8F3ECD5B143F08495CBF6C8FF1BC",
      hyper_w2.w1: "0x40000000484C663EDBF38CBE3200D2BE772E103FEA661EBF47CE64BFBB76013F6C8CFFBE07D3893F7A206D3E77F056BF18B73E3FB450F0BE70DF813F8137BA3EF9974E3E10A2C33EF11CD7BEE458313E8AFAB6BF423A60BF67EBBCBF91A3183DA34E103ED82A473EFE2491BFC9ECB1BEF8B3DA3E510FB43DFF06AA3E85FB15BFCCAC0E3F",
      hyper_w2.w2: "0x400000005473293E263193BEE743533E2EE341BEDE78203FD68A88BD21F72CBFC54394BF040C773E803FB63EEF57243F4DCA2A3F441E48BE6AFBD7BEB8CB023E1A7DFB3D0B84563F53BC3A3E39E794BDD4642FBF291C7D3D94CB18BF3EF773BC11BDADBD31B7313FD3F235BFA6C1093F3B1D70BE7D47063F83BF37BE9506A03EAEB2D2BE"
    }
  }
#-}

