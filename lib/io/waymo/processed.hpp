// The processed Waymo layouts detectors train on:
//  - OpenPCDet (LION, DSVT): <root>/waymo_processed_data_v0_5_0/<sequence>/%04d.npy, float32
//    (N, 6) = x y z intensity elongation nlz_flag in the vehicle frame, both returns, lasers in
//    LaserName order; <sequence> = "segment-<context>_with_camera_labels".
//  - mmdet3d's KITTI-style Waymo (FlatFormer): velodyne/<prefix><seg:03d><frame:03d>.bin,
//    float32 (N, 6) = x y z intensity elongation timestamp_micros, no-label-zone points dropped.
#pragma once
#include <cstdint>
#include <string>

#include "core/point_cloud.hpp"
#include "io/waymo/frame_points.hpp"

namespace lidardet::waymo {

inline constexpr const char* kOpenPCDetProcessedDir = "waymo_processed_data_v0_5_0";

// "segment-<context>_with_camera_labels" (the tfrecord name without its extension).
std::string sequence_name(const std::string& context_name);
// <root>/waymo_processed_data_v0_5_0/<sequence>/%04d.npy
std::string openpcdet_frame_path(const std::string& root, const std::string& context_name,
                                 std::size_t frame_index);

// Writes a frame's points as OpenPCDet's (N, 6) npy, creating the sequence folder.
void write_openpcdet_frame(const std::string& path, const PointCloud& points);
// Reads an (N, 6) npy into a cloud with channels x y z intensity elongation nlz.
PointCloud read_openpcdet_frame(const std::string& path);

// The mmdet3d point layout: NLZ points (flag 1.0) dropped, the sixth column the frame
// timestamp (as float32, like mmdet3d's converter).
PointCloud mmdet3d_points(const PointCloud& waymo_points, std::int64_t timestamp_micros);
// velodyne/<prefix><segment:03d><frame:03d>.bin; prefix 0 train, 1 val, 2 test.
std::string mmdet3d_bin_name(int prefix, int segment, int frame);
void write_mmdet3d_bin(const std::string& path, const PointCloud& points);
// Reads an (N, 6) float32 .bin with channels x y z intensity elongation timestamp.
PointCloud read_mmdet3d_bin(const std::string& path);

// Converts every frame of a segment TFRecord to OpenPCDet npy files under `root`, one frame in
// memory at a time, and appends "<sequence>.tfrecord" to <root>/ImageSets/<split>.txt when
// `split` is not empty. Returns the number of frames.
std::size_t convert_segment_to_openpcdet(const std::string& tfrecord, const std::string& root,
                                         const std::string& split = {});

}  // namespace lidardet::waymo
