// A bird's-eye-view raster for `lidardet render`: points coloured by height, oriented boxes
// with a heading mark, on an RGB canvas (x forward = up, y left = left).
#pragma once
#include <cstdint>
#include <vector>

#include "core/box3d.hpp"
#include "core/point_cloud.hpp"

namespace lidardet::cli {

struct Rgb {
  std::uint8_t r, g, b;
};

class BevCanvas {
 public:
  // Covers x, y in [-range, range] metres at `resolution` metres per pixel.
  BevCanvas(double range, double resolution);

  int width() const { return size_; }
  int height() const { return size_; }
  const std::vector<std::uint8_t>& rgb() const { return rgb_; }

  void draw_points(const PointCloud& cloud);
  // Box outline, plus a line from the centre to the middle of the front face.
  void draw_box(const Box3D& box, Rgb colour);
  // Rings every `step` metres, faint, and the sensor position.
  void draw_grid(double step);

 private:
  bool to_pixel(double x, double y, double& col, double& row) const;
  void put(int col, int row, Rgb c);
  void line(double x0, double y0, double x1, double y1, Rgb c, int thickness);

  double range_, res_;
  int size_;
  std::vector<std::uint8_t> rgb_;
};

}  // namespace lidardet::cli
