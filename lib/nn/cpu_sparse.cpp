// CPU sparse ops: gather, scatter reductions, rulebook sparse convolution, sparse-to-dense.
// Accumulations run in input order, so results never depend on scheduling.
#include <cblas.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <string>

#include "core/error.hpp"
#include "nn/cpu_backend.hpp"
#include "nn/cpu_util.hpp"

namespace lidardet::nn {

using namespace cpu;

static const int32_t* index_of(const char* op, const Tensor& index, int64_t n) {
  expect_dtype(op, "index", index, DType::I32);
  expect_shape(op, "index", index, {n});
  expect_host(op, "index", index);
  return index.i32();
}

static void bad_index(const char* op, int64_t i, int64_t v, int64_t limit) {
  throw Error(std::string("nn::") + op + ": index[" + std::to_string(i) +
              "] = " + std::to_string(v) + " outside [0, " + std::to_string(limit) + ")");
}

void CpuBackend::gather_rows(const Tensor& src, const Tensor& index, const Tensor& out) {
  Rows S = rows_of("gather_rows", "src", src), O = rows_of("gather_rows", "out", out);
  if (O.cols != S.cols) throw Error("nn::gather_rows: out and src differ in columns");
  const int32_t* idx = index_of("gather_rows", index, O.rows);
  for (int64_t i = 0; i < O.rows; ++i) {
    if (idx[i] < 0 || idx[i] >= S.rows) bad_index("gather_rows", i, idx[i], S.rows);
    std::memcpy(O.row(i), S.row(idx[i]), S.cols * sizeof(float));
  }
}

void CpuBackend::scatter_reduce(const Tensor& src, const Tensor& index, Reduce op,
                                const Tensor& out) {
  Rows S = rows_of("scatter_reduce", "src", src), O = rows_of("scatter_reduce", "out", out);
  if (O.cols != S.cols) throw Error("nn::scatter_reduce: out and src differ in columns");
  const int32_t* idx = index_of("scatter_reduce", index, S.rows);
  thread_local std::vector<int64_t> count;
  count.assign(O.rows, 0);
  for (int64_t i = 0; i < S.rows; ++i)
    if (idx[i] < 0 || idx[i] >= O.rows) bad_index("scatter_reduce", i, idx[i], O.rows);
  const float init = op == Reduce::Max ? -std::numeric_limits<float>::infinity() : 0.f;
  for (int64_t m = 0; m < O.rows; ++m) std::fill(O.row(m), O.row(m) + O.cols, init);
  for (int64_t i = 0; i < S.rows; ++i) {
    float* o = O.row(idx[i]);
    const float* s = S.row(i);
    ++count[idx[i]];
    if (op == Reduce::Max)
      for (int64_t c = 0; c < S.cols; ++c) o[c] = std::max(o[c], s[c]);
    else
      for (int64_t c = 0; c < S.cols; ++c) o[c] += s[c];
  }
  for (int64_t m = 0; m < O.rows; ++m) {
    float* o = O.row(m);
    if (count[m] == 0) {
      std::fill(o, o + O.cols, 0.f);
    } else if (op == Reduce::Mean) {
      const float inv = 1.f / static_cast<float>(count[m]);
      for (int64_t c = 0; c < O.cols; ++c) o[c] *= inv;
    }
  }
}

void CpuBackend::sparse_conv(const Tensor& features, const Rulebook& rb, const Tensor& weight,
                             const Tensor& out) {
  Rows F = rows_of("sparse_conv", "features", features), O = rows_of("sparse_conv", "out", out);
  expect_rank("sparse_conv", "weight", weight, 3);
  const int64_t Co = weight.dim(0), K = weight.dim(1), Ci = weight.dim(2);
  if (K != rb.kernel_volume || Ci != F.cols || Co != O.cols || F.rows != rb.num_in ||
      O.rows != rb.num_out)
    throw Error("nn::sparse_conv: features " + shape_string(features.shape()) + ", weight " +
                shape_string(weight.shape()) + ", out " + shape_string(out.shape()) +
                " do not match a rulebook of " + std::to_string(rb.kernel_volume) + " offsets, " +
                std::to_string(rb.num_in) + " inputs, " + std::to_string(rb.num_out) + " outputs");
  if (!weight.contiguous()) throw Error("nn::sparse_conv: weight must be contiguous");
  for (int64_t m = 0; m < O.rows; ++m) std::fill(O.row(m), O.row(m) + Co, 0.f);
  const int32_t* in_idx = rb.in_index.numel() ? rb.in_index.i32() : nullptr;
  const int32_t* out_idx = rb.out_index.numel() ? rb.out_index.i32() : nullptr;
  thread_local std::vector<float> gathered, product;
  for (int64_t k = 0; k < K; ++k) {
    const int64_t p0 = rb.offsets[k], np = rb.offsets[k + 1] - p0;
    if (np == 0) continue;
    if (gathered.size() < static_cast<std::size_t>(np * Ci)) gathered.resize(np * Ci);
    if (product.size() < static_cast<std::size_t>(np * Co)) product.resize(np * Co);
    for (int64_t p = 0; p < np; ++p)
      std::memcpy(gathered.data() + p * Ci, F.row(in_idx[p0 + p]), Ci * sizeof(float));
    // W_k is rows weight[o, k, :], i.e. stride K*Ci between output channels.
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, np, Co, Ci, 1.f, gathered.data(), Ci,
                weight.f32() + k * Ci, K * Ci, 0.f, product.data(), Co);
    for (int64_t p = 0; p < np; ++p) {
      float* o = O.row(out_idx[p0 + p]);
      const float* s = product.data() + p * Co;
      for (int64_t c = 0; c < Co; ++c) o[c] += s[c];
    }
  }
}

void CpuBackend::sparse_to_dense(const Tensor& features, const Tensor& coords, const Tensor& out) {
  Rows F = rows_of("sparse_to_dense", "features", features);
  expect_shape("sparse_to_dense", "coords", coords, {F.rows, 4});
  expect_dtype("sparse_to_dense", "coords", coords, DType::I32);
  expect_rank("sparse_to_dense", "out", out, 4);
  if (!out.contiguous() || !coords.contiguous())
    throw Error("nn::sparse_to_dense: out and coords must be contiguous");
  const int64_t B = out.dim(0), CZ = out.dim(1), Y = out.dim(2), X = out.dim(3), C = F.cols;
  if (C == 0 || CZ % C)
    throw Error("nn::sparse_to_dense: out has " + std::to_string(CZ) +
                " channels, not a multiple of the " + std::to_string(C) + " feature channels");
  const int64_t Z = CZ / C;
  float* o = out.f32();
  std::fill(o, o + out.numel(), 0.f);
  const int32_t* cd = coords.i32();
  for (int64_t i = 0; i < F.rows; ++i) {
    const int64_t b = cd[4 * i], z = cd[4 * i + 1], y = cd[4 * i + 2], x = cd[4 * i + 3];
    if (b < 0 || b >= B || z < 0 || z >= Z || y < 0 || y >= Y || x < 0 || x >= X)
      throw Error("nn::sparse_to_dense: coords row " + std::to_string(i) + " (" +
                  std::to_string(b) + ", " + std::to_string(z) + ", " + std::to_string(y) + ", " +
                  std::to_string(x) + ") outside the grid " + shape_string({B, Z, Y, X}));
    const float* f = F.row(i);
    for (int64_t c = 0; c < C; ++c) o[((b * CZ + c * Z + z) * Y + y) * X + x] = f[c];
  }
}

}  // namespace lidardet::nn
