// `lidardet eval kitti`: the KITTI object benchmark on folders of label files.
// (`lidardet eval waymo` is not implemented yet.)
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "command.hpp"
#include "core/atomic_file.hpp"
#include "eval/kitti_eval.hpp"
#include "eval/kitti_files.hpp"
#include "eval/pr_svg.hpp"

namespace {
using namespace lidardet;

const char* kDifficulty[3] = {"easy", "moderate", "hard"};
const char* kMetric[4] = {"image", "bev", "3d", "aos"};

nlohmann::json to_json(const eval::KittiEvalResult& r) {
  nlohmann::json j;
  j["aos"] = r.aos;
  for (const auto& c : r.classes) {
    nlohmann::json jc;
    for (int set = 0; set < 2; ++set) {
      nlohmann::json js;
      js["min_overlap"] = {{"image", c.min_overlap[set][0]},
                           {"bev", c.min_overlap[set][1]},
                           {"3d", c.min_overlap[set][2]}};
      for (int m = 0; m < 4; ++m)
        for (int d = 0; d < 3; ++d) {
          js["AP_R11"][kMetric[m]][kDifficulty[d]] = c.ap_r11[set][m][d];
          js["AP_R40"][kMetric[m]][kDifficulty[d]] = c.ap_r40[set][m][d];
          const auto& curve = c.curves[set][m][d];
          js["precision"][kMetric[m]][kDifficulty[d]] = curve.precision;
        }
      jc[set == 0 ? "strict" : "loose"] = js;
    }
    jc["num_gt"] = {{"easy", c.num_gt[0]}, {"moderate", c.num_gt[1]}, {"hard", c.num_gt[2]}};
    j["classes"][c.cls] = jc;
    // OpenPCDet's result dict keys (strict set, R40).
    for (int m = 0; m < 4; ++m)
      for (int d = 0; d < 3; ++d) {
        if (m == 3 && !r.aos) continue;
        j["openpcdet"][c.cls + "_" + kMetric[m] + "/" + kDifficulty[d] + "_R40"] =
            c.ap_r40[0][m][d];
      }
  }
  return j;
}

void write_plots(const eval::KittiEvalResult& r, const std::string& dir) {
  std::filesystem::create_directories(dir);
  for (const auto& c : r.classes)
    for (int m = 0; m < 4; ++m) {
      if (m == 3 && !r.aos) continue;
      std::vector<eval::PrSeries> series;
      for (int d = 0; d < 3; ++d) {
        const auto& curve = c.curves[0][m][d];
        eval::PrSeries s;
        char name[96];
        std::snprintf(name, sizeof name, "%s (AP_R40 %.2f)", kDifficulty[d], c.ap_r40[0][m][d]);
        s.name = name;
        for (int k = 0; k < curve.num_thresholds; ++k) {
          s.recall.push_back(curve.recall[k]);
          s.precision.push_back(curve.precision[k]);
        }
        series.push_back(s);
      }
      char title[128];
      std::snprintf(title, sizeof title, "%s %s @%.2f", c.cls.c_str(), kMetric[m],
                    c.min_overlap[0][m == 3 ? 0 : m]);
      write_file_atomic(dir + "/" + c.cls + "_" + kMetric[m] + ".svg",
                        eval::pr_curves_svg(title, series));
    }
}

void setup_kitti(CLI::App& sub) {
  struct Opts {
    std::string gt, pred, split, json, plot;
    std::vector<std::string> classes{"Car", "Pedestrian", "Cyclist"};
  };
  auto o = std::make_shared<Opts>();
  sub.add_option("--gt", o->gt, "Ground truth: a label_2 folder or a KITTI object root")
      ->required();
  sub.add_option("--pred", o->pred, "Folder of label_2-format result files with scores")
      ->required();
  sub.add_option("--split", o->split, "ImageSets file with the frame ids to evaluate");
  sub.add_option("--json", o->json, "Write every number as JSON to this file");
  sub.add_option("--plot", o->plot, "Write precision-recall curves (SVG) into this folder");
  sub.add_option("--classes", o->classes, "Classes to evaluate")->delimiter(',');
  sub.callback([o] {
    const auto frames = eval::load_kitti_eval_frames(o->gt, o->pred, o->split);
    eval::KittiEvalOptions opt;
    opt.classes = o->classes;
    const auto result = eval::evaluate_kitti(frames, opt);
    std::printf("%s", eval::format_kitti_result(result).c_str());
    std::printf("(%zu frames)\n", frames.size());
    if (!o->json.empty()) write_file_atomic(o->json, to_json(result).dump(2) + "\n");
    if (!o->plot.empty()) write_plots(result, o->plot);
  });
}
}  // namespace

LIDARDET_SUBCOMMAND(eval, kitti, "Evaluate KITTI-format detections (2D/BEV/3D/AOS, R11 and R40)",
                    setup_kitti);
