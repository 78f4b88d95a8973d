// `lidardet detect` on a segment whose framing is sound but whose second frame holds a corrupt
// range image: a clear error naming the record and field, the first frame's JSON complete
// (a resume point), and no Objects file (it is written only when every frame succeeded).
#include <gtest/gtest.h>

#include <filesystem>

#include "common/cli_run.hpp"
#include "common/test_paths.hpp"
#include "io/waymo/frame_writer.hpp"
#include "io/waymo/tfrecord.hpp"

using namespace lidardet::waymo;
namespace fs = std::filesystem;

TEST(DetectBadFrameCli, CorruptRangeImageStopsWithoutAnObjectsFile) {
  LIDARDET_REQUIRE_CLI();
  const auto dir = lidardet::test::temp_dir("detect_bad_frame");
  SceneFrame scene;
  scene.context_name = "bad_ctx";
  LaserScan scan;
  scan.calibration.name = int(LaserName::kFront);
  scan.calibration.beam_inclination_min = -0.1;
  scan.calibration.beam_inclination_max = 0.1;
  scan.return1.dims = {1, 4, 4};
  scan.return1.data = {5, 0.5f, 0, -1, -1, 0, 0, -1, 6, 0.2f, 0, -1, -1, 0, 0, -1};
  scene.lasers.push_back(scan);
  const Frame good = build_frame(scene);
  Frame bad = good;
  bad.timestamp_micros = 100000;
  bad.lasers.at(0).ri_return1.range_image_compressed = "not a zlib stream";
  const fs::path seg = dir / "segment-bad_ctx_with_camera_labels.tfrecord";
  write_tfrecord_file(seg.string(), {encode_frame(good), encode_frame(bad)});

  const fs::path out = dir / "det";
  const auto [rc, text] =
      lidardet::test::run_cli("detect --input " + seg.string() + " --out " + out.string());
  EXPECT_EQ(rc, 1) << text;
  EXPECT_NE(text.find("record 1"), std::string::npos) << text;
  EXPECT_NE(text.find("range_image_compressed"), std::string::npos) << text;
  EXPECT_TRUE(fs::exists(out / "json" / "bad_ctx_0000.json"));
  EXPECT_FALSE(fs::exists(out / "json" / "bad_ctx_0001.json"));
  EXPECT_FALSE(fs::exists(out / "objects.bin"));
  for (const auto& e : fs::recursive_directory_iterator(out))
    EXPECT_EQ(e.path().string().find(".tmp"), std::string::npos) << "temporary left: " << e.path();
}
