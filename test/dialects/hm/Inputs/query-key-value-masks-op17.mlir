module {
  func.func @main(%arg0: tensor<?x?x8xf32> {hm.dims = ["B", "M", 8], hm.name = "query"}, %arg1: tensor<?x?x8xf32> {hm.dims = ["B", "N", 8], hm.name = "key"}, %arg2: tensor<?x?x8xf32> {hm.dims = ["B", "N", 8], hm.name = "value"}, %arg3: tensor<?x?xi1> {hm.dims = ["B", "M"], hm.name = "query_padding_mask"}, %arg4: tensor<?x?xi1> {hm.dims = ["B", "N"], hm.name = "key_padding_mask"}) -> (tensor<?x?x8xf32> {hm.dims = ["B", "M", 8], hm.name = "y"}) attributes {hm.derived_dims = [{add = 1 : i64, base = "N", div = 1 : i64, name = "N_1", post = 0 : i64}, {add = 1 : i64, base = "M", div = 1 : i64, name = "M_1", post = 0 : i64}]} {
    %0 = hm.not %arg4 : tensor<?x?xi1>
    %1 = hm.reshape %0 {shape = ["B", "N", 1]} : tensor<?x?xi1> -> tensor<?x?x1xi1>
    %2 = hm.cast %1 : tensor<?x?x1xi1> -> tensor<?x?x1xf32>
    %3 = hm.mul %arg1, %2 : tensor<?x?x8xf32>, tensor<?x?x1xf32> -> tensor<?x?x8xf32>
    %4 = hm.mul %arg2, %2 : tensor<?x?x8xf32>, tensor<?x?x1xf32> -> tensor<?x?x8xf32>
    %5 = hm.not %arg3 : tensor<?x?xi1>
    %6 = hm.reshape %5 {shape = ["B", "M", 1]} : tensor<?x?xi1> -> tensor<?x?x1xi1>
    %7 = hm.cast %6 : tensor<?x?x1xi1> -> tensor<?x?x1xf32>
    %8 = hm.mul %arg0, %7 : tensor<?x?x8xf32>, tensor<?x?x1xf32> -> tensor<?x?x8xf32>
    %9 = hm.constant dense<2.82842708> : tensor<f32>
    %10 = hm.mul %3, %9 : tensor<?x?x8xf32>, tensor<f32> -> tensor<?x?x8xf32>
    %11 = hm.constant dense_resource<pe> : tensor<1x12x8xf32>
    %12 = hm.slice_to_dim %11, %arg1 {axis = 1 : i64, reference_axis = 1 : i64} : (tensor<1x12x8xf32>, tensor<?x?x8xf32>) -> tensor<1x?x8xf32>
    %13 = hm.constant dense<0.000000e+00> : tensor<1x1x1xf32>
    %14 = hm.iota %arg0 {reference_axis = 0 : i64} : (tensor<?x?x8xf32>) -> tensor<?xf32>
    %15 = hm.constant dense<0.000000e+00> : tensor<f32>
    %16 = hm.mul %14, %15 : tensor<?xf32>, tensor<f32> -> tensor<?xf32>
    %17 = hm.reshape %16 {shape = ["B", 1, 1]} : tensor<?xf32> -> tensor<?x1x1xf32>
    %18 = hm.add %13, %17 : tensor<1x1x1xf32>, tensor<?x1x1xf32> -> tensor<?x1x1xf32>
    %19 = hm.add %12, %18 : tensor<1x?x8xf32>, tensor<?x1x1xf32> -> tensor<?x?x8xf32>
    %20 = hm.add %10, %19 : tensor<?x?x8xf32>, tensor<?x?x8xf32> -> tensor<?x?x8xf32>
    %21 = hm.reshape %20 {shape = ["B", "N", 2, 4]} : tensor<?x?x8xf32> -> tensor<?x?x2x4xf32>
    %22 = hm.constant dense_resource<fc1_weights.0> : tensor<2x4x4xf32>
    %23 = hm.einsum "blmf,mhf->bmlh" %21, %22 : (tensor<?x?x2x4xf32>, tensor<2x4x4xf32>) -> tensor<?x2x?x4xf32>
    %24 = hm.constant dense<1.41421354> : tensor<f32>
    %25 = hm.div %23, %24 : tensor<?x2x?x4xf32>, tensor<f32> -> tensor<?x2x?x4xf32>
    %26 = hm.erf %25 : tensor<?x2x?x4xf32>
    %27 = hm.constant dense<1.000000e+00> : tensor<f32>
    %28 = hm.add %26, %27 : tensor<?x2x?x4xf32>, tensor<f32> -> tensor<?x2x?x4xf32>
    %29 = hm.mul %23, %28 : tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32> -> tensor<?x2x?x4xf32>
    %30 = hm.constant dense<5.000000e-01> : tensor<f32>
    %31 = hm.mul %29, %30 : tensor<?x2x?x4xf32>, tensor<f32> -> tensor<?x2x?x4xf32>
    %32 = hm.constant dense_resource<fc2_weights.0> : tensor<2x4x4xf32>
    %33 = hm.einsum "bmlh,mfh->bmlf" %31, %32 : (tensor<?x2x?x4xf32>, tensor<2x4x4xf32>) -> tensor<?x2x?x4xf32>
    %34 = hm.constant dense<2.82842708> : tensor<f32>
    %35 = hm.mul %8, %34 : tensor<?x?x8xf32>, tensor<f32> -> tensor<?x?x8xf32>
    %36 = hm.constant dense_resource<pe_1> : tensor<1x12x8xf32>
    %37 = hm.slice_to_dim %36, %arg0 {axis = 1 : i64, reference_axis = 1 : i64} : (tensor<1x12x8xf32>, tensor<?x?x8xf32>) -> tensor<1x?x8xf32>
    %38 = hm.constant dense<0.000000e+00> : tensor<1x1x1xf32>
    %39 = hm.iota %arg0 {reference_axis = 0 : i64} : (tensor<?x?x8xf32>) -> tensor<?xf32>
    %40 = hm.constant dense<0.000000e+00> : tensor<f32>
    %41 = hm.mul %39, %40 : tensor<?xf32>, tensor<f32> -> tensor<?xf32>
    %42 = hm.reshape %41 {shape = ["B", 1, 1]} : tensor<?xf32> -> tensor<?x1x1xf32>
    %43 = hm.add %38, %42 : tensor<1x1x1xf32>, tensor<?x1x1xf32> -> tensor<?x1x1xf32>
    %44 = hm.add %37, %43 : tensor<1x?x8xf32>, tensor<?x1x1xf32> -> tensor<?x?x8xf32>
    %45 = hm.add %35, %44 : tensor<?x?x8xf32>, tensor<?x?x8xf32> -> tensor<?x?x8xf32>
    %46 = hm.reshape %45 {shape = ["B", "M", 2, 4]} : tensor<?x?x8xf32> -> tensor<?x?x2x4xf32>
    %47 = hm.constant dense_resource<fc1_weights.1> : tensor<2x4x4xf32>
    %48 = hm.einsum "blmf,mhf->bmlh" %46, %47 : (tensor<?x?x2x4xf32>, tensor<2x4x4xf32>) -> tensor<?x2x?x4xf32>
    %49 = hm.constant dense<1.41421354> : tensor<f32>
    %50 = hm.div %48, %49 : tensor<?x2x?x4xf32>, tensor<f32> -> tensor<?x2x?x4xf32>
    %51 = hm.erf %50 : tensor<?x2x?x4xf32>
    %52 = hm.constant dense<1.000000e+00> : tensor<f32>
    %53 = hm.add %51, %52 : tensor<?x2x?x4xf32>, tensor<f32> -> tensor<?x2x?x4xf32>
    %54 = hm.mul %48, %53 : tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32> -> tensor<?x2x?x4xf32>
    %55 = hm.constant dense<5.000000e-01> : tensor<f32>
    %56 = hm.mul %54, %55 : tensor<?x2x?x4xf32>, tensor<f32> -> tensor<?x2x?x4xf32>
    %57 = hm.constant dense_resource<fc2_weights.1> : tensor<2x4x4xf32>
    %58 = hm.einsum "bmlh,mfh->bmlf" %56, %57 : (tensor<?x2x?x4xf32>, tensor<2x4x4xf32>) -> tensor<?x2x?x4xf32>
    %59 = hm.reshape %2 {shape = ["B", 1, "N", 1]} : tensor<?x?x1xf32> -> tensor<?x1x?x1xf32>
    %60 = hm.mul %33, %59 : tensor<?x2x?x4xf32>, tensor<?x1x?x1xf32> -> tensor<?x2x?x4xf32>
    %61 = hm.reshape %7 {shape = ["B", 1, "M", 1]} : tensor<?x?x1xf32> -> tensor<?x1x?x1xf32>
    %62 = hm.mul %58, %61 : tensor<?x2x?x4xf32>, tensor<?x1x?x1xf32> -> tensor<?x2x?x4xf32>
    %63 = hm.transpose %4 {perm = array<i64: 0, 2, 1>} : tensor<?x?x8xf32> -> tensor<?x8x?xf32>
    %64 = hm.reshape %63 {shape = ["B*2", 4, "N"]} : tensor<?x8x?xf32> -> tensor<?x4x?xf32>
    %65 = hm.reshape %60 {shape = ["B*2", "N", 4]} : tensor<?x2x?x4xf32> -> tensor<?x?x4xf32>
    %66 = hm.reshape %62 {shape = ["B*2", "M", 4]} : tensor<?x2x?x4xf32> -> tensor<?x?x4xf32>
    %67 = hm.matmul %64, %65 : tensor<?x4x?xf32>, tensor<?x?x4xf32> -> tensor<?x4x4xf32>
    %68 = hm.constant dense<1.41421354> : tensor<f32>
    %69 = hm.div %67, %68 : tensor<?x4x4xf32>, tensor<f32> -> tensor<?x4x4xf32>
    %70 = hm.erf %69 : tensor<?x4x4xf32>
    %71 = hm.constant dense<1.000000e+00> : tensor<f32>
    %72 = hm.add %70, %71 : tensor<?x4x4xf32>, tensor<f32> -> tensor<?x4x4xf32>
    %73 = hm.mul %67, %72 : tensor<?x4x4xf32>, tensor<?x4x4xf32> -> tensor<?x4x4xf32>
    %74 = hm.constant dense<5.000000e-01> : tensor<f32>
    %75 = hm.mul %73, %74 : tensor<?x4x4xf32>, tensor<f32> -> tensor<?x4x4xf32>
    %76 = hm.transpose %66 {perm = array<i64: 0, 2, 1>} : tensor<?x?x4xf32> -> tensor<?x4x?xf32>
    %77 = hm.matmul %75, %76 : tensor<?x4x4xf32>, tensor<?x4x?xf32> -> tensor<?x4x?xf32>
    %78 = hm.reshape %77 {shape = ["B", 8, "M"]} : tensor<?x4x?xf32> -> tensor<?x8x?xf32>
    %79 = hm.transpose %78 {perm = array<i64: 0, 2, 1>} : tensor<?x8x?xf32> -> tensor<?x?x8xf32>
    %80 = hm.constant dense<[1.43765163, 0.38785851, 0.0678650141, 0.664488673, 0.963374495, 1.96550775, 1.18493307, -0.17643714]> : tensor<8xf32>
    %81 = hm.constant dense<[-0.0469250865, 0.865944087, -0.759189963, -0.734022617, 0.0660769045, 0.677428901, -0.634855449, -0.56117475]> : tensor<8xf32>
    %82 = hm.layer_norm %79 scale %80 bias %81 {epsilon = 9.9999997473787516E-6 : f64} : (tensor<?x?x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
    return %82 : tensor<?x?x8xf32>
  }
}

{-#
  dialect_resources: {
    builtin: {
      pe: "0x40000000A46A573F40510A3F7675CC3D98B87E3F57D6233CB9FC7F3F6D12833AF8FF7F3FB7C7683F3311D5BEF96F4B3EA5E57A3F3ED4A33CE5F27F3F6912033BDEFF7F3FC381103E26707DBF6D4E973EEF90743F20B9F53C83E27F3F939B443BB5FF7F3FCFBD41BF305527BFD761C73EA7CA6B3FDBCB233D94CB7F3F5812833B7AFF7F3F107C75BF2C3C913E4477F53E40A9603FF5B64C3D19AE7F3FDED6A33B2EFF7F3F8C0F8FBEB8CD753F698C103F3249533FD19C753D128A7F3F599BC43BD2FE7F3F4630283FBDFF403F73EB243FB3CC433F323E8F3D815F7F3FC75FE53B65FE7F3F95467D3FF6FD14BEA6A4373F5F5B323F51AAA33D662E7F3F1312033CE7FD7F3F3201D33ED53F69BF1D88483FD5211F3F3F12B83DC2F67E3F3A74133C59FD7F3FF8440BBF64CD56BFA46A573F40510A3F7675CC3D98B87E3F57D6233CB9FC7F3F5CFF7FBF7205913B2A26643FC03DE83E72D3E03DE8737E3F6A38343C09FC7F3FD85C09BFD006583F1D9A6E3FF586B93EAC2BF53DB5287E3F719A443C48FB7F3F",
      fc1_weights.0: "0x40000000A1C382BE699E033F49D034BEDFE27B3D6AE9B9BD2CA53FBFDA83913D603786BEF1B4FEBDF97586BE071AB93F233F98BE26EA273FDB50343EFE5528BFBDF182BB43D4FD3D594E493FF9D951BF19D84BBF0C569EBD1B580CBFACEC2E3FC874B03E7A7949BE46FA9D3E23BAC03E332D9A3E6A1F813FA69515BF327F29BF2239103F",
      fc2_weights.0: "0x4000000016503ABFE8E78E3E719981BEDF546E3EED44DCBE3B52DABED70B813FF356AD3D8C29E7BE07E85ABF967F8BBD95FC393F34DD8F3ECD5B143F08495CBF6C8FF1BC5D72D83E4B7D85BD9E7525BEEB3CB6BED3C5E8BD7E0FA2BF42D42E3E146B0D3FF712443DC63075BC3EF2DA3EADE54BBCEC41913F1834DC3EAD2F53BF1F1EB2BC",
      pe_1: "0x40000000A46A573F40510A3F7675CC3D98B87E3F57D6233CB9FC7F3F6D12833AF8FF7F3FB7C7683F3311D5BEF96F4B3EA5E57A3F3ED4A33CE5F27F3F6912033BDEFF7F3FC381103E26707DBF6D4E973EEF90743F20B9F53C83E27F3F939B443BB5FF7F3FCFBD41BF305527BFD761C73EA7CA6B3FDBCB233D94CB7F3F5812833B7AFF7F3F107C75BF2C3C913E4477F53E40A9603FF5B64C3D19AE7F3FDED6A33B2EFF7F3F8C0F8FBEB8CD753F698C103F3249533FD19C753D128A7F3F599BC43BD2FE7F3F4630283FBDFF403F73EB243FB3CC433F323E8F3D815F7F3FC75FE53B65FE7F3F95467D3FF6FD14BEA6A4373F5F5B323F51AAA33D662E7F3F1312033CE7FD7F3F3201D33ED53F69BF1D88483FD5211F3F3F12B83DC2F67E3F3A74133C59FD7F3FF8440BBF64CD56BFA46A573F40510A3F7675CC3D98B87E3F57D6233CB9FC7F3F5CFF7FBF7205913B2A26643FC03DE83E72D3E03DE8737E3F6A38343C09FC7F3FD85C09BFD006583F1D9A6E3FF586B93EAC2BF53DB5287E3F719A443C48FB7F3F",
      fc1_weights.1: "0x400000001FF4E6BD1792853E58D383BF70A88D3DA20A7E3E99F39ABE48FACCBE9E75A23D2278B63E1D6BBEBE55660F3E2D3A3F3EF7AEBF3F118E03BE580DAFBE81F3073F051528BCF268A1BE036B8C3E26544BBF332F873E547AE53EBF5AFF3EECBEDCBDE0CD293F1B7F5EBD7C6403BFF37DB23C48EEF8BE48820F3E8EEA913E87F73D3F",
      fc2_weights.1: "0x40000000484C663EDBF38CBE3200D2BE772E103FEA661EBF47CE64BFBB76013F6C8CFFBE07D3893F7A206D3E77F056BF18B73E3FB450F0BE70DF813F8137BA3EF9974E3E10A2C33EF11CD7BEE458313E8AFAB6BF423A60BF67EBBCBF91A3183DA34E103ED82A473EFE2491BFC9ECB1BEF8B3DA3E510FB43DFF06AA3E85FB15BFCCAC0E3F"
    }
  }
#-}

