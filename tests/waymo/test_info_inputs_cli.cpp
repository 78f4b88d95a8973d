// `lidardet info` on every input kind of issue 7 not covered by test_info_cli.cpp: the real
// KITTI frame, mmdet3d Waymo (N, 6) .bin, PLY, and a simulated segment with second returns.
// Inputs are written byte by byte here or by the CLI, not by the library under test.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/cli_run.hpp"
#include "common/test_paths.hpp"

namespace fs = std::filesystem;

namespace {

void write_floats(const fs::path& p, const std::vector<float>& v) {
  std::ofstream(p, std::ios::binary)
      .write(reinterpret_cast<const char*>(v.data()), std::streamsize(v.size() * 4));
}
}  // namespace

TEST(InfoInputsCli, RealKittiFrame) {
  LIDARDET_REQUIRE_CLI();
  const std::string bin =
      lidardet::test::shared_data("kitti_real/training/velodyne_reduced/000000.bin");
  LIDARDET_REQUIRE_SHARED(bin);
  const lidardet::test::CliRun r = lidardet::test::run_cli("info --json " + bin);
  ASSERT_EQ(r.rc, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["format"], "kitti");
  EXPECT_EQ(j["points"], 20285);  // the shared data README
  ASSERT_EQ(j["channels"].size(), 4u);
  EXPECT_EQ(j["channels"][3]["name"], "intensity");
  // Cropped to the camera's view: every point ahead of the sensor; reflectance in [0, 1].
  EXPECT_GT(j["channels"][0]["min"].get<double>(), 0.0);
  EXPECT_GE(j["channels"][3]["min"].get<double>(), 0.0);
  EXPECT_LE(j["channels"][3]["max"].get<double>(), 1.0);
}

TEST(InfoInputsCli, Mmdet3dWaymoBinNeedsSixDims) {
  LIDARDET_REQUIRE_CLI();
  const auto dir = lidardet::test::temp_dir("info_mmdet3d");
  const fs::path bin = dir / "1000003.bin";
  // Three points; 18 floats = 72 bytes, which is also a valid 4-float file of 4.5 points: no.
  write_floats(bin, {1, -2, 0.5f, 0.25f, 0.1f, 7, 3, 4, -1, 2, 0.3f, 7, -5, 0, 2, 0, 0.2f, 7});
  lidardet::test::CliRun r = lidardet::test::run_cli("info --json --dims 6 " + bin.string());
  ASSERT_EQ(r.rc, 0) << r.out;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["points"], 3);
  ASSERT_EQ(j["channels"].size(), 6u);
  EXPECT_EQ(j["channels"][4]["name"], "elongation");
  EXPECT_EQ(j["channels"][5]["name"], "timestamp");
  EXPECT_EQ(j["channels"][0]["min"], -5.0);
  EXPECT_EQ(j["channels"][0]["max"], 3.0);
  EXPECT_EQ(j["channels"][4]["max"].get<double>(), double(0.3f));
  r = lidardet::test::run_cli("info --json --format bin6 " + bin.string());
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_EQ(nlohmann::json::parse(r.out)["points"], 3);
  // Read as KITTI (4 floats a point), 72 bytes do not divide: a clear error.
  r = lidardet::test::run_cli("info " + bin.string());
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.out.find("not a multiple of 16"), std::string::npos) << r.out;
}

TEST(InfoInputsCli, AsciiPly) {
  LIDARDET_REQUIRE_CLI();
  const auto dir = lidardet::test::temp_dir("info_ply");
  const fs::path ply = dir / "a.ply";
  std::ofstream(ply) << "ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\n"
                        "property float y\nproperty float z\nproperty float intensity\n"
                        "end_header\n1 2 3 0.5\n-4 0 1 0.25\n2 -6 0 1\n";
  const lidardet::test::CliRun r = lidardet::test::run_cli("info --json " + ply.string());
  if (r.rc == 1 && r.out.find("not built") != std::string::npos)
    GTEST_SKIP() << "PCD/PLY adapters not built: " << r.out;
  ASSERT_EQ(r.rc, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["points"], 3);
  EXPECT_EQ(j["channels"][0]["min"], -4.0);
  EXPECT_EQ(j["channels"][1]["min"], -6.0);
  EXPECT_EQ(j["channels"][3]["name"], "intensity");
  EXPECT_EQ(j["channels"][3]["max"], 1.0);
}

TEST(InfoInputsCli, SimulatedSegmentReportsBothReturns) {
  LIDARDET_REQUIRE_CLI();
  const auto dir = lidardet::test::temp_dir("info_sim_seg");
  lidardet::test::CliRun r = lidardet::test::run_cli(
      "simulate --sensor waymo-top --format waymo --frames 1 --seed 9 --out " + dir.string());
  ASSERT_EQ(r.rc, 0) << r.out;
  const fs::path seg = dir / "segment-lidardet_sim_9_with_camera_labels.tfrecord";
  r = lidardet::test::run_cli("info --json " + seg.string());
  ASSERT_EQ(r.rc, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["frames"], 1);
  const auto& f = j["frame_info"][0];
  EXPECT_EQ(f["context"], "lidardet_sim_9");
  ASSERT_EQ(f["lasers"].size(), 1u);
  EXPECT_EQ(f["lasers"][0]["name"], "TOP");
  const auto r1 = f["lasers"][0]["return1_points"].get<std::size_t>();
  const auto r2 = f["lasers"][0]["return2_points"].get<std::size_t>();
  // A Waymo-TOP frame: most of the 64 x 2650 pixels return; second returns only at edges.
  EXPECT_GT(r1, 64u * 2650u / 2);
  EXPECT_LE(r1, 64u * 2650u);
  EXPECT_GT(r2, 0u);
  EXPECT_LT(r2, r1 / 5);
  EXPECT_EQ(f["points"].get<std::size_t>(), r1 + r2);
  EXPECT_GT(f["num_labels"].get<int>(), 0);
}
