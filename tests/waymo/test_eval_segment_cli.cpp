// `lidardet eval waymo --gt SEGMENT.tfrecord`: the segment's labels are the ground truth and its
// frames are known even without labels, so predictions there count as false positives instead
// of being refused; a prediction on a frame the segment lacks is a clear error.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/cli_run.hpp"
#include "common/test_paths.hpp"
#include "io/waymo/frame_writer.hpp"
#include "io/waymo/objects.hpp"

using namespace lidardet;
using namespace lidardet::waymo;
namespace fs = std::filesystem;

TEST(EvalSegmentCli, UnlabelledFramesTakeFalsePositivesUnknownFramesAreRefused) {
  if (!fs::exists(test::cli_path())) GTEST_SKIP() << "CLI not built: " << test::cli_path();
  const auto dir = test::temp_dir("eval_segment_cli");
  // FRONT laser, one row of 4 columns: column 0 (azimuth 3 pi / 4) at range 2 is the point
  // (-1.414, 1.414, 0), inside the 1 m vehicle box of frame 0. Frame 1 has no label.
  SceneFrame scene;
  scene.context_name = "ev_ctx";
  LaserScan scan;
  scan.calibration.name = int(LaserName::kFront);
  scan.calibration.beam_inclination_min = -0.1;
  scan.calibration.beam_inclination_max = 0.1;
  scan.return1.dims = {1, 4, 4};
  scan.return1.data = {2, 0, 0, -1, -1, 0, 0, -1, -1, 0, 0, -1, -1, 0, 0, -1};
  scene.lasers.push_back(scan);
  WaymoObject car;
  car.type = WaymoType::kVehicle;
  car.box = {-1.4, 1.4, 0, 1, 1, 1, 0, "Vehicle", 1.f};
  scene.labels.push_back(car);
  SceneFrame empty = scene;
  empty.labels.clear();
  empty.timestamp_micros = 100000;
  const fs::path seg = dir / segment_file_name("ev_ctx");
  write_waymo_segment(seg.string(), {scene, empty});

  WaymoObject hit = car, fp = car;
  hit.context_name = fp.context_name = "ev_ctx";
  hit.score = 0.9f;
  fp.frame_timestamp_micros = 100000;
  fp.score = 0.5f;
  const fs::path pred = dir / "pred.bin", report = dir / "ev.json";
  write_objects_file(pred.string(), {hit, fp});
  test::CliRun r = test::run_cli("eval waymo --gt " + seg.string() + " --pred " + pred.string() +
                                 " --json " + report.string());
  ASSERT_EQ(r.rc, 0) << r.out;
  std::ifstream in(report);
  const auto j = nlohmann::json::parse(in);
  EXPECT_EQ(j["num_frames"], 2);
  EXPECT_EQ(j["num_gt"], 1);
  // One point in the box, difficulty unset: LEVEL_2. At cutoff 0 both predictions count.
  const auto& veh = j["breakdowns"]["OBJECT_TYPE_TYPE_VEHICLE_LEVEL_2"];
  EXPECT_EQ(veh["tp"][0], 1);
  EXPECT_EQ(veh["fp"][0], 1);

  WaymoObject stray = car;
  stray.context_name = "ev_ctx";
  stray.frame_timestamp_micros = 555;
  write_objects_file(pred.string(), {hit, stray});
  r = test::run_cli("eval waymo --gt " + seg.string() + " --pred " + pred.string());
  EXPECT_EQ(r.rc, 1) << r.out;
  EXPECT_NE(r.out.find("t=555 is not a frame of"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("[mAP"), std::string::npos) << "no table after an error";
}
