// .npz writing/reading and `lidardet trace`: a full trace, then a span started from the traced
// tensors of an earlier stage, reproduces the same outputs bit for bit.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "checkpoint/checkpoint.hpp"
#include "common/test_paths.hpp"
#include "core/error.hpp"
#include "models/detector.hpp"
#include "models/npz.hpp"

namespace fs = std::filesystem;
using namespace lidardet;

namespace {

TEST(Npz, RoundTripKeepsNamesShapesTypesAndValues) {
  const fs::path dir = test::temp_dir("npz");
  nn::Tensor f = nn::Tensor::from_vector({2, 3}, std::vector<float>{1, -2, 3.5f, 4, 5, 6e-7f});
  nn::Tensor i = nn::Tensor::from_vector({4}, std::vector<int32_t>{0, -1, 7, 1 << 30});
  write_npz((dir / "a.npz").string(), {{"x.features", f}, {"x.indices", i}});
  const auto back = read_npz((dir / "a.npz").string());
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back.at("x.features").shape(), (nn::Shape{2, 3}));
  EXPECT_EQ(back.at("x.features").to_vector(), f.to_vector());
  ASSERT_EQ(back.at("x.indices").dtype(), nn::DType::I32);
  EXPECT_EQ(back.at("x.indices").i32()[3], 1 << 30);
  EXPECT_EQ(back.at("x.indices").i32()[1], -1);
  fs::remove_all(dir);
}

TEST(Npz, CorruptFileIsAnErrorNamingIt) {
  const fs::path dir = test::temp_dir("npz_bad");
  std::ofstream(dir / "bad.npz") << "PK\x03\x04 not really a zip";
  try {
    read_npz((dir / "bad.npz").string());
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bad.npz"), std::string::npos) << e.what();
  }
  fs::remove_all(dir);
}

int run_cli(const std::string& args) {
  const int rc = std::system((test::cli_path() + " " + args + " > /dev/null 2>&1").c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

TEST(TraceCli, SpanFromTracedStageInputsReproducesTheFullTrace) {
  if (!fs::exists(test::cli_path())) GTEST_SKIP() << "CLI not built";
  const std::string fix = test::source_dir() + "/tests/fixtures/parity/lion_mamba_anchor.";
  const fs::path dir = test::temp_dir("trace_cli");
  // The fixture frame as a .bin.
  const Checkpoint c = load_checkpoint(fix + "tensors.safetensors");
  const auto v = c.find("input.points")->to_float32();
  std::vector<float> xyzi;
  for (std::size_t r = 0; r < v.size() / 5; ++r)
    for (int k = 1; k < 5; ++k) xyzi.push_back(v[r * 5 + k]);
  std::ofstream(dir / "f.bin", std::ios::binary)
      .write(reinterpret_cast<const char*>(xyzi.data()), std::streamsize(xyzi.size() * 4));
  const std::string model = "--config " + fix + "yaml --weights " + fix + "weights.safetensors";
  ASSERT_EQ(run_cli("trace " + model + " --input " + (dir / "f.bin").string() + " --out " +
                    (dir / "full.npz").string()),
            0);
  const auto full = read_npz((dir / "full.npz").string());
  for (const char* n : {"vfe.voxel_features", "backbone_3d.linear_1.features", "map_to_bev",
                        "backbone_2d.blocks.0", "dense_head.cls_preds", "post_processing.boxes"})
    EXPECT_TRUE(full.count(n)) << n;
  // The reference's post-NMS box count.
  EXPECT_EQ(full.at("post_processing.boxes").dim(0), c.find("post.boxes")->shape[0]);
  // Start at backbone_2d from the traced map_to_bev.
  write_npz((dir / "in.npz").string(), {{"map_to_bev", full.at("map_to_bev")}});
  ASSERT_EQ(run_cli("trace " + model + " --stage-input " + (dir / "in.npz").string() +
                    " --from backbone_2d --to dense_head --out " + (dir / "span.npz").string()),
            0);
  const auto span = read_npz((dir / "span.npz").string());
  EXPECT_FALSE(span.count("map_to_bev"));
  EXPECT_EQ(span.at("dense_head.box_preds").to_vector(),
            full.at("dense_head.box_preds").to_vector());
  // A missing input tensor is an error (exit 1).
  EXPECT_EQ(run_cli("trace " + model + " --stage-input " + (dir / "in.npz").string() +
                    " --from dense_head --out " + (dir / "x.npz").string()),
            1);
  EXPECT_FALSE(fs::exists(dir / "x.npz"));

  // Weights holding only the 2D backbone and head keys run that span with the same result;
  // a span that needs the missing VFE keys is exit 1 with no output.
  const Checkpoint w = load_checkpoint(fix + "weights.safetensors");
  std::vector<NamedTensor> part;
  for (const NamedTensor& t : w.tensors)
    if (t.name.starts_with("backbone_2d.") || t.name.starts_with("dense_head.")) part.push_back(t);
  ASSERT_LT(part.size(), w.tensors.size());
  save_safetensors((dir / "part.safetensors").string(), part);
  const std::string partial =
      "--config " + fix + "yaml --weights " + (dir / "part.safetensors").string();
  ASSERT_EQ(run_cli("trace " + partial + " --stage-input " + (dir / "in.npz").string() +
                    " --from backbone_2d --to dense_head --out " + (dir / "part.npz").string()),
            0);
  EXPECT_EQ(read_npz((dir / "part.npz").string()).at("dense_head.box_preds").to_vector(),
            full.at("dense_head.box_preds").to_vector());
  EXPECT_EQ(run_cli("trace " + partial + " --input " + (dir / "f.bin").string() + " --out " +
                    (dir / "y.npz").string()),
            1);
  EXPECT_FALSE(fs::exists(dir / "y.npz"));
  fs::remove_all(dir);
}

TEST(TraceCli, PartialWeightsNameTheMissingKeysOfTheStagesThatWouldRun) {
  const std::string fix = test::source_dir() + "/tests/fixtures/parity/lion_mamba_anchor.";
  const fs::path dir = test::temp_dir("trace_partial");
  const Checkpoint w = load_checkpoint(fix + "weights.safetensors");
  std::vector<NamedTensor> part;
  for (const NamedTensor& t : w.tensors)
    if (!t.name.starts_with("vfe.")) part.push_back(t);
  save_safetensors((dir / "novfe.safetensors").string(), part);
  DetectorOptions o;
  EXPECT_THROW(Detector(fix + "yaml", (dir / "novfe.safetensors").string(), o), Error);
  o.allow_missing_keys = true;
  Detector det(fix + "yaml", (dir / "novfe.safetensors").string(), o);
  const PointCloud cloud;  // never reached: the span is refused before it runs
  try {
    det.detect(cloud);
    FAIL() << "no error";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("novfe.safetensors"), std::string::npos) << m;
    EXPECT_NE(m.find("vfe.pfn_layers"), std::string::npos) << m;
    EXPECT_EQ(m.find("backbone_2d."), std::string::npos) << m;  // present keys are not listed
  }
  fs::remove_all(dir);
}

}  // namespace
