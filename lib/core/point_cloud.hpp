// PointCloud: N points with named float32 channels, stored row-major (point after point),
// which is the layout of KITTI .bin files and of the (N, C) tensors the models take.
#pragma once
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace lidardet {

// Non-owning view of rows [begin, end) of a cloud. Valid while the cloud is alive and unresized.
struct PointCloudView {
  const float* data = nullptr;
  std::size_t size = 0;
  const std::vector<std::string>* channels = nullptr;

  std::size_t num_channels() const { return channels ? channels->size() : 0; }
  const float* row(std::size_t i) const { return data + i * num_channels(); }
  float operator()(std::size_t i, std::size_t c) const { return data[i * num_channels() + c]; }
};

class PointCloud {
 public:
  // Defaults to the KITTI layout: x, y, z, intensity.
  PointCloud();
  explicit PointCloud(std::vector<std::string> channels, std::size_t n = 0);

  std::size_t size() const { return channels_.empty() ? 0 : data_.size() / channels_.size(); }
  bool empty() const { return size() == 0; }
  std::size_t num_channels() const { return channels_.size(); }
  const std::vector<std::string>& channels() const { return channels_; }
  // Index of a channel, or -1 when the cloud has none of that name.
  int channel_index(std::string_view name) const;
  // Index of a channel; throws lidardet::Error naming the missing channel.
  std::size_t require_channel(std::string_view name) const;

  float* data() { return data_.data(); }
  const float* data() const { return data_.data(); }
  float* row(std::size_t i) { return data_.data() + i * channels_.size(); }
  const float* row(std::size_t i) const { return data_.data() + i * channels_.size(); }
  float& operator()(std::size_t i, std::size_t c) { return data_[i * channels_.size() + c]; }
  float operator()(std::size_t i, std::size_t c) const { return data_[i * channels_.size() + c]; }
  float x(std::size_t i) const { return row(i)[0]; }
  float y(std::size_t i) const { return row(i)[1]; }
  float z(std::size_t i) const { return row(i)[2]; }

  void resize(std::size_t n) { data_.resize(n * channels_.size()); }
  void reserve(std::size_t n) { data_.reserve(n * channels_.size()); }
  void clear() { data_.clear(); }
  // Appends one point; `values` must hold num_channels() floats.
  void push_back(std::span<const float> values);

  PointCloudView view() const { return {data_.data(), size(), &channels_}; }
  PointCloudView view(std::size_t begin, std::size_t end) const;

  // A copy holding only the rows where keep[i] is true.
  PointCloud filtered(const std::vector<bool>& keep) const;
  // One channel copied out as a column.
  std::vector<float> column(std::size_t c) const;

  bool operator==(const PointCloud& o) const = default;

 private:
  std::vector<std::string> channels_;
  std::vector<float> data_;
};

}  // namespace lidardet
