#include "io/waymo/sim_bridge.hpp"

#ifdef LIDARDET_WAYMO_HAS_SIM
#include "core/error.hpp"

namespace lidardet::waymo {

LaserCalibration sim_laser_calibration(const sim::SensorSpec& sensor) {
  LaserCalibration c =
      make_laser_calibration(LaserName::kTop, sensor.inclinations, sensor.extrinsic());
  c.beam_inclination_min = sensor.inclination_min;
  c.beam_inclination_max = sensor.inclination_max;
  return c;
}

namespace {

// A simulator range image (range, intensity, elongation) as Waymo's [H, W, 4] with range -1 for
// "no return" and the no-label-zone channel -1 (outside every zone).
MatrixFloat waymo_range_image(const sim::RangeImage& ri) {
  MatrixFloat m;
  m.dims = {ri.rows, ri.cols, 4};
  m.data.resize(std::size_t(ri.rows) * ri.cols * 4);
  for (std::size_t px = 0, n = std::size_t(ri.rows) * ri.cols; px < n; ++px) {
    const float range = ri.data[px * 3];
    float* d = &m.data[px * 4];
    d[0] = range > 0 ? range : -1.f;
    d[1] = ri.data[px * 3 + 1];
    d[2] = ri.data[px * 3 + 2];
    d[3] = -1.f;
  }
  return m;
}

}  // namespace

SceneFrame scene_frame_from_sim(const sim::SimFrame& frame, const sim::SensorSpec& sensor,
                                const std::string& context_name, std::int64_t timestamp_micros,
                                const Transform& pose) {
  const sim::RangeImage& ri = frame.range_image;
  if (ri.rows != sensor.rows() || ri.cols != sensor.columns ||
      ri.data.size() != std::size_t(ri.rows) * ri.cols * 3)
    throw Error(context_name + ": simulated range image is " + std::to_string(ri.rows) + " x " +
                std::to_string(ri.cols) + " with " + std::to_string(ri.data.size()) +
                " values; the sensor has " + std::to_string(sensor.rows()) + " x " +
                std::to_string(sensor.columns) + " x 3");
  SceneFrame out;
  out.context_name = context_name;
  out.timestamp_micros = timestamp_micros;
  out.pose = pose;
  LaserScan scan;
  scan.calibration = sim_laser_calibration(sensor);
  scan.return1 = waymo_range_image(ri);
  // Sensors without a second-return model leave return 2 empty (written all invalid).
  if (frame.second_range_image.rows > 0) {
    const sim::RangeImage& ri2 = frame.second_range_image;
    if (ri2.rows != ri.rows || ri2.cols != ri.cols || ri2.data.size() != ri.data.size())
      throw Error(context_name + ": simulated second-return image is " + std::to_string(ri2.rows) +
                  " x " + std::to_string(ri2.cols) + ", the first-return one " +
                  std::to_string(ri.rows) + " x " + std::to_string(ri.cols));
    scan.return2 = waymo_range_image(ri2);
  }
  out.lasers.push_back(std::move(scan));
  for (const sim::SimObject& o : frame.objects) {
    WaymoObject label;
    const auto type = type_from_name(o.waymo_class);
    if (!type)
      throw Error(context_name + ": simulated object " + std::to_string(o.id) + " has class '" +
                  o.waymo_class + "', expected Vehicle, Pedestrian or Cyclist");
    label.type = *type;
    label.box = o.box_vehicle;
    label.box.score = 1.0f;
    label.id = context_name + "_" + std::to_string(o.id);
    label.detection_difficulty_level = o.waymo_difficulty == 2 ? 2 : 0;
    out.labels.push_back(std::move(label));
  }
  return out;
}

std::size_t write_simulated_segment(const std::string& path, const sim::Simulator& simulator,
                                    std::uint64_t seed, std::size_t count,
                                    const std::string& context_name, std::int64_t start_micros,
                                    const FrameWriterOptions& options) {
  SegmentWriter writer(path);
  for (std::size_t i = 0; i < count; ++i) {
    const sim::SimFrame f = simulator.simulate(seed, i);
    writer.write(
        build_frame(scene_frame_from_sim(f, simulator.sensor(), context_name,
                                         start_micros + static_cast<std::int64_t>(i) * 100000),
                    options));
  }
  writer.finish();
  return writer.frames();
}

}  // namespace lidardet::waymo
#endif
