#include <gtest/gtest.h>

#include "common/test_paths.hpp"
#include "io/kitti_imagesets.hpp"
#include "io_test_util.hpp"

namespace {

namespace t = lidardet::test;
using lidardet::read_kitti_imageset;

TEST(KittiImageSets, ReadsIdsWithoutTrailingNewline) {
  const auto dir = t::temp_dir("sets_read");
  // OpenPCDet's files have no final newline (data.md §1.8).
  t::write_raw(dir / "train.txt", "000000\n000003\r\n\n000007");
  EXPECT_EQ(read_kitti_imageset((dir / "train.txt").string()),
            (std::vector<std::string>{"000000", "000003", "000007"}));
}

TEST(KittiImageSets, BadIdNamesTheLine) {
  const auto dir = t::temp_dir("sets_bad");
  for (const std::string bad : {"42", "0000001", "00a001", "000001 000002"}) {
    t::write_raw(dir / "val.txt", "000001\n" + bad + "\n");
    const auto msg = t::error_of([&] { read_kitti_imageset((dir / "val.txt").string()); });
    EXPECT_NE(msg.find("val.txt:2: field 'id'"), std::string::npos) << bad << ": " << msg;
  }
}

TEST(KittiImageSets, WriteReadRoundTrip) {
  const auto dir = t::temp_dir("sets_rt");
  const std::vector<std::string> ids = {"000001", "000002", "007480"};
  lidardet::write_kitti_imageset((dir / "s.txt").string(), ids);
  EXPECT_EQ(t::read_raw(dir / "s.txt"), "000001\n000002\n007480\n");
  EXPECT_EQ(read_kitti_imageset((dir / "s.txt").string()), ids);
  EXPECT_THROW(lidardet::write_kitti_imageset((dir / "b.txt").string(), {"1"}), lidardet::Error);
  EXPECT_FALSE(std::filesystem::exists(dir / "b.txt"));
}

TEST(KittiImageSets, FrameIdIsSixDigits) {
  EXPECT_EQ(lidardet::kitti_frame_id(0), "000000");
  EXPECT_EQ(lidardet::kitti_frame_id(7480), "007480");
  EXPECT_EQ(lidardet::kitti_frame_id(999999), "999999");
  EXPECT_THROW(lidardet::kitti_frame_id(1000000), lidardet::Error);
  EXPECT_THROW(lidardet::kitti_frame_id(-1), lidardet::Error);
}

}  // namespace
