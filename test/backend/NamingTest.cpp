//===- NamingTest.cpp - The naming rules of docs/c-api.md -----------------===//

#include "Naming.h"

#include <gtest/gtest.h>

using namespace hmc::backend;

using Names = std::vector<std::string>;

TEST(Naming, IdentifierRules) {
  EXPECT_EQ(sanitizeIdentifier("input_values"), "input_values");
  EXPECT_EQ(sanitizeIdentifier("onnx::Mul_0"), "onnx__Mul_0");
  EXPECT_EQ(sanitizeIdentifier("x.y-z/w"), "x_y_z_w");
  EXPECT_EQ(sanitizeIdentifier("133"), "t_133");
  EXPECT_EQ(sanitizeIdentifier(""), "t_");
  EXPECT_EQ(sanitizeIdentifier("int"), "int_");
  EXPECT_EQ(sanitizeIdentifier("class"), "class_");
  // Each byte of a UTF-8 sequence is one character outside the set.
  EXPECT_EQ(sanitizeIdentifier("h\xc3\xa9llo"), "h__llo");
}

TEST(Naming, IdentifierCollisionsGetSuffixes) {
  EXPECT_EQ(sanitizeIdentifiers({"a:b", "a_b", "a.b", "a_b_2", "c"}),
            (Names{"a_b", "a_b_2", "a_b_3", "a_b_2_2", "c"}));
  EXPECT_EQ(sanitizeIdentifiers({}), Names{});
}

TEST(Naming, FileNames) {
  EXPECT_EQ(
      sanitizeFileNames(
          {"onnx::Add_1", "..", ".hidden", "", "a/b", "a:b", "x-1.2"}),
      (Names{"onnx__Add_1", "_..", "_.hidden", "_", "a_b", "a_b_2", "x-1.2"}));
}

TEST(Naming, CIdentifiers) {
  EXPECT_TRUE(isCIdentifier("x"));
  EXPECT_TRUE(isCIdentifier("_x1"));
  EXPECT_FALSE(isCIdentifier(""));
  EXPECT_FALSE(isCIdentifier("1x"));
  EXPECT_FALSE(isCIdentifier("a-b"));
  EXPECT_FALSE(isCIdentifier("while"));
  EXPECT_FALSE(isCIdentifier("while x"));
}

TEST(Naming, ModelNames) {
  EXPECT_TRUE(validateModelName("asr").ok());
  EXPECT_TRUE(validateModelName("Conformer_2").ok());
  for (const char *bad : {"", "1model", "_model", "my-model", "my model",
                          "static", "hmcrt", "hmcrt_x", "halide", "halide2"}) {
    Status status = validateModelName(bad);
    EXPECT_FALSE(status.ok()) << bad;
  }
  EXPECT_NE(validateModelName("my-model").message().find("only letters"),
            std::string::npos);
}
