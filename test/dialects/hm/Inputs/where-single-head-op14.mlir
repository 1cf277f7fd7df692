module {
  func.func @main(%arg0: tensor<?x?x6xf32> {hm.dims = ["B", "N", 6], hm.name = "x"}, %arg1: tensor<?x?xf32> {hm.dims = ["B", "N"], hm.name = "mask"}) -> (tensor<?x?x6xf32> {hm.dims = ["B", "N", 6], hm.name = "y"}) {
    %0 = hm.constant dense<0.000000e+00> : tensor<f32>
    %1 = hm.less %0, %arg1 : tensor<f32>, tensor<?x?xf32> -> tensor<?x?xi1>
    %2 = hm.reshape %1 {shape = ["B", "N", 1]} : tensor<?x?xi1> -> tensor<?x?x1xi1>
    %3 = hm.constant dense<0.000000e+00> : tensor<1x1x6xf32>
    %4 = hm.iota %arg0 {reference_axis = 0 : i64} : (tensor<?x?x6xf32>) -> tensor<?xf32>
    %5 = hm.constant dense<0.000000e+00> : tensor<f32>
    %6 = hm.mul %4, %5 : tensor<?xf32>, tensor<f32> -> tensor<?xf32>
    %7 = hm.reshape %6 {shape = ["B", 1, 1]} : tensor<?xf32> -> tensor<?x1x1xf32>
    %8 = hm.add %3, %7 : tensor<1x1x6xf32>, tensor<?x1x1xf32> -> tensor<?x1x6xf32>
    %9 = hm.iota %arg0 {reference_axis = 1 : i64} : (tensor<?x?x6xf32>) -> tensor<?xf32>
    %10 = hm.constant dense<0.000000e+00> : tensor<f32>
    %11 = hm.mul %9, %10 : tensor<?xf32>, tensor<f32> -> tensor<?xf32>
    %12 = hm.reshape %11 {shape = [1, "N", 1]} : tensor<?xf32> -> tensor<1x?x1xf32>
    %13 = hm.add %8, %12 : tensor<?x1x6xf32>, tensor<1x?x1xf32> -> tensor<?x?x6xf32>
    %14 = hm.where %2, %arg0, %13 : (tensor<?x?x1xi1>, tensor<?x?x6xf32>, tensor<?x?x6xf32>) -> tensor<?x?x6xf32>
    %15 = hm.constant dense_resource<positions> : tensor<12x6xf32>
    %16 = hm.slice_to_dim %15, %arg0 {axis = 0 : i64, reference_axis = 1 : i64} : (tensor<12x6xf32>, tensor<?x?x6xf32>) -> tensor<?x6xf32>
    %17 = hm.add %14, %16 : tensor<?x?x6xf32>, tensor<?x6xf32> -> tensor<?x?x6xf32>
    %18 = hm.constant dense_resource<onnx__MatMul_85> : tensor<6x5xf32>
    %19 = hm.linear %17, %18 : (tensor<?x?x6xf32>, tensor<6x5xf32>) -> tensor<?x?x5xf32>
    %20 = hm.constant dense<[0.367398232, -0.267124921, 0.407070339, -0.172981322, 0.0395310968]> : tensor<5xf32>
    %21 = hm.add %20, %19 : tensor<5xf32>, tensor<?x?x5xf32> -> tensor<?x?x5xf32>
    %22 = hm.constant dense<1.41421354> : tensor<f32>
    %23 = hm.div %21, %22 : tensor<?x?x5xf32>, tensor<f32> -> tensor<?x?x5xf32>
    %24 = hm.erf %23 : tensor<?x?x5xf32>
    %25 = hm.constant dense<1.000000e+00> : tensor<f32>
    %26 = hm.add %24, %25 : tensor<?x?x5xf32>, tensor<f32> -> tensor<?x?x5xf32>
    %27 = hm.mul %21, %26 : tensor<?x?x5xf32>, tensor<?x?x5xf32> -> tensor<?x?x5xf32>
    %28 = hm.constant dense<5.000000e-01> : tensor<f32>
    %29 = hm.mul %27, %28 : tensor<?x?x5xf32>, tensor<f32> -> tensor<?x?x5xf32>
    %30 = hm.constant dense_resource<onnx__MatMul_86> : tensor<5x4xf32>
    %31 = hm.linear %29, %30 : (tensor<?x?x5xf32>, tensor<5x4xf32>) -> tensor<?x?x4xf32>
    %32 = hm.constant dense<[-0.0449121445, -1.530050e-02, 0.247099027, -0.323838621]> : tensor<4xf32>
    %33 = hm.add %32, %31 : tensor<4xf32>, tensor<?x?x4xf32> -> tensor<?x?x4xf32>
    %34 = hm.constant dense_resource<onnx__MatMul_87> : tensor<6x5xf32>
    %35 = hm.linear %17, %34 : (tensor<?x?x6xf32>, tensor<6x5xf32>) -> tensor<?x?x5xf32>
    %36 = hm.constant dense<[-0.250245064, -0.455513984, -0.440413594, 0.039646145, 0.406457365]> : tensor<5xf32>
    %37 = hm.add %36, %35 : tensor<5xf32>, tensor<?x?x5xf32> -> tensor<?x?x5xf32>
    %38 = hm.constant dense<1.41421354> : tensor<f32>
    %39 = hm.div %37, %38 : tensor<?x?x5xf32>, tensor<f32> -> tensor<?x?x5xf32>
    %40 = hm.erf %39 : tensor<?x?x5xf32>
    %41 = hm.constant dense<1.000000e+00> : tensor<f32>
    %42 = hm.add %40, %41 : tensor<?x?x5xf32>, tensor<f32> -> tensor<?x?x5xf32>
    %43 = hm.mul %37, %42 : tensor<?x?x5xf32>, tensor<?x?x5xf32> -> tensor<?x?x5xf32>
    %44 = hm.constant dense<5.000000e-01> : tensor<f32>
    %45 = hm.mul %43, %44 : tensor<?x?x5xf32>, tensor<f32> -> tensor<?x?x5xf32>
    %46 = hm.constant dense_resource<onnx__MatMul_88> : tensor<5x4xf32>
    %47 = hm.linear %45, %46 : (tensor<?x?x5xf32>, tensor<5x4xf32>) -> tensor<?x?x4xf32>
    %48 = hm.constant dense<[0.567109704, 0.169655129, 0.495129317, 0.00600948418]> : tensor<4xf32>
    %49 = hm.add %48, %47 : tensor<4xf32>, tensor<?x?x4xf32> -> tensor<?x?x4xf32>
    %50 = hm.constant dense<0.000000e+00> : tensor<1x1x4xf32>
    %51 = hm.iota %arg0 {reference_axis = 0 : i64} : (tensor<?x?x6xf32>) -> tensor<?xf32>
    %52 = hm.constant dense<0.000000e+00> : tensor<f32>
    %53 = hm.mul %51, %52 : tensor<?xf32>, tensor<f32> -> tensor<?xf32>
    %54 = hm.reshape %53 {shape = ["B", 1, 1]} : tensor<?xf32> -> tensor<?x1x1xf32>
    %55 = hm.add %50, %54 : tensor<1x1x4xf32>, tensor<?x1x1xf32> -> tensor<?x1x4xf32>
    %56 = hm.iota %arg0 {reference_axis = 1 : i64} : (tensor<?x?x6xf32>) -> tensor<?xf32>
    %57 = hm.constant dense<0.000000e+00> : tensor<f32>
    %58 = hm.mul %56, %57 : tensor<?xf32>, tensor<f32> -> tensor<?xf32>
    %59 = hm.reshape %58 {shape = [1, "N", 1]} : tensor<?xf32> -> tensor<1x?x1xf32>
    %60 = hm.add %55, %59 : tensor<?x1x4xf32>, tensor<1x?x1xf32> -> tensor<?x?x4xf32>
    %61 = hm.where %2, %33, %60 : (tensor<?x?x1xi1>, tensor<?x?x4xf32>, tensor<?x?x4xf32>) -> tensor<?x?x4xf32>
    %62 = hm.constant dense<0.000000e+00> : tensor<1x1x4xf32>
    %63 = hm.iota %arg0 {reference_axis = 0 : i64} : (tensor<?x?x6xf32>) -> tensor<?xf32>
    %64 = hm.constant dense<0.000000e+00> : tensor<f32>
    %65 = hm.mul %63, %64 : tensor<?xf32>, tensor<f32> -> tensor<?xf32>
    %66 = hm.reshape %65 {shape = ["B", 1, 1]} : tensor<?xf32> -> tensor<?x1x1xf32>
    %67 = hm.add %62, %66 : tensor<1x1x4xf32>, tensor<?x1x1xf32> -> tensor<?x1x4xf32>
    %68 = hm.iota %arg0 {reference_axis = 1 : i64} : (tensor<?x?x6xf32>) -> tensor<?xf32>
    %69 = hm.constant dense<0.000000e+00> : tensor<f32>
    %70 = hm.mul %68, %69 : tensor<?xf32>, tensor<f32> -> tensor<?xf32>
    %71 = hm.reshape %70 {shape = [1, "N", 1]} : tensor<?xf32> -> tensor<1x?x1xf32>
    %72 = hm.add %67, %71 : tensor<?x1x4xf32>, tensor<1x?x1xf32> -> tensor<?x?x4xf32>
    %73 = hm.where %2, %49, %72 : (tensor<?x?x1xi1>, tensor<?x?x4xf32>, tensor<?x?x4xf32>) -> tensor<?x?x4xf32>
    %74 = hm.transpose %61 {perm = array<i64: 0, 2, 1>} : tensor<?x?x4xf32> -> tensor<?x4x?xf32>
    %75 = hm.matmul %74, %14 : tensor<?x4x?xf32>, tensor<?x?x6xf32> -> tensor<?x4x6xf32>
    %76 = hm.constant dense<1.41421354> : tensor<f32>
    %77 = hm.div %75, %76 : tensor<?x4x6xf32>, tensor<f32> -> tensor<?x4x6xf32>
    %78 = hm.erf %77 : tensor<?x4x6xf32>
    %79 = hm.constant dense<1.000000e+00> : tensor<f32>
    %80 = hm.add %78, %79 : tensor<?x4x6xf32>, tensor<f32> -> tensor<?x4x6xf32>
    %81 = hm.mul %75, %80 : tensor<?x4x6xf32>, tensor<?x4x6xf32> -> tensor<?x4x6xf32>
    %82 = hm.constant dense<5.000000e-01> : tensor<f32>
    %83 = hm.mul %81, %82 : tensor<?x4x6xf32>, tensor<f32> -> tensor<?x4x6xf32>
    %84 = hm.matmul %73, %83 : tensor<?x?x4xf32>, tensor<?x4x6xf32> -> tensor<?x?x6xf32>
    %85 = hm.reduce_mean %84 {axes = array<i64: 2>} : tensor<?x?x6xf32> -> tensor<?x?x1xf32>
    %86 = hm.sub %84, %85 : tensor<?x?x6xf32>, tensor<?x?x1xf32> -> tensor<?x?x6xf32>
    %87 = hm.constant dense<2.000000e+00> : tensor<f32>
    %88 = hm.pow %86, %87 : tensor<?x?x6xf32>, tensor<f32> -> tensor<?x?x6xf32>
    %89 = hm.reduce_mean %88 {axes = array<i64: 2>} : tensor<?x?x6xf32> -> tensor<?x?x1xf32>
    %90 = hm.constant dense<9.99999974E-6> : tensor<f32>
    %91 = hm.add %89, %90 : tensor<?x?x1xf32>, tensor<f32> -> tensor<?x?x1xf32>
    %92 = hm.sqrt %91 : tensor<?x?x1xf32>
    %93 = hm.div %86, %92 : tensor<?x?x6xf32>, tensor<?x?x1xf32> -> tensor<?x?x6xf32>
    %94 = hm.constant dense<[0.660925567, 0.549081206, 0.133569479, 1.38078415, 0.654192209, 1.05269444]> : tensor<6xf32>
    %95 = hm.mul %93, %94 : tensor<?x?x6xf32>, tensor<6xf32> -> tensor<?x?x6xf32>
    %96 = hm.constant dense<[-0.489702255, 0.331270456, 0.643937587, -0.328794181, -0.214192182, -0.51249361]> : tensor<6xf32>
    %97 = hm.add %95, %96 : tensor<?x?x6xf32>, tensor<6xf32> -> tensor<?x?x6xf32>
    return %97 : tensor<?x?x6xf32>
  }
}

{-#
  dialect_resources: {
    builtin: {
      positions: "0x40000000000000000000803F000000000000803F000000000000803FA46A573F40510A3F1D0D3E3D6BB97F3F63310D3BD9FF7F3FB7C7683F3311D5BEB6D8BD3DD1E57E3F4E318D3B64FF7F3FC381103E26707DBF17210E3EA8857D3FBFC9D33BA2FE7F3FCFBD41BF305527BF73073D3EB2997B3FF8300D3C91FD7F3F107C75BF2C3C913E92856B3EFF22793FE57C303C33FC7F3F8C0F8FBEB8CD753FE8C08C3EE922763F9DC8533C86FA7F3F4630283FBDFF403F6A71A33E189B723F1514773C8CF87F3F95467D3FF6FD14BECBC7B93E808D6E3FA02F8D3C44F67F3F3201D33ED53F69BFB9B7CF3E5CFC693F0CD59E3CAEF37F3FF8440BBF64CD56BF1D35E53E30EA643F467AB03CCBF07F3F5CFF7FBF7205913B1B34FA3EC9595F3F4C1FC23C99ED7F3F",
      onnx__MatMul_85: "0x40000000798955BE04A06D3D0B1A093F2E4557BF4CFC943EBDEED63E9F2C5BBE2E3A133E9453673DDA799BBE3AA213BE9CF7CFBDAB293FBF8E6C4F3EB82BEA3D0BAA4D3DD8925BBE0D8866BEEA087DBEEA221C3EDCCB97BD8722973FA492BCBD7A23C13E46829C3F477A1CBF219E78BEB61E5A3ED48FBC3D0DD4D6BD",
      onnx__MatMul_86: "0x40000000ABA4143F11A485BFC232D0BD194E5BBC673D4CBE8998C13E8AF390BFDCD4C33ECDE935BF0BCB6EBD03086FBF055F36BC20A8B0BDCEFD13BE4AD2923E19EC813F76A1433DA3FFA2BEBE5F2F3DBCF4C43E",
      onnx__MatMul_87: "0x40000000DA69D33E0873053E5DF01C3F15076B3EB78CD2BC8DA7D0BE35C4C63E70F989BC435761BE138213BE8555CFBD9E0B983E260D1CBE30D921BE8279B23E8CB1C33ED9AE283EDB6F833EFEB50BBE9E78AC3EACCB22BDCECC883E86C50E3FD21FDF3C9FA8E2BDB2156B3E9B4109BE8A439CBE1082FABE174DFFBD",
      onnx__MatMul_88: "0x4000000095597DBF6FE4F0BBBCB45D3E3C1CDF3E9E2632BF75A834BE7068F53E0FEA1BBE951F623EB94AB3BED9B8163FBC50C43EEEAB1ABEB9E873BF6FC3983E09E1493E9C6776BF89C99FBFAC387CBCA9596D3F"
    }
  }
#-}

