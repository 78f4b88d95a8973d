// NumPy .npz archives of named tensors (a zip of .npy files, stored uncompressed), for
// `lidardet trace`: written so that numpy.load reads them, and read back for --stage-input.
#pragma once
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "nn/tensor.hpp"

namespace lidardet {

// One .npy file (format 1.0, C order) of a host F32 or I32 tensor.
std::string npy_bytes(const nn::Tensor& host);

// Writes `tensors` as <name>.npy entries, in order, atomically.
void write_npz(const std::string& path,
               const std::vector<std::pair<std::string, nn::Tensor>>& tensors);

// Reads every entry of an .npz (stored or deflated): float32/float64 become F32, int32/int64
// become I32 (values outside int32 are an error). Throws lidardet::Error naming the file and
// the entry for anything else (Fortran order, other dtypes, a bad header).
std::map<std::string, nn::Tensor> read_npz(const std::string& path);

// One .npy file, with the same dtype rules as read_npz.
nn::Tensor read_npy(const std::string& path);

}  // namespace lidardet
