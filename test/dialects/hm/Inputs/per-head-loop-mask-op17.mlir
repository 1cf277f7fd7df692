module {
  func.func @main(%arg0: tensor<?x?x8xf32> {hm.dims = ["B", "N", 8], hm.name = "x"}, %arg1: tensor<?x?xf32> {hm.dims = ["B", "N"], hm.name = "mask"}) -> (tensor<?x?x8xf32> {hm.dims = ["B", "N", 8], hm.name = "y"}) {
    %0 = hm.reshape %arg1 {shape = ["B", "N", 1]} : tensor<?x?xf32> -> tensor<?x?x1xf32>
    %1 = hm.mul %arg0, %0 : tensor<?x?x8xf32>, tensor<?x?x1xf32> -> tensor<?x?x8xf32>
    %2 = hm.constant dense_resource<pe> : tensor<1x12x8xf32>
    %3 = hm.slice_to_dim %2, %arg0 {axis = 1 : i64, reference_axis = 1 : i64} : (tensor<1x12x8xf32>, tensor<?x?x8xf32>) -> tensor<1x?x8xf32>
    %4 = hm.add %1, %3 : tensor<?x?x8xf32>, tensor<1x?x8xf32> -> tensor<?x?x8xf32>
    %5 = hm.slice %4 {axes = array<i64: 2>, ends = array<i64: 4>, starts = array<i64: 0>, steps = array<i64: 1>} : tensor<?x?x8xf32> -> tensor<?x?x4xf32>
    %6 = hm.constant dense<[[-0.25539878, -0.0907772332, -0.124368556, 0.655916572], [0.514135897, -0.748614073, -0.26261881, 0.176089689], [-0.176575795, 0.0710522681, 1.44610679, -0.657562137], [0.061495658, -0.262141228, -0.297356695, -0.00399610261]]> : tensor<4x4xf32>
    %7 = hm.linear %5, %6 : (tensor<?x?x4xf32>, tensor<4x4xf32>) -> tensor<?x?x4xf32>
    %8 = hm.constant dense<[0.135125339, -0.287050039, 0.450356394, -9.407210e-02]> : tensor<4xf32>
    %9 = hm.add %8, %7 : tensor<4xf32>, tensor<?x?x4xf32> -> tensor<?x?x4xf32>
    %10 = hm.constant dense<1.41421354> : tensor<f32>
    %11 = hm.div %9, %10 : tensor<?x?x4xf32>, tensor<f32> -> tensor<?x?x4xf32>
    %12 = hm.erf %11 : tensor<?x?x4xf32>
    %13 = hm.constant dense<1.000000e+00> : tensor<f32>
    %14 = hm.add %12, %13 : tensor<?x?x4xf32>, tensor<f32> -> tensor<?x?x4xf32>
    %15 = hm.mul %9, %14 : tensor<?x?x4xf32>, tensor<?x?x4xf32> -> tensor<?x?x4xf32>
    %16 = hm.constant dense<5.000000e-01> : tensor<f32>
    %17 = hm.mul %15, %16 : tensor<?x?x4xf32>, tensor<f32> -> tensor<?x?x4xf32>
    %18 = hm.constant dense<[[0.0372195914, 0.389137357, 0.955636799, -0.0244063847], [-0.0921477749, 0.241277695, 0.148952037, 0.6625759], [0.39801839, -0.914553225, -0.35206148, 0.462002903], [0.479617149, -0.275724828, 0.249150142, 0.11276374]]> : tensor<4x4xf32>
    %19 = hm.linear %17, %18 : (tensor<?x?x4xf32>, tensor<4x4xf32>) -> tensor<?x?x4xf32>
    %20 = hm.constant dense<[-0.434106261, 0.358220875, 0.163872287, -0.622504592]> : tensor<4xf32>
    %21 = hm.add %20, %19 : tensor<4xf32>, tensor<?x?x4xf32> -> tensor<?x?x4xf32>
    %22 = hm.constant dense<[[0.224900365, -0.618757844, 1.07675254, -0.469365716], [-0.27529797, -0.893772542, 0.231569201, 1.01463127], [-0.41015774, 0.505717933, -0.839606702, 0.363704711], [5.632090e-01, -0.499118209, 0.744981288, 0.201751605]]> : tensor<4x4xf32>
    %23 = hm.linear %5, %22 : (tensor<?x?x4xf32>, tensor<4x4xf32>) -> tensor<?x?x4xf32>
    %24 = hm.constant dense<[-0.120750219, 0.0300759692, -0.276341975, 0.820301294]> : tensor<4xf32>
    %25 = hm.add %24, %23 : tensor<4xf32>, tensor<?x?x4xf32> -> tensor<?x?x4xf32>
    %26 = hm.constant dense<1.41421354> : tensor<f32>
    %27 = hm.div %25, %26 : tensor<?x?x4xf32>, tensor<f32> -> tensor<?x?x4xf32>
    %28 = hm.erf %27 : tensor<?x?x4xf32>
    %29 = hm.constant dense<1.000000e+00> : tensor<f32>
    %30 = hm.add %28, %29 : tensor<?x?x4xf32>, tensor<f32> -> tensor<?x?x4xf32>
    %31 = hm.mul %25, %30 : tensor<?x?x4xf32>, tensor<?x?x4xf32> -> tensor<?x?x4xf32>
    %32 = hm.constant dense<5.000000e-01> : tensor<f32>
    %33 = hm.mul %31, %32 : tensor<?x?x4xf32>, tensor<f32> -> tensor<?x?x4xf32>
    %34 = hm.constant dense<[[-0.195960119, 0.521451652, 0.0233828742, 0.242873937], [-0.639087319, -4.526270e-01, -0.427643925, -0.328122616], [-0.233197883, -0.659541249, -0.90170753, -0.528007686], [0.502535343, -0.0843330622, -0.223229587, 0.333343357]]> : tensor<4x4xf32>
    %35 = hm.linear %33, %34 : (tensor<?x?x4xf32>, tensor<4x4xf32>) -> tensor<?x?x4xf32>
    %36 = hm.constant dense<[-0.0219753198, 0.579304695, 0.11095985, -0.705862284]> : tensor<4xf32>
    %37 = hm.add %36, %35 : tensor<4xf32>, tensor<?x?x4xf32> -> tensor<?x?x4xf32>
    %38 = hm.mul %21, %0 : tensor<?x?x4xf32>, tensor<?x?x1xf32> -> tensor<?x?x4xf32>
    %39 = hm.mul %37, %0 : tensor<?x?x4xf32>, tensor<?x?x1xf32> -> tensor<?x?x4xf32>
    %40 = hm.transpose %38 {perm = array<i64: 0, 2, 1>} : tensor<?x?x4xf32> -> tensor<?x4x?xf32>
    %41 = hm.slice %1 {axes = array<i64: 2>, ends = array<i64: 4>, starts = array<i64: 0>, steps = array<i64: 1>} : tensor<?x?x8xf32> -> tensor<?x?x4xf32>
    %42 = hm.matmul %40, %41 : tensor<?x4x?xf32>, tensor<?x?x4xf32> -> tensor<?x4x4xf32>
    %43 = hm.constant dense<1.41421354> : tensor<f32>
    %44 = hm.div %42, %43 : tensor<?x4x4xf32>, tensor<f32> -> tensor<?x4x4xf32>
    %45 = hm.erf %44 : tensor<?x4x4xf32>
    %46 = hm.constant dense<1.000000e+00> : tensor<f32>
    %47 = hm.add %45, %46 : tensor<?x4x4xf32>, tensor<f32> -> tensor<?x4x4xf32>
    %48 = hm.mul %42, %47 : tensor<?x4x4xf32>, tensor<?x4x4xf32> -> tensor<?x4x4xf32>
    %49 = hm.constant dense<5.000000e-01> : tensor<f32>
    %50 = hm.mul %48, %49 : tensor<?x4x4xf32>, tensor<f32> -> tensor<?x4x4xf32>
    %51 = hm.matmul %39, %50 : tensor<?x?x4xf32>, tensor<?x4x4xf32> -> tensor<?x?x4xf32>
    %52 = hm.slice %4 {axes = array<i64: 2>, ends = array<i64: 8>, starts = array<i64: 4>, steps = array<i64: 1>} : tensor<?x?x8xf32> -> tensor<?x?x4xf32>
    %53 = hm.constant dense<[[-0.0102589177, 0.264031976, 0.663297653, -0.486192942], [-0.315253794, 0.448198915, -0.054320436, 0.140145421], [0.274253935, 0.498739213, -5.132520e-01, 0.284992635], [-0.794252753, -0.10778603, 0.0217885729, 0.742058217]]> : tensor<4x4xf32>
    %54 = hm.linear %52, %53 : (tensor<?x?x4xf32>, tensor<4x4xf32>) -> tensor<?x?x4xf32>
    %55 = hm.constant dense<[0.0395473242, 0.0582834743, -0.101698019, 0.497821838]> : tensor<4xf32>
    %56 = hm.add %55, %54 : tensor<4xf32>, tensor<?x?x4xf32> -> tensor<?x?x4xf32>
    %57 = hm.constant dense<1.41421354> : tensor<f32>
    %58 = hm.div %56, %57 : tensor<?x?x4xf32>, tensor<f32> -> tensor<?x?x4xf32>
    %59 = hm.erf %58 : tensor<?x?x4xf32>
    %60 = hm.constant dense<1.000000e+00> : tensor<f32>
    %61 = hm.add %59, %60 : tensor<?x?x4xf32>, tensor<f32> -> tensor<?x?x4xf32>
    %62 = hm.mul %56, %61 : tensor<?x?x4xf32>, tensor<?x?x4xf32> -> tensor<?x?x4xf32>
    %63 = hm.constant dense<5.000000e-01> : tensor<f32>
    %64 = hm.mul %62, %63 : tensor<?x?x4xf32>, tensor<f32> -> tensor<?x?x4xf32>
    %65 = hm.constant dense<[[-0.220646515, 0.457333416, 0.62859565, -0.230001807], [0.895955681, 0.457727224, 0.0501826443, -0.0813353359], [-0.340041101, 0.0533988737, 0.524058163, -1.04392624], [0.0542888306, -1.16730511, 0.330205053, 0.320608139]]> : tensor<4x4xf32>
    %66 = hm.linear %64, %65 : (tensor<?x?x4xf32>, tensor<4x4xf32>) -> tensor<?x?x4xf32>
    %67 = hm.constant dense<[0.206482902, 0.261291206, 0.162377492, 0.166715741]> : tensor<4xf32>
    %68 = hm.add %67, %66 : tensor<4xf32>, tensor<?x?x4xf32> -> tensor<?x?x4xf32>
    %69 = hm.constant dense<[[1.654790e-01, 0.626844287, 0.241256773, -0.195427954], [-0.287484348, -0.0666710585, 0.355953217, -4.218400e-01], [0.206313714, -0.675645887, 0.64196676, 0.12773025], [-0.189343184, -1.15831816, 0.667149364, 0.122797206]]> : tensor<4x4xf32>
    %70 = hm.linear %52, %69 : (tensor<?x?x4xf32>, tensor<4x4xf32>) -> tensor<?x?x4xf32>
    %71 = hm.constant dense<[-0.00188715651, 0.386571348, -0.276246458, 0.150272533]> : tensor<4xf32>
    %72 = hm.add %71, %70 : tensor<4xf32>, tensor<?x?x4xf32> -> tensor<?x?x4xf32>
    %73 = hm.constant dense<1.41421354> : tensor<f32>
    %74 = hm.div %72, %73 : tensor<?x?x4xf32>, tensor<f32> -> tensor<?x?x4xf32>
    %75 = hm.erf %74 : tensor<?x?x4xf32>
    %76 = hm.constant dense<1.000000e+00> : tensor<f32>
    %77 = hm.add %75, %76 : tensor<?x?x4xf32>, tensor<f32> -> tensor<?x?x4xf32>
    %78 = hm.mul %72, %77 : tensor<?x?x4xf32>, tensor<?x?x4xf32> -> tensor<?x?x4xf32>
    %79 = hm.constant dense<5.000000e-01> : tensor<f32>
    %80 = hm.mul %78, %79 : tensor<?x?x4xf32>, tensor<f32> -> tensor<?x?x4xf32>
    %81 = hm.constant dense<[[0.233361021, 0.296675861, -0.0622257627, -0.208648309], [0.274873227, 0.626318752, 0.839467108, -0.0555306375], [0.354034156, 0.135403737, 0.181542441, 0.361363649], [-0.611909329, 0.728467226, -0.166090935, -0.318792671]]> : tensor<4x4xf32>
    %82 = hm.linear %80, %81 : (tensor<?x?x4xf32>, tensor<4x4xf32>) -> tensor<?x?x4xf32>
    %83 = hm.constant dense<[-0.0458289944, 0.137991399, 0.212657452, 0.680099785]> : tensor<4xf32>
    %84 = hm.add %83, %82 : tensor<4xf32>, tensor<?x?x4xf32> -> tensor<?x?x4xf32>
    %85 = hm.mul %68, %0 : tensor<?x?x4xf32>, tensor<?x?x1xf32> -> tensor<?x?x4xf32>
    %86 = hm.mul %84, %0 : tensor<?x?x4xf32>, tensor<?x?x1xf32> -> tensor<?x?x4xf32>
    %87 = hm.transpose %85 {perm = array<i64: 0, 2, 1>} : tensor<?x?x4xf32> -> tensor<?x4x?xf32>
    %88 = hm.slice %1 {axes = array<i64: 2>, ends = array<i64: 8>, starts = array<i64: 4>, steps = array<i64: 1>} : tensor<?x?x8xf32> -> tensor<?x?x4xf32>
    %89 = hm.matmul %87, %88 : tensor<?x4x?xf32>, tensor<?x?x4xf32> -> tensor<?x4x4xf32>
    %90 = hm.constant dense<1.41421354> : tensor<f32>
    %91 = hm.div %89, %90 : tensor<?x4x4xf32>, tensor<f32> -> tensor<?x4x4xf32>
    %92 = hm.erf %91 : tensor<?x4x4xf32>
    %93 = hm.constant dense<1.000000e+00> : tensor<f32>
    %94 = hm.add %92, %93 : tensor<?x4x4xf32>, tensor<f32> -> tensor<?x4x4xf32>
    %95 = hm.mul %89, %94 : tensor<?x4x4xf32>, tensor<?x4x4xf32> -> tensor<?x4x4xf32>
    %96 = hm.constant dense<5.000000e-01> : tensor<f32>
    %97 = hm.mul %95, %96 : tensor<?x4x4xf32>, tensor<f32> -> tensor<?x4x4xf32>
    %98 = hm.matmul %86, %97 : tensor<?x?x4xf32>, tensor<?x4x4xf32> -> tensor<?x?x4xf32>
    %99 = hm.concat %51, %98 {axis = 2 : i64} : (tensor<?x?x4xf32>, tensor<?x?x4xf32>) -> tensor<?x?x8xf32>
    %100 = hm.constant dense<[1.9451828, 1.28275847, 1.82521558, 1.01001585, 0.660925567, 0.549081206, 0.133569479, 1.38078415]> : tensor<8xf32>
    %101 = hm.constant dense<[-0.345807821, 0.0526944697, -0.489702255, 0.331270456, 0.643937587, -0.328794181, -0.214192182, -0.51249361]> : tensor<8xf32>
    %102 = hm.layer_norm %99 scale %100 bias %101 {epsilon = 9.9999997473787516E-6 : f64} : (tensor<?x?x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
    return %102 : tensor<?x?x8xf32>
  }
}

{-#
  dialect_resources: {
    builtin: {
      pe: "0x40000000000000000000803F000000000000803F000000000000803F000000000000803FA46A573F40510A3F7675CC3D98B87E3F57D6233CB9FC7F3F6D12833AF8FF7F3FB7C7683F3311D5BEF96F4B3EA5E57A3F3ED4A33CE5F27F3F6912033BDEFF7F3FC381103E26707DBF6D4E973EEF90743F20B9F53C83E27F3F939B443BB5FF7F3FCFBD41BF305527BFD761C73EA7CA6B3FDBCB233D94CB7F3F5812833B7AFF7F3F107C75BF2C3C913E4477F53E40A9603FF5B64C3D19AE7F3FDED6A33B2EFF7F3F8C0F8FBEB8CD753F698C103F3249533FD19C753D128A7F3F599BC43BD2FE7F3F4630283FBDFF403F73EB243FB3CC433F323E8F3D815F7F3FC75FE53B65FE7F3F95467D3FF6FD14BEA6A4373F5F5B323F51AAA33D662E7F3F1312033CE7FD7F3F3201D33ED53F69BF1D88483FD5211F3F3F12B83DC2F67E3F3A74133C59FD7F3FF8440BBF64CD56BFA46A573F40510A3F7675CC3D98B87E3F57D6233CB9FC7F3F5CFF7FBF7205913B2A26643FC03DE83E72D3E03DE8737E3F6A38343C09FC7F3F"
    }
  }
#-}

