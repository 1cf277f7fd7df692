module {
  func.func @main(%arg0: tensor<?x?x8xf32> {hm.dims = ["B", "N", 8], hm.name = "x"}, %arg1: tensor<?x?xf32> {hm.dims = ["B", "N"], hm.name = "mask"}) -> (tensor<?x?x8xf32> {hm.dims = ["B", "N", 8], hm.name = "y"}) {
    %0 = hm.reshape %arg1 {shape = ["B", "N", 1]} : tensor<?x?xf32> -> tensor<?x?x1xf32>
    %1 = hm.mul %arg0, %0 : tensor<?x?x8xf32>, tensor<?x?x1xf32> -> tensor<?x?x8xf32>
    %2 = hm.constant dense_resource<pe> : tensor<12x8xf32>
    %3 = hm.slice_to_dim %2, %arg0 {axis = 0 : i64, reference_axis = 1 : i64} : (tensor<12x8xf32>, tensor<?x?x8xf32>) -> tensor<?x8xf32>
    %4 = hm.add %1, %3 : tensor<?x?x8xf32>, tensor<?x8xf32> -> tensor<?x?x8xf32>
    %5 = hm.reshape %4 {shape = ["B", "N", 2, 4]} : tensor<?x?x8xf32> -> tensor<?x?x2x4xf32>
    %6 = hm.transpose %5 {perm = array<i64: 0, 2, 1, 3>} : tensor<?x?x2x4xf32> -> tensor<?x2x?x4xf32>
    %7 = hm.constant dense_resource<w1_in> : tensor<2x4x4xf32>
    %8 = hm.matmul %6, %7 : tensor<?x2x?x4xf32>, tensor<2x4x4xf32> -> tensor<?x2x?x4xf32>
    %9 = hm.constant dense<[[[0.191703245, -0.0617079325, 0.446440756, -0.244528025]], [[-0.723510385, 0.597034752, 0.273120463, -1.03750765]]]> : tensor<2x1x4xf32>
    %10 = hm.add %8, %9 : tensor<?x2x?x4xf32>, tensor<2x1x4xf32> -> tensor<?x2x?x4xf32>
    %11 = hm.constant dense<1.41421354> : tensor<f32>
    %12 = hm.div %10, %11 : tensor<?x2x?x4xf32>, tensor<f32> -> tensor<?x2x?x4xf32>
    %13 = hm.erf %12 : tensor<?x2x?x4xf32>
    %14 = hm.constant dense<1.000000e+00> : tensor<f32>
    %15 = hm.add %13, %14 : tensor<?x2x?x4xf32>, tensor<f32> -> tensor<?x2x?x4xf32>
    %16 = hm.mul %10, %15 : tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32> -> tensor<?x2x?x4xf32>
    %17 = hm.constant dense<5.000000e-01> : tensor<f32>
    %18 = hm.mul %16, %17 : tensor<?x2x?x4xf32>, tensor<f32> -> tensor<?x2x?x4xf32>
    %19 = hm.constant dense_resource<w1_out> : tensor<2x4x4xf32>
    %20 = hm.matmul %18, %19 : tensor<?x2x?x4xf32>, tensor<2x4x4xf32> -> tensor<?x2x?x4xf32>
    %21 = hm.constant dense<[[[-0.734668731, 0.346731901, -0.152792335, 0.101474963]], [[0.344138145, 0.435485303, 0.270629138, 0.277859569]]]> : tensor<2x1x4xf32>
    %22 = hm.add %20, %21 : tensor<?x2x?x4xf32>, tensor<2x1x4xf32> -> tensor<?x2x?x4xf32>
    %23 = hm.constant dense_resource<w2_in> : tensor<2x4x4xf32>
    %24 = hm.matmul %6, %23 : tensor<?x2x?x4xf32>, tensor<2x4x4xf32> -> tensor<?x2x?x4xf32>
    %25 = hm.constant dense<[[[0.437651694, -0.61214149, -0.932134985, -0.335511297]], [[-0.0366255306, 0.965507805, 0.184933081, -1.17643714]]]> : tensor<2x1x4xf32>
    %26 = hm.add %24, %25 : tensor<?x2x?x4xf32>, tensor<2x1x4xf32> -> tensor<?x2x?x4xf32>
    %27 = hm.constant dense<1.41421354> : tensor<f32>
    %28 = hm.div %26, %27 : tensor<?x2x?x4xf32>, tensor<f32> -> tensor<?x2x?x4xf32>
    %29 = hm.erf %28 : tensor<?x2x?x4xf32>
    %30 = hm.constant dense<1.000000e+00> : tensor<f32>
    %31 = hm.add %29, %30 : tensor<?x2x?x4xf32>, tensor<f32> -> tensor<?x2x?x4xf32>
    %32 = hm.mul %26, %31 : tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32> -> tensor<?x2x?x4xf32>
    %33 = hm.constant dense<5.000000e-01> : tensor<f32>
    %34 = hm.mul %32, %33 : tensor<?x2x?x4xf32>, tensor<f32> -> tensor<?x2x?x4xf32>
    %35 = hm.constant dense_resource<w2_out> : tensor<2x4x4xf32>
    %36 = hm.matmul %34, %35 : tensor<?x2x?x4xf32>, tensor<2x4x4xf32> -> tensor<?x2x?x4xf32>
    %37 = hm.constant dense<[[[-0.334227294, -0.592084944, 0.118901469, 0.614801108]], [[-0.0763816535, 0.229985654, 0.354429066, 1.13349962]]]> : tensor<2x1x4xf32>
    %38 = hm.add %36, %37 : tensor<?x2x?x4xf32>, tensor<2x1x4xf32> -> tensor<?x2x?x4xf32>
    %39 = hm.reshape %arg1 {shape = ["B", 1, "N"]} : tensor<?x?xf32> -> tensor<?x1x?xf32>
    %40 = hm.reshape %39 {shape = ["B", 1, "N", 1]} : tensor<?x1x?xf32> -> tensor<?x1x?x1xf32>
    %41 = hm.mul %22, %40 : tensor<?x2x?x4xf32>, tensor<?x1x?x1xf32> -> tensor<?x2x?x4xf32>
    %42 = hm.mul %38, %40 : tensor<?x2x?x4xf32>, tensor<?x1x?x1xf32> -> tensor<?x2x?x4xf32>
    %43 = hm.transpose %41 {perm = array<i64: 0, 1, 3, 2>} : tensor<?x2x?x4xf32> -> tensor<?x2x4x?xf32>
    %44 = hm.reshape %1 {shape = ["B", "N", 2, 4]} : tensor<?x?x8xf32> -> tensor<?x?x2x4xf32>
    %45 = hm.transpose %44 {perm = array<i64: 0, 2, 1, 3>} : tensor<?x?x2x4xf32> -> tensor<?x2x?x4xf32>
    %46 = hm.matmul %43, %45 : tensor<?x2x4x?xf32>, tensor<?x2x?x4xf32> -> tensor<?x2x4x4xf32>
    %47 = hm.constant dense<1.41421354> : tensor<f32>
    %48 = hm.div %46, %47 : tensor<?x2x4x4xf32>, tensor<f32> -> tensor<?x2x4x4xf32>
    %49 = hm.erf %48 : tensor<?x2x4x4xf32>
    %50 = hm.constant dense<1.000000e+00> : tensor<f32>
    %51 = hm.add %49, %50 : tensor<?x2x4x4xf32>, tensor<f32> -> tensor<?x2x4x4xf32>
    %52 = hm.mul %46, %51 : tensor<?x2x4x4xf32>, tensor<?x2x4x4xf32> -> tensor<?x2x4x4xf32>
    %53 = hm.constant dense<5.000000e-01> : tensor<f32>
    %54 = hm.mul %52, %53 : tensor<?x2x4x4xf32>, tensor<f32> -> tensor<?x2x4x4xf32>
    %55 = hm.matmul %42, %54 : tensor<?x2x?x4xf32>, tensor<?x2x4x4xf32> -> tensor<?x2x?x4xf32>
    %56 = hm.transpose %55 {perm = array<i64: 0, 2, 1, 3>} : tensor<?x2x?x4xf32> -> tensor<?x?x2x4xf32>
    %57 = hm.reshape %56 {shape = ["B", "N", 8]} : tensor<?x?x2x4xf32> -> tensor<?x?x8xf32>
    %58 = hm.reduce_mean %57 {axes = array<i64: 2>} : tensor<?x?x8xf32> -> tensor<?x?x1xf32>
    %59 = hm.sub %57, %58 : tensor<?x?x8xf32>, tensor<?x?x1xf32> -> tensor<?x?x8xf32>
    %60 = hm.constant dense<2.000000e+00> : tensor<f32>
    %61 = hm.pow %59, %60 : tensor<?x?x8xf32>, tensor<f32> -> tensor<?x?x8xf32>
    %62 = hm.reduce_mean %61 {axes = array<i64: 2>} : tensor<?x?x8xf32> -> tensor<?x?x1xf32>
    %63 = hm.constant dense<9.99999974E-6> : tensor<f32>
    %64 = hm.add %62, %63 : tensor<?x?x1xf32>, tensor<f32> -> tensor<?x?x1xf32>
    %65 = hm.sqrt %64 : tensor<?x?x1xf32>
    %66 = hm.div %59, %65 : tensor<?x?x8xf32>, tensor<?x?x1xf32> -> tensor<?x?x8xf32>
    %67 = hm.constant dense<[1.9451828, 1.28275847, 1.82521558, 1.01001585, 0.660925567, 0.549081206, 0.133569479, 1.38078415]> : tensor<8xf32>
    %68 = hm.mul %66, %67 : tensor<?x?x8xf32>, tensor<8xf32> -> tensor<?x?x8xf32>
    %69 = hm.constant dense<[-0.345807821, 0.0526944697, -0.489702255, 0.331270456, 0.643937587, -0.328794181, -0.214192182, -0.51249361]> : tensor<8xf32>
    %70 = hm.add %68, %69 : tensor<?x?x8xf32>, tensor<8xf32> -> tensor<?x?x8xf32>
    return %70 : tensor<?x?x8xf32>
  }
}

{-#
  dialect_resources: {
    builtin: {
      pe: "0x40000000000000000000803F000000000000803F000000000000803F000000000000803FA46A573F40510A3F7675CC3D98B87E3F57D6233CB9FC7F3F6D12833AF8FF7F3FB7C7683F3311D5BEF96F4B3EA5E57A3F3ED4A33CE5F27F3F6912033BDEFF7F3FC381103E26707DBF6D4E973EEF90743F20B9F53C83E27F3F939B443BB5FF7F3FCFBD41BF305527BFD761C73EA7CA6B3FDBCB233D94CB7F3F5812833B7AFF7F3F107C75BF2C3C913E4477F53E40A9603FF5B64C3D19AE7F3FDED6A33B2EFF7F3F8C0F8FBEB8CD753F698C103F3249533FD19C753D128A7F3F599BC43BD2FE7F3F4630283FBDFF403F73EB243FB3CC433F323E8F3D815F7F3FC75FE53B65FE7F3F95467D3FF6FD14BEA6A4373F5F5B323F51AAA33D662E7F3F1312033CE7FD7F3F3201D33ED53F69BF1D88483FD5211F3F3F12B83DC2F67E3F3A74133C59FD7F3FF8440BBF64CD56BFA46A573F40510A3F7675CC3D98B87E3F57D6233CB9FC7F3F5CFF7FBF7205913B2A26643FC03DE83E72D3E03DE8737E3F6A38343C09FC7F3F",
      w1_in: "0x40000000A1C382BE699E033F49D034BEDFE27B3D6AE9B9BD2CA53FBFDA83913D603786BEF1B4FEBDF97586BE071AB93F233F98BE26EA273FDB50343EFE5528BFBDF182BB43D4FD3D594E493FF9D951BF19D84BBF0C569EBD1B580CBFACEC2E3FC874B03E7A7949BE46FA9D3E23BAC03E332D9A3E6A1F813FA69515BF327F29BF2239103F",
      w1_out: "0x40000000051528BCF268A1BE036B8C3E26544BBF332F873E547AE53EBF5AFF3EECBEDCBDE0CD293F1B7F5EBD7C6403BFF37DB23C48EEF8BE48820F3E8EEA913E87F73D3F16503ABFE8E78E3E719981BEDF546E3EED44DCBE3B52DABED70B813FF356AD3D8C29E7BE07E85ABF967F8BBD95FC393F34DD8F3ECD5B143F08495CBF6C8FF1BC",
      w2_in: "0x40000000484C663EDBF38CBE3200D2BE772E103FEA661EBF47CE64BFBB76013F6C8CFFBE07D3893F7A206D3E77F056BF18B73E3FB450F0BE70DF813F8137BA3EF9974E3E10A2C33EF11CD7BEE458313E8AFAB6BF423A60BF67EBBCBF91A3183DA34E103ED82A473EFE2491BFC9ECB1BEF8B3DA3E510FB43DFF06AA3E85FB15BFCCAC0E3F",
      w2_out: "0x400000005473293E263193BEE743533E2EE341BEDE78203FD68A88BD21F72CBFC54394BF040C773E803FB63EEF57243F4DCA2A3F441E48BE6AFBD7BEB8CB023E1A7DFB3D0B84563F53BC3A3E39E794BDD4642FBF291C7D3D94CB18BF3EF773BC11BDADBD31B7313FD3F235BFA6C1093F3B1D70BE7D47063F83BF37BE9506A03EAEB2D2BE"
    }
  }
#-}

