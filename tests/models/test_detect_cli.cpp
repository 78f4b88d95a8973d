// `lidardet detect` end to end: the parity fixture's frame through the CLI gives the reference's
// boxes; resume, --overwrite and bad input; the shipped default model on a real KITTI frame.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "checkpoint/checkpoint.hpp"
#include "common/test_paths.hpp"
#include "models/detector.hpp"
#include "models/npz.hpp"

namespace fs = std::filesystem;
using namespace lidardet;

namespace {

int run_cli(const std::string& args, const fs::path& log) {
  const std::string cmd = test::cli_path() + " " + args + " > " + log.string() + " 2>&1";
  const int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

std::string read_text(const fs::path& p) {
  std::ifstream f(p);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

#define REQUIRE_CLI()                                                                         \
  do {                                                                                        \
    if (!fs::exists(test::cli_path())) GTEST_SKIP() << "CLI not built: " << test::cli_path(); \
  } while (0)

const std::string kFix = test::source_dir() + "/tests/fixtures/parity/lion_mamba_anchor.";

// The fixture's input points (batch, x, y, z, intensity) as a KITTI .bin.
fs::path fixture_frame(const fs::path& dir) {
  const Checkpoint c = load_checkpoint(kFix + "tensors.safetensors");
  const NamedTensor* pts = c.find("input.points");
  const auto v = pts->to_float32();
  std::vector<float> xyzi;
  for (int64_t i = 0; i < pts->shape[0]; ++i)
    for (int k = 1; k < 5; ++k) xyzi.push_back(v[i * 5 + k]);
  fs::create_directories(dir);
  const fs::path p = dir / "frame7.bin";
  std::ofstream(p, std::ios::binary)
      .write(reinterpret_cast<const char*>(xyzi.data()), std::streamsize(xyzi.size() * 4));
  return p;
}

TEST(DetectCli, FixtureFrameGivesTheReferenceBoxesAndResumes) {
  REQUIRE_CLI();
  const fs::path dir = test::temp_dir("detect_cli");
  const fs::path frame = fixture_frame(dir / "in");
  const std::string base = "detect --config " + kFix + "yaml --weights " + kFix +
                           "weights.safetensors --input " + frame.string() + " --out " +
                           (dir / "out").string();
  ASSERT_EQ(run_cli(base, dir / "log1"), 0) << read_text(dir / "log1");
  const fs::path json = dir / "out" / "json" / "frame7.json";
  ASSERT_TRUE(fs::exists(json));
  const auto j = nlohmann::json::parse(read_text(json));
  const Checkpoint ref = load_checkpoint(kFix + "tensors.safetensors");
  const NamedTensor* boxes = ref.find("post.boxes");
  const auto rb = boxes->to_float32();
  ASSERT_EQ(j["boxes"].size(), std::size_t(boxes->shape[0]));
  for (std::size_t i = 0; i < j["boxes"].size(); ++i) {
    EXPECT_NEAR(j["boxes"][i]["x"].get<double>(), rb[i * 7 + 0], 1e-3);
    EXPECT_NEAR(j["boxes"][i]["l"].get<double>(), rb[i * 7 + 3], 1e-3);
  }
  EXPECT_FALSE(fs::exists(dir / "out" / "label_2"));  // no calib: JSON only

  // Resume: a second run skips the frame and leaves the file alone.
  fs::last_write_time(json, fs::file_time_type::clock::now() - std::chrono::hours(1));
  const auto t0 = fs::last_write_time(json);
  ASSERT_EQ(run_cli(base, dir / "log2"), 0);
  EXPECT_NE(read_text(dir / "log2").find("1 already done"), std::string::npos);
  EXPECT_EQ(fs::last_write_time(json), t0);
  ASSERT_EQ(run_cli(base + " --overwrite", dir / "log3"), 0);
  EXPECT_NE(fs::last_write_time(json), t0);
  fs::remove_all(dir);
}

TEST(DetectCli, BadInputExitsOneAndWritesNothing) {
  REQUIRE_CLI();
  const fs::path dir = test::temp_dir("detect_bad");
  EXPECT_EQ(run_cli("detect --config " + kFix + "yaml --weights " + kFix +
                        "weights.safetensors --input " + (dir / "missing.bin").string() +
                        " --out " + (dir / "out").string(),
                    dir / "log"),
            1);
  EXPECT_NE(read_text(dir / "log").find("missing.bin"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir / "out" / "json" / "missing.json"));
  EXPECT_EQ(
      run_cli("detect --config " + kFix + "yaml --input x.bin --out " + (dir / "out").string(),
              dir / "log2"),
      1);  // --config without --weights
  fs::remove_all(dir);
}

// --backend cuda without a CUDA build or device: exit 1 with the reason, nothing written; the
// same for bench detect (its --json stays absent).
TEST(DetectCli, CudaBackendWithoutCudaExitsOneAndWritesNothing) {
  REQUIRE_CLI();
  std::string why;
  if (detector_backend_available(DetectorBackend::Cuda, &why))
    GTEST_SKIP() << "a CUDA device is present (tests/cuda/test_detector_cuda.cpp covers it)";
  const fs::path dir = test::temp_dir("detect_cuda_none");
  const fs::path frame = fixture_frame(dir / "in");
  const std::string model = " --config " + kFix + "yaml --weights " + kFix +
                            "weights.safetensors --input " + frame.string();
  EXPECT_EQ(
      run_cli("detect" + model + " --backend cuda --out " + (dir / "out").string(), dir / "log"),
      1);
  const std::string log = read_text(dir / "log");
  EXPECT_NE(log.find("CUDA backend cannot be used"), std::string::npos) << log;
  EXPECT_NE(log.find(why), std::string::npos) << log;
  EXPECT_FALSE(fs::exists(dir / "out"));
  EXPECT_EQ(run_cli("bench detect" + model + " --backend cuda --repeat 1 --json " +
                        (dir / "b.json").string(),
                    dir / "log2"),
            1);
  EXPECT_NE(read_text(dir / "log2").find(why), std::string::npos);
  EXPECT_FALSE(fs::exists(dir / "b.json"));
  fs::remove_all(dir);
}

TEST(DetectCli, DefaultModelOnARealKittiRootWritesCameraLabelsWithScores) {
  REQUIRE_CLI();
  const std::string root = test::shared_data("kitti_real");
  LIDARDET_REQUIRE_SHARED(root + "/training/calib/000000.txt");
  const fs::path dir = test::temp_dir("detect_kitti");
  ASSERT_EQ(run_cli("detect --input " + root + " --out " + (dir / "out").string() + " --eval",
                    dir / "log"),
            0)
      << read_text(dir / "log");
  const std::string labels = read_text(dir / "out" / "label_2" / "000000.txt");
  std::istringstream lines(labels);
  std::string line;
  int n = 0;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string f;
    int count = 0;
    while (fields >> f) ++count;
    EXPECT_EQ(count, 16) << line;  // 15 KITTI fields + score
    ++n;
  }
  const auto j = nlohmann::json::parse(read_text(dir / "out" / "json" / "000000.json"));
  EXPECT_EQ(int(j["boxes"].size()), n);  // the same detections in both files
  EXPECT_NE(read_text(dir / "log").find("AP"), std::string::npos);  // --eval printed AP
  fs::remove_all(dir);
}

}  // namespace

namespace {

TEST(BenchDetectCli, WritesTheMedianOfEveryStageAsJson) {
  REQUIRE_CLI();
  const fs::path dir = test::temp_dir("bench_detect");
  const fs::path frame = fixture_frame(dir / "in");
  ASSERT_EQ(run_cli("bench detect --config " + kFix + "yaml --weights " + kFix +
                        "weights.safetensors --input " + frame.string() +
                        " --repeat 3 --warmup 0 --json " + (dir / "b.json").string(),
                    dir / "log"),
            0)
      << read_text(dir / "log");
  const auto j = nlohmann::json::parse(read_text(dir / "b.json"));
  for (const char* s :
       {"vfe", "backbone_3d", "map_to_bev", "backbone_2d", "dense_head", "post_processing"})
    EXPECT_GE(j["stages_ms"][s].get<double>(), 0.0) << s;
  double sum = 0;
  for (const auto& [k, v] : j["stages_ms"].items()) sum += v.get<double>();
  EXPECT_GT(j["end_to_end_ms"].get<double>(), 0.0);
  // Medians of parts need not add up exactly, but the whole cannot be far below them.
  EXPECT_GE(j["end_to_end_ms"].get<double>(), 0.5 * sum);
  EXPECT_EQ(j["repeat"].get<int>(), 3);
  fs::remove_all(dir);
}

}  // namespace

namespace {

TEST(DetectCli, NpyFrameGivesTheSameBoxesAsTheBin) {
  REQUIRE_CLI();
  const fs::path dir = test::temp_dir("detect_npy");
  const fs::path bin = fixture_frame(dir / "in");
  // The same points as an (N, 4) float32 .npy.
  std::ifstream f(bin, std::ios::binary);
  std::vector<float> v(fs::file_size(bin) / 4);
  f.read(reinterpret_cast<char*>(v.data()), std::streamsize(v.size() * 4));
  nn::Tensor t = nn::Tensor::from_vector({int64_t(v.size() / 4), 4}, v);
  const std::string npy = npy_bytes(t);
  std::ofstream(dir / "in" / "frame7n.npy", std::ios::binary).write(npy.data(), npy.size());
  const std::string model = "detect --config " + kFix + "yaml --weights " + kFix +
                            "weights.safetensors --out " + (dir / "out").string() + " --input ";
  ASSERT_EQ(run_cli(model + bin.string(), dir / "l1"), 0) << read_text(dir / "l1");
  ASSERT_EQ(run_cli(model + (dir / "in" / "frame7n.npy").string(), dir / "l2"), 0)
      << read_text(dir / "l2");
  const auto a = nlohmann::json::parse(read_text(dir / "out" / "json" / "frame7.json"));
  const auto b = nlohmann::json::parse(read_text(dir / "out" / "json" / "frame7n.json"));
  EXPECT_EQ(a["boxes"], b["boxes"]);
  EXPECT_GT(a["boxes"].size(), 1u);
  fs::remove_all(dir);
}

}  // namespace
