// Sequence CPU ops over groups against float64 references: attention, conv1d, selective scan
// (naive loop), token shift, and WKV6 (the O(L^2) sum of decay products, not the recurrence).
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "nn_test_util.hpp"

using lidardet::Error;
using namespace lidardet::nn;
using namespace lidardet::nn::test;

namespace {

// Token ranges [begin, end) of consecutive groups of `g` (the last may be short).
std::vector<std::pair<int64_t, int64_t>> groups_of(int64_t n, int64_t g) {
  std::vector<std::pair<int64_t, int64_t>> r;
  for (int64_t b = 0; b < n; b += g) r.push_back({b, std::min(n, b + g)});
  return r;
}

// Reverses the token order inside each group (for the anti-causal checks).
std::vector<double> flip_groups(const std::vector<double>& x, int64_t n, int64_t c, int64_t g) {
  std::vector<double> y(x.size());
  for (auto [b, e] : groups_of(n, g))
    for (int64_t t = b; t < e; ++t)
      for (int64_t j = 0; j < c; ++j) y[t * c + j] = x[(b + e - 1 - t) * c + j];
  return y;
}

std::vector<double> ref_scan(const std::vector<double>& u, const std::vector<double>& delta,
                             const std::vector<double>& db, const std::vector<double>& A,
                             const std::vector<double>& B, const std::vector<double>& C,
                             const std::vector<double>& D, const std::vector<double>* z, int64_t N,
                             int64_t Dn, int64_t S, int64_t g) {
  std::vector<double> y(N * Dn);
  for (auto [b, e] : groups_of(N, g))
    for (int64_t c = 0; c < Dn; ++c) {
      std::vector<double> s(S, 0.0);
      for (int64_t t = b; t < e; ++t) {
        const double dt = ref_softplus(delta[t * Dn + c] + db[c]);
        double acc = 0;
        for (int64_t n = 0; n < S; ++n) {
          s[n] = std::exp(dt * A[c * S + n]) * s[n] + dt * B[t * S + n] * u[t * Dn + c];
          acc += C[t * S + n] * s[n];
        }
        acc += D[c] * u[t * Dn + c];
        if (z) acc *= ref_silu((*z)[t * Dn + c]);
        y[t * Dn + c] = acc;
      }
    }
  return y;
}

}  // namespace

TEST(NnSequence, GroupAttentionMatchesFloat64IncludingShortAndSingleTokenGroups) {
  CpuBackend be;
  for (auto [n, c, heads, g] :
       {std::tuple{13, 8, 2, 5}, {1, 6, 3, 4}, {9, 16, 4, 1}, {20, 12, 1, 20}}) {
    Tensor q = random_tensor({n, c}, 40, -2, 2), k = random_tensor({n, c}, 41, -2, 2),
           v = random_tensor({n, c}, 42);
    Tensor out = Tensor::empty({n, c});
    be.group_attention(q, k, v, heads, g, out);
    std::vector<double> qd = as_double(q), kd = as_double(k), vd = as_double(v), want(n * c, 0.0);
    const int64_t dh = c / heads;
    for (auto [b, e] : groups_of(n, g))
      for (int h = 0; h < heads; ++h)
        for (int64_t i = b; i < e; ++i) {
          std::vector<double> p;
          double mx = -1e300, sum = 0;
          for (int64_t j = b; j < e; ++j) {
            double s = 0;
            for (int64_t d = 0; d < dh; ++d) s += qd[i * c + h * dh + d] * kd[j * c + h * dh + d];
            p.push_back(s / std::sqrt(double(dh)));
            mx = std::max(mx, p.back());
          }
          for (double& x : p) sum += (x = std::exp(x - mx));
          for (int64_t j = b; j < e; ++j)
            for (int64_t d = 0; d < dh; ++d)
              want[i * c + h * dh + d] += p[j - b] / sum * vd[j * c + h * dh + d];
        }
    EXPECT_LT(max_rel_err(out, want), 1e-5) << n << " tokens, group " << g;
  }
  // A group of one token attends only to itself: the output is its own v.
  Tensor v = random_tensor({3, 4}, 43), out = Tensor::empty({3, 4});
  be.group_attention(random_tensor({3, 4}, 44), random_tensor({3, 4}, 45), v, 2, 1, out);
  EXPECT_TRUE(bit_equal(out, v));
}

TEST(NnSequence, CausalConv1dForwardAndReverse) {
  CpuBackend be;
  const int64_t N = 11, D = 5, K = 4, G = 4;
  Tensor x = random_tensor({N, D}, 46), w = random_tensor({D, K}, 47), b = random_tensor({D}, 48);
  std::vector<double> xd = as_double(x), wd = as_double(w), bd = as_double(b);
  auto causal = [&](const std::vector<double>& in) {
    std::vector<double> y(N * D);
    for (auto [gb, ge] : groups_of(N, G))
      for (int64_t t = gb; t < ge; ++t)
        for (int64_t c = 0; c < D; ++c) {
          double s = bd[c];
          for (int64_t k = 0; k < K; ++k) {
            const int64_t src = t - (K - 1) + k;
            if (src >= gb) s += wd[c * K + k] * in[src * D + c];
          }
          y[t * D + c] = ref_silu(s);
        }
    return y;
  };
  Tensor y = Tensor::empty({N, D});
  be.causal_conv1d_silu(x, w, b, G, false, y);
  EXPECT_LT(max_rel_err(y, causal(xd)), 1e-6);
  // Reverse = flip each group, run causally, flip back (lion.md §3.1 step 3).
  be.causal_conv1d_silu(x, w, b, G, true, y);
  EXPECT_LT(max_rel_err(y, flip_groups(causal(flip_groups(xd, N, D, G)), N, D, G)), 1e-6);
}

TEST(NnSequence, SelectiveScanMatchesNaiveLoopWithGroupReset) {
  CpuBackend be;
  for (auto [N, D, S, G] :
       {std::tuple{23, 6, 4, 8}, {1, 3, 16, 4}, {40, 9, 16, 40}, {7, 4, 2, 1}}) {
    Tensor u = random_tensor({N, D}, 50), delta = random_tensor({N, D}, 51, -3, 3),
           db = random_tensor({D}, 52), A = random_tensor({D, S}, 53, -4, -0.1f),
           bc = random_tensor({N, 2 * S + 3}, 54), Dv = random_tensor({D}, 55),
           z = random_tensor({N, D}, 56, -3, 3);
    Tensor B = bc.slice(1, 3, 3 + S),
           C = bc.slice(1, 3 + S, 3 + 2 * S);  // strided, as x_proj gives
    for (bool reverse : {false, true}) {
      Tensor out = Tensor::empty({N, D});
      ScanArgs a{u, delta, db, A, B, C, Dv, z, out, G, reverse, false};
      be.selective_scan(a);
      auto fl = [&](const Tensor& t, int64_t c) {
        return reverse ? flip_groups(as_double(t), N, c, G) : as_double(t);
      };
      std::vector<double> zd = fl(z, D);
      std::vector<double> want = ref_scan(fl(u, D), fl(delta, D), as_double(db), as_double(A),
                                          fl(B, S), fl(C, S), as_double(Dv), &zd, N, D, S, G);
      if (reverse) want = flip_groups(want, N, D, G);
      EXPECT_LT(max_rel_err(out, want), 2e-5) << N << " " << G << " reverse " << reverse;
    }
  }
}

TEST(NnSequence, SelectiveScanAccumulatesTheSecondDirection) {
  CpuBackend be;
  const int64_t N = 9, D = 3, S = 4, G = 5;
  Tensor u = random_tensor({N, D}, 57), delta = random_tensor({N, D}, 58),
         db = random_tensor({D}, 59), A = random_tensor({D, S}, 60, -2, -0.5f),
         B = random_tensor({N, S}, 61), C = random_tensor({N, S}, 62), Dv = random_tensor({D}, 63);
  Tensor f = Tensor::empty({N, D}), r = Tensor::empty({N, D}), both = Tensor::empty({N, D});
  be.selective_scan({u, delta, db, A, B, C, Dv, Tensor(), f, G, false, false});
  be.selective_scan({u, delta, db, A, B, C, Dv, Tensor(), r, G, true, false});
  be.selective_scan({u, delta, db, A, B, C, Dv, Tensor(), both, G, false, false});
  be.selective_scan({u, delta, db, A, B, C, Dv, Tensor(), both, G, true, true});
  for (int64_t i = 0; i < N * D; ++i) EXPECT_EQ(both.f32()[i], f.f32()[i] + r.f32()[i]);
}

TEST(NnSequence, TokenShiftResetsAtGroupStarts) {
  CpuBackend be;
  Tensor x = Tensor::from_vector({5, 1}, std::vector<float>{1, 2, 4, 8, 16});
  Tensor y = Tensor::empty({5, 1});
  be.token_shift_diff(x, 3, y);
  EXPECT_EQ(y.to_vector(), (std::vector<float>{-1, 1 - 2, 2 - 4, -8, 8 - 16}));
}

TEST(NnSequence, Wkv6MatchesTheDirectSumOverAllTokens) {
  CpuBackend be;
  for (auto [N, C, H, G] : {std::tuple{10, 8, 2, 6}, {1, 4, 1, 3}, {17, 12, 3, 17}}) {
    Tensor r = random_tensor({N, C}, 64), k = random_tensor({N, C}, 65),
           v = random_tensor({N, C}, 66), w = random_tensor({N, C}, 67, -3, 1),
           u = random_tensor({H, C / H}, 68);
    Tensor out = Tensor::empty({N, C});
    be.wkv6(r, k, v, w, u, H, G, out);
    std::vector<double> rd = as_double(r), kd = as_double(k), vd = as_double(v), wd = as_double(w),
                        ud = as_double(u), want(N * C, 0.0);
    const int64_t hs = C / H;
    auto e = [&](int64_t t, int64_t ch) { return std::exp(-std::exp(wd[t * C + ch])); };
    for (auto [b, end] : groups_of(N, G))
      for (int64_t h = 0; h < H; ++h)
        for (int64_t t = b; t < end; ++t)
          for (int64_t i = 0; i < hs; ++i) {
            double y = 0;
            for (int64_t j = 0; j < hs; ++j) {
              const int64_t cj = h * hs + j, ci = h * hs + i;
              double inner = ud[h * hs + j] * kd[t * C + cj] * vd[t * C + ci];
              for (int64_t tau = b; tau < end; ++tau) {
                if (tau == t) continue;
                double prod = 1;
                const int64_t lo = std::min(tau, t) + 1, hi = std::max(tau, t) - 1;
                for (int64_t s = lo; s <= hi; ++s) prod *= e(s, cj);
                inner += kd[tau * C + cj] * vd[tau * C + ci] * prod;
              }
              y += rd[t * C + cj] * inner;
            }
            want[t * C + h * hs + i] = y;
          }
    EXPECT_LT(max_rel_err(out, want), 2e-5) << N << " " << G;
  }
}

TEST(NnSequence, OpsRejectBadGroupSizesAndShapes) {
  CpuBackend be;
  Tensor x = Tensor::empty({4, 4}), y = Tensor::empty({4, 4});
  EXPECT_THROW(be.token_shift_diff(x, 0, y), Error);
  EXPECT_THROW(be.group_attention(x, x, x, 3, 2, y), Error);
  EXPECT_THROW(be.wkv6(x, x, x, x, Tensor::empty({2, 3}), 2, 2, y), Error);
}
