// Launchers of the nn CUDA kernels (raw device pointers, enqueued on `stream`). Row-strided 2-D
// arguments pass their row stride in elements. Called by CudaBackend only.
#pragma once
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

namespace lidardet::cuda::nn {

// act codes follow lidardet::nn::Act; binop codes follow lidardet::nn::BinOp.
void bias_act_rows(float* y, int64_t rows, int64_t cols, int64_t sy, const float* bias, int act,
                   cudaStream_t s);
void bias_act_nchw(float* y, int64_t batch, int64_t channels, int64_t plane, const float* bias,
                   int act, cudaStream_t s);
void activation(const float* x, int64_t sx, float* y, int64_t sy, int64_t rows, int64_t cols,
                int act, cudaStream_t s);
// b_stride 0 broadcasts one row of b.
void binary(int op, const float* a, int64_t sa, const float* b, int64_t sb, float* y, int64_t sy,
            int64_t rows, int64_t cols, cudaStream_t s);
void addcmul(const float* a, int64_t sa, const float* b, int64_t sb, const float* c, int64_t sc,
             float* y, int64_t sy, int64_t rows, int64_t cols, cudaStream_t s);
void im2col(const float* x, int64_t C, int64_t H, int64_t W, int64_t kh, int64_t kw, int stride,
            int pad, int64_t Ho, int64_t Wo, float* col, cudaStream_t s);
// Gathers col [(O*kh*kw), H*W] into out [O, Ho, Wo] (transposed conv), in a fixed order.
void col2im_transposed(const float* col, int64_t O, int64_t H, int64_t W, int64_t kh, int64_t kw,
                       int stride, int pad, int64_t Ho, int64_t Wo, float* out, cudaStream_t s);
void layer_norm(const float* x, int64_t sx, float* y, int64_t sy, int64_t rows, int64_t cols,
                const float* g, const float* b, float eps, cudaStream_t s);
void group_norm(const float* x, float* y, int64_t B, int64_t C, int64_t S, int groups,
                const float* g, const float* b, float eps, cudaStream_t s);
// Device-side range checks do not stop the stream: a kernel that meets a bad index skips that
// element and records which operation failed in one int32 word (the first failure wins; 0: none).
// The backend reads the word when it synchronises anyway, not after every call.
enum IndexCheck : int32_t {
  kIndexOk = 0,
  kGatherRowsIndex = 1,
  kSparseConvIndex = 2,
  kSparseToDenseCoords = 3,
  kScatterReduceIndex = 4,
};
// `bad` receives `code` when an index is outside [0, num_src).
void gather_rows(const float* src, int64_t ss, const int32_t* index, float* out, int64_t so,
                 int64_t rows, int64_t cols, int32_t num_src, int32_t* bad, int32_t code,
                 cudaStream_t s);
// Segmented reduction: perm lists source rows sorted (stably) by target; seg_start[m] ..
// seg_start[m+1] is target m's run. op: 0 sum, 1 mean, 2 max.
void segment_reduce(const float* src, int64_t ss, const int32_t* perm, const int32_t* seg_start,
                    float* out, int64_t so, int64_t rows_out, int64_t cols, int op, cudaStream_t s);
void scatter_add_rows(const float* src, int64_t cols, const int32_t* index, float* out, int64_t so,
                      int64_t rows, cudaStream_t s);
// `bad` receives kSparseToDenseCoords when a coordinate is outside [B, Z, Y, X].
void sparse_to_dense(const float* f, int64_t sf, const int32_t* coords, int64_t n, int64_t C,
                     int64_t B, int64_t Z, int64_t Y, int64_t X, float* out, int32_t* bad,
                     cudaStream_t s);
void group_attention(const float* q, int64_t sq, const float* k, int64_t sk, const float* v,
                     int64_t sv, float* o, int64_t so, int64_t n, int64_t C, int heads,
                     int64_t group, cudaStream_t s);
void causal_conv1d_silu(const float* x, int64_t sx, const float* w, const float* b, float* y,
                        int64_t sy, int64_t n, int64_t D, int64_t K, int64_t group, bool reverse,
                        cudaStream_t s);
void selective_scan(const float* u, int64_t su, const float* delta, int64_t sd,
                    const float* delta_bias, const float* A, const float* Bm, int64_t sb,
                    const float* Cm, int64_t sc, const float* D, const float* z, int64_t sz,
                    float* out, int64_t so, int64_t n, int64_t Dn, int64_t S, int64_t group,
                    bool reverse, bool accumulate, cudaStream_t s);
void token_shift_diff(const float* x, int64_t sx, float* y, int64_t sy, int64_t n, int64_t C,
                      int64_t group, cudaStream_t s);
void wkv6(const float* r, int64_t sr, const float* k, int64_t sk, const float* v, int64_t sv,
          const float* w, int64_t sw, const float* u, float* o, int64_t so, int64_t n, int64_t C,
          int heads, int64_t group, cudaStream_t s);
// Largest k of x[n] (descending, ties by lower index) via a stable device sort.
void topk(const float* x, int64_t n, int64_t k, float* values, int32_t* indices, cudaStream_t s);
// Bytes of device scratch build_segments needs for n indices (sorted keys, an iota and CUB's
// radix-sort temporary storage), so that the caller takes them from its arena.
std::size_t segments_scratch_bytes(int64_t n);
// Stable sort of row indices by target index: perm (n) and seg_start (m + 1). An index outside
// [0, m) sets `bad` to kScatterReduceIndex (the segments then stay inside [0, n], so nothing is
// read out of bounds). No allocation and no synchronisation: `scratch` holds
// segments_scratch_bytes(n).
void build_segments(const int32_t* index, int64_t n, int64_t m, int32_t* perm, int32_t* seg_start,
                    void* scratch, int32_t* bad, cudaStream_t s);

}  // namespace lidardet::cuda::nn
