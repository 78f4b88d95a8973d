// Range images (dataset.proto MatrixFloat [H, W, C], row-major) and their conversion to points
// in the vehicle frame, following the pixel-to-point rules of Waymo's frame_utils
// (../shared/specs/data.md §3.3-3.4).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/point_cloud.hpp"
#include "io/waymo/frame.hpp"

namespace lidardet::waymo {

struct MatrixFloat {
  std::vector<std::int32_t> dims;  // outermost first
  std::vector<float> data;
  bool operator==(const MatrixFloat&) const = default;
};

// Serialized MatrixFloat <-> struct. Decoding checks that data holds prod(dims) values.
MatrixFloat decode_matrix_float(std::string_view bytes, const std::string& where);
std::string encode_matrix_float(const MatrixFloat& m);
// zlib stream of a serialized MatrixFloat (range_image_compressed, range_image_pose_compressed).
MatrixFloat decompress_matrix_float(std::string_view compressed, const std::string& where);
std::string compress_matrix_float(const MatrixFloat& m, int level = 6);
// The all-zero MatrixInt32 [H, W, 6] camera projection that readers such as OpenPCDet expect.
std::string compressed_zero_camera_projection(int height, int width, int level = 6);

// Range image channels.
enum RangeChannel { kRange = 0, kIntensity = 1, kElongation = 2, kNoLabelZone = 3 };

// Per-row inclinations (radians) for a range image of `height` rows, row 0 = highest beam:
// the calibration's explicit list reversed, or uniform centres between min and max when the
// list is empty. Throws when the list has a different length than `height` or, for a uniform
// laser, when min/max are missing.
std::vector<double> row_inclinations(const LaserCalibration& calib, int height,
                                     const std::string& where);

// Vehicle-frame azimuth correction of a lidar: atan2(E[1,0], E[0,0]).
double azimuth_correction(const Transform& extrinsic);

// Channels of the clouds made from range images, OpenPCDet's processed-npy layout.
const std::vector<std::string>& waymo_point_channels();  // x y z intensity elongation nlz

// Appends one point per valid pixel (range > 0) of `range_image` [H, W, 4] in row-major order.
// `pixel_pose` ([H, W, 6] roll pitch yaw x y z, vehicle->global per pixel) may be null; when
// given, points are moved to the vehicle frame of `frame_pose` as frame_utils does for TOP.
// Returns the number of points appended. Throws for a range image or pose of the wrong shape.
std::size_t append_range_image_points(const MatrixFloat& range_image, const LaserCalibration& calib,
                                      const MatrixFloat* pixel_pose, const Transform& frame_pose,
                                      PointCloud& out, const std::string& where);

// The inverse, used by the writer: the pixel (row, col) a vehicle-frame point falls in, or
// false when it lies outside the vertical field of view (more than half a row spacing beyond
// the first or last row). `inclinations` are from row_inclinations().
struct PixelIndex {
  int row = 0, col = 0;
  double range = 0;  // distance from the lidar origin, metres
};
bool point_to_pixel(const double p_vehicle[3], const Transform& extrinsic,
                    const std::vector<double>& inclinations, int width, PixelIndex& out);

}  // namespace lidardet::waymo
