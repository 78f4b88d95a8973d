#include "core/point_cloud.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace lidardet {

PointCloud::PointCloud() : channels_{"x", "y", "z", "intensity"} {}

PointCloud::PointCloud(std::vector<std::string> channels, std::size_t n)
    : channels_(std::move(channels)), data_(n * channels_.size(), 0.0f) {
  if (channels_.size() < 3 || channels_[0] != "x" || channels_[1] != "y" || channels_[2] != "z")
    throw Error("PointCloud: the first three channels must be x, y, z");
}

int PointCloud::channel_index(std::string_view name) const {
  auto it = std::find(channels_.begin(), channels_.end(), name);
  return it == channels_.end() ? -1 : static_cast<int>(it - channels_.begin());
}

std::size_t PointCloud::require_channel(std::string_view name) const {
  int c = channel_index(name);
  if (c < 0) throw Error("PointCloud: no channel named '" + std::string(name) + "'");
  return static_cast<std::size_t>(c);
}

void PointCloud::push_back(std::span<const float> values) {
  if (values.size() != channels_.size())
    throw Error("PointCloud::push_back: expected " + std::to_string(channels_.size()) +
                " values, got " + std::to_string(values.size()));
  data_.insert(data_.end(), values.begin(), values.end());
}

PointCloudView PointCloud::view(std::size_t begin, std::size_t end) const {
  if (begin > end || end > size()) throw Error("PointCloud::view: range out of bounds");
  return {data_.data() + begin * channels_.size(), end - begin, &channels_};
}

PointCloud PointCloud::filtered(const std::vector<bool>& keep) const {
  if (keep.size() != size()) throw Error("PointCloud::filtered: mask size differs from cloud size");
  PointCloud out(channels_);
  out.reserve(static_cast<std::size_t>(std::count(keep.begin(), keep.end(), true)));
  const std::size_t c = channels_.size();
  for (std::size_t i = 0; i < keep.size(); ++i)
    if (keep[i]) out.data_.insert(out.data_.end(), data_.begin() + i * c, data_.begin() + (i + 1) * c);
  return out;
}

std::vector<float> PointCloud::column(std::size_t c) const {
  std::vector<float> out(size());
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = (*this)(i, c);
  return out;
}

}  // namespace lidardet
