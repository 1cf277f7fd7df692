module {
  func.func @main(%arg0: tensor<?x?x6xf32> {hm.dims = ["B", "N", 6], hm.name = "x"}, %arg1: tensor<?x?xf32> {hm.dims = ["B", "N"], hm.name = "mask"}) -> (tensor<?x?x6xf32> {hm.dims = ["B", "N", 6], hm.name = "y"}) {
    %0 = hm.cast %arg1 : tensor<?x?xf32> -> tensor<?x?xf32>
    %1 = hm.reshape %0 {shape = ["B", "N", 1]} : tensor<?x?xf32> -> tensor<?x?x1xf32>
    %2 = hm.mul %arg0, %1 : tensor<?x?x6xf32>, tensor<?x?x1xf32> -> tensor<?x?x6xf32>
    %3 = hm.constant dense_resource<positions> : tensor<12x6xf32>
    %4 = hm.slice_to_dim %3, %arg0 {axis = 0 : i64, reference_axis = 1 : i64} : (tensor<12x6xf32>, tensor<?x?x6xf32>) -> tensor<?x6xf32>
    %5 = hm.add %2, %4 : tensor<?x?x6xf32>, tensor<?x6xf32> -> tensor<?x?x6xf32>
    %6 = hm.constant dense_resource<onnx__MatMul_49> : tensor<6x5xf32>
    %7 = hm.linear %5, %6 : (tensor<?x?x6xf32>, tensor<6x5xf32>) -> tensor<?x?x5xf32>
    %8 = hm.constant dense<[0.367398232, -0.267124921, 0.407070339, -0.172981322, 0.0395310968]> : tensor<5xf32>
    %9 = hm.add %8, %7 : tensor<5xf32>, tensor<?x?x5xf32> -> tensor<?x?x5xf32>
    %10 = hm.constant dense<1.41421354> : tensor<f32>
    %11 = hm.div %9, %10 : tensor<?x?x5xf32>, tensor<f32> -> tensor<?x?x5xf32>
    %12 = hm.erf %11 : tensor<?x?x5xf32>
    %13 = hm.constant dense<1.000000e+00> : tensor<f32>
    %14 = hm.add %12, %13 : tensor<?x?x5xf32>, tensor<f32> -> tensor<?x?x5xf32>
    %15 = hm.mul %9, %14 : tensor<?x?x5xf32>, tensor<?x?x5xf32> -> tensor<?x?x5xf32>
    %16 = hm.constant dense<5.000000e-01> : tensor<f32>
    %17 = hm.mul %15, %16 : tensor<?x?x5xf32>, tensor<f32> -> tensor<?x?x5xf32>
    %18 = hm.constant dense_resource<onnx__MatMul_50> : tensor<5x4xf32>
    %19 = hm.linear %17, %18 : (tensor<?x?x5xf32>, tensor<5x4xf32>) -> tensor<?x?x4xf32>
    %20 = hm.constant dense<[-0.0449121445, -1.530050e-02, 0.247099027, -0.323838621]> : tensor<4xf32>
    %21 = hm.add %20, %19 : tensor<4xf32>, tensor<?x?x4xf32> -> tensor<?x?x4xf32>
    %22 = hm.mul %21, %1 : tensor<?x?x4xf32>, tensor<?x?x1xf32> -> tensor<?x?x4xf32>
    %23 = hm.transpose %22 {perm = array<i64: 0, 2, 1>} : tensor<?x?x4xf32> -> tensor<?x4x?xf32>
    %24 = hm.matmul %23, %2 : tensor<?x4x?xf32>, tensor<?x?x6xf32> -> tensor<?x4x6xf32>
    %25 = hm.constant dense<1.41421354> : tensor<f32>
    %26 = hm.div %24, %25 : tensor<?x4x6xf32>, tensor<f32> -> tensor<?x4x6xf32>
    %27 = hm.erf %26 : tensor<?x4x6xf32>
    %28 = hm.constant dense<1.000000e+00> : tensor<f32>
    %29 = hm.add %27, %28 : tensor<?x4x6xf32>, tensor<f32> -> tensor<?x4x6xf32>
    %30 = hm.mul %24, %29 : tensor<?x4x6xf32>, tensor<?x4x6xf32> -> tensor<?x4x6xf32>
    %31 = hm.constant dense<5.000000e-01> : tensor<f32>
    %32 = hm.mul %30, %31 : tensor<?x4x6xf32>, tensor<f32> -> tensor<?x4x6xf32>
    %33 = hm.matmul %22, %32 : tensor<?x?x4xf32>, tensor<?x4x6xf32> -> tensor<?x?x6xf32>
    %34 = hm.constant dense<[0.582924902, 0.659630656, 1.74399436, 0.176226258, 1.44333863, 1.1512543]> : tensor<6xf32>
    %35 = hm.constant dense<[-0.535051525, 0.368172318, 0.209793866, 0.673171579, -0.0660573542, -0.861505925]> : tensor<6xf32>
    %36 = hm.layer_norm %33 scale %34 bias %35 {epsilon = 9.9999997473787516E-6 : f64} : (tensor<?x?x6xf32>, tensor<6xf32>, tensor<6xf32>) -> tensor<?x?x6xf32>
    return %36 : tensor<?x?x6xf32>
  }
}

{-#
  dialect_resources: {
    builtin: {
      positions: "0x40000000000000000000803F000000000000803F000000000000803FA46A573F40510A3F1D0D3E3D6BB97F3F63310D3BD9FF7F3FB7C7683F3311D5BEB6D8BD3DD1E57E3F4E318D3B64FF7F3FC381103E26707DBF17210E3EA8857D3FBFC9D33BA2FE7F3FCFBD41BF305527BF73073D3EB2997B3FF8300D3C91FD7F3F107C75BF2C3C913E92856B3EFF22793FE57C303C33FC7F3F8C0F8FBEB8CD753FE8C08C3EE922763F9DC8533C86FA7F3F4630283FBDFF403F6A71A33E189B723F1514773C8CF87F3F95467D3FF6FD14BECBC7B93E808D6E3FA02F8D3C44F67F3F3201D33ED53F69BFB9B7CF3E5CFC693F0CD59E3CAEF37F3FF8440BBF64CD56BF1D35E53E30EA643F467AB03CCBF07F3F5CFF7FBF7205913B1B34FA3EC9595F3F4C1FC23C99ED7F3F",
      onnx__MatMul_49: "0x40000000798955BE04A06D3D0B1A093F2E4557BF4CFC943EBDEED63E9F2C5BBE2E3A133E9453673DDA799BBE3AA213BE9CF7CFBDAB293FBF8E6C4F3EB82BEA3D0BAA4D3DD8925BBE0D8866BEEA087DBEEA221C3EDCCB97BD8722973FA492BCBD7A23C13E46829C3F477A1CBF219E78BEB61E5A3ED48FBC3D0DD4D6BD",
      onnx__MatMul_50: "0x40000000ABA4143F11A485BFC232D0BD194E5BBC673D4CBE8998C13E8AF390BFDCD4C33ECDE935BF0BCB6EBD03086FBF055F36BC20A8B0BDCEFD13BE4AD2923E19EC813F76A1433DA3FFA2BEBE5F2F3DBCF4C43E"
    }
  }
#-}

