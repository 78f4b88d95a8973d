// .npy files and the OpenPCDet / mmdet3d processed layouts. The .npy bytes below are written
// out by hand from the NumPy format description (magic, version, header length, dict header).
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "common/test_paths.hpp"
#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "io/waymo/frame_writer.hpp"
#include "io/waymo/npy.hpp"
#include "io/waymo/processed.hpp"

using namespace lidardet;
using namespace lidardet::waymo;

namespace {
std::string npy_bytes(char major, const std::string& dict, const std::string& payload) {
  std::string header = dict;
  const std::size_t prefix = major == 1 ? 10 : 12;
  while ((prefix + header.size() + 1) % 64) header += ' ';
  header += '\n';
  std::string out = std::string("\x93NUMPY", 6) + major + '\0';
  const std::uint32_t n = static_cast<std::uint32_t>(header.size());
  out.append(reinterpret_cast<const char*>(&n), major == 1 ? 2 : 4);
  return out + header + payload;
}
std::string floats(std::initializer_list<float> v) {
  return {reinterpret_cast<const char*>(std::data(v)), v.size() * 4};
}
}  // namespace

TEST(Npy, ReadsHandWrittenVersion1And2) {
  const std::string payload = floats({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
  for (char major : {char(1), char(2)}) {
    const auto a = parse_npy(
        npy_bytes(major, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 6), }", payload),
        "mem");
    ASSERT_EQ(a.shape, (std::vector<std::size_t>{2, 6}));
    EXPECT_EQ(a.data[7], 8.f);
  }
  // float64 is converted; an empty (0, 6) array is fine.
  const double d[2] = {0.5, -2.0};
  const auto b = parse_npy(npy_bytes(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }",
                                     std::string(reinterpret_cast<const char*>(d), 16)),
                           "mem");
  EXPECT_EQ(b.data, (std::vector<float>{0.5f, -2.0f}));
  const auto e = parse_npy(
      npy_bytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 6), }", ""), "m");
  EXPECT_EQ(e.shape, (std::vector<std::size_t>{0, 6}));
}

TEST(Npy, WriterMatchesNumpyLayout) {
  const float v[6] = {1, 2, 3, 4, 5, 6};
  const std::string bytes = encode_npy(v, 1, 6);
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
  const std::size_t header_len = static_cast<unsigned char>(bytes[8]) | bytes[9] << 8;
  EXPECT_EQ((10 + header_len) % 64, 0u);
  EXPECT_EQ(bytes[10 + header_len - 1], '\n');
  EXPECT_EQ(
      bytes.substr(10, 60).find("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 6), }"), 0u);
  EXPECT_EQ(bytes.size(), 10 + header_len + 24);
  const auto back = parse_npy(bytes, "mem");
  EXPECT_EQ(back.data, std::vector<float>(v, v + 6));
}

TEST(Npy, BadFilesAreClearErrors) {
  const std::string payload = floats({1, 2, 3, 4, 5, 6});
  EXPECT_THROW(parse_npy("hello world", "x.npy"), Error);
  try {
    parse_npy(npy_bytes(1, "{'descr': '<i4', 'fortran_order': False, 'shape': (1, 6), }", payload),
              "x.npy");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("x.npy: header field 'descr'"), std::string::npos);
  }
  EXPECT_THROW(
      parse_npy(npy_bytes(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (1, 6), }", payload),
                "x.npy"),
      Error);
  // Shape says 2 rows, data holds 1.
  EXPECT_THROW(parse_npy(npy_bytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 6), }",
                                   payload),
                         "x.npy"),
               Error);
  EXPECT_THROW(parse_npy(npy_bytes(1, "{'descr': '<f4', 'shape': (1, 6), }", payload), "x.npy"),
               Error);
}

TEST(Processed, OpenPCDetLayoutAndRoundTrip) {
  const auto dir = test::temp_dir("waymo_processed");
  // A one-laser frame with three valid pixels, one in a no-label zone.
  SceneFrame scene;
  scene.context_name = "123_456";
  scene.timestamp_micros = 1000000;
  LaserScan scan;
  scan.calibration.name = int(LaserName::kFront);
  scan.calibration.beam_inclination_min = -0.1;
  scan.calibration.beam_inclination_max = 0.1;
  scan.return1.dims = {1, 4, 4};
  scan.return1.data = {2, 0.5f, 0.1f, -1, -1, 0, 0, -1, 3, 0.25f, 0.2f, 1, 4, 1, 0, -1};
  scene.lasers.push_back(scan);
  const std::string seg = (dir / segment_file_name(scene.context_name)).string();
  write_waymo_segment(seg, {scene, scene});

  const std::string root = (dir / "waymo").string();
  EXPECT_EQ(convert_segment_to_openpcdet(seg, root, "train"), 2u);
  const std::string f1 = openpcdet_frame_path(root, "123_456", 1);
  EXPECT_EQ(f1, root + "/waymo_processed_data_v0_5_0/segment-123_456_with_camera_labels/0001.npy");
  const PointCloud pc = read_openpcdet_frame(f1);
  ASSERT_EQ(pc.size(), 3u);
  EXPECT_EQ(pc(1, 3), 0.25f);
  EXPECT_EQ(pc(1, 5), 1.f);
  EXPECT_EQ(read_file_bytes(root + "/ImageSets/train.txt"),
            "segment-123_456_with_camera_labels.tfrecord\n");
  // Converting again does not duplicate the ImageSets line.
  convert_segment_to_openpcdet(seg, root, "train");
  EXPECT_EQ(read_file_bytes(root + "/ImageSets/train.txt"),
            "segment-123_456_with_camera_labels.tfrecord\n");

  // mmdet3d drops the no-label-zone point and stores the timestamp.
  const PointCloud mm = mmdet3d_points(pc, 1000000);
  ASSERT_EQ(mm.size(), 2u);
  EXPECT_EQ(mm(1, 5), 1000000.f);
  EXPECT_EQ(mmdet3d_bin_name(1, 7, 42), "1007042.bin");
  const std::string bin = (dir / "1007042.bin").string();
  write_mmdet3d_bin(bin, mm);
  EXPECT_EQ(std::filesystem::file_size(bin), 2u * 24);
  EXPECT_EQ(read_mmdet3d_bin(bin), mm);
  write_file_atomic(bin, std::string(25, '\0'));
  EXPECT_THROW(read_mmdet3d_bin(bin), Error);
}
