// Waymo v1 output of lidardet's simulator (lib/sim): a simulated Waymo-TOP-like frame becomes
// a SceneFrame for the Frame writer. This is what `lidardet simulate --format waymo` calls.
// Only available when the sim stage is built (LIDARDET_WAYMO_HAS_SIM).
#pragma once
#if __has_include("sim/simulator.hpp")
#define LIDARDET_WAYMO_HAS_SIM 1
#include <cstdint>
#include <string>

#include "io/waymo/frame_writer.hpp"
#include "sim/sensor.hpp"
#include "sim/simulator.hpp"

namespace lidardet::waymo {

// The TOP laser calibration of a simulated sensor: its rows' inclinations stored ascending,
// its beam edges as min/max and its mount as the extrinsic.
LaserCalibration sim_laser_calibration(const sim::SensorSpec& sensor);

// One simulated frame as a Waymo frame: the range image becomes the TOP return 1, the
// second-return image (when the sensor models one) return 2, else return 2 is empty; the
// no-label-zone flag is -1 everywhere. Every labelled object becomes a laser label in the vehicle
// frame with its type, a track id "<context>_<object id>" and the simulator's difficulty.
// num_lidar_points_in_box is recounted by build_frame on the decoded points.
SceneFrame scene_frame_from_sim(const sim::SimFrame& frame, const sim::SensorSpec& sensor,
                                const std::string& context_name, std::int64_t timestamp_micros,
                                const Transform& pose = identity_transform());

// Simulates frames [0, count) of `seed` and writes them as one segment TFRecord, one frame in
// memory at a time; timestamps step by 100 ms from `start_micros`. Returns the frame count.
std::size_t write_simulated_segment(const std::string& path, const sim::Simulator& simulator,
                                    std::uint64_t seed, std::size_t count,
                                    const std::string& context_name,
                                    std::int64_t start_micros = 1'600'000'000'000'000,
                                    const FrameWriterOptions& options = {});

}  // namespace lidardet::waymo
#endif
