// Builds real v1 Frames from range images (simulated scenes or hand-built ones) and writes
// segment TFRecords that Waymo's own tools, OpenPCDet and lidardet's reader accept
// (../shared/specs/data.md §3.7 and §9.4).
#pragma once
#include <cstdint>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "io/waymo/frame.hpp"
#include "io/waymo/range_image.hpp"

namespace lidardet::waymo {

// One laser's scan: its calibration and up to two returns, each a range image [H, W, 4]
// (range, intensity, elongation, nlz) with range <= 0 for "no return".
struct LaserScan {
  LaserCalibration calibration;
  MatrixFloat return1;
  MatrixFloat return2;  // may be empty (no dims): written as an all-invalid image
};

struct SceneFrame {
  std::string context_name;
  std::int64_t timestamp_micros = 0;
  Transform pose = identity_transform();  // vehicle -> global; keep it near the origin
  std::vector<LaserScan> lasers;
  // Labels in the vehicle frame. The writer fills context_name, frame_timestamp_micros and
  // num_lidar_points_in_box (counted on the points the written frame decodes to).
  std::vector<WaymoObject> labels;
  ContextStats stats;
};

struct FrameWriterOptions {
  int zlib_level = 6;
  // Five camera calibrations are required by OpenPCDet; when empty, synthetic ones are made.
  std::vector<CameraCalibration> camera_calibrations;
};

// Calibration of a simulated lidar: `inclinations_top_first` in radians as a range image's
// rows run (row 0 = highest), stored ascending as Waymo does; `uniform` writes only
// beam_inclination_min/max (the short-range lidars), which must then be the beam edges.
LaserCalibration make_laser_calibration(LaserName name,
                                        const std::vector<double>& inclinations_top_first,
                                        const Transform& extrinsic, bool uniform = false,
                                        double inclination_min = 0, double inclination_max = 0);

// Five synthetic camera calibrations (FRONT..SIDE_RIGHT) with Waymo's image sizes.
std::vector<CameraCalibration> default_camera_calibrations();

// Compresses the range images (plus zero camera projections, plus the TOP pixel-pose image
// filled with the frame pose), counts the decoded points in every label box and returns the
// Frame. Throws lidardet::Error when a range image's shape disagrees with its calibration.
Frame build_frame(const SceneFrame& scene, const FrameWriterOptions& options = {});

// Writes frames one at a time to a temporary file and renames it to `path` in finish(), so a
// segment of any length is written with one frame in memory and never left half-written.
class SegmentWriter {
 public:
  explicit SegmentWriter(const std::string& path);
  ~SegmentWriter();  // removes the temporary file unless finish() ran
  SegmentWriter(const SegmentWriter&) = delete;
  SegmentWriter& operator=(const SegmentWriter&) = delete;

  void write(const Frame& frame);
  void finish();
  std::size_t frames() const { return frames_; }

 private:
  std::string path_, tmp_;
  std::ofstream out_;
  std::size_t frames_ = 0;
  bool done_ = false;
};

// The library entry point for `lidardet simulate --format waymo`: builds and writes every
// frame of a segment. Returns the number of frames written.
std::size_t write_waymo_segment(const std::string& path, const std::vector<SceneFrame>& frames,
                                const FrameWriterOptions& options = {});

// Rasterises vehicle-frame points into a laser's range image [H, W, 4] using the inverse of
// the pixel-to-point rule: the nearest point of each pixel goes to return 1, the second nearest
// to return 2. `values` holds intensity and elongation per point (2 floats each; may be empty
// for zeros). Points outside the vertical field of view or beyond max_range are dropped.
struct RasterisedScan {
  MatrixFloat return1, return2;
  std::size_t dropped = 0;
};
RasterisedScan rasterise_points(const std::vector<double>& xyz, const std::vector<float>& values,
                                const LaserCalibration& calib, int height, int width,
                                double max_range);

// Name of a segment file as Waymo and OpenPCDet expect it.
std::string segment_file_name(const std::string& context_name);

}  // namespace lidardet::waymo
