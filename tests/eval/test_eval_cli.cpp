// `lidardet eval kitti` end to end: the table, the JSON, the plots and bad input exiting 1.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "common/test_paths.hpp"

namespace {
namespace fs = std::filesystem;
const char* kCar =
    "Car 0.00 0 0.20 500.00 100.00 540.00 200.00 1.50 1.60 3.90 0.00 1.60 20.00 0.10";

void write(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs the CLI with stdout and stderr into files; returns the exit status.
int run(const std::string& args, const fs::path& dir) {
  const std::string cmd = lidardet::test::cli_path() + " " + args + " >" +
                          (dir / "out.txt").string() + " 2>" + (dir / "err.txt").string();
  const int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

fs::path make_case(const std::string& name) {
  const fs::path d = lidardet::test::temp_dir(name);
  fs::create_directories(d / "gt");
  fs::create_directories(d / "pred");
  // Two frames, one car each, both detected exactly.
  for (const char* id : {"000001", "000002"}) {
    write(d / "gt" / (std::string(id) + ".txt"), std::string(kCar) + "\n");
    write(d / "pred" / (std::string(id) + ".txt"), std::string(kCar) + " 0.9000\n");
  }
  return d;
}
}  // namespace

TEST(EvalCli, KittiPerfectPredictionsPrintTableJsonAndPlots) {
  const fs::path d = make_case("eval_cli_ok");
  const std::string args = "eval kitti --gt " + (d / "gt").string() + " --pred " +
                           (d / "pred").string() + " --json " + (d / "r.json").string() +
                           " --plot " + (d / "plots").string();
  ASSERT_EQ(run(args, d), 0) << slurp(d / "err.txt");
  const std::string out = slurp(d / "out.txt");
  EXPECT_NE(out.find("Car AP@0.70, 0.70, 0.70:"), std::string::npos) << out;
  // Two GT give two score thresholds (eval.md A6), so only precision[0..1] are 1 and the
  // other 39 sample points are 0: R11 = 1/11 (points 0,4,..,40), R40 = 1/40 (points 1..40).
  EXPECT_NE(out.find("3d   AP:9.0909, 9.0909, 9.0909"), std::string::npos) << out;
  EXPECT_NE(out.find("3d   AP:2.5000, 2.5000, 2.5000"), std::string::npos) << out;
  EXPECT_NE(slurp(d / "r.json").find("\"Car_3d/moderate_R40\": 2.5"), std::string::npos);
  EXPECT_TRUE(fs::exists(d / "plots" / "Car_3d.svg"));
}

TEST(EvalCli, KittiMalformedLineExitsOneNamingFileAndLine) {
  const fs::path d = make_case("eval_cli_bad");
  write(d / "pred" / "000002.txt", std::string(kCar) + " 0.9\nCar 0 0\n");
  const std::string args =
      "eval kitti --gt " + (d / "gt").string() + " --pred " + (d / "pred").string();
  EXPECT_EQ(run(args, d), 1);
  EXPECT_NE(slurp(d / "err.txt").find("000002.txt:2"), std::string::npos) << slurp(d / "err.txt");
}

TEST(EvalCli, KittiPredictionWithoutGroundTruthExitsOne) {
  const fs::path d = make_case("eval_cli_nogt");
  write(d / "pred" / "000003.txt", std::string(kCar) + " 0.9\n");
  const std::string args =
      "eval kitti --gt " + (d / "gt").string() + " --pred " + (d / "pred").string();
  EXPECT_EQ(run(args, d), 1);
  EXPECT_NE(slurp(d / "err.txt").find("000003"), std::string::npos) << slurp(d / "err.txt");
}

TEST(EvalCli, KittiNegativeDimensionAndMissingScoreExitOne) {
  const fs::path d = make_case("eval_cli_dims");
  std::string neg = kCar;
  neg.replace(neg.find("1.50 1.60 3.90"), 14, "1.50 -1.6 3.90");
  write(d / "pred" / "000001.txt", neg + " 0.9\n");
  const std::string args =
      "eval kitti --gt " + (d / "gt").string() + " --pred " + (d / "pred").string();
  EXPECT_EQ(run(args, d), 1);
  EXPECT_NE(slurp(d / "err.txt").find("negative"), std::string::npos) << slurp(d / "err.txt");
  write(d / "pred" / "000001.txt", std::string(kCar) + "\n");
  EXPECT_EQ(run(args, d), 1);
  EXPECT_NE(slurp(d / "err.txt").find("score"), std::string::npos) << slurp(d / "err.txt");
}
