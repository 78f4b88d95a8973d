#include "sim/sensor.hpp"

#include <cmath>

#include "core/error.hpp"
#include "sim/yaml_util.hpp"

namespace lidardet::sim {

namespace {
double deg(double d) { return d * M_PI / 180.0; }

void check_range(const std::string& file, const std::string& field, double v, double lo,
                 double hi) {
  if (!(v >= lo && v <= hi))
    fail(file, 0, field,
         "value " + std::to_string(v) + " outside [" + std::to_string(lo) + ", " +
             std::to_string(hi) + "]");
}
}  // namespace

double SensorSpec::column_azimuth(int c) const { return M_PI * (1.0 - 2.0 * (c + 0.5) / columns); }

std::array<double, 16> SensorSpec::extrinsic() const {
  const double c = std::cos(mount_yaw), s = std::sin(mount_yaw);
  return {c, -s, 0, mount_x, s, c, 0, mount_y, 0, 0, 1, mount_z, 0, 0, 0, 1};
}

SensorSpec load_sensor(const std::string& path) {
  const YAML::Node root = load_yaml_file(path);
  SensorSpec s;
  s.name = yaml_string(root, "name", path, "");
  const auto incl = yaml_doubles(root, "inclinations_deg", path, "");
  if (incl.size() < 2) fail(path, 0, "inclinations_deg", "expected at least 2 beams");
  for (std::size_t i = 0; i < incl.size(); ++i) {
    check_range(path, "inclinations_deg[" + std::to_string(i) + "]", incl[i], -90, 90);
    if (i && !(incl[i] < incl[i - 1]))
      fail(path, 0, "inclinations_deg[" + std::to_string(i) + "]",
           "expected strictly descending values (row 0 = top beam)");
    s.inclinations.push_back(deg(incl[i]));
  }
  // Edges default to half a step beyond the first and last rows.
  const std::size_t n = incl.size();
  s.inclination_max =
      deg(yaml_double_or(root, "inclination_max_deg", incl[0] + (incl[0] - incl[1]) / 2, path, ""));
  s.inclination_min = deg(yaml_double_or(root, "inclination_min_deg",
                                         incl[n - 1] - (incl[n - 2] - incl[n - 1]) / 2, path, ""));
  s.columns = yaml_int(root, "columns", path, "");
  if (s.columns < 8 || s.columns > 100000) fail(path, 0, "columns", "expected 8..100000");
  const YAML::Node range = yaml_map(root, "range", path, "");
  s.min_range = yaml_double(range, "min", path, "range");
  s.max_range = yaml_double(range, "max", path, "range");
  if (!(s.min_range >= 0 && s.max_range > s.min_range))
    fail(path, 0, "range", "expected 0 <= min < max");
  const YAML::Node mount = yaml_map(root, "mount", path, "");
  s.mount_x = yaml_double(mount, "x", path, "mount");
  s.mount_y = yaml_double(mount, "y", path, "mount");
  s.mount_z = yaml_double(mount, "z", path, "mount");
  s.mount_yaw = deg(yaml_double(mount, "yaw_deg", path, "mount"));
  s.azimuth_jitter = yaml_double(root, "azimuth_jitter", path, "");
  check_range(path, "azimuth_jitter", s.azimuth_jitter, 0, 1);

  const YAML::Node noise = yaml_map(root, "noise", path, "");
  s.range_noise_stddev = yaml_double(noise, "range_stddev", path, "noise");
  s.intensity_noise_stddev = yaml_double(noise, "intensity_stddev", path, "noise");
  const YAML::Node drop = yaml_map(root, "dropout", path, "");
  s.dropout_base = yaml_double(drop, "base", path, "dropout");
  s.grazing_cos = yaml_double(drop, "grazing_cos", path, "dropout");
  s.grazing_dropout = yaml_double(drop, "grazing", path, "dropout");
  s.dark_intensity = yaml_double(drop, "dark_intensity", path, "dropout");
  s.dark_dropout = yaml_double(drop, "dark", path, "dropout");
  for (const char* f : {"base", "grazing", "dark"})
    check_range(path, std::string("dropout.") + f, yaml_double(drop, f, path, "dropout"), 0, 1);
  const YAML::Node inten = yaml_map(root, "intensity", path, "");
  s.atmosphere_attenuation = yaml_double(inten, "atmosphere_attenuation", path, "intensity");
  s.incidence_floor = yaml_double(inten, "incidence_floor", path, "intensity");
  check_range(path, "intensity.incidence_floor", s.incidence_floor, 0, 1);
  if (root["second_return"]) {
    const YAML::Node sr = yaml_map(root, "second_return", path, "");
    s.second_return_footprint = yaml_double(sr, "footprint_columns", path, "second_return");
    s.second_return_min_separation = yaml_double(sr, "min_separation", path, "second_return");
    s.second_return_intensity_scale = yaml_double(sr, "intensity_scale", path, "second_return");
    check_range(path, "second_return.footprint_columns", s.second_return_footprint, 0, 4);
    check_range(path, "second_return.min_separation", s.second_return_min_separation, 0, 1000);
    check_range(path, "second_return.intensity_scale", s.second_return_intensity_scale, 0, 1);
  }

  const YAML::Node cam = yaml_map(root, "camera", path, "");
  s.camera.width = yaml_int(cam, "width", path, "camera");
  s.camera.height = yaml_int(cam, "height", path, "camera");
  if (s.camera.width < 1 || s.camera.height < 1)
    fail(path, 0, "camera", "expected a positive size");
  auto copy = [&](const char* key, auto& out) {
    const auto v = yaml_doubles(cam, key, path, "camera", out.size());
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = v[i];
  };
  copy("P2", s.camera.P2);
  copy("R0_rect", s.camera.R0_rect);
  copy("Tr_velo_to_cam", s.camera.Tr_velo_to_cam);
  return s;
}

}  // namespace lidardet::sim
