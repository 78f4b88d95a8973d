// FlatFormer (mmdet3d DynamicCenterPoint) against the PyTorch reference, stage by stage: the
// fixture (tools/fixtures/make_parity_fixtures.py, config tests/fixtures/parity/
// flatformer_center.yaml) holds seeded weights, one frame and every stage's output. As in
// test_lion_parity.cpp, relative error = max |ours - reference| / max |reference| over all
// elements of a stage's output. Each stage fed the reference's input to that stage must match
// within 1e-4; coordinates exactly; NMS must keep the same boxes.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <numbers>
#include <regex>
#include <thread>

#include "checkpoint/checkpoint.hpp"
#include "common/test_paths.hpp"
#include "core/error.hpp"
#include "models/detector.hpp"
#include "models/flatformer_encoder.hpp"
#include "models/flatformer_vfe.hpp"
#include "models/npz.hpp"
#include "parity_fixture.hpp"

using namespace lidardet;
using namespace lidardet::test::parity;

namespace {

const std::string kModel = "flatformer_center";

std::string fixture(const std::string& what) { return test::parity::fixture_path(kModel, what); }

// For the XML report (--gtest_output=xml): the measured error of each stage.
std::string sci(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.2e", v);
  return b;
}

// lidardet's tensor names (docs/trace.md) -> the reference recorder's names.
std::string reference_name(const std::string& ours) {
  static const std::map<std::string, std::string> fixed = {
      {"vfe.voxel_features", "voxel_encoder.voxel_features"},
      {"vfe.voxel_coords", "voxel_encoder.voxel_coords"},
      {"map_to_bev", "map_to_bev"},
      {"backbone_2d", "neck"}};
  if (auto it = fixed.find(ours); it != fixed.end()) return it->second;
  const std::string blk = "backbone_3d.block_list.";
  if (ours.starts_with(blk) && ours.ends_with(".features"))
    return "middle_encoder.block_list." + ours.substr(blk.size(), ours.size() - blk.size() - 9);
  if (ours.starts_with("backbone_2d.blocks.")) return "backbone.blocks." + ours.substr(19);
  if (ours.starts_with("dense_head.")) return "head.0." + ours.substr(11);
  return "";
}

struct Ctx {
  std::map<std::string, Host> ref;
  std::unique_ptr<Detector> det;
  std::map<std::string, Host> stages;
  std::vector<Box3D> boxes;
};

Ctx& ctx() {
  static std::unique_ptr<Ctx> c;
  if (!c) {
    c = std::make_unique<Ctx>();
    c->ref = reference_tensors(kModel);
    c->det = std::make_unique<Detector>(fixture("yaml"), fixture("weights.safetensors"));
    c->boxes = c->det->detect(
        input_cloud(c->ref.at("input.points")),
        [&](const std::string& name, const nn::Tensor& t) { c->stages[name] = host_of(t); });
  }
  return *c;
}

// The reference's recorded tensors under lidardet's names (the inputs of --stage-input).
std::map<std::string, nn::Tensor> reference_inputs(const Ctx& c) {
  std::map<std::string, nn::Tensor> in;
  for (const auto& n : c.det->stage_names())
    if (n.starts_with("backbone_3d.")) {
      in[n + ".features"] = c.ref.at(reference_name(n + ".features")).tensor();
      in[n + ".indices"] = c.ref.at("voxel_encoder.voxel_coords").tensor();  // pillars stay
    }
  for (const char* n : {"vfe.voxel_features", "vfe.voxel_coords", "map_to_bev", "backbone_2d"})
    in[n] = c.ref.at(reference_name(n)).tensor();
  for (const auto& [name, h] : c.ref)
    if (name.starts_with("head.0.")) in["dense_head." + name.substr(7)] = h.tensor();
  return in;
}

TEST(FlatFormerParity, StageNamesFollowTheTraceDoc) {
  EXPECT_EQ(ctx().det->stage_names(),
            (std::vector<std::string>{"vfe", "backbone_3d.block_list.0", "map_to_bev",
                                      "backbone_2d", "dense_head", "post_processing"}));
}

TEST(FlatFormerParity, PillarCoordinatesMatchExactly) {
  Ctx& c = ctx();
  const Host& ref = c.ref.at("voxel_encoder.voxel_coords");
  ASSERT_GT(ref.shape[0], 64);  // several groups of 32 pillars
  for (const std::string n : {"vfe.voxel_coords", "backbone_3d.block_list.0.indices"}) {
    SCOPED_TRACE(n);
    ASSERT_TRUE(c.stages.count(n));
    EXPECT_EQ(c.stages.at(n).shape, ref.shape);
    EXPECT_EQ(c.stages.at(n).v, ref.v);
  }
}

TEST(FlatFormerParity, VfeFromThePointsMatchesWithin1e4) {
  Ctx& c = ctx();
  const Host& a = c.stages.at("vfe.voxel_features");
  const Host& b = c.ref.at("voxel_encoder.voxel_features");
  ASSERT_EQ(a.shape, b.shape);
  EXPECT_LE(rel_error(a.v, b.v), 1e-4);
}

TEST(FlatFormerParity, EachStageFedTheReferenceInputMatchesWithin1e4) {
  Ctx& c = ctx();
  const auto in = reference_inputs(c);
  const auto names = c.det->stage_names();
  int compared = 0;
  for (std::size_t i = 1; i + 1 < names.size(); ++i) {
    SCOPED_TRACE(names[i]);
    std::map<std::string, Host> got;
    c.det->run_stages(names[i], names[i], nullptr, in,
                      [&](const std::string& name, const nn::Tensor& t) {
                        if (t.dtype() == nn::DType::F32) got[name] = host_of(t);
                      });
    int here = 0;
    for (const auto& [name, h] : got) {
      const std::string r = reference_name(name);
      if (r.empty() || !c.ref.count(r)) continue;
      SCOPED_TRACE(name);
      ASSERT_EQ(h.shape, c.ref.at(r).shape);
      const double e = rel_error(h.v, c.ref.at(r).v);
      EXPECT_LE(e, 1e-4);
      RecordProperty("stage_input." + name, sci(e));
      ++here;
    }
    EXPECT_GE(here, 1) << "the stage recorded nothing the reference has";
    compared += here;
  }
  // block_list.0, map_to_bev, backbone.blocks.{0,1}, neck, 7 head maps
  EXPECT_EQ(compared, 12);
}

TEST(FlatFormerParity, ChainedFromThePointsEveryStageMatchesWithin1e4) {
  Ctx& c = ctx();
  int compared = 0;
  for (const auto& [name, h] : c.stages) {
    const std::string r = reference_name(name);
    if (r.empty() || !c.ref.count(r) || h.is_int) continue;
    SCOPED_TRACE(name);
    ASSERT_EQ(h.shape, c.ref.at(r).shape);
    const double e = rel_error(h.v, c.ref.at(r).v);
    EXPECT_LE(e, 1e-4);
    RecordProperty("chained." + name, sci(e));
    ++compared;
  }
  EXPECT_EQ(compared, 13);  // the 12 above and the VFE
}

// Also checks that NMS had work: fewer boxes than the reference's pre-NMS candidates.
void expect_reference_boxes(const Ctx& c, const std::vector<Box3D>& ours) {
  ASSERT_LT(ours.size(), c.ref.at("post.pre_nms_boxes").shape[0]);
  test::parity::expect_reference_boxes(c.ref, ours, c.det->class_names(), 1e-4, 1e-5);
}

TEST(FlatFormerParity, PostProcessingFromTheReferenceMapsKeepsTheReferenceBoxes) {
  Ctx& c = ctx();
  const auto boxes =
      c.det->run_stages("post_processing", "post_processing", nullptr, reference_inputs(c), {});
  expect_reference_boxes(c, boxes);
}

TEST(FlatFormerParity, ChainedFromThePointsKeepsTheReferenceBoxes) {
  expect_reference_boxes(ctx(), ctx().boxes);
}

TEST(FlatFormerParity, TimingsNameEveryStage) {
  Ctx& c = ctx();
  c.det->detect(input_cloud(c.ref.at("input.points")));
  std::vector<std::string> stages;
  for (const auto& t : c.det->last_timings()) {
    stages.push_back(t.stage);
    EXPECT_GE(t.ms, 0.0);
  }
  EXPECT_EQ(stages, (std::vector<std::string>{"vfe", "backbone_3d", "map_to_bev", "backbone_2d",
                                              "dense_head", "post_processing"}));
}

TEST(FlatFormerParity, DeterministicAcrossThreadsAndCheckpointFormats) {
  Ctx& c = ctx();
  const PointCloud cloud = input_cloud(c.ref.at("input.points"));
  Detector a(fixture("yaml"), fixture("pth"));         // mmcv {'state_dict': ...}, zip
  Detector b(fixture("yaml"), fixture("legacy.pth"));  // the same, legacy pickle
  std::vector<Box3D> ra, rb;
  std::thread ta([&] { ra = a.detect(cloud); });
  std::thread tb([&] { rb = b.detect(cloud); });
  ta.join();
  tb.join();
  EXPECT_EQ(ra, c.boxes);  // bit for bit
  EXPECT_EQ(rb, c.boxes);
  const auto batch = a.detect_batch({cloud, cloud});
  ASSERT_EQ(batch.size(), 2u);
  EXPECT_EQ(batch[0], c.boxes);
  EXPECT_EQ(batch[1], c.boxes);
}

// ---- pieces checked against hand-worked values ----

TEST(FlatFormerPieces, RoundToHalfRoundsToNearestEven) {
  EXPECT_EQ(round_to_half(1.0f), 1.0f);
  EXPECT_EQ(round_to_half(-2.5f), -2.5f);
  // Halves in [2048, 4096) are 2 apart: 2049 and 2051 are ties, resolved to the even mantissa.
  EXPECT_EQ(round_to_half(2049.f), 2048.f);
  EXPECT_EQ(round_to_half(2051.f), 2052.f);
  EXPECT_EQ(round_to_half(2050.9f), 2050.f);
  // 0.1 -> 1638 / 16384 (spacing 2^-14 in [2^-4, 2^-3)): 0.0999755859375.
  EXPECT_EQ(round_to_half(0.1f), 0.0999755859375f);
  // In [64, 128) the spacing is 1/16 m (flatformer.md §8).
  EXPECT_EQ(round_to_half(70.03f), 70.0f);
  EXPECT_EQ(round_to_half(70.04f), 70.0625f);
  EXPECT_EQ(round_to_half(65504.f), 65504.f);
  EXPECT_TRUE(std::isinf(round_to_half(70000.f)));
  EXPECT_EQ(round_to_half(1e-7f), 2 * 5.9604644775390625e-08f);  // subnormal: 2^-24 steps
}

TEST(FlatFormerPieces, PositionEmbeddingIsSinCosOfTheGridIndex) {
  // One pillar at x = 3, y = 5, 8 channels: half = 4, divisors 1, 1, T^(1/2), T^(1/2).
  const std::vector<std::int32_t> coords = {0, 0, 5, 3};
  const auto pe = flatformer_position_embedding(coords, 8, 100.f);
  ASSERT_EQ(pe.size(), 8u);
  const double expect[8] = {std::sin(3.0), std::cos(3.0), std::sin(0.3), std::cos(0.3),
                            std::sin(5.0), std::cos(5.0), std::sin(0.5), std::cos(0.5)};
  for (int i = 0; i < 8; ++i) EXPECT_NEAR(pe[i], expect[i], 1e-6) << i;
}

// ---- whole-model behaviour ----

TEST(FlatFormerModel, EmptyOutOfRangeAndTinyCloudsGiveFiniteResults) {
  Detector& det = *ctx().det;
  // No pillar: the dense layers still run on an all-zero canvas (their biases can put boxes
  // above the threshold with these seeded weights), exactly as from a zero map_to_bev.
  nn::Tensor zero = nn::Tensor::empty({1, 16, 32, 32});
  const auto from_zero =
      det.run_stages("backbone_2d", "post_processing", nullptr, {{"map_to_bev", zero}}, {});
  EXPECT_EQ(det.detect(PointCloud()), from_zero);
  PointCloud far;
  far.push_back(std::vector<float>{500, 500, 0, 1});  // outside the range filter
  EXPECT_EQ(det.detect(far), from_zero);
  PointCloud tiny;  // 3 pillars, fewer than one group of 32: tokens repeat cyclically
  for (float x : {2.f, 5.f, 9.f}) tiny.push_back(std::vector<float>{x, 1, -1, 0.5f});
  for (const auto& b : det.detect(tiny)) EXPECT_TRUE(std::isfinite(b.x) && std::isfinite(b.score));
}

TEST(FlatFormerModel, CloudWithoutTheConfiguredChannelsIsAnError) {
  PointCloud xyz(std::vector<std::string>{"x", "y", "z"});
  xyz.push_back(std::vector<float>{5, 1, -1});
  EXPECT_THROW(ctx().det->detect(xyz), Error);
}

TEST(FlatFormerModel, StageInputOutsideTheGridIsAnError) {
  Ctx& c = ctx();
  auto in = reference_inputs(c);
  in["vfe.voxel_coords"].i32()[3] = 32;  // x of pillar 0, grid is 32 wide
  try {
    c.det->run_stages("backbone_3d", "backbone_3d", nullptr, in, {});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("outside the grid"), std::string::npos) << e.what();
  }
}

TEST(FlatFormerModel, MismatchedChannelsInTheConfigNameTheKeys) {
  const std::string text = [] {
    std::ifstream f(fixture("yaml"));
    return std::string(std::istreambuf_iterator<char>(f), {});
  }();
  const std::string bad_text =
      std::regex_replace(text, std::regex("NUM_BEV_FEATURES: 16"), "NUM_BEV_FEATURES: 24");
  ASSERT_NE(bad_text, text);
  try {
    Detector d(parse_model_config(bad_text, "bad.yaml"), fixture("weights.safetensors"));
    FAIL() << "no error";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("bad.yaml"), std::string::npos) << m;
    EXPECT_NE(m.find("NUM_BEV_FEATURES"), std::string::npos) << m;
  }
}

std::string fixture_yaml_with(const std::string& from, const std::string& to) {
  std::ifstream f(fixture("yaml"));
  const std::string text((std::istreambuf_iterator<char>(f)), {});
  const std::string out = std::regex_replace(text, std::regex(from), to);
  EXPECT_NE(out, text) << from;
  return out;
}

// DATA_CONFIG.FP16_POINTS acts on the input points only: the model with it gives what the model
// without it gives on points rounded to FP16 by hand. TANH_ON_FEATURES is the data pipeline's
// (the caller applies it, as the reference's loader does): listing it changes nothing here.
TEST(FlatFormerModel, Fp16PointsRoundTheInputOnlyAndTanhIsLeftToTheCaller) {
  const PointCloud cloud = input_cloud(ctx().ref.at("input.points"));
  Detector both(
      parse_model_config(fixture_yaml_with("FP16_POINTS: False",
                                           "FP16_POINTS: True\n  TANH_ON_FEATURES: ['intensity']"),
                         "fp16.yaml"),
      fixture("weights.safetensors"));
  PointCloud by_hand = cloud;
  for (std::size_t i = 0; i < by_hand.size(); ++i) {
    float* r = by_hand.row(i);
    for (std::size_t c = 0; c < by_hand.num_channels(); ++c) r[c] = round_to_half(r[c]);
  }
  const auto expect = ctx().det->detect(by_hand);
  const auto got = both.detect(cloud);
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got, expect);  // the same arithmetic on the same rounded points: bit for bit
  // And the rounding matters: the unrounded cloud scores differently.
  EXPECT_NE(ctx().boxes, got);
}

TEST(FlatFormerModel, OfficialWaymoConfigBuildsUpToTheWeightCheck) {
  // The fixture's reduced weights do not fit the full-size graph: the error lists missing or
  // wrong-shape keys (the graph itself is supported).
  try {
    Detector d(test::source_dir() + "/configs/flatformer_waymo.yaml",
               fixture("weights.safetensors"));
    FAIL() << "reduced weights accepted for the full-size config";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("middle_encoder.block_list.1.block.0"), std::string::npos) << m.substr(0, 400);
    EXPECT_EQ(m.find("not supported"), std::string::npos) << m.substr(0, 400);
  }
}

TEST(FlatFormerModel, ShippedSmallModelDetectsOnTheFixtureFrame) {
  const std::string root = test::source_dir();
  Detector det(root + "/configs/flatformer_small.yaml",
               root + "/models/flatformer_small/flatformer_small.safetensors");
  const auto boxes = det.detect(input_cloud(ctx().ref.at("input.points")));
  for (const auto& b : boxes) {
    EXPECT_TRUE(std::isfinite(b.x) && std::isfinite(b.yaw) && b.l > 0 && b.w > 0 && b.h > 0);
    EXPECT_GT(b.score, 0.1f);  // BBOX_CODER.SCORE_THRESHOLD
  }
}

// ---- the CLI on the fixture model ----

int run_cli(const std::string& args) {
  const int rc = std::system((test::cli_path() + " " + args + " > /dev/null 2>&1").c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

// The fixture frame as x, y, z, intensity rows.
std::vector<float> fixture_xyzi() {
  const Host& p = ctx().ref.at("input.points");
  std::vector<float> out;
  for (int64_t r = 0; r < p.shape[0]; ++r)
    for (int k = 1; k < 5; ++k) out.push_back(p.v[r * 5 + k]);
  return out;
}

TEST(FlatFormerCli, TraceWritesEveryStageAndASpanReproducesIt) {
  namespace fs = std::filesystem;
  if (!fs::exists(test::cli_path())) GTEST_SKIP() << "CLI not built";
  const fs::path dir = test::temp_dir("ff_trace");
  const auto xyzi = fixture_xyzi();
  std::ofstream(dir / "f.bin", std::ios::binary)
      .write(reinterpret_cast<const char*>(xyzi.data()), std::streamsize(xyzi.size() * 4));
  const std::string model =
      "--config " + fixture("yaml") + " --weights " + fixture("weights.safetensors");
  ASSERT_EQ(run_cli("trace " + model + " --input " + (dir / "f.bin").string() + " --out " +
                    (dir / "full.npz").string()),
            0);
  const auto full = read_npz((dir / "full.npz").string());
  // The same tensors as the in-process run, bit for bit.
  for (const std::string n : {"vfe.voxel_features", "backbone_3d.block_list.0.features",
                              "backbone_2d", "dense_head.heatmap"}) {
    SCOPED_TRACE(n);
    ASSERT_TRUE(full.count(n));
    EXPECT_EQ(full.at(n).to_vector(), ctx().stages.at(n).v);
  }
  EXPECT_EQ(full.at("post_processing.boxes").dim(0), ctx().ref.at("post.boxes").shape[0]);
  // The encoder alone from the traced pillars.
  write_npz((dir / "in.npz").string(), {{"vfe.voxel_features", full.at("vfe.voxel_features")},
                                        {"vfe.voxel_coords", full.at("vfe.voxel_coords")}});
  ASSERT_EQ(run_cli("trace " + model + " --stage-input " + (dir / "in.npz").string() +
                    " --from backbone_3d --to backbone_3d --out " + (dir / "span.npz").string()),
            0);
  const auto span = read_npz((dir / "span.npz").string());
  EXPECT_EQ(span.at("backbone_3d.block_list.0.features").to_vector(),
            full.at("backbone_3d.block_list.0.features").to_vector());
  fs::remove_all(dir);
}

TEST(FlatFormerCli, BenchDetectTimesEveryStageOfAnNpyFrame) {
  namespace fs = std::filesystem;
  if (!fs::exists(test::cli_path())) GTEST_SKIP() << "CLI not built";
  const fs::path dir = test::temp_dir("ff_bench");
  const auto xyzi = fixture_xyzi();
  const nn::Tensor t = nn::Tensor::from_vector({int64_t(xyzi.size() / 4), 4}, xyzi);
  std::ofstream(dir / "f.npy", std::ios::binary) << npy_bytes(t);
  const std::string model =
      "--config " + fixture("yaml") + " --weights " + fixture("weights.safetensors");
  ASSERT_EQ(run_cli("bench detect " + model + " --input " + (dir / "f.npy").string() +
                    " --repeat 2 --warmup 0 --json " + (dir / "b.json").string()),
            0);
  std::ifstream f(dir / "b.json");
  const auto j = nlohmann::json::parse(f);
  for (const char* s :
       {"vfe", "backbone_3d", "map_to_bev", "backbone_2d", "dense_head", "post_processing"})
    EXPECT_GE(j["stages_ms"].value(s, -1.0), 0.0) << s;
  EXPECT_GT(j["end_to_end_ms"].get<double>(), 0.0);
  // Three columns are not a point cloud the model can read: exit 1, no JSON.
  const nn::Tensor bad = nn::Tensor::from_vector({2, 3}, std::vector<float>{1, 2, 3, 4, 5, 6});
  std::ofstream(dir / "bad.npy", std::ios::binary) << npy_bytes(bad);
  EXPECT_EQ(run_cli("bench detect " + model + " --input " + (dir / "bad.npy").string() +
                    " --json " + (dir / "c.json").string()),
            1);
  EXPECT_FALSE(fs::exists(dir / "c.json"));
  fs::remove_all(dir);
}

}  // namespace
