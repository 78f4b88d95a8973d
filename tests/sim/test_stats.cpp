// Statistics helpers and the isolated-object experiment behind docs/sim.md.
#include <gtest/gtest.h>

#include "sim/stats.hpp"
#include "sim_test_util.hpp"

namespace lidardet::sim {
namespace {

TEST(Stats, SummaryPercentilesByNearestRank) {
  std::vector<double> v;
  for (int i = 10; i >= 1; --i) v.push_back(i);  // 1..10, given in reverse
  const Summary s = summarize(v);
  EXPECT_EQ(s.count, 10u);
  EXPECT_DOUBLE_EQ(s.mean, 5.5);
  EXPECT_DOUBLE_EQ(s.p10, 1);
  EXPECT_DOUBLE_EQ(s.median, 5);
  EXPECT_DOUBLE_EQ(s.p90, 9);
  EXPECT_EQ(summarize({}).count, 0u);
}

TEST(Stats, IsolatedCarCountsFallRoughlyWithDistanceSquared) {
  const auto rows =
      isolated_points_vs_distance(test::hdl64(), test::scene_config(), "Car", {10, 20}, 6, 1);
  ASSERT_EQ(rows.size(), 2u);
  const double near = rows[0].points.mean, far = rows[1].points.mean;
  EXPECT_GT(near, 1000);       // data.md 6.4: a car-sized box at 10 m gets ~3300 rays
  EXPECT_LT(near, 3300);       // a shaped car is smaller than its label box
  EXPECT_GT(near / far, 2.5);  // 1/d^2 would give 4; fewer beams are lost far away
  EXPECT_LT(near / far, 6.0);
}

}  // namespace
}  // namespace lidardet::sim
