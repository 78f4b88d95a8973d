#include "io/waymo/frame_points.hpp"

#include "core/error.hpp"
#include "io/waymo/range_image.hpp"

namespace lidardet::waymo {

FramePoints frame_points(const Frame& frame, const std::string& origin,
                         const FramePointsOptions& options) {
  FramePoints fp;
  for (int name = 1; name < kNumLaserNames; ++name) {
    if (!options.lasers[name]) continue;
    const Laser* laser = frame.laser(name);
    if (!laser || (laser->ri_return1.empty() && laser->ri_return2.empty())) continue;
    const std::string base = origin + ": Frame.lasers[" + laser_name(name) + "]";
    const LaserCalibration* calib = frame.calibration(name);
    if (!calib)
      throw Error(base + ": the frame has range images for this laser but no laser calibration");
    // The pixel pose rides on return 1 and is reused for return 2 (frame_utils).
    MatrixFloat pose;
    const bool has_pose = !laser->ri_return1.range_image_pose_compressed.empty();
    if (has_pose)
      pose = decompress_matrix_float(laser->ri_return1.range_image_pose_compressed,
                                     base + ".ri_return1.range_image_pose_compressed");
    const RangeImageBlobs* returns[2] = {&laser->ri_return1, &laser->ri_return2};
    for (int ret = 0; ret < 2; ++ret) {
      if (!(ret == 0 ? options.return1 : options.return2) || returns[ret]->empty()) continue;
      const std::string where =
          base + (ret == 0 ? ".ri_return1" : ".ri_return2") + ".range_image_compressed";
      const MatrixFloat ri = decompress_matrix_float(returns[ret]->range_image_compressed, where);
      fp.counts[name][ret] = append_range_image_points(ri, *calib, has_pose ? &pose : nullptr,
                                                       frame.pose, fp.cloud, where);
    }
  }
  return fp;
}

LabelSummary summarize_labels(const Frame& frame) {
  LabelSummary s;
  for (const auto& l : frame.laser_labels) {
    const auto t = static_cast<std::size_t>(l.type);
    ++s.by_type[t];
    const int d = l.detection_difficulty_level;
    if (d >= 0 && d <= 2) ++s.by_type_difficulty[t][d];
    s.points_in_boxes += l.num_lidar_points_in_box;
  }
  return s;
}

}  // namespace lidardet::waymo
