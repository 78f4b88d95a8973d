// A simulated dataset written to disk reads back bit-exactly through the io KITTI reader.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "core/error.hpp"
#include "io/kitti_dataset.hpp"
#include "io/kitti_imagesets.hpp"
#include "sim/kitti_labels.hpp"
#include "sim/kitti_writer.hpp"
#include "sim_test_util.hpp"

namespace lidardet::sim {
namespace {

TEST(KittiWriter, DatasetReadsBackBitExactly) {
  const auto root = lidardet::test::temp_dir("sim_kitti_writer");
  const Simulator sim(test::hdl64(), test::scene_config());
  const KittiDatasetWriter writer(root.string(), sim.sensor());
  const int n = 3;
  std::vector<SimFrame> frames;
  for (int i = 0; i < n; ++i) {
    frames.push_back(sim.simulate(21, i));
    writer.write_frame(i, frames.back());
  }
  writer.write_splits(n, 0.5, 21);

  auto train = read_kitti_imageset((root / "ImageSets/train.txt").string());
  auto val = read_kitti_imageset((root / "ImageSets/val.txt").string());
  EXPECT_FALSE(train.empty());
  EXPECT_FALSE(val.empty());
  std::set<std::string> all(train.begin(), train.end());
  all.insert(val.begin(), val.end());
  EXPECT_EQ(all, (std::set<std::string>{"000000", "000001", "000002"}));
  EXPECT_EQ(train.size() + val.size(), 3u);

  KittiObjectRoot kitti(root.string(), "train");
  for (const std::string& id : kitti.ids()) {
    const int i = std::stoi(id);
    const KittiFrame f = kitti.load(id);
    ASSERT_EQ(f.points.size(), frames[i].points.size());
    EXPECT_EQ(0, std::memcmp(f.points.data(), frames[i].points.data(), f.points.size() * 16));
    ASSERT_TRUE(f.calib && f.labels && f.image_width && f.image_height);
    EXPECT_TRUE(*f.calib == writer.calib());
    EXPECT_EQ(*f.image_width, 1242);
    EXPECT_EQ(*f.image_height, 375);
    const auto expected = kitti_labels(frames[i], writer.calib());
    ASSERT_EQ(f.labels->size(), expected.size());
    for (std::size_t k = 0; k < expected.size(); ++k)
      EXPECT_EQ(format_kitti_label((*f.labels)[k]), format_kitti_label(expected[k]));
  }
}

TEST(KittiWriter, RoadPlaneFileOnFlatGround) {
  // Flat ground 1.73 m under the lidar; the camera is 0.08 m below it: y = 1.65 in rect.
  const auto root = lidardet::test::temp_dir("sim_kitti_plane");
  const SensorSpec s = test::ideal(test::hdl64());
  const Simulator sim(s, test::scene_config());
  const KittiDatasetWriter writer(root.string(), s);
  writer.write_frame(0, sim.simulate_scene(test::single_box_scene(20, 0, 4, 1.6, 1.5, 0), 1));
  std::ifstream in((root / "training/planes/000000.txt").string());
  std::string line;
  for (int i = 0; i < 4; ++i) std::getline(in, line);
  std::istringstream nums(line);
  double a, b, c, d;
  ASSERT_TRUE(nums >> a >> b >> c >> d) << line;
  EXPECT_NEAR(a, 0, 1e-6);
  EXPECT_NEAR(b, -1, 1e-6);
  EXPECT_NEAR(c, 0, 1e-6);
  EXPECT_NEAR(d, 1.65, 1e-6);
}

TEST(KittiWriter, SplitIsSeeded) {
  const auto a = lidardet::test::temp_dir("sim_split_a");
  const Simulator sim(test::hdl64(), test::scene_config());
  const KittiDatasetWriter wa(a.string(), sim.sensor());
  wa.write_splits(40, 0.25, 3);
  const auto val1 = read_kitti_imageset((a / "ImageSets/val.txt").string());
  wa.write_splits(40, 0.25, 3);
  EXPECT_EQ(read_kitti_imageset((a / "ImageSets/val.txt").string()), val1);
  EXPECT_GT(val1.size(), 2u);
  EXPECT_LT(val1.size(), 20u);
  wa.write_splits(40, 0.25, 4);
  EXPECT_NE(read_kitti_imageset((a / "ImageSets/val.txt").string()), val1);
  EXPECT_THROW(wa.write_splits(4, 1.5, 3), Error);
}

}  // namespace
}  // namespace lidardet::sim
