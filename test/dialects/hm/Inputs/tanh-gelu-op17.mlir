module {
  func.func @main(%arg0: tensor<?x?x8xf32> {hm.dims = ["B", "N", 8], hm.name = "x"}, %arg1: tensor<?x?xi1> {hm.dims = ["B", "N"], hm.name = "mask"}) -> (tensor<?x?x8xf32> {hm.dims = ["B", "N", 8], hm.name = "y"}) {
    %0 = hm.not %arg1 : tensor<?x?xi1>
    %1 = hm.cast %0 : tensor<?x?xi1> -> tensor<?x?xf32>
    %2 = hm.reshape %1 {shape = ["B", "N", 1]} : tensor<?x?xf32> -> tensor<?x?x1xf32>
    %3 = hm.mul %arg0, %2 : tensor<?x?x8xf32>, tensor<?x?x1xf32> -> tensor<?x?x8xf32>
    %4 = hm.constant dense_resource<pe> : tensor<1x12x8xf32>
    %5 = hm.slice_to_dim %4, %arg0 {axis = 1 : i64, reference_axis = 1 : i64} : (tensor<1x12x8xf32>, tensor<?x?x8xf32>) -> tensor<1x?x8xf32>
    %6 = hm.add %3, %5 : tensor<?x?x8xf32>, tensor<1x?x8xf32> -> tensor<?x?x8xf32>
    %7 = hm.reshape %6 {shape = ["B", "N", 2, 4]} : tensor<?x?x8xf32> -> tensor<?x?x2x4xf32>
    %8 = hm.constant dense_resource<hyper_w1.w1> : tensor<2x4x4xf32>
    %9 = hm.einsum "blmf,mhf->bmlh" %7, %8 : (tensor<?x?x2x4xf32>, tensor<2x4x4xf32>) -> tensor<?x2x?x4xf32>
    %10 = hm.constant dense<[[[0.115021951, -0.0370247625, 0.267864466, -0.146716818]], [[-0.434106261, 0.358220875, 0.163872287, -0.622504592]]]> : tensor<2x1x4xf32>
    %11 = hm.add %9, %10 : tensor<?x2x?x4xf32>, tensor<2x1x4xf32> -> tensor<?x2x?x4xf32>
    %12 = hm.mul %11, %11 : tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32> -> tensor<?x2x?x4xf32>
    %13 = hm.mul %11, %12 : tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32> -> tensor<?x2x?x4xf32>
    %14 = hm.constant dense<4.471500e-02> : tensor<f32>
    %15 = hm.mul %14, %13 : tensor<f32>, tensor<?x2x?x4xf32> -> tensor<?x2x?x4xf32>
    %16 = hm.add %11, %15 : tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32> -> tensor<?x2x?x4xf32>
    %17 = hm.constant dense<0.797884583> : tensor<f32>
    %18 = hm.mul %17, %16 : tensor<f32>, tensor<?x2x?x4xf32> -> tensor<?x2x?x4xf32>
    %19 = hm.tanh %18 : tensor<?x2x?x4xf32>
    %20 = hm.constant dense<1.000000e+00> : tensor<f32>
    %21 = hm.add %20, %19 : tensor<f32>, tensor<?x2x?x4xf32> -> tensor<?x2x?x4xf32>
    %22 = hm.mul %11, %21 : tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32> -> tensor<?x2x?x4xf32>
    %23 = hm.constant dense<5.000000e-01> : tensor<f32>
    %24 = hm.mul %23, %22 : tensor<f32>, tensor<?x2x?x4xf32> -> tensor<?x2x?x4xf32>
    %25 = hm.constant dense_resource<hyper_w1.w2> : tensor<2x4x4xf32>
    %26 = hm.einsum "bmlf,mhf->bmlh" %24, %25 : (tensor<?x2x?x4xf32>, tensor<2x4x4xf32>) -> tensor<?x2x?x4xf32>
    %27 = hm.constant dense<[[[-0.440801263, 0.20803915, -9.167540e-02, 0.0608849786]], [[0.206482902, 0.261291206, 0.162377492, 0.166715741]]]> : tensor<2x1x4xf32>
    %28 = hm.add %26, %27 : tensor<?x2x?x4xf32>, tensor<2x1x4xf32> -> tensor<?x2x?x4xf32>
    %29 = hm.constant dense_resource<hyper_w2.w1> : tensor<2x4x4xf32>
    %30 = hm.einsum "blmf,mhf->bmlh" %7, %29 : (tensor<?x?x2x4xf32>, tensor<2x4x4xf32>) -> tensor<?x2x?x4xf32>
    %31 = hm.constant dense<[[[0.262591034, -0.367284894, -5.592810e-01, -0.20130679]], [[-0.0219753198, 0.579304695, 0.11095985, -0.705862284]]]> : tensor<2x1x4xf32>
    %32 = hm.add %30, %31 : tensor<?x2x?x4xf32>, tensor<2x1x4xf32> -> tensor<?x2x?x4xf32>
    %33 = hm.mul %32, %32 : tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32> -> tensor<?x2x?x4xf32>
    %34 = hm.mul %32, %33 : tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32> -> tensor<?x2x?x4xf32>
    %35 = hm.constant dense<4.471500e-02> : tensor<f32>
    %36 = hm.mul %35, %34 : tensor<f32>, tensor<?x2x?x4xf32> -> tensor<?x2x?x4xf32>
    %37 = hm.add %32, %36 : tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32> -> tensor<?x2x?x4xf32>
    %38 = hm.constant dense<0.797884583> : tensor<f32>
    %39 = hm.mul %38, %37 : tensor<f32>, tensor<?x2x?x4xf32> -> tensor<?x2x?x4xf32>
    %40 = hm.tanh %39 : tensor<?x2x?x4xf32>
    %41 = hm.constant dense<1.000000e+00> : tensor<f32>
    %42 = hm.add %41, %40 : tensor<f32>, tensor<?x2x?x4xf32> -> tensor<?x2x?x4xf32>
    %43 = hm.mul %32, %42 : tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32> -> tensor<?x2x?x4xf32>
    %44 = hm.constant dense<5.000000e-01> : tensor<f32>
    %45 = hm.mul %44, %43 : tensor<f32>, tensor<?x2x?x4xf32> -> tensor<?x2x?x4xf32>
    %46 = hm.constant dense_resource<hyper_w2.w2> : tensor<2x4x4xf32>
    %47 = hm.einsum "bmlf,mhf->bmlh" %45, %46 : (tensor<?x2x?x4xf32>, tensor<2x4x4xf32>) -> tensor<?x2x?x4xf32>
    %48 = hm.constant dense<[[[-0.200536385, -0.355250984, 0.0713408813, 0.368880689]], [[-0.0458289944, 0.137991399, 0.212657452, 0.680099785]]]> : tensor<2x1x4xf32>
    %49 = hm.add %47, %48 : tensor<?x2x?x4xf32>, tensor<2x1x4xf32> -> tensor<?x2x?x4xf32>
    %50 = hm.reshape %1 {shape = ["B", 1, "N"]} : tensor<?x?xf32> -> tensor<?x1x?xf32>
    %51 = hm.reshape %50 {shape = ["B", 1, "N", 1]} : tensor<?x1x?xf32> -> tensor<?x1x?x1xf32>
    %52 = hm.mul %28, %51 : tensor<?x2x?x4xf32>, tensor<?x1x?x1xf32> -> tensor<?x2x?x4xf32>
    %53 = hm.mul %49, %51 : tensor<?x2x?x4xf32>, tensor<?x1x?x1xf32> -> tensor<?x2x?x4xf32>
    %54 = hm.reshape %52 {shape = ["B*2", "N", 4]} : tensor<?x2x?x4xf32> -> tensor<?x?x4xf32>
    %55 = hm.reshape %53 {shape = ["B*2", "N", 4]} : tensor<?x2x?x4xf32> -> tensor<?x?x4xf32>
    %56 = hm.reshape %3 {shape = ["B", "N", 2, 4]} : tensor<?x?x8xf32> -> tensor<?x?x2x4xf32>
    %57 = hm.transpose %56 {perm = array<i64: 0, 2, 3, 1>} : tensor<?x?x2x4xf32> -> tensor<?x2x4x?xf32>
    %58 = hm.reshape %57 {shape = ["B*2", 4, "N"]} : tensor<?x2x4x?xf32> -> tensor<?x4x?xf32>
    %59 = hm.matmul %58, %54 : tensor<?x4x?xf32>, tensor<?x?x4xf32> -> tensor<?x4x4xf32>
    %60 = hm.mul %59, %59 : tensor<?x4x4xf32>, tensor<?x4x4xf32> -> tensor<?x4x4xf32>
    %61 = hm.mul %59, %60 : tensor<?x4x4xf32>, tensor<?x4x4xf32> -> tensor<?x4x4xf32>
    %62 = hm.constant dense<4.471500e-02> : tensor<f32>
    %63 = hm.mul %62, %61 : tensor<f32>, tensor<?x4x4xf32> -> tensor<?x4x4xf32>
    %64 = hm.add %59, %63 : tensor<?x4x4xf32>, tensor<?x4x4xf32> -> tensor<?x4x4xf32>
    %65 = hm.constant dense<0.797884583> : tensor<f32>
    %66 = hm.mul %65, %64 : tensor<f32>, tensor<?x4x4xf32> -> tensor<?x4x4xf32>
    %67 = hm.tanh %66 : tensor<?x4x4xf32>
    %68 = hm.constant dense<1.000000e+00> : tensor<f32>
    %69 = hm.add %68, %67 : tensor<f32>, tensor<?x4x4xf32> -> tensor<?x4x4xf32>
    %70 = hm.mul %59, %69 : tensor<?x4x4xf32>, tensor<?x4x4xf32> -> tensor<?x4x4xf32>
    %71 = hm.constant dense<5.000000e-01> : tensor<f32>
    %72 = hm.mul %71, %70 : tensor<f32>, tensor<?x4x4xf32> -> tensor<?x4x4xf32>
    %73 = hm.transpose %72 {perm = array<i64: 0, 2, 1>} : tensor<?x4x4xf32> -> tensor<?x4x4xf32>
    %74 = hm.matmul %55, %73 : tensor<?x?x4xf32>, tensor<?x4x4xf32> -> tensor<?x?x4xf32>
    %75 = hm.reshape %74 {shape = ["B", 2, "N", 4]} : tensor<?x?x4xf32> -> tensor<?x2x?x4xf32>
    %76 = hm.transpose %75 {perm = array<i64: 0, 2, 1, 3>} : tensor<?x2x?x4xf32> -> tensor<?x?x2x4xf32>
    %77 = hm.reshape %76 {shape = ["B", "N", 8]} : tensor<?x?x2x4xf32> -> tensor<?x?x8xf32>
    %78 = hm.constant dense<[1.9451828, 1.28275847, 1.82521558, 1.01001585, 0.660925567, 0.549081206, 0.133569479, 1.38078415]> : tensor<8xf32>
    %79 = hm.constant dense<[-0.345807821, 0.0526944697, -0.489702255, 0.331270456, 0.643937587, -0.328794181, -0.214192182, -0.51249361]> : tensor<8xf32>
    %80 = hm.layer_norm %77 scale %78 bias %79 {epsilon = 9.9999997473787516E-6 : f64} : (tensor<?x?x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
    return %80 : tensor<?x?x8xf32>
  }
}

{-#
  dialect_resources: {
    builtin: {
      pe: "0x40000000000000000000803F000000000000803F000000000000803F000000000000803FA46A573F40510A3F7675CC3D98B87E3F57D6233CB9FC7F3F6D12833AF8FF7F3FB7C7683F3311D5BEF96F4B3EA5E57A3F3ED4A33CE5F27F3F6912033BDEFF7F3FC381103E26707DBF6D4E973EEF90743F20B9F53C83E27F3F939B443BB5FF7F3FCFBD41BF305527BFD761C73EA7CA6B3FDBCB233D94CB7F3F5812833B7AFF7F3F107C75BF2C3C913E4477F53E40A9603FF5B64C3D19AE7F3FDED6A33B2EFF7F3F8C0F8FBEB8CD753F698C103F3249533FD19C753D128A7F3F599BC43BD2FE7F3F4630283FBDFF403F73EB243FB3CC433F323E8F3D815F7F3FC75FE53B65FE7F3F95467D3FF6FD14BEA6A4373F5F5B323F51AAA33D662E7F3F1312033CE7FD7F3F3201D33ED53F69BF1D88483FD5211F3F3F12B83DC2F67E3F3A74133C59FD7F3FF8440BBF64CD56BFA46A573F40510A3F7675CC3D98B87E3F57D6233CB9FC7F3F5CFF7FBF7205913B2A26643FC03DE83E72D3E03DE8737E3F6A38343C09FC7F3F",
      hyper_w1.w1: "0x40000000A1C382BE699E033F49D034BEDFE27B3D6AE9B9BD2CA53FBFDA83913D603786BEF1B4FEBDF97586BE071AB93F233F98BE26EA273FDB50343EFE5528BFBDF182BB43D4FD3D594E493FF9D951BF19D84BBF0C569EBD1B580CBFACEC2E3FC874B03E7A7949BE46FA9D3E23BAC03E332D9A3E6A1F813FA69515BF327F29BF2239103F",
      hyper_w1.w2: "0x40000000051528BCF268A1BE036B8C3E26544BBF332F873E547AE53EBF5AFF3EECBEDCBDE0CD293F1B7F5EBD7C6403BFF37DB23C48EEF8BE48820F3E8EEA913E87F73D3F16503ABFE8E78E3E719981BEDF546E3EED44DCBE3B52DABED70B813FF356AD3D8C29E7BE07E85ABF967F8BBD95FC393F34DD8F3ECD5B143F08495CBF6C8FF1BC",
      hyper_w2.w1: "0x40000000484C663EDBF38CBE3200D2BE772E103FEA661EBF47CE64BFBB76013F6C8CFFBE07D3893F7A206D3E77F056BF18B73E3FB450F0BE70DF813F8137BA3EF9974E3E10A2C33EF11CD7BEE458313E8AFAB6BF423A60BF67EBBCBF91A3183DA34E103ED82A473EFE2491BFC9ECB1BEF8B3DA3E510FB43DFF06AA3E85FB15BFCCAC0E3F",
      hyper_w2.w2: "0x400000005473293E263193BEE743533E2EE341BEDE78203FD68A88BD21F72CBFC54394BF040C773E803FB63EEF57243F4DCA2A3F441E48BE6AFBD7BEB8CB023E1A7DFB3D0B84563F53BC3A3E39E794BDD4642FBF291C7D3D94CB18BF3EF773BC11BDADBD31B7313FD3F235BFA6C1093F3B1D70BE7D47063F83BF37BE9506A03EAEB2D2BE"
    }
  }
#-}

