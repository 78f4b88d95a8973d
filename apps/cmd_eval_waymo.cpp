// `lidardet eval waymo`: the Waymo Open Dataset 3D detection metrics (AP/APH per breakdown) on
// metrics Objects protobuf files, the per-frame JSON form of docs/eval.md, or the laser labels
// of v1 segment TFRecords (a .tfrecord or a folder of them).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "command.hpp"
#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "eval/pr_svg.hpp"
#include "eval/waymo_eval.hpp"
#include "io/waymo/objects.hpp"
#include "io/waymo/segment_labels.hpp"

namespace {
using namespace lidardet;
using nlohmann::json;

std::optional<waymo::WaymoType> parse_type(const json& j) {
  if (j.is_number_integer()) {
    const int t = j.get<int>();
    if (t >= 0 && t <= 4) return static_cast<waymo::WaymoType>(t);
    return std::nullopt;
  }
  if (!j.is_string()) return std::nullopt;
  const std::string s = j.get<std::string>();
  static const char* kUpper[5] = {"UNKNOWN", "VEHICLE", "PEDESTRIAN", "SIGN", "CYCLIST"};
  for (int t = 0; t <= 4; ++t)
    if (s == kUpper[t] || s == std::string("TYPE_") + kUpper[t])
      return static_cast<waymo::WaymoType>(t);
  return waymo::type_from_name(s);
}

// The per-frame JSON form (docs/eval.md). `is_gt` makes num_points required: without it every
// ground truth object would be dropped (eval.md §B1.2, W9).
std::vector<waymo::WaymoObject> read_json_objects(const std::string& path, bool is_gt) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(where(path) + ": cannot open");
  json doc;
  try {
    doc = json::parse(in);
  } catch (const json::exception& e) {
    throw Error(where(path) + ": malformed JSON: " + e.what());
  }
  if (!doc.is_object() || !doc.contains("frames") || !doc["frames"].is_array())
    throw Error(where(path) + ": expected an object with a \"frames\" array");
  std::vector<waymo::WaymoObject> out;
  const auto& frames = doc["frames"];
  for (std::size_t fi = 0; fi < frames.size(); ++fi) {
    const json& f = frames[fi];
    const std::string rec = "frame " + std::to_string(fi);
    auto bad = [&](const std::string& field, const std::string& what) -> Error {
      return Error(where(path, 0, field) + ": " + rec + ": " + what);
    };
    if (!f.is_object()) throw bad("", "expected an object");
    if (!f.contains("context_name") || !f["context_name"].is_string())
      throw bad("context_name", "expected a string");
    if (!f.contains("timestamp_micros") || !f["timestamp_micros"].is_number_integer())
      throw bad("timestamp_micros", "expected an integer");
    if (!f.contains("objects") || !f["objects"].is_array())
      throw bad("objects", "expected an array");
    const auto& objs = f["objects"];
    for (std::size_t oi = 0; oi < objs.size(); ++oi) {
      const json& o = objs[oi];
      const std::string orec = rec + " object " + std::to_string(oi);
      auto obad = [&](const std::string& field, const std::string& what) -> Error {
        return Error(where(path, 0, field) + ": " + orec + ": " + what);
      };
      if (!o.is_object()) throw obad("", "expected an object");
      waymo::WaymoObject w;
      w.context_name = f["context_name"].get<std::string>();
      w.frame_timestamp_micros = f["timestamp_micros"].get<std::int64_t>();
      if (!o.contains("box") || !o["box"].is_array() || o["box"].size() != 7)
        throw obad("box", "expected [cx, cy, cz, length, width, height, heading]");
      double v[7];
      for (int k = 0; k < 7; ++k) {
        if (!o["box"][k].is_number()) throw obad("box", "expected 7 numbers");
        v[k] = o["box"][k].get<double>();
      }
      w.box.x = v[0], w.box.y = v[1], w.box.z = v[2];
      w.box.l = v[3], w.box.w = v[4], w.box.h = v[5], w.box.yaw = v[6];
      const auto type = o.contains("type") ? parse_type(o["type"]) : std::nullopt;
      if (!type)
        throw obad("type", "expected VEHICLE, PEDESTRIAN, SIGN, CYCLIST (or 1..4, or Vehicle...)");
      w.type = *type;
      w.box.label = waymo::type_name(w.type);
      if (o.contains("score")) {
        if (!o["score"].is_number()) throw obad("score", "expected a number");
        w.score = o["score"].get<float>();
      }
      w.box.score = w.score;
      if (o.contains("num_points")) {
        if (!o["num_points"].is_number_integer()) throw obad("num_points", "expected an integer");
        w.num_lidar_points_in_box = o["num_points"].get<std::int32_t>();
      } else if (is_gt) {
        throw obad("num_points", "required in ground truth (GT with no points is dropped)");
      }
      if (o.contains("difficulty")) {
        if (!o["difficulty"].is_number_integer() || o["difficulty"].get<int>() < 0 ||
            o["difficulty"].get<int>() > 2)
          throw obad("difficulty", "expected 0 (unset), 1 or 2");
        w.detection_difficulty_level = o["difficulty"].get<int>();
      }
      out.push_back(std::move(w));
    }
  }
  return out;
}

std::vector<waymo::WaymoObject> read_objects(const std::string& path, bool is_gt) {
  if (std::filesystem::path(path).extension() == ".json") return read_json_objects(path, is_gt);
  // Segments carry their labels with difficulty and points in box, as ground truth needs.
  // As predictions, labels without points are dropped as they are from the ground truth
  // (eval.md), so that a segment scored against itself is a perfect detector (AP 1).
  if (waymo::is_segment_path(path)) {
    auto labels = waymo::read_segment_labels(path);
    if (!is_gt)
      std::erase_if(labels,
                    [](const waymo::WaymoObject& l) { return l.num_lidar_points_in_box <= 0; });
    return labels;
  }
  if (std::filesystem::is_directory(path))
    throw Error(path +
                ": a folder holding no .tfrecord segment (expected an Objects .bin, a "
                "per-frame .json, a .tfrecord or a folder of them)");
  return waymo::read_objects_file(path);
}

// A prediction must name a frame of the ground-truth segments (else --gt is the wrong file);
// frames without labels are fine: their predictions are false positives.
void check_frames_in_segments(std::vector<waymo::FrameKey> frames,
                              const std::vector<waymo::WaymoObject>& pred,
                              const std::string& pred_origin, const std::string& gt_origin) {
  std::sort(frames.begin(), frames.end());
  for (std::size_t i = 0; i < pred.size(); ++i)
    if (!std::binary_search(frames.begin(), frames.end(),
                            waymo::FrameKey{pred[i].context_name, pred[i].frame_timestamp_micros}))
      throw Error(where(pred_origin) + ": object " + std::to_string(i) + ": frame " +
                  pred[i].context_name + " t=" + std::to_string(pred[i].frame_timestamp_micros) +
                  " is not a frame of " + gt_origin + " (wrong --gt file?)");
}

json to_json(const eval::WaymoEvalResult& r) {
  json j;
  j["num_frames"] = r.num_frames;
  j["num_gt"] = r.num_gt;
  j["num_pred"] = r.num_pred;
  j["mAPH_L2"] = r.maph_l2;
  for (const auto& b : r.breakdowns) {
    json jb;
    jb["AP"] = b.ap;
    jb["APH"] = b.aph;
    jb["score_cutoff"] = b.cutoff;
    jb["precision"] = b.precision;
    jb["precision_ha"] = b.precision_ha;
    jb["recall"] = b.recall;
    jb["tp"] = b.tp;
    jb["fp"] = b.fp;
    jb["fn"] = b.fn;
    j["breakdowns"][b.name] = jb;
  }
  return j;
}

void write_plots(const eval::WaymoEvalResult& r, const std::string& dir) {
  std::filesystem::create_directories(dir);
  for (std::size_t i = 0; i + 1 < r.breakdowns.size(); i += 2) {
    const auto& l1 = r.breakdowns[i];
    if (l1.generator != "OBJECT_TYPE") continue;
    std::vector<eval::PrSeries> series;
    for (const auto* b : {&r.breakdowns[i], &r.breakdowns[i + 1]}) {
      char name[96];
      std::snprintf(name, sizeof name, "LEVEL_%d (AP %.4f, APH %.4f)", b->level, b->ap, b->aph);
      eval::PrSeries s;
      s.name = name;
      s.recall.assign(b->recall.begin(), b->recall.end());
      s.precision.assign(b->precision.begin(), b->precision.end());
      series.push_back(std::move(s));
    }
    write_file_atomic(dir + "/" + l1.shard + ".svg",
                      eval::pr_curves_svg("Waymo " + l1.shard + " 3D", series));
  }
}

void setup_waymo(CLI::App& sub) {
  struct Opts {
    std::string gt, pred, json, plot;
    int threads = 1;
  };
  auto o = std::make_shared<Opts>();
  sub.add_option("--gt", o->gt,
                 "Ground truth: a metrics Objects .bin, a per-frame .json, or v1 segment "
                 "TFRecords (a .tfrecord or a folder of them: their laser labels)")
      ->required();
  sub.add_option("--pred", o->pred,
                 "Predictions: a metrics Objects .bin (lidardet detect --objects), a per-frame "
                 ".json, or segment TFRecords (their labels, score 1)")
      ->required();
  sub.add_option("--json", o->json, "Write every number as JSON to this file");
  sub.add_option("--threads", o->threads, "Threads over frames (the result does not depend on it)")
      ->check(CLI::Range(1, 256));
  sub.add_option("--plot", o->plot, "Write precision-recall curves (SVG) into this folder");
  sub.callback([o] {
    // Segments list every frame, labelled or not; other GT files know frames by their objects.
    std::vector<waymo::FrameKey> gt_frames;
    const bool gt_segments = waymo::is_segment_path(o->gt);
    const auto gt = gt_segments ? waymo::read_segment_labels(o->gt, true, &gt_frames)
                                : read_objects(o->gt, true);
    const auto pred = read_objects(o->pred, false);
    eval::check_waymo_objects(gt, o->gt);
    eval::check_waymo_objects(pred, o->pred);
    if (gt_segments)
      check_frames_in_segments(gt_frames, pred, o->pred, o->gt);
    else
      eval::check_waymo_frames(gt, pred, o->pred);
    eval::WaymoEvalOptions opt;
    opt.threads = o->threads;
    const auto result = eval::evaluate_waymo(gt, pred, opt);
    // Files first, so that a failed write leaves no table claiming success.
    if (!o->json.empty()) write_file_atomic(o->json, to_json(result).dump(2) + "\n");
    if (!o->plot.empty()) write_plots(result, o->plot);
    std::printf("%s", eval::format_waymo_result(result).c_str());
    std::printf("(%zu frames, %zu ground truth objects after preparation, %zu predictions)\n",
                result.num_frames, result.num_gt, result.num_pred);
  });
}
}  // namespace

LIDARDET_SUBCOMMAND(eval, waymo,
                    "Evaluate Waymo detections (AP/APH by object type and range, L1/L2)",
                    setup_waymo);
