#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/test_paths.hpp"
#include "core/error.hpp"
#include "models/head_config.hpp"
#include "models/model_config.hpp"

using namespace lidardet;

TEST(ModelConfig, BaseConfigIsMergedAndIncludingKeysWin) {
  auto dir = test::temp_dir("model_config");
  std::filesystem::create_directories(dir / "cfgs" / "dataset_configs");
  std::ofstream(dir / "cfgs" / "dataset_configs" / "base.yaml")
      << "POINT_CLOUD_RANGE: [0, -40, -3, 70.4, 40, 1]\nDATASET: Kitti\nNESTED: {A: 1, B: 2}\n";
  std::filesystem::create_directories(dir / "cfgs" / "models");
  std::ofstream(dir / "cfgs" / "models" / "m.yaml")
      << "DATA_CONFIG:\n  _BASE_CONFIG_: cfgs/dataset_configs/base.yaml\n  DATASET: Other\n"
         "  NESTED: {B: 3}\nMODEL: {NAME: X}\n";
  auto cfg = load_model_config((dir / "cfgs" / "models" / "m.yaml").string());
  EXPECT_EQ(cfg.get_string("DATA_CONFIG.DATASET"), "Other");
  EXPECT_EQ(cfg.get_int("DATA_CONFIG.NESTED.A"), 1);
  EXPECT_EQ(cfg.get_int("DATA_CONFIG.NESTED.B"), 3);
  EXPECT_EQ(cfg.get_doubles("DATA_CONFIG.POINT_CLOUD_RANGE", 6)[3], 70.4);
  std::filesystem::remove_all(dir);
}

TEST(ModelConfig, ErrorsNameFileAndKey) {
  auto cfg = parse_model_config("MODEL: {NAME: X, N: abc}\n", "my.yaml");
  try {
    cfg.require("MODEL.DENSE_HEAD.NAME");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("my.yaml"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("MODEL.DENSE_HEAD.NAME"), std::string::npos);
  }
  EXPECT_THROW(cfg.get_int("MODEL.N"), Error);
  EXPECT_FALSE(cfg.find("MODEL.NOPE").IsDefined());
  EXPECT_THROW(load_model_config("/nonexistent/cfg.yaml"), Error);
}

TEST(HeadConfig, ShippedConfigsGiveTheReferenceSettings) {
  const std::string dir = test::source_dir() + "/configs/";
  auto kitti = anchor_head_settings(load_model_config(dir + "lion_mamba_kitti.yaml"));
  ASSERT_EQ(kitti.classes.size(), 3u);
  EXPECT_EQ(kitti.classes[1].name, "Pedestrian");
  EXPECT_DOUBLE_EQ(kitti.classes[0].bottom_height, -1.78);
  EXPECT_DOUBLE_EQ(kitti.nms.iou_threshold, 0.01);
  EXPECT_EQ(kitti.nms.pre_max, 4096);

  auto lion = center_head_settings(load_model_config(dir + "lion_mamba_waymo.yaml"));
  EXPECT_EQ(lion.family, CenterHeadSettings::Family::OpenPCDet);
  EXPECT_EQ(lion.nms, CenterHeadSettings::Nms::MMDetMultiClass);
  EXPECT_TRUE(lion.nms_reference_quirk);
  EXPECT_DOUBLE_EQ(lion.voxel_x, 0.32);
  EXPECT_DOUBLE_EQ(lion.range_x0, -75.52);
  ASSERT_EQ(lion.iou_rectifier.size(), 3u);
  EXPECT_DOUBLE_EQ(lion.per_class_nms[0].iou_threshold, 0.75);

  auto flat = center_head_settings(load_model_config(dir + "flatformer_waymo.yaml"), true);
  EXPECT_EQ(flat.family, CenterHeadSettings::Family::MMDet3D);
  EXPECT_EQ(flat.max_objects, 4096);
  EXPECT_DOUBLE_EQ(flat.iou_power, 2.0);
  EXPECT_EQ(flat.per_class_nms[1].post_max, 100);
  EXPECT_DOUBLE_EQ(flat.range_x0, -74.88);
}
