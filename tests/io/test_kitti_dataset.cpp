#include <gtest/gtest.h>

#include "common/test_paths.hpp"
#include "io/kitti_dataset.hpp"
#include "io/kitti_imagesets.hpp"
#include "io/kitti_velodyne.hpp"
#include "io_test_util.hpp"

namespace {

namespace fs = std::filesystem;
namespace t = lidardet::test;
using lidardet::KittiObjectRoot;

// The PNG signature and IHDR chunk (all that read_png_size looks at) for a w x h RGB image.
std::string png_header(std::uint32_t w, std::uint32_t h) {
  std::string s = "\x89PNG\r\n\x1a\n";
  auto be32 = [&](std::uint32_t v) {
    for (int sh = 24; sh >= 0; sh -= 8) s += static_cast<char>((v >> sh) & 0xff);
  };
  be32(13);
  s += "IHDR";
  be32(w);
  be32(h);
  s += std::string("\x08\x02\x00\x00\x00", 5);  // 8-bit RGB, no interlace
  be32(0);                                      // CRC (not checked by the size reader)
  return s;
}

lidardet::PointCloud cloud_of(int n) {
  lidardet::PointCloud c;
  for (int i = 0; i < n; ++i) {
    const float v[4] = {float(i), 1, 2, 0.5f};
    c.push_back(v);
  }
  return c;
}

TEST(KittiDataset, PngSize) {
  const auto dir = t::temp_dir("ds_png");
  t::write_raw(dir / "a.png", png_header(1242, 375));
  EXPECT_EQ(lidardet::read_png_size((dir / "a.png").string()), std::make_pair(1242, 375));
  t::write_raw(dir / "b.png", "GIF89a not a png at all");
  const auto msg = t::error_of([&] { lidardet::read_png_size((dir / "b.png").string()); });
  EXPECT_NE(msg.find("b.png"), std::string::npos) << msg;
}

TEST(KittiDataset, IdsFromImageSetsAndLazyLoadOfOptionalParts) {
  const auto root = t::temp_dir("ds_sets");
  const fs::path tr = root / "training";
  fs::create_directories(tr / "velodyne");
  lidardet::write_velodyne_bin((tr / "velodyne" / "000003.bin").string(), cloud_of(3));
  lidardet::write_velodyne_bin((tr / "velodyne" / "000001.bin").string(), cloud_of(1));
  fs::create_directories(root / "ImageSets");
  lidardet::write_kitti_imageset((root / "ImageSets" / "val.txt").string(), {"000003", "000001"});
  t::write_raw(tr / "label_2" / "000003.txt",
               "Car 0.00 0 0.00 1 2 3 4 1.5 1.6 3.9 1.0 1.6 10.0 0.1\n");
  t::write_raw(tr / "image_2" / "000003.png", png_header(1224, 370));

  KittiObjectRoot ds(root.string(), "val");
  EXPECT_EQ(ds.ids(), (std::vector<std::string>{"000003", "000001"}));  // file order kept
  const auto f = ds.load(0);
  EXPECT_EQ(f.id, "000003");
  EXPECT_EQ(f.points, cloud_of(3));
  ASSERT_TRUE(f.labels);
  EXPECT_EQ(f.labels->at(0).type, "Car");
  EXPECT_FALSE(f.calib);
  EXPECT_EQ(f.image_width, 1224);
  EXPECT_EQ(f.image_height, 370);
  const auto g = ds.load("000001");
  EXPECT_EQ(g.points.size(), 1u);
  EXPECT_FALSE(g.labels);
  EXPECT_FALSE(g.image_width);
  // An id in the split without a point file fails when loaded, naming the file.
  lidardet::write_kitti_imageset((root / "ImageSets" / "train.txt").string(), {"000002"});
  KittiObjectRoot train(root.string(), "train");
  const auto msg = t::error_of([&] { train.load(0); });
  EXPECT_NE(msg.find("000002.bin"), std::string::npos) << msg;
}

TEST(KittiDataset, WithoutImageSetsIdsAreSortedVelodyneNamesAndTestUsesTesting) {
  const auto root = t::temp_dir("ds_glob");
  for (const char* id : {"000010", "000002", "000007"})
    lidardet::write_velodyne_bin(
        ((fs::create_directories(root / "testing" / "velodyne"), root / "testing" / "velodyne") /
         (std::string(id) + ".bin"))
            .string(),
        cloud_of(2));
  t::write_raw(root / "testing" / "velodyne" / "README.txt", "not a frame");
  KittiObjectRoot ds(root.string(), "test");
  EXPECT_EQ(ds.ids(), (std::vector<std::string>{"000002", "000007", "000010"}));
  EXPECT_EQ(ds.data_dir(), (root / "testing").string());
  EXPECT_THROW(KittiObjectRoot(root.string(), "train"), lidardet::Error);  // no training/
  EXPECT_THROW(KittiObjectRoot((root / "nowhere").string(), "val"), lidardet::Error);
}

TEST(KittiDataset, RealSampleRootWithReducedVelodyne) {
  const auto root = t::shared_data("kitti_real");
  LIDARDET_REQUIRE_SHARED(root + "/training/velodyne_reduced/000000.bin");
  KittiObjectRoot ds(root, "train");
  ASSERT_EQ(ds.ids(), (std::vector<std::string>{"000000"}));
  const auto f = ds.load(0);
  EXPECT_EQ(f.points.size(), 20285u);
  ASSERT_TRUE(f.labels);
  EXPECT_EQ(f.labels->size(), 1u);
  ASSERT_TRUE(f.calib);
  EXPECT_EQ(f.calib->P2(0, 0), 7.070493e+02);
  EXPECT_FALSE(f.image_width);  // the sample ships no image_2
}

}  // namespace
