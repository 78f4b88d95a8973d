// lidardet detect: runs a Detector over one point file, a folder of frames or a KITTI object
// root, writing KITTI result labels (camera frame, when calib exists) and LiDAR-frame JSON per
// frame. Resumable: a frame whose JSON exists is skipped unless --overwrite.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli_util.hpp"
#include "command.hpp"
#include "core/atomic_file.hpp"
#include "eval/kitti_eval.hpp"
#include "eval/kitti_files.hpp"
#include "io/kitti_box.hpp"
#include "io/kitti_dataset.hpp"
#include "io/kitti_label.hpp"
#include "io/kitti_velodyne.hpp"
#include "models/default_model.hpp"
#include "models/detector.hpp"
#include "models/npz.hpp"
#ifdef LIDARDET_HAVE_ADAPTERS
#include "adapters/point_file.hpp"
#endif

namespace {
using namespace lidardet;
namespace fs = std::filesystem;

bool point_file(const fs::path& p) {
  std::string e = p.extension().string();
  for (auto& c : e) c = char(std::tolower(c));
  return e == ".bin" || e == ".pcd" || e == ".ply" || e == ".npy";
}

// An (N, C) float .npy with columns x, y, z, intensity[, elongation].
PointCloud read_npy_cloud(const std::string& path) {
  const nn::Tensor t = read_npy(path);
  if (t.rank() != 2 || t.dim(1) < 4 || t.dim(1) > 5 || t.dtype() != nn::DType::F32)
    throw Error(path +
                ": expected a float (N, 4) or (N, 5) array (x, y, z, intensity[, "
                "elongation]), got " +
                nn::shape_string(t.shape()));
  std::vector<std::string> ch = {"x", "y", "z", "intensity", "elongation"};
  ch.resize(t.dim(1));
  PointCloud cloud(ch);
  for (int64_t i = 0; i < t.dim(0); ++i)
    cloud.push_back(std::span<const float>(t.f32() + i * t.dim(1), t.dim(1)));
  return cloud;
}

PointCloud read_cloud(const std::string& path) {
  if (fs::path(path).extension() == ".npy") return read_npy_cloud(path);
#ifdef LIDARDET_HAVE_ADAPTERS
  return read_points(path);
#else
  if (fs::path(path).extension() != ".bin")
    throw Error(path + ": only .bin point files are supported in this build (no adapters)");
  return read_velodyne_bin(path);
#endif
}

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
  std::string config, weights, input, out, split = "val", backend = "cpu";
  bool overwrite = false, eval = false, corrected_nms = false;
};

void run(const Opts& o) {
  const ModelFiles files = resolve_model_files(o.config, o.weights, cli::model_roots());
  DetectorOptions dopt;
  dopt.backend = parse_backend(o.backend);
  dopt.corrected_nms = o.corrected_nms;
  Detector det(files.config, files.weights, dopt);

  if (!fs::exists(o.input)) throw Error("--input " + o.input + ": no such file or folder");
  std::unique_ptr<KittiObjectRoot> kitti;
  std::vector<FrameSource> frames;
  if (fs::is_directory(o.input) &&
      (fs::exists(fs::path(o.input) / "ImageSets") || fs::exists(fs::path(o.input) / "training"))) {
    kitti = std::make_unique<KittiObjectRoot>(o.input, o.split);
    for (const auto& id : kitti->ids()) frames.push_back({id, ""});
  } else if (fs::is_directory(o.input)) {
    std::vector<fs::path> paths;
    for (const auto& e : fs::directory_iterator(o.input))
      if (e.is_regular_file() && point_file(e.path())) paths.push_back(e.path());
    std::sort(paths.begin(), paths.end());
    if (paths.empty())
      throw Error("--input " + o.input + ": no .bin, .pcd, .ply or .npy files in this folder");
    for (const auto& p : paths) frames.push_back({p.stem().string(), p.string()});
  } else {
    if (!point_file(o.input))
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
      boxes = det.detect(fr.points);
    } else {
      boxes = det.detect(read_cloud(f.path));
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
                 "A .bin/.pcd/.ply/.npy file, a folder of them, or a KITTI root")
      ->required();
  sub.add_option("--out", o->out, "Output folder (label_2/ and json/)")->required();
  sub.add_option("--split", o->split, "ImageSets split of a KITTI root (default val)");
  sub.add_option("--backend", o->backend, "cpu or cuda");
  sub.add_flag("--overwrite", o->overwrite, "Redo frames already written");
  sub.add_flag("--eval", o->eval, "Evaluate against the KITTI root's labels afterwards");
  sub.add_flag("--corrected-nms", o->corrected_nms,
               "Multi-class NMS with the true box geometry instead of the reference quirk");
  sub.callback([o] { run(*o); });
}
}  // namespace

LIDARDET_COMMAND(detect, "Detect 3D objects in point clouds (default: the shipped LION model)",
                 setup);
