// `lidardet detect` on Waymo inputs, end to end through the CLI: simulate --format waymo ->
// detect on the .tfrecord (JSON per frame + Objects file) -> eval waymo with the segment as
// ground truth; resume; a truncated segment leaves no output; OpenPCDet processed folders
// (resume, --overwrite) and mmdet3d .bin frames; option errors. Inputs are made by the CLI itself
// or written byte by byte here (npy header, raw float32), independently of the library's writers.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "common/test_paths.hpp"

namespace fs = std::filesystem;

namespace {

struct CliRun {
  int rc;
  std::string out;
};

CliRun cli(const std::string& args, const fs::path& log) {
  const std::string cmd = lidardet::test::cli_path() + " " + args + " > " + log.string() + " 2>&1";
  const int rc = std::system(cmd.c_str());
  std::ifstream f(log);
  return {WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, std::string(std::istreambuf_iterator<char>(f), {})};
}

std::string read_bytes(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

nlohmann::json read_json(const fs::path& p) { return nlohmann::json::parse(read_bytes(p)); }

#define REQUIRE_CLI()                                                  \
  do {                                                                 \
    if (!fs::exists(lidardet::test::cli_path()))                       \
      GTEST_SKIP() << "CLI not built: " << lidardet::test::cli_path(); \
  } while (0)

// One simulated Waymo-TOP segment of `frames` frames, made once per process.
fs::path simulated_segment(int frames) {
  static std::map<int, fs::path> made;
  if (made.count(frames)) return made[frames];
  const fs::path dir = lidardet::test::temp_dir("detect_waymo_sim" + std::to_string(frames));
  const CliRun r = cli("simulate --sensor waymo-top --format waymo --frames " +
                           std::to_string(frames) + " --seed 5 --out " + dir.string(),
                       dir / "log.txt");
  EXPECT_EQ(r.rc, 0) << r.out;
  const fs::path seg = dir / "segment-lidardet_sim_5_with_camera_labels.tfrecord";
  EXPECT_TRUE(fs::exists(seg)) << r.out;
  return made[frames] = seg;
}

// A street-like cloud (ground grid plus a car-sized block of points ahead), x y z intensity
// elongation and a sixth column, float32 row-major.
std::vector<float> street_points(float sixth) {
  std::vector<float> v;
  auto add = [&](float x, float y, float z, float i) {
    v.insert(v.end(), {x, y, z, i, 0.1f, sixth});
  };
  for (int ix = 0; ix < 60; ++ix)
    for (int iy = -20; iy < 20; ++iy) add(2.0f + ix * 0.8f, iy * 0.8f, 0.0f, 0.2f);
  for (int a = 0; a < 12; ++a)
    for (int b = 0; b < 6; ++b)
      for (int c = 0; c < 4; ++c) add(14.0f + a * 0.35f, -1.0f + b * 0.35f, 0.3f + c * 0.35f, 3.0f);
  return v;
}

// NumPy .npy v1.0 of a float32 (rows, 6) array, header padded to 64 bytes.
void write_npy6(const fs::path& p, const std::vector<float>& v) {
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" +
                       std::to_string(v.size() / 6) + ", 6), }";
  while ((10 + header.size() + 1) % 64) header += ' ';
  header += '\n';
  std::string out = "\x93NUMPY";
  out += char(1);
  out += char(0);
  out += char(header.size() & 0xff);
  out += char(header.size() >> 8);
  out += header;
  out.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << out;
}

std::size_t json_boxes(const fs::path& json_dir) {
  std::size_t n = 0;
  for (const auto& e : fs::directory_iterator(json_dir)) n += read_json(e.path())["boxes"].size();
  return n;
}

}  // namespace

TEST(DetectWaymoCli, SegmentToObjectsThenEvalWithTheSegmentAsGroundTruth) {
  REQUIRE_CLI();
  const fs::path seg = simulated_segment(2);
  const fs::path dir = lidardet::test::temp_dir("detect_waymo_chain");
  const fs::path out = dir / "det";
  CliRun r = cli("detect --input " + seg.string() + " --out " + out.string(), dir / "d1.txt");
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_NE(r.out.find("2 frames (0 already done)"), std::string::npos) << r.out;
  for (const char* id : {"lidardet_sim_5_0000", "lidardet_sim_5_0001"}) {
    const nlohmann::json j = read_json(out / "json" / (std::string(id) + ".json"));
    EXPECT_EQ(j["context_name"], "lidardet_sim_5");
    EXPECT_EQ(j["frame_of_reference"], "vehicle");
    EXPECT_TRUE(j["timestamp_micros"].is_number_integer());
  }
  // The simulator steps frames by 100 ms.
  EXPECT_EQ(
      read_json(out / "json" / "lidardet_sim_5_0001.json")["timestamp_micros"].get<int64_t>() -
          read_json(out / "json" / "lidardet_sim_5_0000.json")["timestamp_micros"].get<int64_t>(),
      100000);
  const fs::path objects = out / "objects.bin";
  ASSERT_TRUE(fs::exists(objects));
  // The Objects file holds exactly the JSON's boxes, as Waymo types.
  r = cli("info --json --format objects " + objects.string(), dir / "info.txt");
  ASSERT_EQ(r.rc, 0) << r.out;
  const nlohmann::json info = nlohmann::json::parse(r.out);
  EXPECT_EQ(info["objects"].get<std::size_t>(), json_boxes(out / "json"));
  for (const auto& [type, n] : info["by_type"].items())
    EXPECT_TRUE(type == "Vehicle" || type == "Pedestrian" || type == "Cyclist") << type;

  // The untrained-for-Waymo default model's detections only need to evaluate.
  r = cli("eval waymo --gt " + seg.string() + " --pred " + objects.string() + " --json " +
              (dir / "ev.json").string(),
          dir / "e1.txt");
  ASSERT_EQ(r.rc, 0) << r.out;
  const nlohmann::json ev = read_json(dir / "ev.json");
  EXPECT_GT(ev["num_gt"].get<int>(), 0);
  const double maph = ev["mAPH_L2"].get<double>();
  EXPECT_GE(maph, 0.0);
  EXPECT_LE(maph, 1.0);

  // The segment's labels as predictions: a perfect detector, AP 1 wherever there is GT.
  r = cli("eval waymo --gt " + seg.string() + " --pred " + seg.string() + " --json " +
              (dir / "ev_gt.json").string(),
          dir / "e2.txt");
  ASSERT_EQ(r.rc, 0) << r.out;
  const nlohmann::json gt = read_json(dir / "ev_gt.json");
  const auto& veh = gt["breakdowns"]["OBJECT_TYPE_TYPE_VEHICLE_LEVEL_2"];
  EXPECT_GT(veh["tp"][0].get<int>(), 0);
  EXPECT_NEAR(veh["AP"].get<double>(), 1.0, 1e-6);
  EXPECT_NEAR(veh["APH"].get<double>(), 1.0, 1e-6);
  EXPECT_EQ(gt["num_pred"], gt["num_gt"]);  // labels without points leave both sides

  // Resume: drop one frame's result. The rerun detects that frame only; the Objects file still
  // covers both frames, byte for byte as before (the done frame's boxes are read back from its
  // JSON, and detection is deterministic). --eval scores it against the segment's labels.
  const std::string first = read_bytes(objects);
  fs::remove(out / "json" / "lidardet_sim_5_0001.json");
  fs::remove(objects);
  r = cli("detect --input " + seg.string() + " --out " + out.string() + " --eval", dir / "d2.txt");
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_NE(r.out.find("2 frames (1 already done)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("OBJECT_TYPE_TYPE_VEHICLE_LEVEL_2: [mAP"), std::string::npos) << r.out;
  EXPECT_EQ(read_bytes(objects), first);
}

TEST(DetectWaymoCli, TruncatedSegmentFailsClearlyAndWritesNothing) {
  REQUIRE_CLI();
  const fs::path seg = simulated_segment(2);
  const fs::path dir = lidardet::test::temp_dir("detect_waymo_trunc");
  const fs::path bad = dir / "segment-cut_with_camera_labels.tfrecord";
  fs::copy_file(seg, bad);
  fs::resize_file(bad, fs::file_size(bad) - 100);  // the second record loses its tail
  const fs::path out = dir / "det";
  const CliRun r =
      cli("detect --input " + bad.string() + " --out " + out.string(), dir / "log.txt");
  EXPECT_EQ(r.rc, 1) << r.out;
  EXPECT_NE(r.out.find(bad.string()), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("record 1"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(out)) << "output left behind for a truncated segment";
}

TEST(DetectWaymoCli, OpenPCDetFolderAndMmdet3dBins) {
  REQUIRE_CLI();
  const fs::path dir = lidardet::test::temp_dir("detect_waymo_processed");
  const fs::path seq =
      dir / "waymo" / "waymo_processed_data_v0_5_0" / "segment-123_456_with_camera_labels";
  write_npy6(seq / "0000.npy", street_points(-1.0f));  // nlz flag -1: outside every zone
  write_npy6(seq / "0001.npy", street_points(-1.0f));
  const fs::path out = dir / "det";
  CliRun r =
      cli("detect --input " + (dir / "waymo").string() + " --out " + out.string(), dir / "a.txt");
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_NE(r.out.find("note:"), std::string::npos) << "no word on the missing timestamps";
  const nlohmann::json j = read_json(out / "json" / "123_456_0001.json");
  EXPECT_EQ(j["context_name"], "123_456");
  EXPECT_EQ(j["timestamp_micros"], 1);
  EXPECT_EQ(j["timestamp_known"], false);
  ASSERT_TRUE(fs::exists(out / "objects.bin"));
  // --overwrite redoes both frames (the resume path is covered above), to the same bytes.
  const std::string objects = read_bytes(out / "objects.bin");
  r = cli("detect --input " + seq.string() + " --out " + out.string() + " --overwrite",
          dir / "a3.txt");
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_NE(r.out.find("2 frames (0 already done)"), std::string::npos) << r.out;
  EXPECT_EQ(read_bytes(out / "objects.bin"), objects);

  // mmdet3d's (N, 6) .bin: raw float32, sixth column the (float) timestamp.
  const fs::path velo = dir / "kitti_format" / "velodyne";
  fs::create_directories(velo);
  const std::vector<float> pts = street_points(1.6e15f);
  std::ofstream(velo / "1002007.bin", std::ios::binary)
      .write(reinterpret_cast<const char*>(pts.data()), std::streamsize(pts.size() * 4));
  const fs::path out2 = dir / "det2";
  r = cli("detect --format mmdet3d --input " + velo.string() + " --out " + out2.string() +
              " --objects " + (dir / "preds.bin").string(),
          dir / "b.txt");
  ASSERT_EQ(r.rc, 0) << r.out;
  const nlohmann::json m = read_json(out2 / "json" / "1002007.json");
  EXPECT_EQ(m["context_name"], "1002");
  EXPECT_EQ(m["timestamp_micros"], 7);
  EXPECT_TRUE(fs::exists(dir / "preds.bin"));
  EXPECT_FALSE(fs::exists(out2 / "objects.bin"));

  // A bad --format and --objects without a Waymo input are refused with a clear message.
  r = cli("detect --format waymo2 --input " + velo.string() + " --out " + out2.string(),
          dir / "c.txt");
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.out.find("--format"), std::string::npos) << r.out;
  r = cli("detect --format kitti --input " + (velo / "1002007.bin").string() + " --out " +
              (dir / "det3").string() + " --objects " + (dir / "x.bin").string(),
          dir / "d.txt");
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.out.find("--objects"), std::string::npos) << r.out;
  r = cli("detect --input " + (velo / "1002007.bin").string() + " --out " +
              (dir / "det3").string() + " --z-offset -1.73",
          dir / "e.txt");
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.out.find("--z-offset"), std::string::npos) << r.out;
}
