#include <gtest/gtest.h>

#include "common/test_paths.hpp"
#include "io/kitti_label.hpp"
#include "io_test_util.hpp"

namespace {

using lidardet::KittiObject;
using lidardet::read_kitti_labels;
using lidardet::write_kitti_labels;
namespace t = lidardet::test;

// The sample line of data.md §1.5 (the real frame's pedestrian).
const char* kPedLine =
    "Pedestrian 0.00 0 -0.20 712.40 143.00 810.73 307.92 1.89 0.48 1.20 1.84 1.47 8.41 0.01";
const char* kDontCare =
    "DontCare -1 -1 -10 503.89 169.71 590.61 190.13 -1 -1 -1 -1000 -1000 -1000 -10";

std::vector<KittiObject> parse(const std::string& name, const std::string& text) {
  const auto dir = t::temp_dir("label_" + name);
  t::write_raw(dir / "l.txt", text);
  return read_kitti_labels((dir / "l.txt").string());
}

TEST(KittiLabel, ParsesAllFifteenFieldsInColumnOrder) {
  const auto objs = parse("ped", std::string(kPedLine) + "\n");
  ASSERT_EQ(objs.size(), 1u);
  const auto& o = objs[0];
  EXPECT_EQ(o.type, "Pedestrian");
  EXPECT_EQ(o.truncated, 0.0);
  EXPECT_EQ(o.occluded, 0);
  EXPECT_EQ(o.alpha, -0.20);
  EXPECT_EQ(o.bbox, (std::array<double, 4>{712.40, 143.00, 810.73, 307.92}));
  EXPECT_EQ(o.h, 1.89);
  EXPECT_EQ(o.w, 0.48);
  EXPECT_EQ(o.l, 1.20);
  EXPECT_EQ(o.x, 1.84);
  EXPECT_EQ(o.y, 1.47);
  EXPECT_EQ(o.z, 8.41);
  EXPECT_EQ(o.ry, 0.01);
  EXPECT_FALSE(o.has_score);
}

TEST(KittiLabel, SixteenthFieldIsTheScore) {
  const auto objs = parse("score", std::string(kPedLine) + " 0.8731\n" + kDontCare + "\n");
  ASSERT_EQ(objs.size(), 2u);
  EXPECT_TRUE(objs[0].has_score);
  EXPECT_EQ(objs[0].score, 0.8731);
  EXPECT_FALSE(objs[1].has_score);
  EXPECT_EQ(objs[1].type, "DontCare");
  EXPECT_EQ(objs[1].occluded, -1);
  EXPECT_EQ(objs[1].x, -1000.0);
  EXPECT_EQ(objs[1].ry, -10.0);
}

TEST(KittiLabel, ToleratesBlankLinesCrlfAndNoFinalNewline) {
  const auto objs = parse("crlf", std::string("\n") + kPedLine + "\r\n\r\n" + kDontCare);
  ASSERT_EQ(objs.size(), 2u);
  EXPECT_EQ(objs[0].ry, 0.01);
  EXPECT_EQ(objs[1].ry, -10.0);
  EXPECT_TRUE(parse("empty", "").empty());
}

TEST(KittiLabel, WrongFieldCountNamesFileAndLine) {
  const auto dir = t::temp_dir("label_count");
  t::write_raw(dir / "l.txt", std::string(kPedLine) + "\nCar 0.00 0 1.0 2.0\n");
  const auto msg = t::error_of([&] { read_kitti_labels((dir / "l.txt").string()); });
  EXPECT_NE(msg.find("l.txt:2:"), std::string::npos) << msg;
  EXPECT_NE(msg.find("expected 15 fields"), std::string::npos) << msg;
  EXPECT_NE(msg.find("got 5"), std::string::npos) << msg;
  t::write_raw(dir / "m.txt", std::string(kPedLine) + " 0.5 0.6\n");
  EXPECT_NE(t::error_of([&] { read_kitti_labels((dir / "m.txt").string()); }).find("got 17"),
            std::string::npos);
}

TEST(KittiLabel, NonNumberNamesLineAndField) {
  const auto dir = t::temp_dir("label_nan");
  t::write_raw(dir / "l.txt",
               std::string(kDontCare) +
                   "\nCar 0.00 0 -0.20 712.40 143.00 810.73 307.92 tall 0.48 1.20 1.84 1.47 8.41 "
                   "0.01\n");
  auto msg = t::error_of([&] { read_kitti_labels((dir / "l.txt").string()); });
  EXPECT_NE(msg.find("l.txt:2: field 'height'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'tall'"), std::string::npos) << msg;
  // Trailing garbage, NaN and a fractional occlusion are rejected too.
  for (const auto& [text, field] : std::vector<std::pair<std::string, std::string>>{
           {"Car 0.00 0 -0.20 1 2 3 4 1.5 1.6 3.9 1.0 1.6 10.0 0.1x", "rotation_y"},
           {"Car 0.00 0 nan 1 2 3 4 1.5 1.6 3.9 1.0 1.6 10.0 0.1", "alpha"},
           {"Car 0.00 1.5 0.2 1 2 3 4 1.5 1.6 3.9 1.0 1.6 10.0 0.1", "occluded"},
           {"Car 0.00 0 0.2 1 2 3 4 1.5 1.6 3.9 1.0 1.6 inf 0.1", "z"}}) {
    t::write_raw(dir / "b.txt", text + "\n");
    msg = t::error_of([&] { read_kitti_labels((dir / "b.txt").string()); });
    EXPECT_NE(msg.find("b.txt:1: field '" + field + "'"), std::string::npos) << msg;
  }
}

TEST(KittiLabel, FormatsGroundTruthLikeOpenPCDet) {
  KittiObject o;
  o.type = "Car";
  o.truncated = 0.125;  // binary-exact, so "%.2f" rounding is to even: 0.12
  o.occluded = 2;
  o.alpha = -1.5707963;
  o.bbox = {100, 150.456, 200.004, 250};
  o.h = 1.5, o.w = 1.6, o.l = 3.9;
  o.x = -2.5, o.y = 1.7, o.z = 20.0;
  o.ry = 3.14159;
  EXPECT_EQ(lidardet::format_kitti_label(o),
            "Car 0.12 2 -1.57 100.00 150.46 200.00 250.00 1.50 1.60 3.90 -2.50 1.70 20.00 3.14");
  o.has_score = true;
  o.score = 0.56789;
  o.truncated = -1;
  o.occluded = -1;
  EXPECT_EQ(lidardet::format_kitti_label(o),
            "Car -1.00 -1 -1.5708 100.0000 150.4560 200.0040 250.0000 1.5000 1.6000 3.9000 "
            "-2.5000 1.7000 20.0000 3.1416 0.5679");
}

TEST(KittiLabel, WriteReadWriteIsByteIdentical) {
  const auto dir = t::temp_dir("label_rt");
  const std::string text = std::string(kPedLine) + "\n" + kDontCare + "\n";
  t::write_raw(dir / "in.txt", text);
  const auto objs = read_kitti_labels((dir / "in.txt").string());
  write_kitti_labels((dir / "out.txt").string(), objs);
  const auto back = read_kitti_labels((dir / "out.txt").string());
  EXPECT_EQ(back, objs);  // values printed with 2 decimals parse back to the same doubles
  write_kitti_labels((dir / "again.txt").string(), back);
  EXPECT_EQ(t::read_raw(dir / "again.txt"), t::read_raw(dir / "out.txt"));
  // The pedestrian line is already in OpenPCDet's format, so it is reproduced verbatim.
  EXPECT_EQ(t::read_raw(dir / "out.txt").substr(0, std::string(kPedLine).size() + 1),
            std::string(kPedLine) + "\n");
}

TEST(KittiLabel, EmptyListWritesEmptyFileAndBadTypeWritesNothing) {
  const auto dir = t::temp_dir("label_empty");
  write_kitti_labels((dir / "e.txt").string(), {});
  EXPECT_EQ(t::read_raw(dir / "e.txt"), "");
  KittiObject bad;
  bad.type = "Traffic cone";
  EXPECT_THROW(write_kitti_labels((dir / "b.txt").string(), {bad}), lidardet::Error);
  EXPECT_FALSE(std::filesystem::exists(dir / "b.txt"));
  EXPECT_EQ(t::count_entries(dir), 1u);
}

TEST(KittiLabel, RealLabelFile) {
  const auto path = t::shared_data("kitti_real/training/label_2/000000.txt");
  LIDARDET_REQUIRE_SHARED(path);
  const auto objs = read_kitti_labels(path);
  ASSERT_EQ(objs.size(), 1u);
  EXPECT_EQ(lidardet::format_kitti_label(objs[0]), kPedLine);
}

}  // namespace
