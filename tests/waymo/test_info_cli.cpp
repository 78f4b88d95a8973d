// `lidardet info` end to end (runs the CLI binary; skips when it has not been built).
#include <gtest/gtest.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "common/cli_run.hpp"
#include "common/test_paths.hpp"
#include "io/waymo/frame_writer.hpp"
#include "io/waymo/npy.hpp"
#include "io/waymo/objects.hpp"

using namespace lidardet;
using namespace lidardet::waymo;

TEST(InfoCli, RealTfrecord) {
  LIDARDET_REQUIRE_CLI();
  const std::string path = test::shared_data("waymo_real/one_frame.tfrecord");
  LIDARDET_REQUIRE_SHARED(path);
  const test::CliRun r = test::run_cli("info --json " + path);
  ASSERT_EQ(r.rc, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["frames"], 1);
  EXPECT_EQ(j["points"], 0);
  const auto& f = j["frame_info"][0];
  EXPECT_EQ(f["labels"]["Vehicle"]["count"], 37);
  EXPECT_EQ(f["labels"]["Cyclist"]["count"], 1);
  EXPECT_EQ(f["points_in_boxes"], 44021);
  EXPECT_EQ(f["laser_calibrations"][4], "TOP");
}

TEST(InfoCli, WrittenSegmentNpyAndObjects) {
  LIDARDET_REQUIRE_CLI();
  const auto dir = test::temp_dir("info_cli");
  // A FRONT laser with two valid first returns and one second return.
  SceneFrame scene;
  scene.context_name = "info_ctx";
  LaserScan scan;
  scan.calibration.name = int(LaserName::kFront);
  scan.calibration.beam_inclination_min = -0.1;
  scan.calibration.beam_inclination_max = 0.1;
  scan.return1.dims = {1, 4, 4};
  scan.return1.data = {2, 0, 0, -1, -1, 0, 0, -1, 3, 0, 0, -1, -1, 0, 0, -1};
  scan.return2.dims = {1, 4, 4};
  scan.return2.data = {5, 0, 0, -1, -1, 0, 0, -1, -1, 0, 0, -1, -1, 0, 0, -1};
  scene.lasers.push_back(scan);
  WaymoObject o;
  o.type = WaymoType::kPedestrian;
  o.detection_difficulty_level = 2;
  o.box = {0, 0, 0, 1, 1, 1, 0, "", 1.f};
  scene.labels.push_back(o);
  const std::string seg = (dir / "s.tfrecord").string();
  write_waymo_segment(seg, {scene, scene, scene});
  test::CliRun r = test::run_cli("info --json " + seg);
  ASSERT_EQ(r.rc, 0) << r.out;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["frames"], 3);
  EXPECT_EQ(j["points"], 9);
  EXPECT_EQ(j["frame_info"][2]["lasers"][0]["name"], "FRONT");
  EXPECT_EQ(j["frame_info"][2]["lasers"][0]["return1_points"], 2);
  EXPECT_EQ(j["frame_info"][2]["lasers"][0]["return2_points"], 1);
  EXPECT_EQ(j["frame_info"][0]["labels"]["Pedestrian"]["difficulty"]["LEVEL_2"], 1);

  const float pts[12] = {1, 2, 3, 0.5f, 0, -1, -4, 5, 6, 0.25f, 0.1f, 1};
  const std::string npy = (dir / "0000.npy").string();
  write_npy(npy, pts, 2, 6);
  r = test::run_cli("info --json " + npy);
  ASSERT_EQ(r.rc, 0) << r.out;
  j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["points"], 2);
  EXPECT_EQ(j["channels"][0]["min"], -4.0);
  EXPECT_EQ(j["channels"][0]["max"], 1.0);
  EXPECT_EQ(j["channels"][5]["name"], "nlz");

  const std::string objs = (dir / "pred.bin").string();
  write_objects_file(objs, {o, o});
  r = test::run_cli("info --json --format objects " + objs);
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_EQ(nlohmann::json::parse(r.out)["by_type"]["Pedestrian"], 2);

  // Bad input: a clear message and exit code 1.
  r = test::run_cli("info " + npy + " --format tfrecord");
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.out.find("record 0"), std::string::npos) << r.out;
  r = test::run_cli("info " + (dir / "missing.bin").string());
  EXPECT_EQ(r.rc, 1);
}

TEST(InfoCli, PcdAndPlyThroughTheAdapters) {
  LIDARDET_REQUIRE_CLI();
  const auto dir = test::temp_dir("info_cli_pcd");
  const std::string pcd = (dir / "a.pcd").string();
  FILE* f = std::fopen(pcd.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs(
      "# .PCD v0.7 - Point Cloud Data file format\nVERSION 0.7\nFIELDS x y z intensity\n"
      "SIZE 4 4 4 4\nTYPE F F F F\nCOUNT 1 1 1 1\nWIDTH 2\nHEIGHT 1\nVIEWPOINT 0 0 0 1 0 0 0\n"
      "POINTS 2\nDATA ascii\n1 2 3 0.5\n-1 5 0 0.1\n",
      f);
  std::fclose(f);
  const test::CliRun r = test::run_cli("info --json " + pcd);
  if (r.rc == 1 && r.out.find("not built") != std::string::npos)
    GTEST_SKIP() << "PCD/PLY adapters not built: " << r.out;
  ASSERT_EQ(r.rc, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["points"], 2);
  EXPECT_EQ(j["channels"][0]["min"], -1.0);
  EXPECT_EQ(j["channels"][1]["max"], 5.0);
}
