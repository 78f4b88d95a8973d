// `lidardet eval kitti` end to end: table, JSON, plots, and clear errors on bad input.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "common/test_paths.hpp"

namespace fs = std::filesystem;
using lidardet::test::cli_path;

namespace {
struct Run {
  int code;
  std::string out;
};

Run run(const std::string& args) {
  const std::string cmd = cli_path() + " " + args + " 2>&1";
  Run r{0, {}};
  FILE* p = popen(cmd.c_str(), "r");
  std::array<char, 4096> buf;
  while (std::fgets(buf.data(), buf.size(), p)) r.out += buf.data();
  r.code = pclose(p);
  return r;
}

const char* kGt =
    "Car 0.00 0 -1.58 587.01 173.33 614.12 200.12 1.65 1.67 3.64 -0.65 1.71 46.70 -1.59\n"
    "Pedestrian 0.00 0 0.21 423.17 173.67 433.17 224.03 1.60 0.52 0.76 -8.10 1.77 22.54 -0.15\n"
    "DontCare -1 -1 -10 0.00 190.60 59.25 199.66 -1 -1 -1 -1000 -1000 -1000 -10\n";
const char* kPred =
    "Car -1 -1 -1.58 587.01 173.33 614.12 200.12 1.65 1.67 3.64 -0.65 1.71 46.70 -1.59 0.93\n"
    "Pedestrian -1 -1 0.21 423.17 173.67 433.17 224.03 1.60 0.52 0.76 -8.10 1.77 22.54 -0.15 "
    "0.71\n";

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

fs::path make_case(const std::string& name, const std::string& pred_line_2 = "") {
  auto d = lidardet::test::temp_dir("eval_cli_" + name);
  write(d / "gt" / "000000.txt", kGt);
  write(d / "gt" / "000001.txt", kGt);
  write(d / "pred" / "000000.txt", kPred);
  write(d / "pred" / "000001.txt", pred_line_2.empty() ? kPred : pred_line_2);
  return d;
}
}  // namespace

TEST(EvalCli, KittiPrintsTheOpenPCDetTableAndWritesJsonAndPlots) {
  auto d = make_case("ok");
  auto r = run("eval kitti --gt " + (d / "gt").string() + " --pred " + (d / "pred").string() +
               " --json " + (d / "r.json").string() + " --plot " + (d / "plots").string());
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("Car AP@0.70, 0.70, 0.70:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Pedestrian AP_R40@0.50, 0.25, 0.25:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("3d   AP:"), std::string::npos);
  std::ifstream j(d / "r.json");
  std::string json((std::istreambuf_iterator<char>(j)), {});
  EXPECT_NE(json.find("\"Car_3d/moderate_R40\""), std::string::npos);
  EXPECT_TRUE(fs::exists(d / "plots" / "Car_bev.svg"));
  fs::remove_all(d);
}

TEST(EvalCli, BadInputFailsNamingTheFileAndLine) {
  struct Case {
    std::string name, pred, expect;
  } cases[] = {
      {"malformed", "Car 1 2 3\n", "000001.txt:1"},
      {"noscore",
       "Car -1 -1 -1.58 587.01 173.33 614.12 200.12 1.65 1.67 3.64 -0.65 1.71 46.70 -1.59\n",
       "score"},
      {"nan", "Car -1 -1 -1.58 587 173 614 200 1.65 1.67 3.64 nan 1.71 46.70 -1.59 0.9\n",
       "000001.txt:1"},
      {"negative", "Car -1 -1 -1.58 587 173 614 200 1.65 -1.67 3.64 0 1.71 46.70 -1.59 0.9\n",
       "negative"},
  };
  for (const auto& c : cases) {
    auto d = make_case(c.name, c.pred);
    auto r = run("eval kitti --gt " + (d / "gt").string() + " --pred " + (d / "pred").string() +
                 " --json " + (d / "r.json").string());
    EXPECT_NE(r.code, 0) << c.name;
    EXPECT_NE(r.out.find(c.expect), std::string::npos) << c.name << ": " << r.out;
    EXPECT_FALSE(fs::exists(d / "r.json")) << c.name << ": no partial output";
    fs::remove_all(d);
  }
  // A prediction for a frame that has no ground truth.
  auto d = make_case("missing");
  write(d / "pred" / "000007.txt", kPred);
  auto r = run("eval kitti --gt " + (d / "gt").string() + " --pred " + (d / "pred").string());
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.out.find("000007"), std::string::npos) << r.out;
  fs::remove_all(d);
}
