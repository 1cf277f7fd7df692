module {
  func.func @main(%arg0: tensor<?x?x8xf32> {hm.dims = ["B", "N", 8], hm.name = "x"}, %arg1: tensor<?x?xf32> {hm.dims = ["B", "N"], hm.name = "mask"}) -> (tensor<?x?x8xf32> {hm.dims = ["B", "N", 8], hm.name = "y"}) {
    %0 = hm.reshape %arg1 {shape = ["B", "N", 1]} : tensor<?x?xf32> -> tensor<?x?x1xf32>
    %1 = hm.mul %arg0, %0 : tensor<?x?x8xf32>, tensor<?x?x1xf32> -> tensor<?x?x8xf32>
    %2 = hm.constant dense_resource<pe> : tensor<12x8xf32>
    %3 = hm.slice_to_dim %2, %arg0 {axis = 0 : i64, reference_axis = 1 : i64} : (tensor<12x8xf32>, tensor<?x?x8xf32>) -> tensor<?x8xf32>
    %4 = hm.add %1, %3 : tensor<?x?x8xf32>, tensor<?x8xf32> -> tensor<?x?x8xf32>
    %5 = hm.transpose %4 {perm = array<i64: 0, 2, 1>} : tensor<?x?x8xf32> -> tensor<?x8x?xf32>
    %6 = hm.constant dense_resource<hyper1.0.weight> : tensor<6x4x1xf32>
    %7 = hm.constant dense<[-0.434106261, 0.358220875, 0.163872287, -0.622504592, -0.290733963, -0.64062947]> : tensor<6xf32>
    %8 = hm.conv %5, %6 bias %7 {dilations = array<i64: 1>, groups = 2 : i64, pads = array<i64: 0, 0>, strides = array<i64: 1>} : (tensor<?x8x?xf32>, tensor<6x4x1xf32>, tensor<6xf32>) -> tensor<?x6x?xf32>
    %9 = hm.constant dense<1.41421354> : tensor<f32>
    %10 = hm.div %8, %9 : tensor<?x6x?xf32>, tensor<f32> -> tensor<?x6x?xf32>
    %11 = hm.erf %10 : tensor<?x6x?xf32>
    %12 = hm.constant dense<1.000000e+00> : tensor<f32>
    %13 = hm.add %11, %12 : tensor<?x6x?xf32>, tensor<f32> -> tensor<?x6x?xf32>
    %14 = hm.mul %8, %13 : tensor<?x6x?xf32>, tensor<?x6x?xf32> -> tensor<?x6x?xf32>
    %15 = hm.constant dense<5.000000e-01> : tensor<f32>
    %16 = hm.mul %14, %15 : tensor<?x6x?xf32>, tensor<f32> -> tensor<?x6x?xf32>
    %17 = hm.constant dense_resource<hyper1.2.weight> : tensor<8x3x1xf32>
    %18 = hm.constant dense<[0.162377492, 0.166715741, -0.0981455296, 0.396775752, -0.206844971, -0.161807701, -0.0239767116, -0.312918067]> : tensor<8xf32>
    %19 = hm.conv %16, %17 bias %18 {dilations = array<i64: 1>, groups = 2 : i64, pads = array<i64: 0, 0>, strides = array<i64: 1>} : (tensor<?x6x?xf32>, tensor<8x3x1xf32>, tensor<8xf32>) -> tensor<?x8x?xf32>
    %20 = hm.constant dense_resource<hyper2.0.weight> : tensor<6x4x1xf32>
    %21 = hm.constant dense<[-0.455513984, -0.440413594, 0.039646145, 0.406457365, -0.380913287, -0.33670485]> : tensor<6xf32>
    %22 = hm.conv %5, %20 bias %21 {dilations = array<i64: 1>, groups = 2 : i64, pads = array<i64: 0, 0>, strides = array<i64: 1>} : (tensor<?x8x?xf32>, tensor<6x4x1xf32>, tensor<6xf32>) -> tensor<?x6x?xf32>
    %23 = hm.constant dense<1.41421354> : tensor<f32>
    %24 = hm.div %22, %23 : tensor<?x6x?xf32>, tensor<f32> -> tensor<?x6x?xf32>
    %25 = hm.erf %24 : tensor<?x6x?xf32>
    %26 = hm.constant dense<1.000000e+00> : tensor<f32>
    %27 = hm.add %25, %26 : tensor<?x6x?xf32>, tensor<f32> -> tensor<?x6x?xf32>
    %28 = hm.mul %22, %27 : tensor<?x6x?xf32>, tensor<?x6x?xf32> -> tensor<?x6x?xf32>
    %29 = hm.constant dense<5.000000e-01> : tensor<f32>
    %30 = hm.mul %28, %29 : tensor<?x6x?xf32>, tensor<f32> -> tensor<?x6x?xf32>
    %31 = hm.constant dense_resource<hyper2.2.weight> : tensor<8x3x1xf32>
    %32 = hm.constant dense<[-0.203444675, -0.270551264, -0.51985836, 0.228470489, -0.207484707, 0.031616684, -0.293821365, 0.198762283]> : tensor<8xf32>
    %33 = hm.conv %30, %31 bias %32 {dilations = array<i64: 1>, groups = 2 : i64, pads = array<i64: 0, 0>, strides = array<i64: 1>} : (tensor<?x6x?xf32>, tensor<8x3x1xf32>, tensor<8xf32>) -> tensor<?x8x?xf32>
    %34 = hm.reshape %arg1 {shape = ["B", 1, "N"]} : tensor<?x?xf32> -> tensor<?x1x?xf32>
    %35 = hm.mul %19, %34 : tensor<?x8x?xf32>, tensor<?x1x?xf32> -> tensor<?x8x?xf32>
    %36 = hm.mul %33, %34 : tensor<?x8x?xf32>, tensor<?x1x?xf32> -> tensor<?x8x?xf32>
    %37 = hm.reshape %35 {shape = ["B", 2, 4, "N"]} : tensor<?x8x?xf32> -> tensor<?x2x4x?xf32>
    %38 = hm.reshape %36 {shape = ["B", 2, 4, "N"]} : tensor<?x8x?xf32> -> tensor<?x2x4x?xf32>
    %39 = hm.reshape %1 {shape = ["B", "N", 2, 4]} : tensor<?x?x8xf32> -> tensor<?x?x2x4xf32>
    %40 = hm.transpose %39 {perm = array<i64: 0, 2, 1, 3>} : tensor<?x?x2x4xf32> -> tensor<?x2x?x4xf32>
    %41 = hm.matmul %37, %40 : tensor<?x2x4x?xf32>, tensor<?x2x?x4xf32> -> tensor<?x2x4x4xf32>
    %42 = hm.constant dense<1.41421354> : tensor<f32>
    %43 = hm.div %41, %42 : tensor<?x2x4x4xf32>, tensor<f32> -> tensor<?x2x4x4xf32>
    %44 = hm.erf %43 : tensor<?x2x4x4xf32>
    %45 = hm.constant dense<1.000000e+00> : tensor<f32>
    %46 = hm.add %44, %45 : tensor<?x2x4x4xf32>, tensor<f32> -> tensor<?x2x4x4xf32>
    %47 = hm.mul %41, %46 : tensor<?x2x4x4xf32>, tensor<?x2x4x4xf32> -> tensor<?x2x4x4xf32>
    %48 = hm.constant dense<5.000000e-01> : tensor<f32>
    %49 = hm.mul %47, %48 : tensor<?x2x4x4xf32>, tensor<f32> -> tensor<?x2x4x4xf32>
    %50 = hm.transpose %38 {perm = array<i64: 0, 1, 3, 2>} : tensor<?x2x4x?xf32> -> tensor<?x2x?x4xf32>
    %51 = hm.matmul %50, %49 : tensor<?x2x?x4xf32>, tensor<?x2x4x4xf32> -> tensor<?x2x?x4xf32>
    %52 = hm.transpose %51 {perm = array<i64: 0, 2, 1, 3>} : tensor<?x2x?x4xf32> -> tensor<?x?x2x4xf32>
    %53 = hm.reshape %52 {shape = ["B", "N", 8]} : tensor<?x?x2x4xf32> -> tensor<?x?x8xf32>
    %54 = hm.constant dense<[1.64393759, 0.671205818, 0.785807848, 0.48750639, -0.158375144, 0.75130397, 1.98312783, 1.63723624]> : tensor<8xf32>
    %55 = hm.constant dense<[1.37392962, 0.0455095135, 0.882588148, -0.277504861, 2.815280e-01, -0.137141407, -0.558505535, -0.263954729]> : tensor<8xf32>
    %56 = hm.layer_norm %53 scale %54 bias %55 {epsilon = 9.9999997473787516E-6 : f64} : (tensor<?x?x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
    return %56 : tensor<?x?x8xf32>
  }
}

{-#
  dialect_resources: {
    builtin: {
      pe: "0x40000000000000000000803F000000000000803F000000000000803F000000000000803FA46A573F40510A3F7675CC3D98B87E3F57D6233CB9FC7F3F6D12833AF8FF7F3FB7C7683F3311D5BEF96F4B3EA5E57A3F3ED4A33CE5F27F3F6912033BDEFF7F3FC381103E26707DBF6D4E973EEF90743F20B9F53C83E27F3F939B443BB5FF7F3FCFBD41BF305527BFD761C73EA7CA6B3FDBCB233D94CB7F3F5812833B7AFF7F3F107C75BF2C3C913E4477F53E40A9603FF5B64C3D19AE7F3FDED6A33B2EFF7F3F8C0F8FBEB8CD753F698C103F3249533FD19C753D128A7F3F599BC43BD2FE7F3F4630283FBDFF403F73EB243FB3CC433F323E8F3D815F7F3FC75FE53B65FE7F3F95467D3FF6FD14BEA6A4373F5F5B323F51AAA33D662E7F3F1312033CE7FD7F3F3201D33ED53F69BF1D88483FD5211F3F3F12B83DC2F67E3F3A74133C59FD7F3FF8440BBF64CD56BFA46A573F40510A3F7675CC3D98B87E3F57D6233CB9FC7F3F5CFF7FBF7205913B2A26643FC03DE83E72D3E03DE8737E3F6A38343C09FC7F3F",
      hyper1.0.weight: "0x40000000A1C382BE699E033F49D034BEDFE27B3D6AE9B9BD2CA53FBFDA83913D603786BE9273183DF9B7BCBD11C9CB3E6190F53E033DC73E8011773E29206ABFCE2B8DBE9DA4743FE286183E6741B4BE37217F3EE6EFC7BC939E293FA58BEC3EADF0E63D",
      hyper1.2.weight: "0x40000000F4189C3E357D043FD26D133F31E5FEBD073C5B3D2324673EC9E53F3F16D683BE7530073F424E073FE48E7C3D9787ACBF61EEF93EEC239ABD5D0E3FBE276ED2BE86FA87BE0F58C0BD464B9ABFB18BBD3E2768623D928F8DBC3FD1FC3EAF706BBC",
      hyper2.0.weight: "0x400000000071233E2C70F33EE20E6ABEDADE08BF10A2C33EF11CD7BEE458313E8AFAB6BF841F3FBE0AFAA03ED8DB2E3F2162BFBEAAEC8F3E17FE89BE163946BE371C2BBE9BA2083D7C6719BF50EF00BDE8A834BEFE95DA3EB13BD33EAECC0ABEE2561CBE",
      hyper2.2.weight: "0x4000000096B3773FAE9F573E4AF0ABBD03874ABF1522923DC86E30BF8DDA8CBCB29DC8BD11A7CFBE4B64D5BE876630BF9940F5BEE9BDFEBEDAABCF3C2D1623BEEBBD803EB251DFBEB069163EF4E29E3D3B4283BE0984FFBE691E223F04A1763E14CB813E"
    }
  }
#-}

