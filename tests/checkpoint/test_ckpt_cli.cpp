// `lidardet ckpt info` and `lidardet ckpt convert` through the real CLI binary.
#include <gtest/gtest.h>

#include <filesystem>

#include "checkpoint/checkpoint.hpp"
#include "common/cli_run.hpp"
#include "fixture_util.hpp"

using namespace lidardet;
using lidardet::test::ckpt_fixture;

TEST(CkptCli, InfoJsonListsKeysShapesDtypesAndWrapper) {
  LIDARDET_REQUIRE_CLI();
  const auto [rc, out] =
      lidardet::test::run_cli("ckpt info --json " + ckpt_fixture("openpcdet_legacy.pth"));
  ASSERT_EQ(rc, 0) << out;
  const auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j.at("container"), "pytorch-legacy");
  EXPECT_EQ(j.at("wrapper"), "model_state");
  EXPECT_EQ(j.at("metadata").at("epoch"), "36");
  ASSERT_EQ(j.at("tensors").size(), 9u);
  EXPECT_EQ(j.at("tensors")[0].at("name"), "0.weight");
  EXPECT_EQ(j.at("tensors")[0].at("shape"), nlohmann::json::array({4, 3}));
  EXPECT_EQ(j.at("tensors")[6].at("dtype"), "I64");
}

TEST(CkptCli, ConvertWritesSafetensorsWithTheSameTensors) {
  LIDARDET_REQUIRE_CLI();
  const auto dir = lidardet::test::temp_dir("ckpt_cli");
  const std::string out = (dir / "m.safetensors").string();
  const auto [rc, text] =
      lidardet::test::run_cli("ckpt convert " + ckpt_fixture("mmdet3d_legacy.pth") + " " + out);
  ASSERT_EQ(rc, 0) << text;
  const Checkpoint a = load_checkpoint(ckpt_fixture("mmdet3d_legacy.pth"));
  const Checkpoint b = load_checkpoint(out);
  ASSERT_EQ(a.tensors.size(), b.tensors.size());
  for (std::size_t i = 0; i < a.tensors.size(); ++i) {
    EXPECT_EQ(a.tensors[i].name, b.tensors[i].name);
    EXPECT_EQ(a.tensors[i].data, b.tensors[i].data);
  }
  EXPECT_EQ(b.metadata.at("converted_from"), "pytorch-legacy:state_dict");
  std::filesystem::remove_all(dir);
}

TEST(CkptCli, MaliciousFileExitsOneNamingTheGlobalAndWritesNothing) {
  LIDARDET_REQUIRE_CLI();
  const auto dir = lidardet::test::temp_dir("ckpt_cli_bad");
  const std::string out = (dir / "x.safetensors").string();
  std::filesystem::remove("/tmp/lidardet_ckpt_pwned_os_system_reduce");
  const auto [rc, text] = lidardet::test::run_cli(
      "ckpt convert " + ckpt_fixture("malicious/os_system_reduce_legacy.pth") + " " + out);
  EXPECT_EQ(rc, 1);
  EXPECT_NE(text.find("'os.system' is not in the allow-list"), std::string::npos) << text;
  EXPECT_FALSE(std::filesystem::exists(out));
  EXPECT_FALSE(std::filesystem::exists("/tmp/lidardet_ckpt_pwned_os_system_reduce"));
  std::filesystem::remove_all(dir);
}
