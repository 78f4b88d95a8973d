// `lidardet eval waymo` end to end: JSON and protobuf inputs, the official lines, JSON and plot
// outputs, and clear errors with no partial output on bad input.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/cli_run.hpp"
#include "common/test_paths.hpp"
#include "io/waymo/objects.hpp"

namespace fs = std::filesystem;
using lidardet::test::run_cli;

namespace {
void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

// One frame, a vehicle and a pedestrian; the prediction file finds the vehicle only.
const char* kGt = R"({"frames": [{"context_name": "seg", "timestamp_micros": 5, "objects": [
  {"box": [10, 0, 1, 4.5, 2, 1.5, 0.2], "type": "VEHICLE", "num_points": 50},
  {"box": [5, 5, 1, 0.8, 0.8, 1.8, 0], "type": "PEDESTRIAN", "num_points": 3}]}]})";
const char* kPred = R"({"frames": [{"context_name": "seg", "timestamp_micros": 5, "objects": [
  {"box": [10, 0, 1, 4.5, 2, 1.5, 0.2], "type": "VEHICLE", "score": 0.8}]}]})";
}  // namespace

TEST(WaymoCli, JsonInputsPrintTheOfficialLinesAndWriteJsonAndPlots) {
  auto d = lidardet::test::temp_dir("waymo_cli_ok");
  write(d / "gt.json", kGt);
  write(d / "pred.json", kPred);
  auto r = run_cli("eval waymo --gt " + (d / "gt.json").string() + " --pred " +
                   (d / "pred.json").string() + " --threads 2 --json " + (d / "r.json").string() +
                   " --plot " + (d / "plots").string());
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_NE(r.out.find("OBJECT_TYPE_TYPE_VEHICLE_LEVEL_1: [mAP 1] [mAPH 1]"), std::string::npos)
      << r.out;
  // The pedestrian (3 points, difficulty unset -> LEVEL_2) is missed: no effect at L1, AP 0 at L2.
  EXPECT_NE(r.out.find("OBJECT_TYPE_TYPE_PEDESTRIAN_LEVEL_2: [mAP 0] [mAPH 0]"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("RANGE_TYPE_VEHICLE_[0, 30)_LEVEL_2: [mAP 1] [mAPH 1]"), std::string::npos)
      << r.out;
  std::ifstream in(d / "r.json");
  const auto j = nlohmann::json::parse(in);
  EXPECT_EQ(j["num_frames"], 1);
  // Twenty 0.05-wide trapezoids summed in float, as the official code does: 1 within 1e-6.
  EXPECT_NEAR(j["breakdowns"]["OBJECT_TYPE_TYPE_VEHICLE_LEVEL_2"]["AP"].get<double>(), 1.0, 1e-6);
  EXPECT_EQ(j["breakdowns"]["OBJECT_TYPE_TYPE_PEDESTRIAN_LEVEL_2"]["fn"][0], 1);
  EXPECT_EQ(j["breakdowns"]["OBJECT_TYPE_TYPE_VEHICLE_LEVEL_1"]["recall"].size(), 101u);
  EXPECT_TRUE(fs::exists(d / "plots" / "TYPE_VEHICLE.svg"));
}

TEST(WaymoCli, ProtobufObjectsFilesGiveTheSameResultAsJson) {
  auto d = lidardet::test::temp_dir("waymo_cli_pb");
  write(d / "gt.json", kGt);
  write(d / "pred.json", kPred);
  using lidardet::waymo::WaymoObject;
  using lidardet::waymo::WaymoType;
  WaymoObject v;
  v.context_name = "seg";
  v.frame_timestamp_micros = 5;
  v.type = WaymoType::kVehicle;
  v.box = {10, 0, 1, 4.5, 2, 1.5, 0.2, "Vehicle", 1};
  v.num_lidar_points_in_box = 50;
  WaymoObject p = v;
  p.type = WaymoType::kPedestrian;
  p.box = {5, 5, 1, 0.8, 0.8, 1.8, 0, "Pedestrian", 1};
  p.num_lidar_points_in_box = 3;
  lidardet::waymo::write_objects_file((d / "gt.bin").string(), {v, p});
  WaymoObject pv = v;
  pv.score = 0.8f;
  pv.num_lidar_points_in_box = 0;
  lidardet::waymo::write_objects_file((d / "pred.bin").string(), {pv});
  const auto a = run_cli("eval waymo --gt " + (d / "gt.json").string() + " --pred " +
                         (d / "pred.json").string());
  const auto b = run_cli("eval waymo --gt " + (d / "gt.bin").string() + " --pred " +
                         (d / "pred.bin").string());
  ASSERT_EQ(a.rc, 0) << a.out;
  ASSERT_EQ(b.rc, 0) << b.out;
  EXPECT_EQ(a.out, b.out);
}

TEST(WaymoCli, BadInputFailsNamingTheRecordAndWritesNothing) {
  auto d = lidardet::test::temp_dir("waymo_cli_bad");
  write(d / "gt.json", kGt);
  struct Case {
    std::string name, pred, expect;
  };
  const std::vector<Case> cases = {
      {"malformed", "{\"frames\": [", "malformed JSON"},
      {"unknown_frame",
       R"({"frames": [{"context_name": "seg", "timestamp_micros": 6, "objects": [
         {"box": [10, 0, 1, 4.5, 2, 1.5, 0], "type": "VEHICLE", "score": 0.5}]}]})",
       "has no ground truth"},
      {"negative",
       R"({"frames": [{"context_name": "seg", "timestamp_micros": 5, "objects": [
         {"box": [10, 0, 1, -4.5, 2, 1.5, 0], "type": "VEHICLE", "score": 0.5}]}]})",
       "negative dimension"},
      {"short_box",
       R"({"frames": [{"context_name": "seg", "timestamp_micros": 5, "objects": [
         {"box": [10, 0, 1], "type": "VEHICLE"}]}]})",
       "frame 0 object 0"},
      {"bad_type",
       R"({"frames": [{"context_name": "seg", "timestamp_micros": 5, "objects": [
         {"box": [10, 0, 1, 4.5, 2, 1.5, 0], "type": "TRUCK"}]}]})",
       "type"}};
  for (const auto& c : cases) {
    write(d / (c.name + ".json"), c.pred);
    const auto out = d / (c.name + "_out.json");
    auto r = run_cli("eval waymo --gt " + (d / "gt.json").string() + " --pred " +
                     (d / (c.name + ".json")).string() + " --json " + out.string());
    EXPECT_NE(r.rc, 0) << c.name << ": " << r.out;
    EXPECT_NE(r.out.find(c.name + ".json"), std::string::npos) << c.name << ": " << r.out;
    EXPECT_NE(r.out.find(c.expect), std::string::npos) << c.name << ": " << r.out;
    EXPECT_FALSE(fs::exists(out)) << c.name;
    EXPECT_EQ(r.out.find("[mAP"), std::string::npos) << c.name << ": no partial table";
  }
  // NaN cannot be written in JSON; a protobuf file can carry it, and truncation is caught too.
  lidardet::waymo::WaymoObject v;
  v.context_name = "seg";
  v.frame_timestamp_micros = 5;
  v.type = lidardet::waymo::WaymoType::kVehicle;
  v.box = {10, 0, 1, 4.5, 2, 1.5, std::nan(""), "Vehicle", 1};
  lidardet::waymo::write_objects_file((d / "nan.bin").string(), {v});
  auto r = run_cli("eval waymo --gt " + (d / "gt.json").string() + " --pred " +
                   (d / "nan.bin").string());
  EXPECT_NE(r.rc, 0) << r.out;
  EXPECT_NE(r.out.find("non-finite"), std::string::npos) << r.out;
  v.box.yaw = 0;
  const std::string bytes = lidardet::waymo::encode_objects({v, v});
  write(d / "trunc.bin", bytes.substr(0, bytes.size() - 5));
  r = run_cli("eval waymo --gt " + (d / "gt.json").string() + " --pred " +
              (d / "trunc.bin").string());
  EXPECT_NE(r.rc, 0) << r.out;
  EXPECT_NE(r.out.find("trunc.bin"), std::string::npos) << r.out;
}
