// Two voxelizations agree in every output (each field compared on its own, so a failure names it).
#pragma once
#include <gtest/gtest.h>

#include "voxel/dynamic_voxelizer.hpp"

namespace lidardet::test {

inline void expect_same_voxels(const Voxels& got, const Voxels& want) {
  EXPECT_EQ(got.keys, want.keys);
  EXPECT_EQ(got.coords, want.coords);
  EXPECT_EQ(got.kept_points, want.kept_points);
  EXPECT_EQ(got.point_voxel, want.point_voxel);
  EXPECT_EQ(got.voxel_offsets, want.voxel_offsets);
  EXPECT_EQ(got.voxel_points, want.voxel_points);
  EXPECT_EQ(got.sample_offsets, want.sample_offsets);
}

}  // namespace lidardet::test
