#include "io/kitti_imagesets.hpp"

#include <cstdio>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "io/text_fields.hpp"

namespace lidardet {

namespace {
bool is_frame_id(std::string_view s) {
  if (s.size() != 6) return false;
  for (char ch : s)
    if (ch < '0' || ch > '9') return false;
  return true;
}
}  // namespace

std::vector<std::string> read_kitti_imageset(const std::string& path) {
  const std::string bytes = read_file_bytes(path);
  std::vector<std::string> ids;
  const auto lines = text::split_lines(bytes);
  for (std::size_t li = 0; li < lines.size(); ++li) {
    const auto f = text::split_fields(lines[li]);
    if (f.empty()) continue;
    const long line = static_cast<long>(li) + 1;
    if (f.size() != 1 || !is_frame_id(f[0]))
      fail(path, line, "id",
           "expected one 6-digit frame id, got '" + std::string(lines[li].substr(0, 40)) + "'");
    ids.emplace_back(f[0]);
  }
  return ids;
}

void write_kitti_imageset(const std::string& path, const std::vector<std::string>& ids) {
  for (std::size_t i = 0; i < ids.size(); ++i)
    if (!is_frame_id(ids[i]))
      fail(path, static_cast<long>(i) + 1, "id",
           "expected a 6-digit frame id, got '" + ids[i] + "'");
  write_file_atomic(path, [&](std::ostream& os) {
    for (const auto& id : ids) os << id << '\n';
  });
}

std::string kitti_frame_id(long index) {
  if (index < 0 || index > 999999)
    throw Error("KITTI frame index " + std::to_string(index) + " is outside 0..999999");
  char buf[8];
  std::snprintf(buf, sizeof buf, "%06ld", index);
  return buf;
}

}  // namespace lidardet
