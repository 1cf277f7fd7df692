module {
  func.func @main(%arg0: tensor<?x?x8xf32> {hm.dims = ["B", "N", 8], hm.name = "x"}, %arg1: tensor<?x?xi1> {hm.dims = ["B", "N"], hm.name = "mask"}) -> (tensor<?x?x8xf32> {hm.dims = ["B", "N", 8], hm.name = "y"}) {
    %0 = hm.not %arg1 : tensor<?x?xi1>
    %1 = hm.cast %0 : tensor<?x?xi1> -> tensor<?x?xf32>
    %2 = hm.reshape %1 {shape = ["B", "N", 1]} : tensor<?x?xf32> -> tensor<?x?x1xf32>
    %3 = hm.mul %arg0, %2 : tensor<?x?x8xf32>, tensor<?x?x1xf32> -> tensor<?x?x8xf32>
    %4 = hm.iota %arg0 {reference_axis = 1 : i64} : (tensor<?x?x8xf32>) -> tensor<?xf32>
    %5 = hm.reshape %4 {shape = ["N", 1]} : tensor<?xf32> -> tensor<?x1xf32>
    %6 = hm.constant dense<0.000000e+00> : tensor<1x8xf32>
    %7 = hm.iota %arg0 {reference_axis = 1 : i64} : (tensor<?x?x8xf32>) -> tensor<?xf32>
    %8 = hm.constant dense<0.000000e+00> : tensor<f32>
    %9 = hm.mul %7, %8 : tensor<?xf32>, tensor<f32> -> tensor<?xf32>
    %10 = hm.reshape %9 {shape = ["N", 1]} : tensor<?xf32> -> tensor<?x1xf32>
    %11 = hm.add %6, %10 : tensor<1x8xf32>, tensor<?x1xf32> -> tensor<?x8xf32>
    %12 = hm.constant dense<[1.000000e+00, 0.099999994, 0.00999999977, 9.99999931E-4]> : tensor<4xf32>
    %13 = hm.mul %5, %12 : tensor<?x1xf32>, tensor<4xf32> -> tensor<?x4xf32>
    %14 = hm.sin %13 : tensor<?x4xf32>
    %15 = hm.slice %11 {axes = array<i64: 1>, ends = array<i64: 8>, starts = array<i64: 0>, steps = array<i64: 2>} : tensor<?x8xf32> -> tensor<?x4xf32>
    %16 = hm.reshape %14 {shape = ["N", 4]} : tensor<?x4xf32> -> tensor<?x4xf32>
    %17 = hm.iota %arg0 {reference_axis = 1 : i64} : (tensor<?x?x8xf32>) -> tensor<?xi64>
    %18 = hm.reshape %17 {shape = ["N", 1]} : tensor<?xi64> -> tensor<?x1xi64>
    %19 = hm.constant dense<[0, 2, 4, 6]> : tensor<4xi64>
    %20 = hm.add %18, %19 : tensor<?x1xi64>, tensor<4xi64> -> tensor<?x4xi64>
    %21 = hm.constant dense<0> : tensor<1x4xi64>
    %22 = hm.add %18, %21 : tensor<?x1xi64>, tensor<1x4xi64> -> tensor<?x4xi64>
    %23 = hm.reshape %22 {shape = ["N", 4, 1]} : tensor<?x4xi64> -> tensor<?x4x1xi64>
    %24 = hm.constant dense<0> : tensor<1x1xi64>
    %25 = hm.iota %arg0 {reference_axis = 1 : i64} : (tensor<?x?x8xf32>) -> tensor<?xi64>
    %26 = hm.constant dense<0> : tensor<i64>
    %27 = hm.mul %25, %26 : tensor<?xi64>, tensor<i64> -> tensor<?xi64>
    %28 = hm.reshape %27 {shape = ["N", 1]} : tensor<?xi64> -> tensor<?x1xi64>
    %29 = hm.add %24, %28 : tensor<1x1xi64>, tensor<?x1xi64> -> tensor<?x1xi64>
    %30 = hm.add %19, %29 : tensor<4xi64>, tensor<?x1xi64> -> tensor<?x4xi64>
    %31 = hm.reshape %30 {shape = ["N", 4, 1]} : tensor<?x4xi64> -> tensor<?x4x1xi64>
    %32 = hm.concat %23, %31 {axis = 2 : i64} : (tensor<?x4x1xi64>, tensor<?x4x1xi64>) -> tensor<?x4x2xi64>
    %33 = hm.reshape %16 {shape = ["N", 4]} : tensor<?x4xf32> -> tensor<?x4xf32>
    %34 = hm.scatter_nd %11, %32, %33 : (tensor<?x8xf32>, tensor<?x4x2xi64>, tensor<?x4xf32>) -> tensor<?x8xf32>
    %35 = hm.cos %13 : tensor<?x4xf32>
    %36 = hm.slice %34 {axes = array<i64: 1>, ends = array<i64: 8>, starts = array<i64: 1>, steps = array<i64: 2>} : tensor<?x8xf32> -> tensor<?x4xf32>
    %37 = hm.reshape %35 {shape = ["N", 4]} : tensor<?x4xf32> -> tensor<?x4xf32>
    %38 = hm.iota %arg0 {reference_axis = 1 : i64} : (tensor<?x?x8xf32>) -> tensor<?xi64>
    %39 = hm.reshape %38 {shape = ["N", 1]} : tensor<?xi64> -> tensor<?x1xi64>
    %40 = hm.constant dense<[1, 3, 5, 7]> : tensor<4xi64>
    %41 = hm.add %39, %40 : tensor<?x1xi64>, tensor<4xi64> -> tensor<?x4xi64>
    %42 = hm.constant dense<0> : tensor<1x4xi64>
    %43 = hm.add %39, %42 : tensor<?x1xi64>, tensor<1x4xi64> -> tensor<?x4xi64>
    %44 = hm.reshape %43 {shape = ["N", 4, 1]} : tensor<?x4xi64> -> tensor<?x4x1xi64>
    %45 = hm.constant dense<0> : tensor<1x1xi64>
    %46 = hm.iota %arg0 {reference_axis = 1 : i64} : (tensor<?x?x8xf32>) -> tensor<?xi64>
    %47 = hm.constant dense<0> : tensor<i64>
    %48 = hm.mul %46, %47 : tensor<?xi64>, tensor<i64> -> tensor<?xi64>
    %49 = hm.reshape %48 {shape = ["N", 1]} : tensor<?xi64> -> tensor<?x1xi64>
    %50 = hm.add %45, %49 : tensor<1x1xi64>, tensor<?x1xi64> -> tensor<?x1xi64>
    %51 = hm.add %40, %50 : tensor<4xi64>, tensor<?x1xi64> -> tensor<?x4xi64>
    %52 = hm.reshape %51 {shape = ["N", 4, 1]} : tensor<?x4xi64> -> tensor<?x4x1xi64>
    %53 = hm.concat %44, %52 {axis = 2 : i64} : (tensor<?x4x1xi64>, tensor<?x4x1xi64>) -> tensor<?x4x2xi64>
    %54 = hm.reshape %37 {shape = ["N", 4]} : tensor<?x4xf32> -> tensor<?x4xf32>
    %55 = hm.scatter_nd %34, %53, %54 : (tensor<?x8xf32>, tensor<?x4x2xi64>, tensor<?x4xf32>) -> tensor<?x8xf32>
    %56 = hm.add %3, %55 : tensor<?x?x8xf32>, tensor<?x8xf32> -> tensor<?x?x8xf32>
    %57 = hm.reshape %56 {shape = ["B", "N", 2, 4]} : tensor<?x?x8xf32> -> tensor<?x?x2x4xf32>
    %58 = hm.constant dense_resource<hyper_w1.w1> : tensor<2x4x4xf32>
    %59 = hm.einsum "blmf,mhf->bmlh" %57, %58 : (tensor<?x?x2x4xf32>, tensor<2x4x4xf32>) -> tensor<?x2x?x4xf32>
    %60 = hm.constant dense<[[[0.115021951, -0.0370247625, 0.267864466, -0.146716818]], [[-0.434106261, 0.358220875, 0.163872287, -0.622504592]]]> : tensor<2x1x4xf32>
    %61 = hm.add %59, %60 : tensor<?x2x?x4xf32>, tensor<2x1x4xf32> -> tensor<?x2x?x4xf32>
    %62 = hm.constant dense<1.41421354> : tensor<f32>
    %63 = hm.div %61, %62 : tensor<?x2x?x4xf32>, tensor<f32> -> tensor<?x2x?x4xf32>
    %64 = hm.erf %63 : tensor<?x2x?x4xf32>
    %65 = hm.constant dense<1.000000e+00> : tensor<f32>
    %66 = hm.add %64, %65 : tensor<?x2x?x4xf32>, tensor<f32> -> tensor<?x2x?x4xf32>
    %67 = hm.mul %61, %66 : tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32> -> tensor<?x2x?x4xf32>
    %68 = hm.constant dense<5.000000e-01> : tensor<f32>
    %69 = hm.mul %67, %68 : tensor<?x2x?x4xf32>, tensor<f32> -> tensor<?x2x?x4xf32>
    %70 = hm.constant dense_resource<hyper_w1.w2> : tensor<2x4x4xf32>
    %71 = hm.einsum "bmlf,mhf->bmlh" %69, %70 : (tensor<?x2x?x4xf32>, tensor<2x4x4xf32>) -> tensor<?x2x?x4xf32>
    %72 = hm.constant dense<[[[-0.440801263, 0.20803915, -9.167540e-02, 0.0608849786]], [[0.206482902, 0.261291206, 0.162377492, 0.166715741]]]> : tensor<2x1x4xf32>
    %73 = hm.add %71, %72 : tensor<?x2x?x4xf32>, tensor<2x1x4xf32> -> tensor<?x2x?x4xf32>
    %74 = hm.constant dense_resource<hyper_w2.w1> : tensor<2x4x4xf32>
    %75 = hm.einsum "blmf,mhf->bmlh" %57, %74 : (tensor<?x?x2x4xf32>, tensor<2x4x4xf32>) -> tensor<?x2x?x4xf32>
    %76 = hm.constant dense<[[[0.262591034, -0.367284894, -5.592810e-01, -0.20130679]], [[-0.0219753198, 0.579304695, 0.11095985, -0.705862284]]]> : tensor<2x1x4xf32>
    %77 = hm.add %75, %76 : tensor<?x2x?x4xf32>, tensor<2x1x4xf32> -> tensor<?x2x?x4xf32>
    %78 = hm.constant dense<1.41421354> : tensor<f32>
    %79 = hm.div %77, %78 : tensor<?x2x?x4xf32>, tensor<f32> -> tensor<?x2x?x4xf32>
    %80 = hm.erf %79 : tensor<?x2x?x4xf32>
    %81 = hm.constant dense<1.000000e+00> : tensor<f32>
    %82 = hm.add %80, %81 : tensor<?x2x?x4xf32>, tensor<f32> -> tensor<?x2x?x4xf32>
    %83 = hm.mul %77, %82 : tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32> -> tensor<?x2x?x4xf32>
    %84 = hm.constant dense<5.000000e-01> : tensor<f32>
    %85 = hm.mul %83, %84 : tensor<?x2x?x4xf32>, tensor<f32> -> tensor<?x2x?x4xf32>
    %86 = hm.constant dense_resource<hyper_w2.w2> : tensor<2x4x4xf32>
    %87 = hm.einsum "bmlf,mhf->bmlh" %85, %86 : (tensor<?x2x?x4xf32>, tensor<2x4x4xf32>) -> tensor<?x2x?x4xf32>
    %88 = hm.constant dense<[[[-0.200536385, -0.355250984, 0.0713408813, 0.368880689]], [[-0.0458289944, 0.137991399, 0.212657452, 0.680099785]]]> : tensor<2x1x4xf32>
    %89 = hm.add %87, %88 : tensor<?x2x?x4xf32>, tensor<2x1x4xf32> -> tensor<?x2x?x4xf32>
    %90 = hm.reshape %1 {shape = ["B", 1, "N"]} : tensor<?x?xf32> -> tensor<?x1x?xf32>
    %91 = hm.reshape %90 {shape = ["B", 1, "N", 1]} : tensor<?x1x?xf32> -> tensor<?x1x?x1xf32>
    %92 = hm.mul %73, %91 : tensor<?x2x?x4xf32>, tensor<?x1x?x1xf32> -> tensor<?x2x?x4xf32>
    %93 = hm.mul %89, %91 : tensor<?x2x?x4xf32>, tensor<?x1x?x1xf32> -> tensor<?x2x?x4xf32>
    %94 = hm.reshape %92 {shape = ["B*2", "N", 4]} : tensor<?x2x?x4xf32> -> tensor<?x?x4xf32>
    %95 = hm.reshape %93 {shape = ["B*2", "N", 4]} : tensor<?x2x?x4xf32> -> tensor<?x?x4xf32>
    %96 = hm.reshape %3 {shape = ["B", "N", 2, 4]} : tensor<?x?x8xf32> -> tensor<?x?x2x4xf32>
    %97 = hm.transpose %96 {perm = array<i64: 0, 2, 3, 1>} : tensor<?x?x2x4xf32> -> tensor<?x2x4x?xf32>
    %98 = hm.reshape %97 {shape = ["B*2", 4, "N"]} : tensor<?x2x4x?xf32> -> tensor<?x4x?xf32>
    %99 = hm.matmul %98, %94 : tensor<?x4x?xf32>, tensor<?x?x4xf32> -> tensor<?x4x4xf32>
    %100 = hm.constant dense<1.41421354> : tensor<f32>
    %101 = hm.div %99, %100 : tensor<?x4x4xf32>, tensor<f32> -> tensor<?x4x4xf32>
    %102 = hm.erf %101 : tensor<?x4x4xf32>
    %103 = hm.constant dense<1.000000e+00> : tensor<f32>
    %104 = hm.add %102, %103 : tensor<?x4x4xf32>, tensor<f32> -> tensor<?x4x4xf32>
    %105 = hm.mul %99, %104 : tensor<?x4x4xf32>, tensor<?x4x4xf32> -> tensor<?x4x4xf32>
    %106 = hm.constant dense<5.000000e-01> : tensor<f32>
    %107 = hm.mul %105, %106 : tensor<?x4x4xf32>, tensor<f32> -> tensor<?x4x4xf32>
    %108 = hm.transpose %107 {perm = array<i64: 0, 2, 1>} : tensor<?x4x4xf32> -> tensor<?x4x4xf32>
    %109 = hm.matmul %95, %108 : tensor<?x?x4xf32>, tensor<?x4x4xf32> -> tensor<?x?x4xf32>
    %110 = hm.reshape %109 {shape = ["B", 2, "N", 4]} : tensor<?x?x4xf32> -> tensor<?x2x?x4xf32>
    %111 = hm.transpose %110 {perm = array<i64: 0, 2, 1, 3>} : tensor<?x2x?x4xf32> -> tensor<?x?x2x4xf32>
    %112 = hm.reshape %111 {shape = ["B", "N", 8]} : tensor<?x?x2x4xf32> -> tensor<?x?x8xf32>
    %113 = hm.constant dense<[1.9451828, 1.28275847, 1.82521558, 1.01001585, 0.660925567, 0.549081206, 0.133569479, 1.38078415]> : tensor<8xf32>
    %114 = hm.constant dense<[-0.345807821, 0.0526944697, -0.489702255, 0.331270456, 0.643937587, -0.328794181, -0.214192182, -0.51249361]> : tensor<8xf32>
    %115 = hm.layer_norm %112 scale %113 bias %114 {epsilon = 9.9999997473787516E-6 : f64} : (tensor<?x?x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
    return %115 : tensor<?x?x8xf32>
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

