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
    %10 = hm.constant dense<[[[0.262591034, -0.367284894, -5.592810e-01, -0.20130679]], [[-0.0219753198, 0.579304695, 0.11095985, -0.705862284]]]> : tensor<2x1x4xf32>
    %11 = hm.add %9, %10 : tensor<?x2x?x4xf32>, tensor<2x1x4xf32> -> tensor<?x2x?x4xf32>
    %12 = hm.constant dense<1.41421354> : tensor<f32>
    %13 = hm.div %11, %12 : tensor<?x2x?x4xf32>, tensor<f32> -> tensor<?x2x?x4xf32>
    %14 = hm.erf %13 : tensor<?x2x?x4xf32>
    %15 = hm.constant dense<1.000000e+00> : tensor<f32>
    %16 = hm.add %14, %15 : tensor<?x2x?x4xf32>, tensor<f32> -> tensor<?x2x?x4xf32>
    %17 = hm.mul %11, %16 : tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32> -> tensor<?x2x?x4xf32>
    %18 = hm.constant dense<5.000000e-01> : tensor<f32>
    %19 = hm.mul %17, %18 : tensor<?x2x?x4xf32>, tensor<f32> -> tensor<?x2x?x4xf32>
    %20 = hm.constant dense_resource<hyper_w1.w2> : tensor<2x4x4xf32>
    %21 = hm.einsum "bmlf,mhf->bmlh" %19, %20 : (tensor<?x2x?x4xf32>, tensor<2x4x4xf32>) -> tensor<?x2x?x4xf32>
    %22 = hm.constant dense<[[[-0.200536385, -0.355250984, 0.0713408813, 0.368880689]], [[-0.0458289944, 0.137991399, 0.212657452, 0.680099785]]]> : tensor<2x1x4xf32>
    %23 = hm.add %21, %22 : tensor<?x2x?x4xf32>, tensor<2x1x4xf32> -> tensor<?x2x?x4xf32>
    %24 = hm.constant dense_resource<hyper_w2.w1> : tensor<2x4x4xf32>
    %25 = hm.einsum "blmf,mhf->bmlh" %7, %24 : (tensor<?x?x2x4xf32>, tensor<2x4x4xf32>) -> tensor<?x2x?x4xf32>
    %26 = hm.constant dense<[[[-0.695025086, -0.149217635, 0.589876771, 0.382341772]], [[0.824357807, 0.0273057092, 0.529552937, -0.166502923]]]> : tensor<2x1x4xf32>
    %27 = hm.add %25, %26 : tensor<?x2x?x4xf32>, tensor<2x1x4xf32> -> tensor<?x2x?x4xf32>
    %28 = hm.constant dense<1.41421354> : tensor<f32>
    %29 = hm.div %27, %28 : tensor<?x2x?x4xf32>, tensor<f32> -> tensor<?x2x?x4xf32>
    %30 = hm.erf %29 : tensor<?x2x?x4xf32>
    %31 = hm.constant dense<1.000000e+00> : tensor<f32>
    %32 = hm.add %30, %31 : tensor<?x2x?x4xf32>, tensor<f32> -> tensor<?x2x?x4xf32>
    %33 = hm.mul %27, %32 : tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32> -> tensor<?x2x?x4xf32>
    %34 = hm.constant dense<5.000000e-01> : tensor<f32>
    %35 = hm.mul %33, %34 : tensor<?x2x?x4xf32>, tensor<f32> -> tensor<?x2x?x4xf32>
    %36 = hm.constant dense_resource<hyper_w2.w2> : tensor<2x4x4xf32>
    %37 = hm.einsum "bmlf,mhf->bmlh" %35, %36 : (tensor<?x2x?x4xf32>, tensor<2x4x4xf32>) -> tensor<?x2x?x4xf32>
    %38 = hm.constant dense<[[[0.0411794819, 0.154771715, 0.0243515987, -0.00620394247]], [[-0.0807147175, -0.0300593916, -0.0546014272, -0.0237897262]]]> : tensor<2x1x4xf32>
    %39 = hm.add %37, %38 : tensor<?x2x?x4xf32>, tensor<2x1x4xf32> -> tensor<?x2x?x4xf32>
    %40 = hm.reshape %1 {shape = ["B", 1, "N"]} : tensor<?x?xf32> -> tensor<?x1x?xf32>
    %41 = hm.reshape %40 {shape = ["B", 1, "N", 1]} : tensor<?x1x?xf32> -> tensor<?x1x?x1xf32>
    %42 = hm.mul %23, %41 : tensor<?x2x?x4xf32>, tensor<?x1x?x1xf32> -> tensor<?x2x?x4xf32>
    %43 = hm.mul %39, %41 : tensor<?x2x?x4xf32>, tensor<?x1x?x1xf32> -> tensor<?x2x?x4xf32>
    %44 = hm.reshape %42 {shape = ["B*2", "N", 4]} : tensor<?x2x?x4xf32> -> tensor<?x?x4xf32>
    %45 = hm.reshape %43 {shape = ["B*2", "N", 4]} : tensor<?x2x?x4xf32> -> tensor<?x?x4xf32>
    %46 = hm.reshape %3 {shape = ["B", "N", 2, 4]} : tensor<?x?x8xf32> -> tensor<?x?x2x4xf32>
    %47 = hm.transpose %46 {perm = array<i64: 0, 2, 3, 1>} : tensor<?x?x2x4xf32> -> tensor<?x2x4x?xf32>
    %48 = hm.reshape %47 {shape = ["B*2", 4, "N"]} : tensor<?x2x4x?xf32> -> tensor<?x4x?xf32>
    %49 = hm.matmul %48, %44 : tensor<?x4x?xf32>, tensor<?x?x4xf32> -> tensor<?x4x4xf32>
    %50 = hm.constant dense<1.41421354> : tensor<f32>
    %51 = hm.div %49, %50 : tensor<?x4x4xf32>, tensor<f32> -> tensor<?x4x4xf32>
    %52 = hm.erf %51 : tensor<?x4x4xf32>
    %53 = hm.constant dense<1.000000e+00> : tensor<f32>
    %54 = hm.add %52, %53 : tensor<?x4x4xf32>, tensor<f32> -> tensor<?x4x4xf32>
    %55 = hm.mul %49, %54 : tensor<?x4x4xf32>, tensor<?x4x4xf32> -> tensor<?x4x4xf32>
    %56 = hm.constant dense<5.000000e-01> : tensor<f32>
    %57 = hm.mul %55, %56 : tensor<?x4x4xf32>, tensor<f32> -> tensor<?x4x4xf32>
    %58 = hm.transpose %57 {perm = array<i64: 0, 2, 1>} : tensor<?x4x4xf32> -> tensor<?x4x4xf32>
    %59 = hm.matmul %45, %58 : tensor<?x?x4xf32>, tensor<?x4x4xf32> -> tensor<?x?x4xf32>
    %60 = hm.reshape %59 {shape = ["B", 2, "N", 4]} : tensor<?x?x4xf32> -> tensor<?x2x?x4xf32>
    %61 = hm.transpose %60 {perm = array<i64: 0, 2, 1, 3>} : tensor<?x2x?x4xf32> -> tensor<?x?x2x4xf32>
    %62 = hm.reshape %61 {shape = ["B", "N", 8]} : tensor<?x?x2x4xf32> -> tensor<?x?x8xf32>
    %63 = hm.constant dense<[1.18968356, 1.25451708, 1.15421581, 1.58608937, 1.26341617, 0.0942584872, 1.3579483, 1.016510e+00]> : tensor<8xf32>
    %64 = hm.constant dense<[0.0178080574, -1.19367516, -1.19674432, 0.447455853, 0.16033569, 0.484905362, 0.681081414, -0.249833658]> : tensor<8xf32>
    %65 = hm.layer_norm %62 scale %63 bias %64 {epsilon = 9.9999997473787516E-6 : f64} : (tensor<?x?x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
    return %65 : tensor<?x?x8xf32>
  }
}

{-#
  dialect_resources: {
    builtin: {
      pe: "0x40000000B0ED38BE1823BA3E86B5FFBD471C323DA07583BD7D8307BF13CA4D3D7FCF3DBEDB1AB4BD05283EBEFBE2823F2B4F57BE9877ED3E4F01FF3D1C10EEBEE62E39BBFC7BB33D4A580E3F2C6314BFBB2310BFCDEB5FBD047AC6BE6F61F73EF68B793EC9760EBE036A5F3E5547883EE1095A3E6A9B363F668BD3BE6BB4EFBE5EF6CB3E114FA3BDBFE53C3EF46D3ABFA955483D6EA2333E75225BBEECF090BE9AC0653D7706813E6AA586BE40CCCA3DD537073E6A8A873FFB0BBABDA48F77BE9743C03E39B4EDBBA44464BEC194463E6EC60FBFF92D3F3EED43A23E1990B43E42179CBDB023F03E2C541DBD2CD1B9BE016D7C3C4905B0BEC7F3CA3D525B4E3EAF53063F3ABE03BF75194A3EFD4737BE9E86283EFEC09BBE5D609ABEBC7F363FA823753DD874A3BE49CA1ABFCF4745BD2E83033F5C744B3E8DCFD13EE5C31BBF13CFAABC0B0D993E56C83CBDB8FEE9BD98DC80BE5F98A4BD2D3065BFE83EF73DE3FEC73E33A50A3D3A602DBC82D19A3E552D10BCD66C4D3F17B59B3ECB5415BF7BE57BBC",
      hyper_w1.w1: "0x40000000484C663EDBF38CBE3200D2BE772E103FEA661EBF47CE64BFBB76013F6C8CFFBE07D3893F7A206D3E77F056BF18B73E3FB450F0BE70DF813F8137BA3EF9974E3E10A2C33EF11CD7BEE458313E8AFAB6BF423A60BF67EBBCBF91A3183DA34E103ED82A473EFE2491BFC9ECB1BEF8B3DA3E510FB43DFF06AA3E85FB15BFCCAC0E3F",
      hyper_w1.w2: "0x400000005473293E263193BEE743533E2EE341BEDE78203FD68A88BD21F72CBFC54394BF040C773E803FB63EEF57243F4DCA2A3F441E48BE6AFBD7BEB8CB023E1A7DFB3D0B84563F53BC3A3E39E794BDD4642FBF291C7D3D94CB18BF3EF773BC11BDADBD31B7313FD3F235BFA6C1093F3B1D70BE7D47063F83BF37BE9506A03EAEB2D2BE",
      hyper_w2.w1: "0x400000002FCE2DBFC64E02BFDF53543E00E1DCBEB8DB6FBE3A690D3E0BD58EBE1E9370BEA49D453E9900433ECDEA08BF69B1FDBE2703293F4FC3B1BE3129BA3EB9CADF3D6436A33E03750C3D48B3E2BEFCA6363E51A7A9BD46EF1A3F611C8D3F8FA07B3EFA479ABC23B363BF28367DBE376F5BBF0AA70D3E2E9689BFEE85D53EF2C6203D",
      hyper_w2.w2: "0x40000000A16A22BF6AC68BBF859C813E282B03BFD8E29ABEF357A13E99A0063F9505163F63B0463FCA5E7D3E2688FF3D0F0588BECFBAA3BE617B65BE67F6F9BDB237833DCFFB2EBF8B2DC03EC807873EC69B35BE10189CBE5F7D2E3F94D147BE7E763E3FD23E083E334B613D40303ABF84E1073F1D892C3E37337CBF8AD4133F697D433F"
    }
  }
#-}

