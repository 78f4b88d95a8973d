#include "io/kitti_calib.hpp"

#include <Eigen/Dense>
#include <array>
#include <cstdio>
#include <optional>
#include <string>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "io/text_fields.hpp"

namespace lidardet {

namespace {

Eigen::Matrix4d padded(const Matrix34d& m) {
  Eigen::Matrix4d out = Eigen::Matrix4d::Identity();
  out.topRows<3>() = m;
  return out;
}

Eigen::Matrix4d padded(const Eigen::Matrix3d& m) {
  Eigen::Matrix4d out = Eigen::Matrix4d::Identity();
  out.topLeftCorner<3, 3>() = m;
  return out;
}

// The seven keys in file order, with their value counts.
struct Key {
  const char* name;
  int count;
};
constexpr std::array<Key, 7> kKeys = {{{"P0", 12},
                                       {"P1", 12},
                                       {"P2", 12},
                                       {"P3", 12},
                                       {"R0_rect", 9},
                                       {"Tr_velo_to_cam", 12},
                                       {"Tr_imu_to_velo", 12}}};

}  // namespace

Eigen::Vector3d KittiCalib::lidar_to_rect(const Eigen::Vector3d& p) const {
  return R0_rect * (Tr_velo_to_cam.leftCols<3>() * p + Tr_velo_to_cam.col(3));
}

Eigen::Vector3d KittiCalib::rect_to_lidar(const Eigen::Vector3d& p) const {
  // Invert R0 * [R|t] exactly (not assuming orthonormal rotations; real calibs are only
  // approximately so): solve with the full 4x4 as OpenPCDet does.
  const Eigen::Matrix4d m = padded(R0_rect) * padded(Tr_velo_to_cam);
  const Eigen::Vector4d h(p.x(), p.y(), p.z(), 1.0);
  const Eigen::Vector4d v = m.partialPivLu().solve(h);
  return v.head<3>() / v(3);
}

Eigen::Vector3d KittiCalib::rect_to_image(const Eigen::Vector3d& p) const {
  const Eigen::Vector3d h = P2.leftCols<3>() * p + P2.col(3);
  return {h(0) / h(2), h(1) / h(2), h(2)};
}

bool KittiCalib::operator==(const KittiCalib& o) const {
  return P0 == o.P0 && P1 == o.P1 && P2 == o.P2 && P3 == o.P3 && R0_rect == o.R0_rect &&
         Tr_velo_to_cam == o.Tr_velo_to_cam && Tr_imu_to_velo == o.Tr_imu_to_velo;
}

KittiCalib read_kitti_calib(const std::string& path) {
  const std::string bytes = read_file_bytes(path);
  std::array<std::optional<std::vector<double>>, kKeys.size()> values;
  std::array<long, kKeys.size()> seen_at{};
  const auto lines = text::split_lines(bytes);
  for (std::size_t li = 0; li < lines.size(); ++li) {
    const long line = static_cast<long>(li) + 1;
    const auto f = text::split_fields(lines[li]);
    if (f.empty()) continue;
    if (f[0].size() < 2 || f[0].back() != ':')
      fail(path, line, "", "expected 'KEY: values', got '" + std::string(f[0]) + "'");
    const std::string key(f[0].substr(0, f[0].size() - 1));
    std::size_t k = 0;
    while (k < kKeys.size() && key != kKeys[k].name) ++k;
    if (k == kKeys.size()) continue;  // other keys (e.g. from raw-data calibs) are ignored
    if (values[k])
      fail(path, line, key, "duplicate key (first on line " + std::to_string(seen_at[k]) + ")");
    if (static_cast<int>(f.size()) - 1 != kKeys[k].count)
      fail(path, line, key,
           "expected " + std::to_string(kKeys[k].count) + " values, got " +
               std::to_string(f.size() - 1));
    std::vector<double> v;
    for (std::size_t i = 1; i < f.size(); ++i)
      v.push_back(text::parse_double(f[i], path, line, key + "[" + std::to_string(i - 1) + "]"));
    values[k] = std::move(v);
    seen_at[k] = line;
  }
  for (std::size_t k = 0; k < kKeys.size(); ++k)
    if (!values[k])
      fail(path, 0, kKeys[k].name,
           "missing key (a KITTI calib needs P0..P3, "
           "R0_rect, Tr_velo_to_cam, Tr_imu_to_velo)");
  auto m34 = [&](std::size_t k) {
    Matrix34d m;
    for (int r = 0; r < 3; ++r)
      for (int c = 0; c < 4; ++c) m(r, c) = (*values[k])[r * 4 + c];
    return m;
  };
  KittiCalib calib;
  calib.P0 = m34(0);
  calib.P1 = m34(1);
  calib.P2 = m34(2);
  calib.P3 = m34(3);
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c) calib.R0_rect(r, c) = (*values[4])[r * 3 + c];
  calib.Tr_velo_to_cam = m34(5);
  calib.Tr_imu_to_velo = m34(6);
  return calib;
}

void write_kitti_calib(const std::string& path, const KittiCalib& calib) {
  write_file_atomic(path, [&](std::ostream& os) {
    char buf[32];
    auto line = [&](const char* key, const auto& m) {
      os << key << ':';
      for (int r = 0; r < m.rows(); ++r)
        for (int c = 0; c < m.cols(); ++c) {
          std::snprintf(buf, sizeof buf, " %.12e", m(r, c));
          os << buf;
        }
      os << '\n';
    };
    line("P0", calib.P0);
    line("P1", calib.P1);
    line("P2", calib.P2);
    line("P3", calib.P3);
    line("R0_rect", calib.R0_rect);
    line("Tr_velo_to_cam", calib.Tr_velo_to_cam);
    line("Tr_imu_to_velo", calib.Tr_imu_to_velo);
  });
}

KittiCalib synthetic_kitti_calib(double fx, double fy, double cx, double cy,
                                 const Eigen::Vector3d& t) {
  KittiCalib c;
  Matrix34d p = Matrix34d::Zero();
  p(0, 0) = fx;
  p(0, 2) = cx;
  p(1, 1) = fy;
  p(1, 2) = cy;
  p(2, 2) = 1.0;
  c.P0 = c.P1 = c.P2 = c.P3 = p;
  c.R0_rect.setIdentity();
  // cam x = -velo y, cam y = -velo z, cam z = velo x (camera: x right, y down, z forward).
  c.Tr_velo_to_cam << 0, -1, 0, t.x(), 0, 0, -1, t.y(), 1, 0, 0, t.z();
  c.Tr_imu_to_velo.setZero();
  c.Tr_imu_to_velo.leftCols<3>().setIdentity();
  return c;
}

}  // namespace lidardet
