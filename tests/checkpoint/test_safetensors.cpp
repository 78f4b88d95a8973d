// safetensors: lidardet's own format. Round trips, the byte layout of the spec, and clear errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>

#include "checkpoint/checkpoint.hpp"
#include "common/error_of.hpp"
#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "fixture_util.hpp"

using namespace lidardet;
using lidardet::test::ckpt_fixture;
using lidardet::test::error_of;

namespace {

// A safetensors file assembled by hand from the specification.
std::string make_file(const std::string& header, const std::string& data) {
  std::string out(8, '\0');
  for (int b = 0; b < 8; ++b) out[b] = char((uint64_t(header.size()) >> (8 * b)) & 0xff);
  return out + header + data;
}

}  // namespace

TEST(Safetensors, RoundTripKeepsEveryTensorOrderAndMetadata) {
  const Checkpoint in = load_checkpoint(ckpt_fixture("edge_legacy.pth"));
  const auto dir = lidardet::test::temp_dir("safetensors_rt");
  const std::string path = (dir / "edge.safetensors").string();
  save_safetensors(path, in.tensors, {{"format", "pt"}, {"note", "from edge_legacy"}});
  const Checkpoint out = load_checkpoint(path);
  EXPECT_EQ(out.container, "safetensors");
  EXPECT_EQ(out.metadata,
            (std::map<std::string, std::string>{{"format", "pt"}, {"note", "from edge_legacy"}}));
  ASSERT_EQ(out.tensors.size(), in.tensors.size());
  for (std::size_t i = 0; i < in.tensors.size(); ++i) {
    EXPECT_EQ(out.tensors[i].name, in.tensors[i].name);
    EXPECT_EQ(out.tensors[i].dtype, in.tensors[i].dtype);
    EXPECT_EQ(out.tensors[i].shape, in.tensors[i].shape);
    EXPECT_EQ(out.tensors[i].data, in.tensors[i].data);
  }
  std::filesystem::remove_all(dir);
}

TEST(Safetensors, WrittenBytesFollowTheSpecification) {
  NamedTensor a{"a", DType::F32, {2}, {}};
  const float av[2] = {1.5f, -2.0f};
  a.data.assign(reinterpret_cast<const uint8_t*>(av), reinterpret_cast<const uint8_t*>(av) + 8);
  NamedTensor b{"b", DType::I16, {}, {0x34, 0x12}};
  const auto dir = lidardet::test::temp_dir("safetensors_spec");
  const std::string path = (dir / "x.safetensors").string();
  save_safetensors(path, {a, b});
  const std::string bytes = read_file_bytes(path);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | uint8_t(bytes[i]);
  EXPECT_EQ((8 + n) % 8, 0u) << "data must start 8-byte aligned";
  const auto header = nlohmann::json::parse(bytes.substr(8, n));
  EXPECT_EQ(header.at("a").at("dtype"), "F32");
  EXPECT_EQ(header.at("a").at("shape"), nlohmann::json::array({2}));
  EXPECT_EQ(header.at("a").at("data_offsets"), nlohmann::json::array({0, 8}));
  EXPECT_EQ(header.at("b").at("dtype"), "I16");
  EXPECT_EQ(header.at("b").at("shape"), nlohmann::json::array());
  EXPECT_EQ(header.at("b").at("data_offsets"), nlohmann::json::array({8, 10}));
  EXPECT_FALSE(header.contains("__metadata__"));
  EXPECT_EQ(bytes.size(), 8 + n + 10);
  EXPECT_EQ(bytes.substr(8 + n + 8), std::string("\x34\x12", 2));
  std::filesystem::remove_all(dir);
}

TEST(Safetensors, ReadsAHandMadeFile) {
  // F16 [2] = {1.0, -0.5} (0x3c00, 0xb800), BOOL [3]; tensors listed out of data order.
  const std::string file =
      make_file(R"({"m":{"dtype":"BOOL","shape":[3],"data_offsets":[4,7]},)"
                R"("h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"__metadata__":{"k":"v"}})",
                std::string("\x00\x3c\x00\xb8\x01\x00\x01", 7));
  const Checkpoint ck = load_checkpoint_bytes(file, "hand.safetensors");
  ASSERT_EQ(ck.tensors.size(), 2u);
  EXPECT_EQ(ck.tensors[0].name, "h");  // file order = data order
  EXPECT_EQ(ck.tensors[0].to_float32(), (std::vector<float>{1.0f, -0.5f}));
  EXPECT_EQ(ck.tensors[1].to_float32(), (std::vector<float>{1, 0, 1}));
  EXPECT_EQ(ck.metadata.at("k"), "v");
}

TEST(Safetensors, BadFilesNameTheProblem) {
  const std::string ok_t = R"("t":{"dtype":"F32","shape":[1],"data_offsets":[0,4]})";
  auto err = [](const std::string& bytes) {
    return error_of([&] { load_checkpoint_bytes(bytes, "bad.safetensors"); });
  };
  std::string huge = make_file("{" + ok_t + "}", "abcd");
  huge[0] = '\x7f';  // header length larger than the file
  EXPECT_NE(err(huge).find("exceeds the file"), std::string::npos);
  EXPECT_NE(err(make_file("{\"t\": nope}", "")).find("not valid JSON"), std::string::npos);
  EXPECT_NE(err(make_file("{" + ok_t + "}", "abcdef")).find("bytes after the last tensor"),
            std::string::npos);
  EXPECT_NE(err(make_file(R"({"t":{"dtype":"F99","shape":[1],"data_offsets":[0,4]}})", "abcd"))
                .find("unknown dtype 'F99'"),
            std::string::npos);
  EXPECT_NE(err(make_file(R"({"t":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}})", "abcd"))
                .find("do not fit its shape"),
            std::string::npos);
  EXPECT_NE(err(make_file("{" + ok_t + R"(,"u":{"dtype":"U8","shape":[2],"data_offsets":[2,4]}})",
                          "abcd"))
                .find("gap or overlap"),
            std::string::npos);
  EXPECT_NE(err(make_file(R"({"t":{"dtype":"F32","shape":[1]}})", "abcd"))
                .find("field 'data_offsets' missing"),
            std::string::npos);
  EXPECT_NE(err(make_file(R"({"__metadata__":{"k":3}})", "")).find("'k' is not a string"),
            std::string::npos);
  EXPECT_NE(err(make_file(R"({"t":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", "abcd"))
                .find("non-integer"),
            std::string::npos);
}

TEST(Safetensors, WriterRefusesInconsistentTensorsAndLeavesNothing) {
  const auto dir = lidardet::test::temp_dir("safetensors_bad");
  const std::string path = (dir / "x.safetensors").string();
  NamedTensor t{"t", DType::F32, {3}, std::vector<uint8_t>(8)};  // 8 bytes for 3 floats
  EXPECT_NE(error_of([&] { save_safetensors(path, {t}); }).find("holds 8 bytes"),
            std::string::npos);
  t.data.resize(12);
  EXPECT_NE(error_of([&] { save_safetensors(path, {t, t}); }).find("twice"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_FALSE(error_of([&] { save_safetensors((dir / "no/such/dir/x").string(), {t}); }).empty());
  std::filesystem::remove_all(dir);
}

TEST(CheckKeys, ListsEveryMissingUnexpectedAndWrongShapeKeyInOneError) {
  const Checkpoint ck = load_checkpoint(ckpt_fixture("openpcdet_legacy.pth"));
  std::map<std::string, std::vector<int64_t>> expected;
  for (const NamedTensor& t : ck.tensors) expected[t.name] = t.shape;
  EXPECT_NO_THROW(check_keys(ck, expected));

  expected.erase("3.bias");          // unexpected in the checkpoint
  expected["0.weight"] = {3, 4};     // wrong shape (file has [4, 3])
  expected["1.weight"] = {5};        // wrong shape
  expected["head.weight"] = {2, 4};  // missing from the checkpoint
  expected["head.bias"] = {2};       // missing
  const std::string msg = error_of([&] { check_keys(ck, expected); });
  EXPECT_NE(msg.find("openpcdet_legacy.pth"), std::string::npos) << msg;
  EXPECT_NE(msg.find("(2 missing, 1 unexpected, 2 wrong shape)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("head.weight [2, 4]"), std::string::npos) << msg;
  EXPECT_NE(msg.find("head.bias [2]"), std::string::npos) << msg;
  EXPECT_NE(msg.find("3.bias [2]"), std::string::npos) << msg;
  EXPECT_NE(msg.find("0.weight: checkpoint has [4, 3], model expects [3, 4]"), std::string::npos)
      << msg;
  EXPECT_NE(msg.find("1.weight: checkpoint has [4], model expects [5]"), std::string::npos) << msg;
}

TEST(CheckKeys, ACheckpointOfAnotherModelIsCalledOutBeforeTheList) {
  const Checkpoint ck = load_checkpoint(ckpt_fixture("openpcdet_legacy.pth"));
  std::map<std::string, std::vector<int64_t>> expected{{"other.weight", {2}}};
  const std::string msg = error_of([&] { check_keys(ck, expected); });
  EXPECT_NE(msg.find("no key of the model is in the checkpoint"), std::string::npos) << msg;
  EXPECT_NE(msg.find("other.weight [2]"), std::string::npos) << msg;
  expected["3.bias"] = {2};  // one key in common: no hint
  EXPECT_EQ(error_of([&] { check_keys(ck, expected); }).find("no key of the model"),
            std::string::npos);
}

TEST(Safetensors, HeaderLengthStartingWith0x80IsNotTakenForAPickle) {
  // A header of 0x180 bytes: the file starts with 0x80, a legacy pickle's first byte.
  std::string header = R"({"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})";
  header.resize(0x180, ' ');
  const std::string file = make_file(header, std::string("\x00\x00\x80\x3f", 4));
  ASSERT_EQ(static_cast<unsigned char>(file[0]), 0x80);
  const Checkpoint ck = load_checkpoint_bytes(file, "x.safetensors");
  ASSERT_EQ(ck.tensors.size(), 1u);
  EXPECT_EQ(ck.tensors[0].to_float32(), (std::vector<float>{1.0f}));
}
