#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>

#include "adapters/pcd.hpp"
#include "adapters/ply.hpp"
#include "adapters/point_file.hpp"
#include "common/error_of.hpp"
#include "common/test_paths.hpp"
#include "core/error.hpp"
#include "io/kitti_velodyne.hpp"

namespace {

namespace fs = std::filesystem;
namespace t = lidardet::test;
using lidardet::PointCloud;
using lidardet::test::error_of;

void write_raw(const fs::path& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary).write(bytes.data(), std::streamsize(bytes.size()));
}

template <typename T>
std::string bytes_of(T v, bool big_endian = false) {
  std::string s(sizeof(T), '\0');
  std::memcpy(s.data(), &v, sizeof(T));
  if (big_endian) std::reverse(s.begin(), s.end());
  return s;
}

// Five channels with values that a lossy path would change.
PointCloud sample_cloud() {
  PointCloud c({"x", "y", "z", "intensity", "elongation"});
  const float special[5] = {-0.0f, 1.0f / 3.0f, std::numeric_limits<float>::denorm_min(), 0.1f,
                            -1e30f};
  c.push_back(special);
  for (int i = 0; i < 300; ++i) {
    const float v[5] = {std::sin(i * 0.3f) * 70.f, std::cos(i * 0.7f) * 35.f, -1.7f + 1e-3f * i,
                        float(i % 13) / 13.f, float(i) * 0.5f};
    c.push_back(v);
  }
  return c;
}

class PcdEncodings : public ::testing::TestWithParam<lidardet::PcdEncoding> {};

TEST_P(PcdEncodings, WriteReadIsBitExact) {
  const auto dir = t::temp_dir("pcd_rt_" + std::to_string(int(GetParam())));
  const PointCloud c = sample_cloud();
  lidardet::write_pcd((dir / "c.pcd").string(), c, GetParam());
  const PointCloud back = lidardet::read_pcd((dir / "c.pcd").string());
  ASSERT_EQ(back.channels(), c.channels());
  ASSERT_EQ(back.size(), c.size());
  EXPECT_EQ(std::memcmp(back.data(), c.data(), c.size() * c.num_channels() * 4), 0);
  EXPECT_TRUE(std::signbit(back(0, 0)));
}

INSTANTIATE_TEST_SUITE_P(Adapters, PcdEncodings,
                         ::testing::Values(lidardet::PcdEncoding::ascii,
                                           lidardet::PcdEncoding::binary,
                                           lidardet::PcdEncoding::binary_compressed));

TEST(Pcd, AsciiWithMixedTypesCountsAndNanPoints) {
  const auto dir = t::temp_dir("pcd_ascii");
  // Fields out of order, a uint8 ring, a double timestamp, a 2-element field, a NaN point.
  write_raw(dir / "a.pcd",
            "# .PCD v0.7\nVERSION 0.7\nFIELDS intensity x y z ring t n\nSIZE 4 4 4 4 1 8 4\n"
            "TYPE F F F F U F F\nCOUNT 1 1 1 1 1 1 2\nWIDTH 3\nHEIGHT 1\n"
            "VIEWPOINT 0 0 0 1 0 0 0\nPOINTS 3\nDATA ascii\n"
            "0.5 1 2 3 7 0.25 -1 1\n"
            "0.6 nan nan nan 8 0.5 0 0\n"
            "0.7 4 5 6 255 1.5 2 3\n");
  const PointCloud c = lidardet::read_pcd((dir / "a.pcd").string());
  EXPECT_EQ(c.channels(),
            (std::vector<std::string>{"x", "y", "z", "intensity", "ring", "t", "n_0", "n_1"}));
  ASSERT_EQ(c.size(), 2u);  // the NaN point (an organized cloud's "no return") is dropped
  const float row0[8] = {1, 2, 3, 0.5f, 7, 0.25f, -1, 1};
  const float row1[8] = {4, 5, 6, 0.7f, 255, 1.5f, 2, 3};
  for (int k = 0; k < 8; ++k) {
    EXPECT_EQ(c(0, k), row0[k]) << k;
    EXPECT_EQ(c(1, k), row1[k]) << k;
  }
}

TEST(Pcd, BinaryWithPaddingField) {
  const auto dir = t::temp_dir("pcd_bin");
  std::string s =
      "VERSION .7\nFIELDS x y z _ intensity\nSIZE 4 4 4 1 4\nTYPE F F F U F\nCOUNT 1 1 1 4 1\n"
      "WIDTH 2\nHEIGHT 1\nVIEWPOINT 0 0 0 1 0 0 0\nPOINTS 2\nDATA binary\n";
  for (float base : {1.f, 10.f})
    s += bytes_of(base) + bytes_of(base + 1) + bytes_of(base + 2) + std::string(4, '\x55') +
         bytes_of(base / 100);
  write_raw(dir / "b.pcd", s);
  const PointCloud c = lidardet::read_pcd((dir / "b.pcd").string());
  EXPECT_EQ(c.channels(), (std::vector<std::string>{"x", "y", "z", "intensity"}));
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c(1, 0), 10.f);
  EXPECT_EQ(c(1, 2), 12.f);
  EXPECT_EQ(c(1, 3), 0.1f);
}

TEST(Pcd, BadFilesAreErrorsNamingTheFile) {
  const auto dir = t::temp_dir("pcd_bad");
  const std::string header =
      "VERSION 0.7\nFIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nCOUNT 1 1 1\nWIDTH 10\nHEIGHT 1\n"
      "POINTS 10\nDATA binary\n";
  write_raw(dir / "short.pcd", header + std::string(40, '\0'));  // 10 points need 120 bytes
  auto msg = error_of([&] { lidardet::read_pcd((dir / "short.pcd").string()); });
  EXPECT_NE(msg.find("short.pcd"), std::string::npos) << msg;
  write_raw(dir / "noz.pcd",
            "VERSION 0.7\nFIELDS x y\nSIZE 4 4\nTYPE F F\nCOUNT 1 1\nWIDTH 1\nHEIGHT 1\n"
            "POINTS 1\nDATA ascii\n1 2\n");
  msg = error_of([&] { lidardet::read_pcd((dir / "noz.pcd").string()); });
  EXPECT_NE(msg.find("noz.pcd: field 'z': missing field"), std::string::npos) << msg;
  write_raw(dir / "junk.pcd", "this is not a point cloud\n");
  msg = error_of([&] { lidardet::read_pcd((dir / "junk.pcd").string()); });
  EXPECT_NE(msg.find("junk.pcd"), std::string::npos) << msg;
  msg = error_of([&] { lidardet::read_pcd((dir / "absent.pcd").string()); });
  EXPECT_NE(msg.find("absent.pcd: cannot open"), std::string::npos) << msg;
}

TEST(Pcd, WriterRejectsNamesWithSpacesAndLeavesNothing) {
  const auto dir = t::temp_dir("pcd_names");
  PointCloud c({"x", "y", "z", "two words"});
  EXPECT_THROW(lidardet::write_pcd((dir / "c.pcd").string(), c), lidardet::Error);
  EXPECT_TRUE(fs::is_empty(dir));
}

TEST(Ply, WriteReadIsBitExactInBothModes) {
  const auto dir = t::temp_dir("ply_rt");
  const PointCloud c = sample_cloud();
  for (bool binary : {true, false}) {
    const auto path = (dir / (binary ? "b.ply" : "a.ply")).string();
    lidardet::write_ply(path, c, binary);
    const PointCloud back = lidardet::read_ply(path);
    ASSERT_EQ(back.channels(), c.channels()) << binary;
    ASSERT_EQ(back.size(), c.size()) << binary;
    EXPECT_EQ(std::memcmp(back.data(), c.data(), c.size() * c.num_channels() * 4), 0) << binary;
  }
  // Binary: 16 bytes per point for x, y, z, intensity after the header (data.md §8.2).
  PointCloud four;
  const float p[4] = {1, 2, 3, 4};
  four.push_back(p);
  four.push_back(p);
  lidardet::write_ply((dir / "f.ply").string(), four);
  const std::string text = [&] {
    std::ifstream in(dir / "f.ply", std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }();
  const auto end = text.find("end_header\n");
  ASSERT_NE(end, std::string::npos);
  EXPECT_EQ(text.size() - end - 11, 32u);
}

TEST(Ply, AsciiMeshKeepsVerticesAndScalarProperties) {
  const auto dir = t::temp_dir("ply_ascii");
  write_raw(dir / "m.ply",
            "ply\nformat ascii 1.0\ncomment a triangle\nelement vertex 3\nproperty float x\n"
            "property float y\nproperty float z\nproperty uchar intensity\nproperty double t\n"
            "element face 1\nproperty list uchar int vertex_indices\nend_header\n"
            "0 0 0 10 0.5\n1 0 0 20 1.5\n0 1 0 255 2.5\n3 0 1 2\n");
  const PointCloud c = lidardet::read_ply((dir / "m.ply").string());
  EXPECT_EQ(c.channels(), (std::vector<std::string>{"x", "y", "z", "intensity", "t"}));
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c(1, 0), 1.f);
  EXPECT_EQ(c(2, 1), 1.f);
  EXPECT_EQ(c(2, 3), 255.f);
  EXPECT_EQ(c(1, 4), 1.5f);
}

TEST(Ply, BinaryBigEndian) {
  const auto dir = t::temp_dir("ply_be");
  std::string s =
      "ply\nformat binary_big_endian 1.0\nelement vertex 2\nproperty float x\nproperty float y\n"
      "property float z\nproperty float intensity\nend_header\n";
  for (float v : {1.5f, -2.f, 3.25f, 0.5f, 4.f, 5.f, 6.f, 0.75f}) s += bytes_of(v, true);
  write_raw(dir / "be.ply", s);
  const PointCloud c = lidardet::read_ply((dir / "be.ply").string());
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c(0, 0), 1.5f);
  EXPECT_EQ(c(0, 1), -2.f);
  EXPECT_EQ(c(1, 3), 0.75f);
}

TEST(Ply, BadFilesAreErrorsNamingTheFile) {
  const auto dir = t::temp_dir("ply_bad");
  write_raw(dir / "junk.ply", "not a ply\n");
  auto msg = error_of([&] { lidardet::read_ply((dir / "junk.ply").string()); });
  EXPECT_NE(msg.find("junk.ply"), std::string::npos) << msg;
  write_raw(dir / "noxyz.ply",
            "ply\nformat ascii 1.0\nelement vertex 1\nproperty float a\nend_header\n1\n");
  msg = error_of([&] { lidardet::read_ply((dir / "noxyz.ply").string()); });
  EXPECT_NE(msg.find("noxyz.ply"), std::string::npos) << msg;
  // A value that is not a number: PCL yields NaN; lidardet reports the point, not drops it.
  write_raw(dir / "word.ply",
            "ply\nformat ascii 1.0\nelement vertex 2\nproperty float x\nproperty float y\n"
            "property float z\nend_header\n1 2 3\n4 five 6\n");
  msg = error_of([&] { lidardet::read_ply((dir / "word.ply").string()); });
  EXPECT_NE(msg.find("word.ply"), std::string::npos) << msg;
  // Fewer vertices than the header promises.
  write_raw(dir / "short.ply",
            "ply\nformat binary_little_endian 1.0\nelement vertex 1000\nproperty float x\n"
            "property float y\nproperty float z\nend_header\nabcdefgh");
  msg = error_of([&] { lidardet::read_ply((dir / "short.ply").string()); });
  EXPECT_NE(msg.find("short.ply"), std::string::npos) << msg;
}

TEST(PointFile, DispatchesOnExtension) {
  const auto dir = t::temp_dir("points_dispatch");
  PointCloud c;
  const float p[4] = {1, 2, 3, 0.5f};
  c.push_back(p);
  for (const char* name : {"a.bin", "a.pcd", "a.PLY"}) {
    const auto path = (dir / name).string();
    lidardet::write_points(path, c);
    EXPECT_EQ(lidardet::read_points(path), c) << name;
  }
  // The .bin really is KITTI's format.
  EXPECT_EQ(lidardet::read_velodyne_bin((dir / "a.bin").string()), c);
  const auto msg = error_of([&] { lidardet::read_points((dir / "a.xyz").string()); });
  EXPECT_NE(msg.find("a.xyz: unknown point file extension"), std::string::npos) << msg;
}

TEST(PointFile, RealKittiFrameThroughPcdAndPly) {
  const auto bin = t::shared_data("kitti_real/training/velodyne_reduced/000000.bin");
  LIDARDET_REQUIRE_SHARED(bin);
  const PointCloud c = lidardet::read_points(bin);
  ASSERT_EQ(c.size(), 20285u);
  const auto dir = t::temp_dir("points_real");
  lidardet::write_pcd((dir / "r.pcd").string(), c, lidardet::PcdEncoding::binary_compressed);
  lidardet::write_ply((dir / "r.ply").string(), c);
  EXPECT_EQ(lidardet::read_points((dir / "r.pcd").string()), c);
  EXPECT_EQ(lidardet::read_points((dir / "r.ply").string()), c);
}

}  // namespace
