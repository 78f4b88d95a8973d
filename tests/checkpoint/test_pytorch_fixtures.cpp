// PyTorch checkpoints written by torch.save (both containers, all wrappers) read back exactly:
// every tensor's bytes match what torch.load returned, and independently recomputed formulas.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "checkpoint/checkpoint.hpp"
#include "fixture_util.hpp"

using namespace lidardet;
using lidardet::test::ckpt_expected;
using lidardet::test::ckpt_fixture;

TEST(PytorchFixtures, EveryFileMatchesTorchLoadByteForByte) {
  const auto& files = ckpt_expected().at("files");
  ASSERT_GE(files.size(), 9u);
  for (const auto& f : files) {
    SCOPED_TRACE(f.at("file").get<std::string>());
    const Checkpoint ck = load_checkpoint(ckpt_fixture(f.at("file")));
    EXPECT_EQ(ck.container, f.at("container").get<std::string>());
    EXPECT_EQ(ck.wrapper, f.at("wrapper").get<std::string>());
    using Meta = std::map<std::string, std::string>;
    EXPECT_EQ(ck.metadata, f.at("metadata").get<Meta>());
    const auto& tensors = f.at("tensors");
    ASSERT_EQ(ck.tensors.size(), tensors.size());
    for (std::size_t i = 0; i < tensors.size(); ++i) {
      const NamedTensor& t = ck.tensors[i];
      SCOPED_TRACE(t.name);
      EXPECT_EQ(t.name, tensors[i].at("name").get<std::string>());  // file order kept
      EXPECT_STREQ(dtype_name(t.dtype), tensors[i].at("dtype").get<std::string>().c_str());
      EXPECT_EQ(t.shape, tensors[i].at("shape").get<std::vector<int64_t>>());
      EXPECT_EQ(lidardet::test::to_hex(t.data), tensors[i].at("hex").get<std::string>());
    }
  }
}

// The formulas of make_checkpoint_fixtures.py, recomputed here rather than trusted from the file.
TEST(PytorchFixtures, ValuesFollowTheGeneratorFormulas) {
  for (const char* file :
       {"edge_legacy.pth", "edge_zip.pth", "edge_deflate.pth", "edge_zip64.pth"}) {
    SCOPED_TRACE(file);
    const Checkpoint ck = load_checkpoint(ckpt_fixture(file));
    const NamedTensor* conv = ck.find("conv.weight");
    ASSERT_NE(conv, nullptr);
    EXPECT_EQ(conv->shape, (std::vector<int64_t>{4, 3, 2, 2}));
    const std::vector<float> w = conv->to_float32();
    for (int i = 0; i < 48; ++i) EXPECT_EQ(w[i], ((i * 37) % 101 - 50) / 16.0f) << i;

    // Transposed view (strides 1, 4) made contiguous: t[i][j] = base[j][i] = (4 j + i) * 1.5.
    const std::vector<float> tr = ck.find("transposed")->to_float32();
    ASSERT_EQ(ck.find("transposed")->shape, (std::vector<int64_t>{4, 3}));
    for (int i = 0; i < 4; ++i)
      for (int j = 0; j < 3; ++j) EXPECT_EQ(tr[i * 3 + j], (4 * j + i) * 1.5f);

    // Two tensors on one storage; the view starts at element 2.
    const std::vector<float> full = ck.find("shared.full")->to_float32();
    const std::vector<float> view = ck.find("shared.view")->to_float32();
    ASSERT_EQ(full.size(), 10u);
    ASSERT_EQ(ck.find("shared.view")->shape, (std::vector<int64_t>{2, 3}));
    for (int i = 0; i < 10; ++i) EXPECT_EQ(full[i], i - 3.0f);
    for (int i = 0; i < 6; ++i) EXPECT_EQ(view[i], i - 1.0f);

    EXPECT_EQ(ck.find("expanded")->to_float32(), (std::vector<float>{1, 2, 3, 1, 2, 3}));
    EXPECT_TRUE(ck.find("scalar")->shape.empty());
    EXPECT_EQ(ck.find("scalar")->to_float32(), std::vector<float>{3.5f});
    EXPECT_EQ(ck.find("empty")->shape, (std::vector<int64_t>{0, 3}));
    EXPECT_TRUE(ck.find("empty")->data.empty());
    EXPECT_EQ(ck.find("param")->to_float32(), (std::vector<float>{1, 2}));

    EXPECT_EQ(ck.find("half")->dtype, DType::F16);
    EXPECT_EQ(ck.find("half")->to_float32(),
              (std::vector<float>{-2.5f, 0.0f, 1.0f / 1024, 65504.0f, std::ldexp(1.0f, -24)}));
    EXPECT_EQ(ck.find("bfloat")->to_float32(), (std::vector<float>{1.5f, -3.0f, 1024.0f}));
    const std::vector<float> d = ck.find("double")->to_float32();
    EXPECT_EQ(d[0], 0.1f);
    EXPECT_EQ(d[2], float(1.0 / 3.0));
    EXPECT_TRUE(std::isinf(d[3]) && d[3] < 0);  // -1e300 does not fit a float

    const NamedTensor* lng = ck.find("long");
    ASSERT_EQ(lng->dtype, DType::I64);
    EXPECT_TRUE(lng->shape.empty());
    int64_t v = 0;
    std::memcpy(&v, lng->data.data(), 8);
    EXPECT_EQ(v, 12345678901);
    EXPECT_EQ(ck.find("int")->to_float32(), (std::vector<float>{-7, 0, 2147483647.0f}));
    EXPECT_EQ(ck.find("short")->to_float32(), (std::vector<float>{-32768, 123}));
    EXPECT_EQ(ck.find("char")->to_float32(), (std::vector<float>{-128, 5, 127}));
    EXPECT_EQ(ck.find("byte")->to_float32(), (std::vector<float>{0, 255}));
    EXPECT_EQ(ck.find("mask")->data, (std::vector<uint8_t>{1, 0, 1, 1}));
    EXPECT_EQ(ck.find("nope"), nullptr);
  }
}

TEST(PytorchFixtures, OpenPcdetWrapperUnwrapsModelStateAndKeepsTrainingFields) {
  for (const char* file : {"openpcdet_legacy.pth", "openpcdet_zip.pth"}) {
    SCOPED_TRACE(file);
    const Checkpoint ck = load_checkpoint(ckpt_fixture(file));
    EXPECT_EQ(ck.wrapper, "model_state");
    EXPECT_EQ(ck.metadata.at("epoch"), "36");
    EXPECT_EQ(ck.metadata.at("version"), "pcdet+0.6.0+8caccce");
    // nn.Sequential(Linear(3,4), BatchNorm1d(4), ReLU, Linear(4,2)): the optimizer's tensors
    // are not model weights and must not appear.
    std::vector<std::string> names;
    for (const auto& t : ck.tensors) names.push_back(t.name);
    EXPECT_EQ(names, (std::vector<std::string>{"0.weight", "0.bias", "1.weight", "1.bias",
                                               "1.running_mean", "1.running_var",
                                               "1.num_batches_tracked", "3.weight", "3.bias"}));
    const NamedTensor* nbt = ck.find("1.num_batches_tracked");
    EXPECT_EQ(nbt->dtype, DType::I64);
    EXPECT_EQ(nbt->to_float32(), std::vector<float>{42.0f});
  }
}

TEST(PytorchFixtures, BothContainersHoldTheSameTensors) {
  for (const char* stem : {"edge", "openpcdet", "mmdet3d"}) {
    SCOPED_TRACE(stem);
    const Checkpoint a = load_checkpoint(ckpt_fixture(std::string(stem) + "_zip.pth"));
    const Checkpoint b = load_checkpoint(ckpt_fixture(std::string(stem) + "_legacy.pth"));
    EXPECT_EQ(a.container, "pytorch-zip");
    EXPECT_EQ(b.container, "pytorch-legacy");
    ASSERT_EQ(a.tensors.size(), b.tensors.size());
    for (std::size_t i = 0; i < a.tensors.size(); ++i) {
      EXPECT_EQ(a.tensors[i].name, b.tensors[i].name);
      EXPECT_EQ(a.tensors[i].shape, b.tensors[i].shape);
      EXPECT_EQ(a.tensors[i].data, b.tensors[i].data);
    }
  }
}
