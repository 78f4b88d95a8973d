#include "render_bev.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "core/geometry.hpp"

namespace lidardet::cli {

BevCanvas::BevCanvas(double range, double resolution) : range_(range), res_(resolution) {
  if (!(range > 0 && resolution > 0) || range / resolution > 8000)
    throw Error("render: expected range > 0 and resolution > 0 giving at most 16000 pixels");
  size_ = static_cast<int>(std::ceil(2 * range / resolution));
  rgb_.assign(static_cast<std::size_t>(size_) * size_ * 3, 0);
}

bool BevCanvas::to_pixel(double x, double y, double& col, double& row) const {
  col = (range_ - y) / res_;
  row = (range_ - x) / res_;
  return col >= 0 && row >= 0 && col < size_ && row < size_;
}

void BevCanvas::put(int col, int row, Rgb c) {
  if (col < 0 || row < 0 || col >= size_ || row >= size_) return;
  std::uint8_t* p = &rgb_[(static_cast<std::size_t>(row) * size_ + col) * 3];
  p[0] = c.r;
  p[1] = c.g;
  p[2] = c.b;
}

void BevCanvas::draw_points(const PointCloud& cloud) {
  for (std::size_t i = 0; i < cloud.size(); ++i) {
    double col, row;
    if (!to_pixel(cloud.x(i), cloud.y(i), col, row)) continue;
    // Ground (up to 0.25 m above the KITTI ground at z = -1.73) dim; anything higher drawn
    // larger, from teal (low) to pale yellow (>= 2.5 m), so objects stand out.
    const double above = cloud.z(i) + 1.73;
    const int cc = static_cast<int>(col), rr = static_cast<int>(row);
    if (above < 0.25) {
      put(cc, rr, {70, 75, 100});
      continue;
    }
    const double t = std::clamp((above - 0.25) / 2.25, 0.0, 1.0);
    const Rgb c{static_cast<std::uint8_t>(60 + 195 * t), static_cast<std::uint8_t>(200 + 40 * t),
                static_cast<std::uint8_t>(200 - 80 * t)};
    put(cc, rr, c);
    put(cc + 1, rr, c);
    put(cc, rr + 1, c);
    put(cc + 1, rr + 1, c);
  }
}

void BevCanvas::line(double x0, double y0, double x1, double y1, Rgb c, int thickness) {
  double c0, r0, c1, r1;
  to_pixel(x0, y0, c0, r0);
  to_pixel(x1, y1, c1, r1);
  const int steps = static_cast<int>(std::ceil(std::max(std::abs(c1 - c0), std::abs(r1 - r0)))) + 1;
  if (steps > 100000) return;  // far outside the canvas
  for (int s = 0; s <= steps; ++s) {
    const double a = static_cast<double>(s) / steps;
    const int col = static_cast<int>(std::lround(c0 + a * (c1 - c0)));
    const int row = static_cast<int>(std::lround(r0 + a * (r1 - r0)));
    for (int dy = 0; dy < thickness; ++dy)
      for (int dx = 0; dx < thickness; ++dx) put(col + dx, row + dy, c);
  }
}

void BevCanvas::draw_box(const Box3D& box, Rgb colour) {
  const auto k = bev_corners(box);
  for (int i = 0; i < 4; ++i) line(k[i].x, k[i].y, k[(i + 1) % 4].x, k[(i + 1) % 4].y, colour, 2);
  const double fx = (k[0].x + k[3].x) / 2, fy = (k[0].y + k[3].y) / 2;  // front face middle
  line(box.x, box.y, fx, fy, colour, 2);
}

void BevCanvas::draw_grid(double step) {
  const Rgb ring{45, 45, 45};
  for (double r = step; r <= range_ * 1.5; r += step) {
    const int n = static_cast<int>(2 * M_PI * r / res_) + 8;
    for (int i = 0; i < n; ++i) {
      double col, row;
      const double a = 2 * M_PI * i / n;
      if (to_pixel(r * std::cos(a), r * std::sin(a), col, row))
        put(static_cast<int>(col), static_cast<int>(row), ring);
    }
  }
  line(-1.0, 0.0, 1.5, 0.0, {255, 200, 0}, 3);  // the sensor, pointing forward
}

}  // namespace lidardet::cli
