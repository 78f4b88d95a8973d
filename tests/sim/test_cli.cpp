// `lidardet simulate` and `lidardet render` end to end (skipped when the CLI was not built).
#include <gtest/gtest.h>

#include <filesystem>

#include "common/cli_run.hpp"
#include "io/kitti_dataset.hpp"
#include "io/kitti_imagesets.hpp"
#include "io/kitti_velodyne.hpp"
#include "sim/simulator.hpp"
#include "sim_test_util.hpp"

namespace lidardet::sim {
namespace {

namespace fs = std::filesystem;

int run(const std::string& args) { return lidardet::test::run_cli(args).rc; }

TEST(SimulateCli, WritesAKittiLayoutAndRendersIt) {
  LIDARDET_REQUIRE_CLI();
  const auto out = lidardet::test::temp_dir("sim_cli");
  ASSERT_EQ(
      run("simulate --sensor hdl64 --frames 2 --seed 4 --val-fraction 0.5 --out " + out.string()),
      0);
  KittiObjectRoot train(out.string(), "train"), val(out.string(), "val");
  EXPECT_EQ(train.size() + val.size(), 2u);
  const KittiFrame f = KittiObjectRoot(out.string(), "train").load(0);
  EXPECT_GT(f.points.size(), 100000u);
  ASSERT_TRUE(f.labels && f.calib && f.image_width);
  EXPECT_TRUE(fs::exists(out / "training/planes" / (f.id + ".txt")));
  // The same seed through the library gives the same points.
  const Simulator sim(test::hdl64(), test::scene_config());
  EXPECT_TRUE(sim.simulate(4, std::stoul(f.id)).points == f.points);

  const std::string id = f.id, dir = (out / "training").string();
  const std::string png = (out / "bev.png").string();
  ASSERT_EQ(run("render --input " + dir + "/velodyne/" + id + ".bin --labels " + dir + "/label_2/" +
                id + ".txt --calib " + dir + "/calib/" + id + ".txt --pred " + dir + "/label_2/" +
                id + ".txt --out " + png + " --range 30 --resolution 0.1"),
            0);
  EXPECT_EQ(read_png_size(png), std::make_pair(600, 600));
}

TEST(SimulateCli, BadInputExitsWithOne) {
  LIDARDET_REQUIRE_CLI();
  const auto out = lidardet::test::temp_dir("sim_cli_bad");
  EXPECT_EQ(run("simulate --sensor lidar9000 --frames 1 --out " + out.string()), 1);
  EXPECT_EQ(run("simulate --sensor hdl64 --frames 0 --out " + out.string()), 1);
  EXPECT_EQ(
      run("simulate --sensor hdl64 --frames 1 --config /nonexistent.yaml --out " + out.string()),
      1);
  EXPECT_EQ(run("render --input /nonexistent.bin --out " + (out / "x.png").string()), 1);
  EXPECT_FALSE(fs::exists(out / "x.png"));
  EXPECT_FALSE(fs::exists(out / "training/velodyne/000000.bin"));
}

}  // namespace
}  // namespace lidardet::sim
