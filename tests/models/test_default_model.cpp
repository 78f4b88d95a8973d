// configs/default_model.yaml: the model run without --config/--weights is named in YAML, and a
// broken or missing entry is an error naming the file and key.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/error_of.hpp"
#include "common/test_paths.hpp"
#include "models/default_model.hpp"
#include "models/detector.hpp"

namespace {
namespace fs = std::filesystem;
using lidardet::test::error_of;

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

TEST(DefaultModel, FilesComeFromTheYamlRelativeToTheRootThatHasIt) {
  const fs::path a = lidardet::test::temp_dir("default_model_a"),
                 b = lidardet::test::temp_dir("default_model_b");
  write(b / "configs/default_model.yaml",
        "config: configs/m.yaml\nweights: models/m/w.safetensors\n");
  write(b / "configs/m.yaml", "MODEL: {}\n");
  write(b / "models/m/w.safetensors", "x");
  // The first root without the file is skipped.
  const auto f = lidardet::default_model_files({a.string(), b.string()});
  EXPECT_EQ(fs::path(f.config), b / "configs/m.yaml");
  EXPECT_EQ(fs::path(f.weights), b / "models/m/w.safetensors");
  EXPECT_EQ(lidardet::resolve_model_files("", "", {b.string()}).weights, f.weights);
  EXPECT_EQ(lidardet::resolve_model_files("c.yaml", "w.pth", {b.string()}).config, "c.yaml");
  EXPECT_NE(error_of([&] {
              lidardet::resolve_model_files("c.yaml", "", {b.string()});
            }).find("go together"),
            std::string::npos);

  const std::string none = error_of([&] { lidardet::default_model_files({a.string()}); });
  EXPECT_NE(none.find("configs/default_model.yaml"), std::string::npos) << none;
  EXPECT_NE(none.find(a.string()), std::string::npos) << none;

  write(b / "configs/default_model.yaml",
        "config: configs/m.yaml\nweights: models/m/missing.pth\n");
  const std::string missing = error_of([&] { lidardet::default_model_files({b.string()}); });
  EXPECT_NE(missing.find("weights"), std::string::npos) << missing;
  EXPECT_NE(missing.find("models/m/missing.pth"), std::string::npos) << missing;

  write(b / "configs/default_model.yaml", "weights: models/m/w.safetensors\n");
  const std::string no_key = error_of([&] { lidardet::default_model_files({b.string()}); });
  EXPECT_NE(no_key.find("default_model.yaml"), std::string::npos) << no_key;
  EXPECT_NE(no_key.find("config"), std::string::npos) << no_key;

  write(b / "configs/default_model.yaml", "config: /etc/passwd\nweights: models/m/w.safetensors\n");
  EXPECT_NE(error_of([&] { lidardet::default_model_files({b.string()}); }).find("relative"),
            std::string::npos);
  fs::remove_all(a);
  fs::remove_all(b);
}

// The shipped entry names a config and weights that load into a Detector.
TEST(DefaultModel, TheShippedEntryLoads) {
  const auto f = lidardet::default_model_files({lidardet::test::source_dir()});
  lidardet::Detector det(f.config, f.weights);
  EXPECT_FALSE(det.class_names().empty());
}

}  // namespace
