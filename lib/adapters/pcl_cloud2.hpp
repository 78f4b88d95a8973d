// Conversion of PCL's untyped cloud into a PointCloud (shared by the PCD and PLY readers).
// Declares the PCL type only, so that this header pulls in no PCL headers.
#pragma once
#include <ostream>
#include <string>

#include "core/point_cloud.hpp"

namespace pcl {
struct PCLPointCloud2;
}

namespace lidardet::detail {

// x, y, z first, then the remaining numeric fields as float32. A point whose x, y or z is not
// finite is an error naming it (PCL's PLY reader turns an unparsable ascii value into NaN, so
// dropping such points would hide bad input). `path` names the file in errors.
PointCloud from_pcl_cloud2(const pcl::PCLPointCloud2& c, const std::string& path);

// Throws lidardet::Error "PATH: cannot open for reading" unless `path` is a readable file (PCL's
// readers only print to stderr).
void require_file(const std::string& path);

// Throws unless every channel name is one non-empty word (PCD/PLY headers are space-split).
void check_channel_names(const PointCloud& cloud, const std::string& path);

// The ascii body both PCD and PLY use: one point a line, channels space-separated, each float
// with 9 significant digits so that it parses back bit-exactly.
void write_ascii_points(std::ostream& os, const PointCloud& cloud);

}  // namespace lidardet::detail
