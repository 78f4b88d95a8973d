// .npz writing/reading and `lidardet trace`: a full trace, then a span started from the traced
// tensors of an earlier stage, reproduces the same outputs bit for bit.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "checkpoint/checkpoint.hpp"
#include "common/test_paths.hpp"
#include "core/error.hpp"
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
  fs::remove_all(dir);
}

}  // namespace
