// KITTI ImageSets/<split>.txt: one 6-digit frame id per line (often no trailing newline).
#pragma once
#include <string>
#include <vector>

namespace lidardet {

// Reads the ids in file order; blank lines are skipped. Throws lidardet::Error naming the line
// when an id is not 6 digits.
std::vector<std::string> read_kitti_imageset(const std::string& path);

// Writes one id per line, each with a newline, atomically. Throws on an id that is not 6
// digits.
void write_kitti_imageset(const std::string& path, const std::vector<std::string>& ids);

// "000042" for 42.
std::string kitti_frame_id(long index);

}  // namespace lidardet
