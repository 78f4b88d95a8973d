// LION-Mamba with the KITTI anchor head against the PyTorch reference, stage by stage: the
// fixture (tools/fixtures/make_parity_fixtures.py) holds seeded weights, one frame and every
// stage's output. Each stage, fed the reference's input to that stage, must match within a
// relative error of 1e-4 (max |a - b| over max |b| of the stage); coordinates exactly; NMS must
// keep the same boxes. Run end to end from the points, fp32 rounding differences compound
// through the chain (post-LayerNorms over 8 channels amplify them), so the chained comparison
// allows 1e-3.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <memory>
#include <thread>

#include "checkpoint/checkpoint.hpp"
#include "common/test_paths.hpp"
#include "core/error.hpp"
#include "models/detector.hpp"
#include "models/head_config.hpp"
#include "models/nms.hpp"
#include "parity_fixture.hpp"

using namespace lidardet;
using namespace lidardet::test::parity;

namespace {

std::string fixture(const std::string& model, const std::string& what) {
  return fixture_path(model, what);
}

struct Traced {
  std::map<std::string, Host> stages;
  std::vector<Box3D> boxes;
};

Traced run(Detector& det, const PointCloud& cloud) {
  Traced r;
  r.boxes = det.detect(
      cloud, [&](const std::string& name, const nn::Tensor& t) { r.stages[name] = host_of(t); });
  return r;
}

// NCHW [1, A*K, H, W] (ours) to the reference's [1, H*W*A, K] layout.
std::vector<float> head_layout(const Host& h) {
  const int64_t ch = h.shape[1], hw = h.shape[2] * h.shape[3];
  std::vector<float> out(h.v.size());
  for (int64_t c = 0; c < ch; ++c)
    for (int64_t p = 0; p < hw; ++p) out[p * ch + c] = h.v[c * hw + p];
  return out;
}

struct Ctx {
  std::map<std::string, Host> ref;
  std::unique_ptr<Detector> det;
  Traced run;
};

// One detector and one traced run per fixture model, shared by that model's tests.
Ctx& ctx(const std::string& model) {
  static std::map<std::string, std::unique_ptr<Ctx>> cache;
  auto& c = cache[model];
  if (!c) {
    c = std::make_unique<Ctx>();
    c->ref = reference_tensors(model);
    c->det =
        std::make_unique<Detector>(fixture(model, "yaml"), fixture(model, "weights.safetensors"));
    c->run = run(*c->det, input_cloud(c->ref.at("input.points")));
  }
  return *c;
}

// LION anchor-head fixtures: LION-Mamba (2 blocks) and LION-RWKV (1 block, 2 heads).
class AnchorParity : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    Ctx& c = ctx(GetParam());
    ref_ = &c.ref;
    det_ = c.det.get();
    run_ = &c.run;
  }
  std::map<std::string, Host>* ref_ = nullptr;
  Detector* det_ = nullptr;
  Traced* run_ = nullptr;
};

TEST_P(AnchorParity, ChainedFromThePointsEveryStageMatchesWithin1e3) {
  std::vector<std::pair<std::string, std::string>> pairs = {
      {"vfe.voxel_features", "vfe.voxel_features"}};
  for (const auto& n : det_->stage_names())
    if (n.starts_with("backbone_3d.")) pairs.push_back({n + ".features", n + ".features"});
  ASSERT_GE(pairs.size(), 4u);
  for (const char* n :
       {"map_to_bev", "backbone_2d.blocks.0", "backbone_2d.blocks.1", "backbone_2d"})
    pairs.push_back({n, n});
  for (const auto& [ours, theirs] : pairs) {
    SCOPED_TRACE(ours);
    ASSERT_TRUE(run_->stages.count(ours)) << "stage not recorded";
    const Host& a = run_->stages.at(ours);
    const Host& b = ref_->at(theirs);
    ASSERT_EQ(a.shape, b.shape);
    EXPECT_LE(rel_error(a.v, b.v), ours == "vfe.voxel_features" ? 1e-4 : 1e-3);
  }
}

// Inverse of head_layout: the reference's [1, H*W*A, K] as NCHW [1, A*K, H, W].
nn::Tensor nchw_head(const Host& ref, int64_t H, int64_t W) {
  const int64_t ch = ref.shape[1] * ref.shape[2] / (H * W), hw = H * W;
  nn::Tensor t = nn::Tensor::empty({1, ch, H, W});
  for (int64_t c = 0; c < ch; ++c)
    for (int64_t p = 0; p < hw; ++p) t.f32()[c * hw + p] = ref.v[p * ch + c];
  return t;
}

TEST_P(AnchorParity, EachStageFedTheReferenceInputMatchesWithin1e4) {
  std::map<std::string, nn::Tensor> in;
  for (const auto& [name, h] : *ref_) in[name] = h.tensor();
  const int64_t H = ref_->at("backbone_2d").shape[2], W = ref_->at("backbone_2d").shape[3];
  for (const std::string n : {"cls_preds", "box_preds", "dir_cls_preds"})
    in["dense_head." + n] = nchw_head(ref_->at("head." + n), H, W);
  const auto names = det_->stage_names();
  int blocks = 0;
  while (ref_->count("backbone_3d.linear_" + std::to_string(blocks + 1) + ".features")) ++blocks;
  // vfe, (LIONBlock + dow) per block, linear_out, bev, 2d, head, post
  ASSERT_EQ(names.size(), std::size_t(2 * blocks + 6));
  for (std::size_t i = 1; i + 1 < names.size(); ++i) {
    SCOPED_TRACE(names[i]);
    std::map<std::string, Host> got;
    det_->run_stages(names[i], names[i], nullptr, in,
                     [&](const std::string& name, const nn::Tensor& t) {
                       if (t.dtype() == nn::DType::F32) got[name] = {t.shape(), t.to_vector()};
                     });
    int compared = 0;
    for (const auto& [name, h] : got) {
      const bool head = name.starts_with("dense_head.");
      const std::string ref_name = head ? "head." + name.substr(11) : name;
      if (!ref_->count(ref_name)) continue;
      SCOPED_TRACE(name);
      const std::vector<float> a = head ? head_layout(h) : h.v;
      ASSERT_EQ(a.size(), ref_->at(ref_name).v.size());
      EXPECT_LE(rel_error(a, ref_->at(ref_name).v), 1e-4);
      ++compared;
    }
    EXPECT_GE(compared, 1);
  }
  // post_processing alone, from the reference head maps: the same boxes survive NMS.
  const auto boxes = det_->run_stages("post_processing", "post_processing", nullptr, in, {});
  EXPECT_EQ(boxes.size(), std::size_t(ref_->at("post.boxes").shape[0]));
}

TEST_P(AnchorParity, VoxelCoordinatesMatchExactly) {
  std::vector<std::string> names = {"vfe.voxel_coords"};
  for (const auto& n : det_->stage_names())
    if (n.starts_with("backbone_3d.")) names.push_back(n + ".indices");
  for (const std::string& n : names) {
    SCOPED_TRACE(n);
    ASSERT_TRUE(run_->stages.count(n));
    EXPECT_EQ(run_->stages.at(n).shape, ref_->at(n).shape);
    EXPECT_EQ(run_->stages.at(n).v, ref_->at(n).v);
  }
}

TEST_P(AnchorParity, HeadOutputsMatchTheReference) {
  for (const std::string n : {"cls_preds", "box_preds", "dir_cls_preds"}) {
    SCOPED_TRACE(n);
    const Host& a = run_->stages.at("dense_head." + n);
    const Host& b = ref_->at("head." + n);
    ASSERT_EQ(a.v.size(), b.v.size());
    EXPECT_LE(rel_error(head_layout(a), b.v), 1e-3);  // chained from the points
  }
}

TEST_P(AnchorParity, NmsKeepsTheSameBoxes) {
  ASSERT_GT(run_->boxes.size(), 1u);  // the fixture calibrates scores so that NMS has work
  expect_reference_boxes(*ref_, run_->boxes, {"Car", "Pedestrian", "Cyclist"}, 1e-3, 1e-4);
}

TEST_P(AnchorParity, TimingsNameEveryStage) {
  det_->detect(input_cloud(ref_->at("input.points")));  // other tests ran partial spans
  std::vector<std::string> stages;
  for (const auto& t : det_->last_timings()) {
    stages.push_back(t.stage);
    EXPECT_GE(t.ms, 0.0);
  }
  EXPECT_EQ(stages, (std::vector<std::string>{"vfe", "backbone_3d", "map_to_bev", "backbone_2d",
                                              "dense_head", "post_processing"}));
}

TEST_P(AnchorParity, DeterministicAndIndependentInstancesRunConcurrently) {
  const PointCloud cloud = input_cloud(ref_->at("input.points"));
  const std::string m = GetParam();
  // The second instance reads the same weights through another container where one exists.
  const bool pickled = std::filesystem::exists(fixture(m, "legacy.pth"));
  Detector a(fixture(m, "yaml"), fixture(m, "weights.safetensors"));
  Detector b(fixture(m, "yaml"), fixture(m, pickled ? "legacy.pth" : "weights.safetensors"));
  std::vector<Box3D> ra, rb;
  std::thread ta([&] { ra = a.detect(cloud); });
  std::thread tb([&] { rb = b.detect(cloud); });
  ta.join();
  tb.join();
  EXPECT_EQ(ra, run_->boxes);  // bit for bit: same input, same output
  EXPECT_EQ(rb, run_->boxes);
  const auto batch = a.detect_batch({cloud, cloud});
  ASSERT_EQ(batch.size(), 2u);
  EXPECT_EQ(batch[0], run_->boxes);
  EXPECT_EQ(batch[1], run_->boxes);
}

INSTANTIATE_TEST_SUITE_P(Lion, AnchorParity,
                         ::testing::Values("lion_mamba_anchor", "lion_rwkv_anchor"));

// LION-Mamba with the Waymo-style CenterHead (BaseBEVResBackbone, IoU rectification, the
// mmdet3d multi-class NMS with the reference's box quirk).
class CenterParity : public ::testing::Test {
 protected:
  void SetUp() override {
    Ctx& c = ctx("lion_mamba_center");
    ref_ = &c.ref;
    det_ = c.det.get();
    run_ = &c.run;
  }
  std::map<std::string, Host>* ref_ = nullptr;
  Detector* det_ = nullptr;
  Traced* run_ = nullptr;
};

TEST_F(CenterParity, EachStageFedTheReferenceInputMatchesWithin1e4) {
  std::map<std::string, nn::Tensor> in;
  for (const auto& [name, h] : *ref_) {
    in[name] = h.tensor();
    if (name.starts_with("head.0.")) in["dense_head." + name.substr(7)] = h.tensor();
  }
  const auto names = det_->stage_names();
  int compared = 0;
  for (std::size_t i = 1; i + 1 < names.size(); ++i) {
    SCOPED_TRACE(names[i]);
    std::map<std::string, Host> got;
    det_->run_stages(names[i], names[i], nullptr, in,
                     [&](const std::string& name, const nn::Tensor& t) {
                       if (t.dtype() == nn::DType::F32) got[name] = {t.shape(), t.to_vector()};
                     });
    for (const auto& [name, h] : got) {
      const std::string ref_name =
          name.starts_with("dense_head.") ? "head.0." + name.substr(11) : name;
      if (!ref_->count(ref_name)) continue;
      SCOPED_TRACE(name);
      ASSERT_EQ(h.v.size(), ref_->at(ref_name).v.size());
      EXPECT_LE(rel_error(h.v, ref_->at(ref_name).v), 1e-4);
      ++compared;
    }
  }
  EXPECT_GE(compared, 16);  // 5 backbone_3d + bev + 4 backbone_2d + 6 head maps
  const auto boxes = det_->run_stages("post_processing", "post_processing", nullptr, in, {});
  EXPECT_EQ(boxes.size(), std::size_t(ref_->at("post.boxes").shape[0]));
}

TEST_F(CenterParity, ChainedFromThePointsKeepsTheReferenceBoxes) {
  for (const std::string n : {"backbone_3d.linear_out.features", "map_to_bev", "backbone_2d"}) {
    SCOPED_TRACE(n);
    EXPECT_LE(rel_error(run_->stages.at(n).v, ref_->at(n).v), 1e-3);
  }
  ASSERT_GT(run_->boxes.size(), 1u);
  expect_reference_boxes(*ref_, run_->boxes, {"Vehicle", "Pedestrian", "Cyclist"}, 1e-3, 1e-4);
}

// --corrected-nms (DetectorOptions::corrected_nms) reaches the head: fed the reference head
// maps, each detector keeps exactly what the mmdet3d multi-class NMS keeps of the reference's
// pre-NMS candidates, with the quirk (the default, as the reference) or the true geometry.
TEST_F(CenterParity, CorrectedNmsOptionSwitchesTheBoxGeometryOfTheNms) {
  const Host& pb = ref_->at("post.pre_nms_boxes");
  const Host& ps = ref_->at("post.pre_nms_scores");
  const Host& pl = ref_->at("post.pre_nms_labels");
  std::vector<Box3D> cand;
  std::vector<float> scores;
  std::vector<int> labels;
  for (int64_t i = 0; i < pb.shape[0]; ++i) {
    const float* r = &pb.v[i * 7];
    Box3D b;
    b.x = r[0], b.y = r[1], b.z = r[2], b.l = r[3], b.w = r[4], b.h = r[5], b.yaw = r[6];
    cand.push_back(b);
    scores.push_back(ps.v[i]);
    labels.push_back(int(pl.v[i]) - 1);
  }
  const auto nms =
      center_head_settings(load_model_config(fixture("lion_mamba_center", "yaml")), true)
          .per_class_nms;
  const auto keep_quirk = mmdet_multi_class_nms(cand, scores, labels, nms, true);
  const auto keep_true = mmdet_multi_class_nms(cand, scores, labels, nms, false);
  ASSERT_EQ(keep_quirk.size(), std::size_t(ref_->at("post.boxes").shape[0]));  // conversion ok
  // The fixture must tell the two geometries apart, or this test proves nothing.
  ASSERT_NE(keep_quirk, keep_true);

  std::map<std::string, nn::Tensor> in;
  for (const auto& [name, h] : *ref_) {
    in[name] = h.tensor();
    if (name.starts_with("head.0.")) in["dense_head." + name.substr(7)] = h.tensor();
  }
  DetectorOptions o;
  o.corrected_nms = true;
  Detector corrected(fixture("lion_mamba_center", "yaml"),
                     fixture("lion_mamba_center", "weights.safetensors"), o);
  for (auto [det, keep] : {std::pair{det_, &keep_quirk}, std::pair{&corrected, &keep_true}}) {
    const auto got = det->run_stages("post_processing", "post_processing", nullptr, in, {});
    ASSERT_EQ(got.size(), keep->size());
    for (std::size_t i = 0; i < got.size(); ++i) {
      const Box3D& want = cand[(*keep)[i]];
      EXPECT_NEAR(got[i].x, want.x, 1e-3 * (1 + std::fabs(want.x))) << i;
      EXPECT_NEAR(got[i].y, want.y, 1e-3 * (1 + std::fabs(want.y))) << i;
      EXPECT_NEAR(got[i].score, scores[(*keep)[i]], 1e-4) << i;
    }
  }
}

TEST(DetectorErrors, WrongWeightsListEveryBadKeyInOneError) {
  // The RWKV fixture's weights do not fit the Mamba config: one error naming the problems.
  try {
    Detector d(fixture("lion_mamba_anchor", "yaml"),
               fixture("lion_rwkv_anchor", "weights.safetensors"));
    FAIL() << "no error";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("missing"), std::string::npos) << m;
    EXPECT_NE(m.find("mamba.in_proj.weight"), std::string::npos) << m;
    EXPECT_NE(m.find("unexpected"), std::string::npos) << m;
  }
}

TEST(DetectorErrors, CudaBackendIsAClearError) {
  DetectorOptions o;
  o.backend = DetectorBackend::Cuda;
  EXPECT_THROW(Detector(fixture("lion_mamba_anchor", "yaml"),
                        fixture("lion_mamba_anchor", "weights.safetensors"), o),
               Error);
}

}  // namespace

namespace {

// The official full-size configs build the whole graph: with weights of another size, the
// Detector gets as far as checking keys and reports shape/missing keys (not an unsupported
// module or a config error).
TEST(OfficialConfigs, LionKittiGraphsBuildUpToTheWeightCheck) {
  for (const std::string c : {"lion_mamba_kitti", "lion_rwkv_kitti", "lion_mamba_waymo"}) {
    SCOPED_TRACE(c);
    try {
      Detector d(test::source_dir() + "/configs/" + c + ".yaml",
                 fixture("lion_mamba_anchor", "weights.safetensors"));
      FAIL() << "fixture weights accepted for a full-size config";
    } catch (const Error& e) {
      const std::string m = e.what();
      EXPECT_NE(m.find("missing"), std::string::npos) << m.substr(0, 300);
      EXPECT_EQ(m.find("not supported"), std::string::npos) << m.substr(0, 300);
    }
  }
}

}  // namespace

namespace {

TEST(DetectorEdgeCases, EmptyOutOfRangeAndTinyCloudsGiveNoBoxesWithoutCrashing) {
  Detector det(fixture("lion_mamba_anchor", "yaml"),
               fixture("lion_mamba_anchor", "weights.safetensors"));
  EXPECT_TRUE(det.detect(PointCloud()).empty());
  PointCloud far;
  far.push_back(std::vector<float>{500, 500, 0, 1});  // outside POINT_CLOUD_RANGE
  EXPECT_TRUE(det.detect(far).empty());
  PointCloud tiny;  // one voxel: every window group is a single repeated token
  for (int i = 0; i < 3; ++i) tiny.push_back(std::vector<float>{5, 1, -1, 0.5f});
  const auto boxes = det.detect(tiny);
  for (const auto& b : boxes) EXPECT_TRUE(std::isfinite(b.x) && std::isfinite(b.score));
}

TEST(DetectorEdgeCases, CloudWithoutTheConfiguredChannelsIsAnError) {
  Detector det(fixture("lion_mamba_anchor", "yaml"),
               fixture("lion_mamba_anchor", "weights.safetensors"));
  PointCloud xyz(std::vector<std::string>{"x", "y", "z"});
  xyz.push_back(std::vector<float>{5, 1, -1});
  EXPECT_THROW(det.detect(xyz), Error);
}

}  // namespace
