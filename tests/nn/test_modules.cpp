// Modules (Mamba, RWKV, attention) against the PyTorch reference modules of tools/reference
// (fixture written by tools/bench/make_nn_fixtures.py), weight loading errors, BatchNorm
// folding, determinism and allocation-free steady state.
#include <gtest/gtest.h>

#include "common/test_paths.hpp"
#include "core/error.hpp"
#include "nn/attention.hpp"
#include "nn/mamba.hpp"
#include "nn/rwkv.hpp"
#include "nn_test_util.hpp"

using lidardet::Error;
using namespace lidardet::nn;
using namespace lidardet::nn::test;

namespace {

#ifdef LIDARDET_NN_HAVE_CHECKPOINT
const WeightMap& fixture() {
  static WeightMap wm = WeightMap::from_checkpoint(lidardet::load_checkpoint(
      lidardet::test::source_dir() + "/tests/nn/fixtures/nn_blocks.safetensors"));
  return wm;
}
Tensor io(const std::string& key) {
  const Tensor* t = fixture().find("io." + key);
  if (!t) throw Error("fixture lacks io." + key);
  return *t;
}
// A copy (modules update x in place).
Tensor copy_of(const Tensor& t) { return Tensor::from_vector(t.shape(), t.to_vector()); }
#endif

MambaConfig small_mamba() { return {16, 16, 4, 2, 1e-5f}; }

// Random weights under the official key names of one Mamba block.
WeightMap random_mamba_weights(const std::string& p, uint32_t seed) {
  const MambaConfig c = small_mamba();
  const int64_t di = c.d_inner(), S = c.d_state, R = c.dt_rank();
  WeightMap wm;
  auto add = [&](const std::string& k, const Shape& s, float lo = -0.5f, float hi = 0.5f) {
    wm.add(p + k, random_tensor(s, seed++, lo, hi));
  };
  add("mamba.in_proj.weight", {2 * di, 16});
  add("mamba.out_proj.weight", {16, di});
  for (std::string sfx : {"", "_b"}) {
    add("mamba.conv1d" + sfx + ".weight", {di, 1, 4});
    add("mamba.conv1d" + sfx + ".bias", {di});
    add("mamba.x_proj" + sfx + ".weight", {R + 2 * S, di});
    add("mamba.dt_proj" + sfx + ".weight", {di, R});
    add("mamba.dt_proj" + sfx + ".bias", {di});
  }
  add("mamba.A_log", {di, S}, -1, 1);
  add("mamba.A_b_log", {di, S}, -1, 1);
  add("mamba.D", {di});
  add("mamba.D_b", {di});
  add("norm.weight", {16}, 0.5f, 1.5f);
  add("norm.bias", {16});
  return wm;
}

}  // namespace

#ifdef LIDARDET_NN_HAVE_CHECKPOINT
TEST(NnModules, MambaBlockMatchesThePyTorchReference) {
  CpuBackend be;
  WeightLoader wl(fixture(), be);
  MambaBlock block(wl, "mamba.", small_mamba());
  Tensor x = copy_of(io("mamba.input"));
  block.forward(be, x, 7);
  EXPECT_LT(max_rel_err(x, as_double(io("mamba.output"))), 1e-4);
}

TEST(NnModules, RwkvBlocksMatchThePyTorchReference) {
  CpuBackend be;
  struct Case {
    const char* name;
    int heads;
    int64_t group;
    bool ln0;
  };
  for (Case c : {Case{"rwkv0", 2, 9, true}, Case{"rwkv1", 4, 5, false}}) {
    WeightLoader wl(fixture(), be);
    RwkvConfig cfg;
    cfg.d_model = 16;
    cfg.heads = c.heads;
    cfg.hidden_rate = 4;
    cfg.has_ln0 = c.ln0;
    RwkvBlock block(wl, std::string(c.name) + ".", cfg);
    Tensor x = copy_of(io(std::string(c.name) + ".input"));
    block.forward(be, x, c.group);
    EXPECT_LT(max_rel_err(x, as_double(io(std::string(c.name) + ".output"))), 1e-4) << c.name;
  }
}

TEST(NnModules, AttentionLayerMatchesThePyTorchReference) {
  CpuBackend be;
  WeightLoader wl(fixture(), be);
  AttentionLayer layer(wl, "attn.", {16, 4, 32, 1e-5f});
  Tensor x = copy_of(io("attn.input"));
  layer.forward(be, x, io("attn.pe"), 5);
  EXPECT_LT(max_rel_err(x, as_double(io("attn.output"))), 1e-4);
}

TEST(NnModules, EveryFixtureWeightIsTakenByExactlyTheModules) {
  CpuBackend be;
  WeightLoader wl(fixture(), be);
  MambaBlock m(wl, "mamba.", small_mamba());
  RwkvConfig r0{16, 2, 4, 32, 64, true}, r1{16, 4, 4, 32, 64, false};
  RwkvBlock a(wl, "rwkv0.", r0), b(wl, "rwkv1.", r1);
  AttentionLayer t(wl, "attn.", {16, 4, 32, 1e-5f});
  EXPECT_NO_THROW(wl.finish(false, {"io."}));
}
#else
TEST(NnModules, PyTorchParityNeedsTheCheckpointStage) {
  GTEST_SKIP() << "lib/checkpoint was not built: cannot read the safetensors fixture";
}
#endif

TEST(NnModules, WeightErrorsAreListedTogether) {
  CpuBackend be;
  WeightMap wm = random_mamba_weights("blk.", 100);
  WeightMap bad;
  bad.source = "model.pth";
  for (const std::string& k : wm.names()) {
    if (k == "blk.mamba.D" || k == "blk.norm.bias") continue;  // two missing
    Tensor t = *wm.find(k);
    if (k == "blk.mamba.x_proj_b.weight") t = Tensor::empty({9, 32});  // one wrong shape
    bad.add(k, t);
  }
  bad.add("blk.mamba.extra", Tensor::empty({1}));  // one unexpected
  WeightLoader wl(bad, be);
  MambaBlock block(wl, "blk.", small_mamba());  // construction itself does not throw
  try {
    wl.finish();
    FAIL() << "no error";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("model.pth"), std::string::npos) << m;
    EXPECT_NE(m.find("2 missing keys"), std::string::npos) << m;
    EXPECT_NE(m.find("blk.mamba.D [32]"), std::string::npos) << m;
    EXPECT_NE(m.find("blk.norm.bias [16]"), std::string::npos) << m;
    EXPECT_NE(m.find("blk.mamba.x_proj_b.weight: [9, 32], expected [33, 32]"), std::string::npos)
        << m;
    EXPECT_NE(m.find("1 unexpected keys:\n    blk.mamba.extra"), std::string::npos) << m;
  }
}

TEST(NnModules, WeightsOfAnotherModelSayNoKeyMatchedBeforeListingThem) {
  CpuBackend be;
  WeightMap other;
  other.source = "other.safetensors";
  other.add("backbone.conv.weight", Tensor::empty({4, 4}));
  WeightLoader wl(other, be);
  MambaBlock block(wl, "blk.", small_mamba());
  try {
    wl.finish();
    FAIL() << "no error";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("no key of the model was found in the weights"), std::string::npos) << m;
    EXPECT_NE(m.find("blk.mamba.D [32]"), std::string::npos) << m;  // still listed
    EXPECT_NE(m.find("backbone.conv.weight"), std::string::npos) << m;
  }
  // One matching key is enough to drop the hint: it is about wholesale mismatches only.
  WeightMap partial = random_mamba_weights("blk.", 5);
  WeightMap one;
  one.source = "one.safetensors";
  one.add("blk.mamba.D", *partial.find("blk.mamba.D"));
  WeightLoader wl2(one, be);
  MambaBlock block2(wl2, "blk.", small_mamba());
  try {
    wl2.finish();
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).find("no key of the model"), std::string::npos) << e.what();
  }
}

TEST(NnModules, MambaIsSymmetricUnderTimeReversalWithSwappedDirections) {
  // Swapping every forward-direction weight with its backward twin and reversing each group
  // must reverse the output: an independent check of the anti-causal conv and reverse scan.
  CpuBackend be;
  WeightMap wm = random_mamba_weights("", 200), swapped;
  for (const std::string& k : wm.names()) {
    std::string o = k;
    auto swap_sfx = [&](const std::string& a, const std::string& b) {
      if (k.rfind(a, 0) == 0)
        o = b + k.substr(a.size());
      else if (k.rfind(b, 0) == 0)
        o = a + k.substr(b.size());
    };
    for (auto [f, r] : {std::pair{"mamba.conv1d.", "mamba.conv1d_b."},
                        {"mamba.x_proj.", "mamba.x_proj_b."},
                        {"mamba.dt_proj.", "mamba.dt_proj_b."}})
      swap_sfx(f, r);
    if (k == "mamba.A_log") o = "mamba.A_b_log";
    if (k == "mamba.A_b_log") o = "mamba.A_log";
    if (k == "mamba.D") o = "mamba.D_b";
    if (k == "mamba.D_b") o = "mamba.D";
    swapped.add(o, *wm.find(k));
  }
  WeightLoader wl1(wm, be), wl2(swapped, be);
  MambaBlock m1(wl1, "", small_mamba()), m2(wl2, "", small_mamba());
  wl1.finish();
  wl2.finish();
  const int64_t N = 11, G = 6;
  Tensor x = random_tensor({N, 16}, 300);
  Tensor xr = Tensor::empty({N, 16});
  auto flip = [&](const Tensor& src, const Tensor& dst) {
    for (int64_t b = 0; b < N; b += G) {
      const int64_t e = std::min(N, b + G);
      for (int64_t t = b; t < e; ++t)
        for (int c = 0; c < 16; ++c) dst.f32()[t * 16 + c] = src.f32()[(b + e - 1 - t) * 16 + c];
    }
  };
  flip(x, xr);
  m1.forward(be, x, G);
  m2.forward(be, xr, G);
  Tensor back = Tensor::empty({N, 16});
  flip(xr, back);
  EXPECT_LT(max_rel_err(back, as_double(x)), 1e-5);
}

TEST(NnModules, ForwardIsDeterministicAndAllocationFreeInSteadyState) {
  CpuBackend be;
  WeightMap wm = random_mamba_weights("", 400);
  WeightLoader wl(wm, be);
  MambaBlock m(wl, "", small_mamba());
  Tensor x0 = random_tensor({300, 16}, 401);
  Tensor first;
  std::size_t allocs = 0;
  for (int frame = 0; frame < 4; ++frame) {
    be.arena().reset();
    Tensor x = Tensor::from_vector(x0.shape(), x0.to_vector());
    m.forward(be, x, 64);
    if (frame == 0)
      first = x;
    else
      EXPECT_TRUE(bit_equal(x, first)) << "frame " << frame;
    if (frame == 1) allocs = be.arena().system_allocations();
    if (frame > 1) EXPECT_EQ(be.arena().system_allocations(), allocs);
  }
}

TEST(NnModules, BatchNormFoldsIntoThePrecedingConv) {
  CpuBackend be;
  const int64_t O = 5, C = 3;
  WeightMap wm;
  wm.add("conv.weight", random_tensor({O, C, 3, 3}, 500));
  wm.add("bn.weight", random_tensor({O}, 501, 0.5f, 2));
  wm.add("bn.bias", random_tensor({O}, 502));
  wm.add("bn.running_mean", random_tensor({O}, 503));
  wm.add("bn.running_var", random_tensor({O}, 504, 0.2f, 3));
  wm.add("bn.num_batches_tracked", Tensor::empty({}));
  WeightLoader wl(wm, be);
  auto [w, b] = wl.take_folded("conv.weight", {O, C, 3, 3}, "", "bn.", 1e-3f);
  wl.finish();
  Tensor x = random_tensor({1, C, 6, 5}, 505), y = Tensor::empty({1, O, 6, 5});
  be.conv2d(x, w, b, 1, 1, y);
  // Unfolded: conv without bias, then (y - mean) / sqrt(var + eps) * g + beta, in float64.
  Tensor raw = Tensor::empty({1, O, 6, 5});
  be.conv2d(x, *wm.find("conv.weight"), Tensor(), 1, 1, raw);
  std::vector<double> r = as_double(raw), want(r.size());
  for (int64_t o = 0; o < O; ++o)
    for (int64_t i = 0; i < 30; ++i) {
      const double g = wm.find("bn.weight")->f32()[o], be_ = wm.find("bn.bias")->f32()[o],
                   mu = wm.find("bn.running_mean")->f32()[o],
                   var = wm.find("bn.running_var")->f32()[o];
      want[o * 30 + i] = (r[o * 30 + i] - mu) / std::sqrt(var + 1e-3) * g + be_;
    }
  EXPECT_LT(max_rel_err(y, want), 1e-5);
}
