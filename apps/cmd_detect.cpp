// lidardet detect: runs a Detector over one point file, a folder of frames or a KITTI object
// root, writing KITTI result labels (camera frame, when calib exists) and LiDAR-frame JSON per
// frame; or over Waymo inputs (a v1 segment TFRecord, OpenPCDet processed sequences, mmdet3d
// .bin frames), writing vehicle-frame JSON per frame and one metrics Objects file.
// Resumable: a frame whose JSON exists is skipped unless --overwrite.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli_util.hpp"
#include "command.hpp"
#include "core/atomic_file.hpp"
#include "detector_input.hpp"
#include "eval/kitti_eval.hpp"
#include "eval/kitti_files.hpp"
#include "eval/waymo_eval.hpp"
#include "io/kitti_box.hpp"
#include "io/kitti_dataset.hpp"
#include "io/kitti_fov.hpp"
#include "io/kitti_label.hpp"
#include "io/kitti_velodyne.hpp"
#include "io/waymo/detection_input.hpp"
#include "io/waymo/objects.hpp"
#include "io/waymo/segment_labels.hpp"
#include "models/default_model.hpp"
#include "models/detector.hpp"
#include "models/model_config.hpp"

namespace {
using namespace lidardet;
namespace fs = std::filesystem;

struct FrameSource {
  std::string id;
  std::string path;  // point file (empty for KITTI root frames)
};

nlohmann::json boxes_json(const std::string& id, const std::vector<Box3D>& boxes) {
  nlohmann::json j;
  j["frame"] = id;
  j["frame_of_reference"] = "lidar";
  j["boxes"] = nlohmann::json::array();
  for (const auto& b : boxes)
    j["boxes"].push_back({{"label", b.label},
                          {"score", b.score},
                          {"x", b.x},
                          {"y", b.y},
                          {"z", b.z},
                          {"l", b.l},
                          {"w", b.w},
                          {"h", b.h},
                          {"yaw", b.yaw}});
  return j;
}

DetectorBackend parse_backend(const std::string& s) {
  if (s == "cpu") return DetectorBackend::Cpu;
  if (s == "cuda") return DetectorBackend::Cuda;
  throw Error("option --backend: '" + s + "' (expected cpu or cuda)");
}

struct Opts {
  std::string config, weights, input, out, split = "val", backend = "cpu", format = "auto", objects;
  double z_offset = 0;
  bool overwrite = false, eval = false, corrected_nms = false;
};

// Which Waymo input --input is, if any: --format names it, else its name and layout tell.
std::optional<waymo::InputKind> waymo_kind(const Opts& o) {
  if (o.format == "tfrecord") return waymo::InputKind::kTfrecord;
  if (o.format == "openpcdet") return waymo::InputKind::kOpenPCDet;
  if (o.format == "mmdet3d") return waymo::InputKind::kMmdet3d;
  if (o.format == "kitti") return std::nullopt;
  if (o.format != "auto")
    throw Error("option --format: '" + o.format +
                "' (expected auto, kitti, tfrecord, openpcdet or mmdet3d)");
  return waymo::detect_input_kind(o.input);
}

// The frame JSON of an earlier run, read back so that a resumed run still writes every frame's
// boxes into the Objects file. It must be the same frame (a different segment written to the
// same folder would otherwise mix in).
std::vector<Box3D> read_frame_json(const fs::path& path, const waymo::InputFrame& f) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_file_bytes(path.string()));
    if (j.value("context_name", std::string()) != f.context_name ||
        j.value("timestamp_micros", std::int64_t(-1)) != f.timestamp_micros)
      throw Error(path.string() + ": written for another frame (context " +
                  j.value("context_name", std::string("?")) + "), not " + f.context_name + " t=" +
                  std::to_string(f.timestamp_micros) + "; use another --out or --overwrite");
    std::vector<Box3D> boxes;
    for (const auto& b : j.at("boxes"))
      boxes.push_back({b.at("x").get<double>(), b.at("y").get<double>(), b.at("z").get<double>(),
                       b.at("l").get<double>(), b.at("w").get<double>(), b.at("h").get<double>(),
                       b.at("yaw").get<double>(), b.at("label").get<std::string>(),
                       b.at("score").get<float>()});
    return boxes;
  } catch (const nlohmann::json::exception& e) {
    throw Error(path.string() + ": not a frame JSON of lidardet detect (" + e.what() +
                "); delete it or pass --overwrite");
  }
}

// Waymo inputs: frames streamed one at a time; per frame a vehicle-frame JSON (written last, it
// marks the frame done), then one Objects file for the whole input, written only once every
// frame succeeded (a resumed run reads the done frames' boxes back from their JSON).
void run_waymo(const Opts& o, Detector& det, const ModelFiles& files, waymo::InputKind kind) {
  const ModelConfig cfg = load_model_config(files.config);
  const auto used = cfg.get_strings("DATA_CONFIG.POINT_FEATURE_ENCODING.used_feature_list");
  const auto tanh_features = cfg.find("DATA_CONFIG.TANH_ON_FEATURES")
                                 ? cfg.get_strings("DATA_CONFIG.TANH_ON_FEATURES")
                                 : std::vector<std::string>{};
  const YAML::Node nlz_node = cfg.find("DATA_CONFIG.DISABLE_NLZ_FLAG_ON_POINTS");
  const bool drop_nlz =
      !(nlz_node && cfg.as<bool>(nlz_node, "DATA_CONFIG.DISABLE_NLZ_FLAG_ON_POINTS"));
  for (const auto& c : det.class_names())
    if (!waymo::waymo_type_for_class(c))
      throw Error(files.config + ": class '" + c +
                  "' has no Waymo type for the Objects file (expected Car/Vehicle, "
                  "Pedestrian, Cyclist or Sign)");
  if (o.eval && kind != waymo::InputKind::kTfrecord)
    throw Error("--eval needs ground truth: a KITTI root or a .tfrecord segment as --input");

  // Opening checks the whole input (a TFRecord's framing and CRCs) before any output exists.
  waymo::InputSource source(o.input, kind);
  if (!source.timestamp_note().empty())
    std::fprintf(stderr, "note: %s\n", source.timestamp_note().c_str());
  const fs::path out(o.out), json_dir = out / "json";
  const std::string objects_path = o.objects.empty() ? (out / "objects.bin").string() : o.objects;
  fs::create_directories(json_dir);
  std::vector<waymo::WaymoObject> objects;
  std::size_t done = 0, skipped = 0;
  cli::Progress progress(source.size());
  waymo::InputFrame f;
  while (source.next(f)) {
    const fs::path json_path = json_dir / (f.id + ".json");
    std::vector<Box3D> boxes;
    if (!o.overwrite && fs::exists(json_path)) {
      boxes = read_frame_json(json_path, f);
      ++skipped;
    } else {
      const std::string origin = o.input + ": frame " + f.id;
      boxes = det.detect(
          waymo::model_input_cloud(source.points(), used, tanh_features, drop_nlz, origin));
      nlohmann::json j = boxes_json(f.id, boxes);
      j["frame_of_reference"] = "vehicle";
      j["context_name"] = f.context_name;
      j["timestamp_micros"] = f.timestamp_micros;
      j["timestamp_known"] = f.timestamp_known;
      write_file_atomic(json_path.string(), j.dump(1) + "\n");
    }
    for (const auto& b : boxes)
      objects.push_back(waymo::object_from_detection(b, f.context_name, f.timestamp_micros));
    progress.update(++done);
  }
  waymo::write_objects_file(objects_path, objects);
  std::printf("%zu frames (%zu already done), %zu objects in %s, frame JSON in %s\n", done, skipped,
              objects.size(), objects_path.c_str(), json_dir.string().c_str());
  if (o.eval) {
    // The predictions are of this very segment's frames, labelled or not: no frame check.
    const auto gt = waymo::read_segment_labels(o.input);
    const auto result = eval::evaluate_waymo(gt, objects);
    std::printf("%s", eval::format_waymo_result(result).c_str());
  }
}

void run(const Opts& o) {
  // Waymo-only options are checked before the model loads.
  const auto wkind = fs::exists(o.input) ? waymo_kind(o) : std::nullopt;
  if (!wkind && o.z_offset != 0)
    throw Error("--z-offset: only for Waymo inputs (vehicle-frame points)");
  if (!wkind && !o.objects.empty())
    throw Error(
        "--objects: Objects files are written for Waymo inputs (a .tfrecord, an "
        "OpenPCDet processed folder or mmdet3d .bin frames with --format mmdet3d)");
  const ModelFiles files = resolve_model_files(o.config, o.weights, cli::model_roots());
  DetectorOptions dopt;
  dopt.backend = parse_backend(o.backend);
  dopt.corrected_nms = o.corrected_nms;
  Detector det(files.config, files.weights, dopt);

  if (!fs::exists(o.input)) throw Error("--input " + o.input + ": no such file or folder");
  if (wkind) return run_waymo(o, det, files, *wkind);
  // KITTI models see the camera's field of view only (OpenPCDet's FOV_POINTS_ONLY, default
  // True): applied to KITTI roots, whose frames carry calib and image size.
  const ModelConfig cfg = load_model_config(files.config);
  const YAML::Node fov_node = cfg.find("DATA_CONFIG.FOV_POINTS_ONLY");
  const bool fov_only =
      !fov_node || fov_node.IsNull() || cfg.as<bool>(fov_node, "DATA_CONFIG.FOV_POINTS_ONLY");
  std::unique_ptr<KittiObjectRoot> kitti;
  std::vector<FrameSource> frames;
  if (fs::is_directory(o.input) &&
      (fs::exists(fs::path(o.input) / "ImageSets") || fs::exists(fs::path(o.input) / "training"))) {
    kitti = std::make_unique<KittiObjectRoot>(o.input, o.split);
    for (const auto& id : kitti->ids()) frames.push_back({id, ""});
  } else if (fs::is_directory(o.input)) {
    std::vector<fs::path> paths;
    for (const auto& e : fs::directory_iterator(o.input))
      if (e.is_regular_file() && cli::is_point_file(e.path())) paths.push_back(e.path());
    std::sort(paths.begin(), paths.end());
    if (paths.empty())
      throw Error("--input " + o.input + ": no .bin, .pcd, .ply or .npy files in this folder");
    for (const auto& p : paths) frames.push_back({p.stem().string(), p.string()});
  } else {
    if (!cli::is_point_file(o.input))
      throw Error("--input " + o.input + ": expected a .bin, .pcd, .ply or .npy file or a folder");
    frames.push_back({fs::path(o.input).stem().string(), o.input});
  }

  const fs::path out(o.out), label_dir = out / "label_2", json_dir = out / "json";
  fs::create_directories(json_dir);
  bool any_labels = false;
  std::size_t skipped = 0;
  cli::Progress progress(frames.size());
  for (std::size_t i = 0; i < frames.size(); ++i) {
    const FrameSource& f = frames[i];
    const fs::path json_path = json_dir / (f.id + ".json");
    if (!o.overwrite && fs::exists(json_path) &&
        (!kitti || fs::exists(label_dir / (f.id + ".txt")) ||
         !fs::exists(kitti->calib_path(f.id)))) {
      ++skipped;  // written by an earlier run
      any_labels = any_labels || fs::exists(label_dir / (f.id + ".txt"));
      progress.update(i + 1);
      continue;
    }
    std::vector<Box3D> boxes;
    std::optional<KittiCalib> calib;
    std::optional<int> image_w, image_h;
    if (kitti) {
      KittiFrame fr = kitti->load(f.id);
      calib = fr.calib;
      image_w = fr.image_width;
      image_h = fr.image_height;
      // Without image_2, KITTI's 1242 x 375 (as tools/reference/kitti_data.py assumes); a frame
      // without calib keeps every point.
      boxes = det.detect(fov_only && fr.calib
                             ? kitti_fov_points(fr.points, *fr.calib, fr.image_width.value_or(1242),
                                                fr.image_height.value_or(375))
                             : fr.points);
    } else {
      boxes = det.detect(cli::read_detector_frame(f.path));
      // A calib file beside the frame (<id>.txt in a calib/ sibling folder) gives camera labels.
      const fs::path c = fs::path(f.path).parent_path().parent_path() / "calib" / (f.id + ".txt");
      if (fs::exists(c)) calib = read_kitti_calib(c.string());
    }
    if (calib) {
      fs::create_directories(label_dir);
      std::vector<KittiObject> objs;
      for (const auto& b : boxes) {
        KittiObject k = box_to_kitti(b, *calib, true);
        k.ry = wrap_angle(k.ry);
        // The 2D box drives KITTI's 2D AP, its minimum-height filter and DontCare (eval.md A9):
        // project the 3D box with P2 and clip it to the image, as OpenPCDet does. A box that
        // lies wholly outside the image could only ever be an ignored detection: leave it out
        // of the label file (the JSON keeps every box). Without an image size (no image_2)
        // the 2D box stays empty.
        if (image_w && image_h) {
          const auto bb = project_kitti_box(k, *calib, *image_w, *image_h);
          if (!bb) continue;
          k.bbox = *bb;
        }
        objs.push_back(k);
      }
      write_kitti_labels((label_dir / (f.id + ".txt")).string(), objs);
      any_labels = true;
    }
    // The JSON goes last: its presence marks the frame done (resume).
    write_file_atomic(json_path.string(), boxes_json(f.id, boxes).dump(1) + "\n");
    progress.update(i + 1);
  }
  std::printf("%zu frames (%zu already done), results in %s\n", frames.size(), skipped,
              o.out.c_str());
  if (o.eval) {
    if (!kitti) throw Error("--eval needs a KITTI object root as --input (ground truth)");
    if (!any_labels) throw Error("--eval: no KITTI labels were written (frames lack calib)");
    const fs::path split_file = fs::path(o.input) / "ImageSets" / (o.split + ".txt");
    std::vector<eval::KittiEvalFrame> ev = eval::load_kitti_eval_frames(
        o.input, label_dir.string(), fs::exists(split_file) ? split_file.string() : "");
    const auto result = eval::evaluate_kitti(ev, eval::KittiEvalOptions{});
    std::printf("%s", eval::format_kitti_result(result).c_str());
  }
}

void setup(CLI::App& sub) {
  auto o = std::make_shared<Opts>();
  sub.add_option("--config", o->config, "Model config (configs/*.yaml or OpenPCDet YAML)");
  sub.add_option("--weights", o->weights, "Weights (.safetensors or PyTorch .pth)");
  sub.add_option("--input", o->input,
                 "A .bin/.pcd/.ply/.npy file, a folder of them, a KITTI root, a Waymo .tfrecord "
                 "segment, an OpenPCDet processed folder, or mmdet3d Waymo .bin frames")
      ->required();
  sub.add_option("--out", o->out, "Output folder (label_2/ and json/)")->required();
  sub.add_option("--format", o->format,
                 "auto (from the input's name and layout), kitti, tfrecord, openpcdet, or "
                 "mmdet3d ((N, 6) Waymo .bin frames)");
  sub.add_option("--objects", o->objects,
                 "Waymo inputs: the metrics Objects file of the predictions (default "
                 "OUT/objects.bin)");
  sub.add_option("--z-offset", o->z_offset,
                 "Waymo inputs: metres added to point z before the model and taken off the "
                 "boxes after (e.g. -1.73 for a KITTI-trained model on vehicle-frame points)");
  sub.add_option("--split", o->split, "ImageSets split of a KITTI root (default val)");
  sub.add_option("--backend", o->backend, "cpu or cuda");
  sub.add_flag("--overwrite", o->overwrite, "Redo frames already written");
  sub.add_flag("--eval", o->eval,
               "Evaluate against the labels of the KITTI root or .tfrecord afterwards");
  sub.add_flag("--corrected-nms", o->corrected_nms,
               "Multi-class NMS with the true box geometry instead of the reference quirk");
  sub.callback([o] { run(*o); });
}
}  // namespace

LIDARDET_COMMAND(detect, "Detect 3D objects in point clouds (default: the shipped LION model)",
                 setup);
