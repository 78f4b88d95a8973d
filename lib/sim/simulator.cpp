#include "sim/simulator.hpp"

#include <algorithm>
#include <cmath>

#include "core/geometry.hpp"
#include "sim/kitti_labels.hpp"
#include "sim/ray_caster.hpp"
#include "sim/rng.hpp"
#include "sim/scene_generator.hpp"

namespace lidardet::sim {

Simulator::Simulator(SensorSpec sensor, SceneConfig scene)
    : sensor_(std::move(sensor)), scene_(std::move(scene)) {}

Scene Simulator::make_scene(std::uint64_t seed, std::uint64_t index) const {
  return generate_scene(scene_, mix_seed(seed, 2 * index));
}

SimFrame Simulator::simulate(std::uint64_t seed, std::uint64_t index) const {
  SimFrame f = simulate_scene(make_scene(seed, index), mix_seed(seed, 2 * index + 1));
  f.seed = seed;
  return f;
}

namespace {

// Counts, for one object, the rays of the scan pattern (column centres) that would reach it
// with nothing in front: the "ideal" point count of data.md 6.4.
int ideal_hits(const RayCaster& caster, const SensorSpec& s, int object) {
  const RayCaster::Extent e = caster.object_extent(object);
  if (e.all_around) return 0;
  const int cols = s.columns;
  const double step = 2 * M_PI / cols;
  // Column whose centre azimuth is az: c = (1 - az / pi) * cols / 2 - 0.5.
  const double c_mid = (1.0 - e.az_center / M_PI) * cols / 2 - 0.5;
  const long span = static_cast<long>(std::ceil(e.az_half / step)) + 1;
  int count = 0;
  Hit h;
  for (int r = 0; r < s.rows(); ++r) {
    const double el = s.inclinations[r];
    if (el < e.el_lo || el > e.el_hi) continue;
    for (long k = static_cast<long>(std::floor(c_mid)) - span;
         k <= static_cast<long>(std::ceil(c_mid)) + span; ++k) {
      const int c = static_cast<int>(((k % cols) + cols) % cols);
      if (caster.cast_object(object, s.column_azimuth(c), el, h) && h.t >= s.min_range) ++count;
    }
  }
  return count;
}

// The beam footprint model of SensorSpec::second_return_*: casts the footprint's azimuth edges
// beside a first return at distance `first_t` and records the nearest surface far enough
// behind it as pixel (r, c)'s second return.
void second_return(const RayCaster& caster, const Scene& scene, const SensorSpec& s, int r, int c,
                   double az, double first_t, SimFrame& f) {
  const double el = s.inclinations[r];
  const double half = 0.5 * s.second_return_footprint * 2 * M_PI / s.columns;
  Hit best, h;
  double best_az = 0;
  bool found = false;
  for (const double side : {-1.0, 1.0}) {
    const double a = az + side * half;
    if (!caster.cast(a, el, h) || h.t < first_t + s.second_return_min_separation) continue;
    if (h.t < s.min_range || h.t > s.max_range || (found && h.t >= best.t)) continue;
    best = h, best_az = a, found = true;
  }
  if (!found) return;
  const double ce = std::cos(el);
  const double d[3] = {ce * std::cos(best_az), ce * std::sin(best_az), std::sin(el)};
  const double cos_inc = std::abs(d[0] * best.nx + d[1] * best.ny + d[2] * best.nz);
  const double albedo =
      best.primitive >= 0 ? scene.primitives[best.primitive].albedo : scene.ground.albedo;
  const double intensity = std::clamp(s.second_return_intensity_scale * albedo *
                                          (s.incidence_floor + (1 - s.incidence_floor) * cos_inc) *
                                          std::exp(-s.atmosphere_attenuation * best.t),
                                      0.0, 1.0);
  const float p[4] = {static_cast<float>(best.t * d[0]), static_cast<float>(best.t * d[1]),
                      static_cast<float>(best.t * d[2]), static_cast<float>(intensity)};
  f.second_points.push_back(p);
  f.second_point_row.push_back(r);
  f.second_point_col.push_back(c);
  float* px = &f.second_range_image.data[(static_cast<std::size_t>(r) * s.columns + c) * 3];
  px[0] = static_cast<float>(best.t);
  px[1] = static_cast<float>(intensity);
  px[2] = static_cast<float>(0.05 + 0.4 * (1.0 - cos_inc));
}

}  // namespace

SimFrame Simulator::simulate_scene(const Scene& scene, std::uint64_t noise_seed) const {
  const SensorSpec& s = sensor_;
  const int rows = s.rows(), cols = s.columns;
  RayCaster caster(scene, s.mount_x, s.mount_y, s.mount_z, s.max_range, std::max(1024, cols));
  Rng rng(noise_seed);

  SimFrame f;
  f.seed = noise_seed;
  f.scene_type = scene.type;
  f.range_image.rows = rows;
  f.range_image.cols = cols;
  f.range_image.data.assign(static_cast<std::size_t>(rows) * cols * 3, -1.0f);
  f.points.reserve(static_cast<std::size_t>(rows) * cols);
  const bool two_returns = s.second_return_footprint > 0;
  if (two_returns) {
    f.second_range_image.rows = rows;
    f.second_range_image.cols = cols;
    f.second_range_image.data.assign(static_cast<std::size_t>(rows) * cols * 3, -1.0f);
  }
  std::vector<int> first_hits(scene.objects.size(), 0);

  const double step = 2 * M_PI / cols;
  const double atten = s.atmosphere_attenuation;
  Hit h;
  for (int r = 0; r < rows; ++r) {
    const double el = s.inclinations[r];
    const double ce = std::cos(el), se = std::sin(el);
    // Increasing azimuth within a ring = decreasing column index.
    for (int c = cols - 1; c >= 0; --c) {
      // Every ray draws the same four numbers, so one ray's fate never shifts another's.
      const double u_jitter = rng.uniform(), n_range = rng.normal(), n_int = rng.normal(),
                   u_drop = rng.uniform();
      const double az = s.column_azimuth(c) + (2 * u_jitter - 1) * s.azimuth_jitter * step;
      if (!caster.cast(az, el, h) || h.t < s.min_range) continue;
      const int object = h.primitive >= 0 ? scene.primitives[h.primitive].object : -1;
      if (object >= 0) ++first_hits[object];
      const double d[3] = {ce * std::cos(az), ce * std::sin(az), se};
      const double cos_inc = std::abs(d[0] * h.nx + d[1] * h.ny + d[2] * h.nz);
      const double albedo =
          h.primitive >= 0 ? scene.primitives[h.primitive].albedo : scene.ground.albedo;
      const double range = h.t + s.range_noise_stddev * n_range;
      if (range < s.min_range || range > s.max_range) continue;
      const double intensity =
          std::clamp(albedo * (s.incidence_floor + (1 - s.incidence_floor) * cos_inc) *
                             std::exp(-atten * h.t) +
                         s.intensity_noise_stddev * n_int,
                     0.0, 1.0);
      double keep = 1.0 - s.dropout_base;
      if (cos_inc < s.grazing_cos) keep *= 1.0 - s.grazing_dropout;
      if (intensity < s.dark_intensity) keep *= 1.0 - s.dark_dropout;
      if (u_drop >= keep) continue;
      // Elongation (pulse stretch) grows at grazing incidence.
      const double elongation = 0.05 + 0.4 * (1.0 - cos_inc);
      const float p[4] = {static_cast<float>(range * d[0]), static_cast<float>(range * d[1]),
                          static_cast<float>(range * d[2]), static_cast<float>(intensity)};
      f.points.push_back(p);
      f.point_row.push_back(r);
      f.point_col.push_back(c);
      f.point_object.push_back(object);
      float* px = &f.range_image.data[(static_cast<std::size_t>(r) * cols + c) * 3];
      px[0] = static_cast<float>(range);
      px[1] = static_cast<float>(intensity);
      px[2] = static_cast<float>(elongation);
      // Second return: no random draws, so first returns are the same with or without it.
      if (two_returns && h.primitive >= 0) second_return(caster, scene, s, r, c, az, h.t, f);
    }
  }

  const Ground& g = scene.ground;
  const double n = std::sqrt(g.slope_x * g.slope_x + g.slope_y * g.slope_y + 1);
  f.ground_plane = {-g.slope_x / n, -g.slope_y / n, 1 / n,
                    (s.mount_z - g.slope_x * s.mount_x - g.slope_y * s.mount_y) / n};

  const KittiCalib calib = make_kitti_calib(s.camera);
  const PointCloudView view = f.points.view();
  for (std::size_t i = 0; i < scene.objects.size(); ++i) {
    const SceneObject& so = scene.objects[i];
    SimObject o;
    o.id = static_cast<int>(i);
    o.kitti_class = so.kitti_class;
    o.waymo_class = so.waymo_class;
    o.box_vehicle = so.box;
    o.box_lidar = so.box;
    o.box_lidar.x -= s.mount_x;
    o.box_lidar.y -= s.mount_y;
    o.box_lidar.z -= s.mount_z;
    o.moving = so.moving;
    o.distance = std::hypot(o.box_lidar.x, o.box_lidar.y);
    // Points in the box, with a cheap bounding-circle rejection first.
    const Box3D& b = o.box_lidar;
    const double reach2 = (b.l * b.l + b.w * b.w) / 4 + 1e-6;
    for (std::size_t k = 0; k < view.size; ++k) {
      const float* p = view.row(k);
      const double dx = p[0] - b.x, dy = p[1] - b.y;
      if (dx * dx + dy * dy > reach2) continue;
      if (point_in_box(b, p[0], p[1], p[2])) ++o.points_in_box;
    }
    o.object_points = static_cast<int>(
        std::count(f.point_object.begin(), f.point_object.end(), static_cast<int>(i)));
    o.ideal_points = o.distance <= s.max_range + 10 ? ideal_hits(caster, s, o.id) : 0;
    o.visible_fraction =
        o.ideal_points > 0 ? std::min(1.0, double(first_hits[i]) / o.ideal_points) : 0.0;
    o.waymo_difficulty = o.points_in_box <= scene_.waymo_level2_max_points ? 2 : 1;
    label_for_camera(o, calib, s.camera, scene_);
    f.objects.push_back(o);
  }
  return f;
}

}  // namespace lidardet::sim
