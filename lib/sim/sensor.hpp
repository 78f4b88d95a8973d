// A spinning LiDAR described in YAML (configs/sim/*.yaml): beam inclinations, azimuth columns,
// range, mounting, noise, dropout and intensity, plus the virtual KITTI camera used for labels.
//
// Conventions (shared with the Waymo writer):
//  - Vehicle frame: x forward, y left, z up, origin on the ground under the vehicle.
//  - The sensor sits at mount (x, y, z) with yaw `mount_yaw` about +z (its extrinsic).
//  - Range image: row 0 is the TOP beam (inclinations are stored top first, radians);
//    column c looks along VEHICLE-frame azimuth  phi(c) = pi * (1 - 2 (c + 0.5) / columns),
//    i.e. column 0 points backwards (+pi), columns/2 forwards, 3*columns/4 to the right.
//    This is Waymo's convention once its az_correction (= mount yaw) is applied.
//  - "Lidar frame" (KITTI velodyne .bin, Box3D of the labels): vehicle axes, origin at the
//    sensor position. It equals the sensor frame when mount_yaw = 0 (the HDL-64 case).
#pragma once
#include <array>
#include <string>
#include <vector>

namespace lidardet::sim {

// KITTI camera model written to calib/*.txt; velodyne here means the lidar frame above.
struct CameraSpec {
  int width = 0, height = 0;
  std::array<double, 12> P2{};              // 3x4 row-major
  std::array<double, 9> R0_rect{};          // 3x3 row-major
  std::array<double, 12> Tr_velo_to_cam{};  // 3x4 row-major
};

struct SensorSpec {
  std::string name;
  std::vector<double> inclinations;  // radians, row 0 = top beam, strictly descending
  double inclination_min = 0;        // beam edges (radians) as Waymo stores them
  double inclination_max = 0;
  int columns = 0;
  double min_range = 0, max_range = 0;  // metres; returns outside are dropped
  double mount_x = 0, mount_y = 0, mount_z = 0, mount_yaw = 0;  // metres, radians
  double azimuth_jitter = 0;          // uniform jitter in column steps (0 keeps the grid exact)
  double range_noise_stddev = 0;      // metres, along the ray
  double dropout_base = 0;            // probability for any return
  double grazing_cos = 0;             // below this cos(incidence) ...
  double grazing_dropout = 0;         // ... drop with this probability
  double dark_intensity = 0;          // below this intensity ...
  double dark_dropout = 0;            // ... drop with this probability
  double atmosphere_attenuation = 0;  // intensity *= exp(-a * range)
  // intensity = albedo * (floor + (1 - floor) * cos(incidence)): KITTI's reflectance is partly
  // compensated, so grazing asphalt still returns (a pure Lambertian cos would not).
  double incidence_floor = 0;
  double intensity_noise_stddev = 0;
  // Second returns (Waymo keeps the two strongest returns per pixel). Simple model: a beam has
  // a footprint; where it straddles an edge, part of it passes the first surface and returns
  // from one behind. The footprint's two azimuth edges (+-footprint/2 column steps) are cast
  // beside every non-ground first return; the nearest hit at least `min_separation` metres
  // behind the first return becomes the pixel's second return, with that surface's noise-free
  // intensity times `intensity_scale` (the share of the footprint it gets). YAML section
  // second_return {footprint_columns, min_separation, intensity_scale}; off when absent.
  double second_return_footprint = 0;  // columns; 0 = no second returns
  double second_return_min_separation = 0;
  double second_return_intensity_scale = 0;
  CameraSpec camera;

  int rows() const { return static_cast<int>(inclinations.size()); }
  // Vehicle-frame azimuth of the centre of column c (see the convention above).
  double column_azimuth(int c) const;
  // 4x4 row-major sensor -> vehicle transform (Waymo's extrinsic).
  std::array<double, 16> extrinsic() const;
};

// Reads and validates a sensor YAML; errors name the file and the field.
SensorSpec load_sensor(const std::string& path);

}  // namespace lidardet::sim
