#include "io/kitti_label.hpp"

#include <cstdio>
#include <string>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "io/text_fields.hpp"

namespace lidardet {

namespace {
// Field names in column order, used in error messages.
constexpr const char* kFieldNames[16] = {"type",      "truncated", "occluded",   "alpha",
                                         "bbox_left", "bbox_top",  "bbox_right", "bbox_bottom",
                                         "height",    "width",     "length",     "x",
                                         "y",         "z",         "rotation_y", "score"};
}  // namespace

std::vector<KittiObject> read_kitti_labels(const std::string& path) {
  const std::string bytes = read_file_bytes(path);
  std::vector<KittiObject> out;
  const auto lines = text::split_lines(bytes);
  for (std::size_t li = 0; li < lines.size(); ++li) {
    const long line = static_cast<long>(li) + 1;
    const auto f = text::split_fields(lines[li]);
    if (f.empty()) continue;
    if (f.size() != 15 && f.size() != 16)
      fail(path, line, "", "expected 15 fields (16 with a score), got " + std::to_string(f.size()));
    auto num = [&](std::size_t i) { return text::parse_double(f[i], path, line, kFieldNames[i]); };
    KittiObject o;
    o.type = std::string(f[0]);
    o.truncated = num(1);
    o.occluded = text::parse_int(f[2], path, line, kFieldNames[2]);
    o.alpha = num(3);
    for (int k = 0; k < 4; ++k) o.bbox[k] = num(4 + k);
    o.h = num(8);
    o.w = num(9);
    o.l = num(10);
    o.x = num(11);
    o.y = num(12);
    o.z = num(13);
    o.ry = num(14);
    if (f.size() == 16) {
      o.score = num(15);
      o.has_score = true;
    }
    out.push_back(std::move(o));
  }
  return out;
}

std::string format_kitti_label(const KittiObject& o) {
  // OpenPCDet: ground truth as object3d_kitti.to_kitti_format ("%.2f"), results as its
  // prediction writer ("%.4f" for every float after truncation/occlusion).
  const char* fmt = o.has_score ? "%.4f" : "%.2f";
  std::string s = o.type;
  char buf[64];
  auto add = [&](const char* f, double v) {
    std::snprintf(buf, sizeof buf, f, v);
    s += ' ';
    s += buf;
  };
  add("%.2f", o.truncated);
  s += ' ' + std::to_string(o.occluded);
  add(fmt, o.alpha);
  for (double v : o.bbox) add(fmt, v);
  for (double v : {o.h, o.w, o.l, o.x, o.y, o.z, o.ry}) add(fmt, v);
  if (o.has_score) add(fmt, o.score);
  return s;
}

void write_kitti_labels(const std::string& path, const std::vector<KittiObject>& objects) {
  for (std::size_t i = 0; i < objects.size(); ++i) {
    const auto& t = objects[i].type;
    if (t.empty() || t.find_first_of(" \t\r\n") != std::string::npos)
      fail(path, static_cast<long>(i) + 1, "type", "object type must be one word, got '" + t + "'");
  }
  write_file_atomic(path, [&](std::ostream& os) {
    for (const auto& o : objects) os << format_kitti_label(o) << '\n';
  });
}

}  // namespace lidardet
