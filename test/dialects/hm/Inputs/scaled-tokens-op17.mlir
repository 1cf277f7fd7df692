module {
  func.func @main(%arg0: tensor<?x?x6xf32> {hm.dims = ["B", "N", 6], hm.name = "x"}, %arg1: tensor<?x?xf32> {hm.dims = ["B", "N"], hm.name = "mask"}) -> (tensor<?x?x6xf32> {hm.dims = ["B", "N", 6], hm.name = "y"}) {
    %0 = hm.cast %arg1 : tensor<?x?xf32> -> tensor<?x?xf32>
    %1 = hm.reshape %0 {shape = ["B", "N", 1]} : tensor<?x?xf32> -> tensor<?x?x1xf32>
    %2 = hm.mul %arg0, %1 : tensor<?x?x6xf32>, tensor<?x?x1xf32> -> tensor<?x?x6xf32>
    %3 = hm.constant dense_resource<positions> : tensor<12x6xf32>
    %4 = hm.slice_to_dim %3, %arg0 {axis = 0 : i64, reference_axis = 1 : i64} : (tensor<12x6xf32>, tensor<?x?x6xf32>) -> tensor<?x6xf32>
    %5 = hm.constant dense<2.44948983> : tensor<f32>
    %6 = hm.mul %2, %5 : tensor<?x?x6xf32>, tensor<f32> -> tensor<?x?x6xf32>
    %7 = hm.add %6, %4 : tensor<?x?x6xf32>, tensor<?x6xf32> -> tensor<?x?x6xf32>
    %8 = hm.constant dense_resource<onnx__MatMul_76> : tensor<6x5xf32>
    %9 = hm.linear %7, %8 : (tensor<?x?x6xf32>, tensor<6x5xf32>) -> tensor<?x?x5xf32>
    %10 = hm.constant dense<[0.367398232, -0.267124921, 0.407070339, -0.172981322, 0.0395310968]> : tensor<5xf32>
    %11 = hm.add %10, %9 : tensor<5xf32>, tensor<?x?x5xf32> -> tensor<?x?x5xf32>
    %12 = hm.constant dense<1.41421354> : tensor<f32>
    %13 = hm.div %11, %12 : tensor<?x?x5xf32>, tensor<f32> -> tensor<?x?x5xf32>
    %14 = hm.erf %13 : tensor<?x?x5xf32>
    %15 = hm.constant dense<1.000000e+00> : tensor<f32>
    %16 = hm.add %14, %15 : tensor<?x?x5xf32>, tensor<f32> -> tensor<?x?x5xf32>
    %17 = hm.mul %11, %16 : tensor<?x?x5xf32>, tensor<?x?x5xf32> -> tensor<?x?x5xf32>
    %18 = hm.constant dense<5.000000e-01> : tensor<f32>
    %19 = hm.mul %17, %18 : tensor<?x?x5xf32>, tensor<f32> -> tensor<?x?x5xf32>
    %20 = hm.constant dense_resource<onnx__MatMul_77> : tensor<5x4xf32>
    %21 = hm.linear %19, %20 : (tensor<?x?x5xf32>, tensor<5x4xf32>) -> tensor<?x?x4xf32>
    %22 = hm.constant dense<[-0.0449121445, -1.530050e-02, 0.247099027, -0.323838621]> : tensor<4xf32>
    %23 = hm.add %22, %21 : tensor<4xf32>, tensor<?x?x4xf32> -> tensor<?x?x4xf32>
    %24 = hm.constant dense_resource<onnx__MatMul_78> : tensor<6x5xf32>
    %25 = hm.linear %7, %24 : (tensor<?x?x6xf32>, tensor<6x5xf32>) -> tensor<?x?x5xf32>
    %26 = hm.constant dense<[-0.250245064, -0.455513984, -0.440413594, 0.039646145, 0.406457365]> : tensor<5xf32>
    %27 = hm.add %26, %25 : tensor<5xf32>, tensor<?x?x5xf32> -> tensor<?x?x5xf32>
    %28 = hm.constant dense<1.41421354> : tensor<f32>
    %29 = hm.div %27, %28 : tensor<?x?x5xf32>, tensor<f32> -> tensor<?x?x5xf32>
    %30 = hm.erf %29 : tensor<?x?x5xf32>
    %31 = hm.constant dense<1.000000e+00> : tensor<f32>
    %32 = hm.add %30, %31 : tensor<?x?x5xf32>, tensor<f32> -> tensor<?x?x5xf32>
    %33 = hm.mul %27, %32 : tensor<?x?x5xf32>, tensor<?x?x5xf32> -> tensor<?x?x5xf32>
    %34 = hm.constant dense<5.000000e-01> : tensor<f32>
    %35 = hm.mul %33, %34 : tensor<?x?x5xf32>, tensor<f32> -> tensor<?x?x5xf32>
    %36 = hm.constant dense_resource<onnx__MatMul_79> : tensor<5x4xf32>
    %37 = hm.linear %35, %36 : (tensor<?x?x5xf32>, tensor<5x4xf32>) -> tensor<?x?x4xf32>
    %38 = hm.constant dense<[0.567109704, 0.169655129, 0.495129317, 0.00600948418]> : tensor<4xf32>
    %39 = hm.add %38, %37 : tensor<4xf32>, tensor<?x?x4xf32> -> tensor<?x?x4xf32>
    %40 = hm.cast %0 : tensor<?x?xf32> -> tensor<?x?xf32>
    %41 = hm.reshape %40 {shape = ["B", "N", 1]} : tensor<?x?xf32> -> tensor<?x?x1xf32>
    %42 = hm.mul %23, %41 : tensor<?x?x4xf32>, tensor<?x?x1xf32> -> tensor<?x?x4xf32>
    %43 = hm.cast %40 : tensor<?x?xf32> -> tensor<?x?xf32>
    %44 = hm.reshape %43 {shape = ["B", "N", 1]} : tensor<?x?xf32> -> tensor<?x?x1xf32>
    %45 = hm.mul %39, %44 : tensor<?x?x4xf32>, tensor<?x?x1xf32> -> tensor<?x?x4xf32>
    %46 = hm.transpose %42 {perm = array<i64: 0, 2, 1>} : tensor<?x?x4xf32> -> tensor<?x4x?xf32>
    %47 = hm.matmul %46, %2 : tensor<?x4x?xf32>, tensor<?x?x6xf32> -> tensor<?x4x6xf32>
    %48 = hm.constant dense<1.41421354> : tensor<f32>
    %49 = hm.div %47, %48 : tensor<?x4x6xf32>, tensor<f32> -> tensor<?x4x6xf32>
    %50 = hm.erf %49 : tensor<?x4x6xf32>
    %51 = hm.constant dense<1.000000e+00> : tensor<f32>
    %52 = hm.add %50, %51 : tensor<?x4x6xf32>, tensor<f32> -> tensor<?x4x6xf32>
    %53 = hm.mul %47, %52 : tensor<?x4x6xf32>, tensor<?x4x6xf32> -> tensor<?x4x6xf32>
    %54 = hm.constant dense<5.000000e-01> : tensor<f32>
    %55 = hm.mul %53, %54 : tensor<?x4x6xf32>, tensor<f32> -> tensor<?x4x6xf32>
    %56 = hm.matmul %45, %55 : tensor<?x?x4xf32>, tensor<?x4x6xf32> -> tensor<?x?x6xf32>
    %57 = hm.constant dense<[0.660925567, 0.549081206, 0.133569479, 1.38078415, 0.654192209, 1.05269444]> : tensor<6xf32>
    %58 = hm.constant dense<[-0.489702255, 0.331270456, 0.643937587, -0.328794181, -0.214192182, -0.51249361]> : tensor<6xf32>
    %59 = hm.layer_norm %56 scale %57 bias %58 {epsilon = 9.9999997473787516E-6 : f64} : (tensor<?x?x6xf32>, tensor<6xf32>, tensor<6xf32>) -> tensor<?x?x6xf32>
    return %59 : tensor<?x?x6xf32>
  }
}

{-#
  dialect_resources: {
    builtin: {
      positions: "0x40000000000000000000803F000000000000803F000000000000803FA46A573F40510A3F1D0D3E3D6BB97F3F63310D3BD9FF7F3FB7C7683F3311D5BEB6D8BD3DD1E57E3F4E318D3B64FF7F3FC381103E26707DBF17210E3EA8857D3FBFC9D33BA2FE7F3FCFBD41BF305527BF73073D3EB2997B3FF8300D3C91FD7F3F107C75BF2C3C913E92856B3EFF22793FE57C303C33FC7F3F8C0F8FBEB8CD753FE8C08C3EE922763F9DC8533C86FA7F3F4630283FBDFF403F6A71A33E189B723F1514773C8CF87F3F95467D3FF6FD14BECBC7B93E808D6E3FA02F8D3C44F67F3F3201D33ED53F69BFB9B7CF3E5CFC693F0CD59E3CAEF37F3FF8440BBF64CD56BF1D35E53E30EA643F467AB03CCBF07F3F5CFF7FBF7205913B1B34FA3EC9595F3F4C1FC23C99ED7F3F",
      onnx__MatMul_76: "0x40000000798955BE04A06D3D0B1A093F2E4557BF4CFC943EBDEED63E9F2C5BBE2E3A133E9453673DDA799BBE3AA213BE9CF7CFBDAB293FBF8E6C4F3EB82BEA3D0BAA4D3DD8925BBE0D8866BEEA087DBEEA221C3EDCCB97BD8722973FA492BCBD7A23C13E46829C3F477A1CBF219E78BEB61E5A3ED48FBC3D0DD4D6BD",
      onnx__MatMul_77: "0x40000000ABA4143F11A485BFC232D0BD194E5BBC673D4CBE8998C13E8AF390BFDCD4C33ECDE935BF0BCB6EBD03086FBF055F36BC20A8B0BDCEFD13BE4AD2923E19EC813F76A1433DA3FFA2BEBE5F2F3DBCF4C43E",
      onnx__MatMul_78: "0x40000000DA69D33E0873053E5DF01C3F15076B3EB78CD2BC8DA7D0BE35C4C63E70F989BC435761BE138213BE8555CFBD9E0B983E260D1CBE30D921BE8279B23E8CB1C33ED9AE283EDB6F833EFEB50BBE9E78AC3EACCB22BDCECC883E86C50E3FD21FDF3C9FA8E2BDB2156B3E9B4109BE8A439CBE1082FABE174DFFBD",
      onnx__MatMul_79: "0x4000000095597DBF6FE4F0BBBCB45D3E3C1CDF3E9E2632BF75A834BE7068F53E0FEA1BBE951F623EB94AB3BED9B8163FBC50C43EEEAB1ABEB9E873BF6FC3983E09E1493E9C6776BF89C99FBFAC387CBCA9596D3F"
    }
  }
#-}

