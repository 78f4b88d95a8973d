// Dense CPU ops against float64 references written directly from the definitions.
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "nn_test_util.hpp"

using lidardet::Error;
using namespace lidardet::nn;
using namespace lidardet::nn::test;

namespace {

std::vector<double> ref_conv2d(const std::vector<double>& x, const std::vector<double>& w,
                               const std::vector<double>& b, int64_t B, int64_t C, int64_t H,
                               int64_t W, int64_t O, int64_t k, int s, int p) {
  const int64_t Ho = (H + 2 * p - k) / s + 1, Wo = (W + 2 * p - k) / s + 1;
  std::vector<double> y(B * O * Ho * Wo);
  for (int64_t n = 0; n < B; ++n)
    for (int64_t o = 0; o < O; ++o)
      for (int64_t oy = 0; oy < Ho; ++oy)
        for (int64_t ox = 0; ox < Wo; ++ox) {
          double acc = b.empty() ? 0 : b[o];
          for (int64_t c = 0; c < C; ++c)
            for (int64_t ky = 0; ky < k; ++ky)
              for (int64_t kx = 0; kx < k; ++kx) {
                const int64_t iy = oy * s - p + ky, ix = ox * s - p + kx;
                if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                acc += x[((n * C + c) * H + iy) * W + ix] * w[((o * C + c) * k + ky) * k + kx];
              }
          y[((n * O + o) * Ho + oy) * Wo + ox] = acc;
        }
  return y;
}

// Transposed conv as the adjoint: every input pixel spreads x * w over a k x k patch.
std::vector<double> ref_conv_t2d(const std::vector<double>& x, const std::vector<double>& w,
                                 const std::vector<double>& b, int64_t B, int64_t C, int64_t H,
                                 int64_t W, int64_t O, int64_t k, int s, int p) {
  const int64_t Ho = (H - 1) * s - 2 * p + k, Wo = (W - 1) * s - 2 * p + k;
  std::vector<double> y(B * O * Ho * Wo, 0.0);
  for (int64_t n = 0; n < B; ++n)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t iy = 0; iy < H; ++iy)
        for (int64_t ix = 0; ix < W; ++ix)
          for (int64_t o = 0; o < O; ++o)
            for (int64_t ky = 0; ky < k; ++ky)
              for (int64_t kx = 0; kx < k; ++kx) {
                const int64_t oy = iy * s - p + ky, ox = ix * s - p + kx;
                if (oy < 0 || oy >= Ho || ox < 0 || ox >= Wo) continue;
                y[((n * O + o) * Ho + oy) * Wo + ox] +=
                    x[((n * C + c) * H + iy) * W + ix] * w[((c * O + o) * k + ky) * k + kx];
              }
  for (int64_t n = 0; n < B; ++n)
    for (int64_t o = 0; o < O; ++o)
      for (int64_t i = 0; i < Ho * Wo; ++i) y[(n * O + o) * Ho * Wo + i] += b.empty() ? 0 : b[o];
  return y;
}

}  // namespace

TEST(NnDense, LinearMatchesFloat64WithBiasActivationAndStridedRows) {
  CpuBackend be;
  for (auto [n, k, m] : {std::tuple{1, 1, 1}, {7, 13, 5}, {33, 64, 128}, {0, 4, 3}}) {
    Tensor wide = random_tensor({n, k + 3}, 1);
    Tensor x = wide.slice(1, 2, 2 + k);  // strided rows
    Tensor w = random_tensor({m, k}, 2), b = random_tensor({m}, 3);
    Tensor y = Tensor::empty({n, m});
    be.linear(x, w, b, y, Act::ReLU);
    std::vector<double> bd = as_double(b);
    std::vector<double> want = ref_linear(as_double(x), as_double(w), &bd, n, k, m);
    for (double& v : want) v = std::max(v, 0.0);
    EXPECT_LT(max_rel_err(y, want), 1e-5) << n << "x" << k << "x" << m;
  }
}

TEST(NnDense, LinearAccumulatesIntoAColumnSliceOfTheOutput) {
  CpuBackend be;
  Tensor x = random_tensor({4, 3}, 4), w = random_tensor({2, 3}, 5);
  Tensor out = random_tensor({4, 5}, 6);
  std::vector<double> before = as_double(out);
  be.linear(x, w, Tensor(), out.slice(1, 1, 3), Act::Identity, true);
  std::vector<double> prod = ref_linear(as_double(x), as_double(w), nullptr, 4, 3, 2);
  std::vector<double> want = before;
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 2; ++j) want[i * 5 + 1 + j] += prod[i * 2 + j];
  EXPECT_LT(max_rel_err(out, want), 1e-6);
}

TEST(NnDense, LinearRejectsMismatchedShapesNamingThem) {
  CpuBackend be;
  Tensor y = Tensor::empty({2, 4});
  try {
    be.linear(Tensor::empty({2, 3}), Tensor::empty({4, 5}), Tensor(), y);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("[4, 5]"), std::string::npos) << e.what();
  }
}

TEST(NnDense, Conv2dMatchesFloat64) {
  CpuBackend be;
  struct Case {
    int64_t B, C, H, W, O, k;
    int s, p;
  };
  for (Case c :
       {Case{1, 3, 7, 5, 4, 3, 1, 1}, Case{2, 5, 9, 8, 3, 3, 2, 0}, Case{1, 4, 6, 6, 7, 1, 1, 0},
        Case{1, 3, 5, 7, 2, 1, 2, 0}, Case{1, 1, 1, 1, 2, 3, 1, 1}}) {
    Tensor x = random_tensor({c.B, c.C, c.H, c.W}, 7), w = random_tensor({c.O, c.C, c.k, c.k}, 8);
    Tensor b = random_tensor({c.O}, 9);
    const int64_t Ho = (c.H + 2 * c.p - c.k) / c.s + 1, Wo = (c.W + 2 * c.p - c.k) / c.s + 1;
    Tensor y = Tensor::empty({c.B, c.O, Ho, Wo});
    be.conv2d(x, w, b, c.s, c.p, y);
    auto want = ref_conv2d(as_double(x), as_double(w), as_double(b), c.B, c.C, c.H, c.W, c.O, c.k,
                           c.s, c.p);
    EXPECT_LT(max_rel_err(y, want), 1e-5) << "k" << c.k << " s" << c.s << " p" << c.p;
  }
}

TEST(NnDense, ConvTranspose2dMatchesFloat64) {
  CpuBackend be;
  struct Case {
    int64_t B, C, H, W, O, k;
    int s, p;
  };
  for (Case c : {Case{1, 4, 3, 5, 3, 2, 2, 0}, Case{2, 3, 4, 4, 5, 1, 1, 0},
                 Case{1, 2, 3, 3, 3, 4, 4, 0}, Case{1, 3, 4, 5, 2, 3, 2, 1}}) {
    Tensor x = random_tensor({c.B, c.C, c.H, c.W}, 10), w = random_tensor({c.C, c.O, c.k, c.k}, 11);
    Tensor b = random_tensor({c.O}, 12);
    const int64_t Ho = (c.H - 1) * c.s - 2 * c.p + c.k, Wo = (c.W - 1) * c.s - 2 * c.p + c.k;
    Tensor y = Tensor::empty({c.B, c.O, Ho, Wo});
    be.conv_transpose2d(x, w, b, c.s, c.p, y);
    auto want = ref_conv_t2d(as_double(x), as_double(w), as_double(b), c.B, c.C, c.H, c.W, c.O, c.k,
                             c.s, c.p);
    EXPECT_LT(max_rel_err(y, want), 1e-5) << "k" << c.k << " s" << c.s;
  }
}

TEST(NnDense, LayerNormAndGroupNormMatchFloat64) {
  CpuBackend be;
  for (int64_t C : {1, 7, 64}) {
    Tensor x = random_tensor({5, C}, 13, -3, 5), g = random_tensor({C}, 14),
           b = random_tensor({C}, 15);
    Tensor y = Tensor::empty({5, C});
    be.layer_norm(x, g, b, 1e-5f, y);
    EXPECT_LT(max_rel_err(y, ref_layer_norm(as_double(x), as_double(g), as_double(b), 5, C, 1e-5)),
              2e-5);
  }
  // GroupNorm over [B, C, S]: statistics per (b, group) over C/groups channels x S positions.
  const int64_t B = 2, C = 6, S = 5, G = 3;
  Tensor x = random_tensor({B, C, S}, 16, -2, 3), g = random_tensor({C}, 17),
         b = random_tensor({C}, 18);
  Tensor y = Tensor::empty({B, C, S});
  be.group_norm(x, G, g, b, 1e-5f, y);
  std::vector<double> xd = as_double(x), gd = as_double(g), bd = as_double(b), want(B * C * S);
  for (int64_t n = 0; n < B; ++n)
    for (int64_t gi = 0; gi < G; ++gi) {
      double mean = 0, var = 0;
      const int64_t cnt = (C / G) * S, base = (n * C + gi * (C / G)) * S;
      for (int64_t i = 0; i < cnt; ++i) mean += xd[base + i] / cnt;
      for (int64_t i = 0; i < cnt; ++i) var += (xd[base + i] - mean) * (xd[base + i] - mean) / cnt;
      for (int64_t i = 0; i < cnt; ++i) {
        const int64_t c = gi * (C / G) + i / S;
        want[base + i] = (xd[base + i] - mean) / std::sqrt(var + 1e-5) * gd[c] + bd[c];
      }
    }
  EXPECT_LT(max_rel_err(y, want), 2e-5);
  EXPECT_THROW(be.group_norm(x, 4, g, b, 1e-5f, y), Error);
}

TEST(NnDense, ActivationsMatchTheirDefinitions) {
  CpuBackend be;
  Tensor x = random_tensor({3, 41}, 19, -30, 30);
  x.f32()[0] = 20.5f;  // just above the softplus threshold: identity
  x.f32()[1] = 100.f;  // exp(100) overflows float: the threshold keeps it finite
  std::vector<double> xd = as_double(x);
  struct A {
    Act a;
    double (*f)(double);
  };
  const A acts[] = {
      {Act::ReLU, [](double v) { return v > 0 ? v : 0.0; }},
      {Act::GELU, [](double v) { return 0.5 * v * (1 + std::erf(v / std::sqrt(2.0))); }},
      {Act::SiLU, ref_silu},
      {Act::Sigmoid, ref_sigmoid},
      {Act::Tanh, [](double v) { return std::tanh(v); }},
      {Act::Softplus, ref_softplus}};
  for (const A& a : acts) {
    Tensor y = Tensor::empty({3, 41});
    be.activation(a.a, x, y);
    std::vector<double> want(xd.size());
    for (std::size_t i = 0; i < xd.size(); ++i) want[i] = a.f(xd[i]);
    EXPECT_LT(max_rel_err(y, want), 2e-6) << static_cast<int>(a.a);
  }
  Tensor y = Tensor::empty({3, 41});
  be.activation(Act::Softplus, x, y);
  EXPECT_EQ(y.f32()[0], 20.5f);
  EXPECT_EQ(y.f32()[1], 100.f);
}

TEST(NnDense, BinaryBroadcastsARowVector) {
  CpuBackend be;
  Tensor a = random_tensor({4, 3}, 20), v = random_tensor({3}, 21), y = Tensor::empty({4, 3});
  be.binary(BinOp::Sub, a, v, y);
  std::vector<double> ad = as_double(a), vd = as_double(v), want(12);
  for (int i = 0; i < 12; ++i) want[i] = ad[i] - vd[i % 3];
  EXPECT_LT(max_rel_err(y, want), 1e-7);
  be.addcmul(a, a, v, y);
  for (int i = 0; i < 12; ++i) want[i] = ad[i] + ad[i] * vd[i % 3];
  EXPECT_LT(max_rel_err(y, want), 1e-6);
  EXPECT_THROW(be.binary(BinOp::Add, a, Tensor::empty({2}), y), Error);
}

TEST(NnDense, ConcatAlongColumnsAndRows) {
  CpuBackend be;
  Tensor a = Tensor::from_vector({2, 1}, std::vector<float>{1, 2});
  Tensor b = Tensor::from_vector({2, 2}, std::vector<float>{3, 4, 5, 6});
  Tensor y = Tensor::empty({2, 3});
  be.concat({a, b}, 1, y);
  EXPECT_EQ(y.to_vector(), (std::vector<float>{1, 3, 4, 2, 5, 6}));
  Tensor z = Tensor::empty({3, 2});
  be.concat({b, Tensor::from_vector({1, 2}, std::vector<float>{7, 8})}, 0, z);
  EXPECT_EQ(z.to_vector(), (std::vector<float>{3, 4, 5, 6, 7, 8}));
  EXPECT_THROW(be.concat({a}, 1, y), Error);
}

TEST(NnDense, TopkIsDescendingWithTiesByIndex) {
  CpuBackend be;
  Tensor x = Tensor::from_vector({6}, std::vector<float>{0.5f, 2, -1, 2, 7, 0.5f});
  Tensor v = Tensor::empty({4}), i = Tensor::empty({4}, DType::I32);
  be.topk(x, 4, v, i);
  EXPECT_EQ(v.to_vector(), (std::vector<float>{7, 2, 2, 0.5f}));
  EXPECT_EQ(i.to_vector(), (std::vector<float>{4, 1, 3, 0}));
  Tensor v0 = Tensor::empty({0}), i0 = Tensor::empty({0}, DType::I32);
  be.topk(x, 0, v0, i0);
  EXPECT_THROW(be.topk(x, 7, Tensor::empty({7}), Tensor::empty({7}, DType::I32)), Error);
}
