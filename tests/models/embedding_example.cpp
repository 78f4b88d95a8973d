// The example of docs/embedding.md, compiled and run by test_embedding.cpp so that it stays true.
#include <cstdio>
#include <string>
#include <vector>

#include "io/kitti_velodyne.hpp"  // read_velodyne_bin: a KITTI .bin as a PointCloud
#include "models/detector.hpp"    // lidardet::Detector

// Prints and returns the detections of one KITTI .bin frame.
std::vector<lidardet::Box3D> embedding_example(const std::string& config,
                                               const std::string& weights,
                                               const std::string& frame) {
  lidardet::DetectorOptions options;                      // CPU backend by default
  lidardet::Detector detector(config, weights, options);  // throws lidardet::Error on bad files
  const lidardet::PointCloud cloud = lidardet::read_velodyne_bin(frame);
  const std::vector<lidardet::Box3D> boxes = detector.detect(cloud);
  for (const lidardet::Box3D& b : boxes)
    std::printf("%-10s %.3f  centre (%.2f, %.2f, %.2f)  size %.2f x %.2f x %.2f  yaw %.2f\n",
                b.label.c_str(), b.score, b.x, b.y, b.z, b.l, b.w, b.h, b.yaw);
  for (const lidardet::StageTime& t : detector.last_timings())
    std::printf("  %s: %.1f ms\n", t.stage.c_str(), t.ms);
  return boxes;
}
