// Runs the docs/embedding.md example (embedding_example.cpp) on a real KITTI frame with the
// shipped default model, and checks it returns what the Detector returns.
#include <gtest/gtest.h>

#include "common/test_paths.hpp"
#include "io/kitti_velodyne.hpp"
#include "models/default_model.hpp"
#include "models/detector.hpp"

std::vector<lidardet::Box3D> embedding_example(const std::string& config,
                                               const std::string& weights,
                                               const std::string& frame);

TEST(Embedding, DocumentedExampleRunsTheDefaultModel) {
  const std::string frame =
      lidardet::test::shared_data("kitti_real/training/velodyne_reduced/000000.bin");
  LIDARDET_REQUIRE_SHARED(frame);
  const auto files = lidardet::default_model_files({lidardet::test::source_dir()});
  const auto boxes = embedding_example(files.config, files.weights, frame);
  lidardet::Detector det(files.config, files.weights);
  EXPECT_EQ(boxes, det.detect(lidardet::read_velodyne_bin(frame)));
  for (const auto& b : boxes) {
    EXPECT_GE(b.score, 0.1f);  // the config's SCORE_THRESH
    EXPECT_TRUE(b.label == "Car" || b.label == "Pedestrian" || b.label == "Cyclist") << b.label;
  }
}
