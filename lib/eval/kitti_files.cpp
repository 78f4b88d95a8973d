#include "eval/kitti_files.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "core/error.hpp"
#include "io/kitti_imagesets.hpp"

namespace lidardet::eval {

namespace fs = std::filesystem;

namespace {
std::string label_dir(const std::string& dir) {
  if (fs::exists(fs::path(dir) / "training" / "label_2"))
    return (fs::path(dir) / "training" / "label_2").string();
  if (fs::is_directory(dir)) return dir;
  throw Error(dir + ": not a folder of KITTI label files");
}

void check_objects(const std::vector<KittiObject>& objs, const std::string& path, bool need_score) {
  for (std::size_t i = 0; i < objs.size(); ++i) {
    const KittiObject& o = objs[i];
    const long line = static_cast<long>(i) + 1;
    if (need_score && !o.has_score)
      fail(path, line, "score", "a prediction needs 16 fields (the 16th is the score)");
    if (o.type == "DontCare") continue;
    const double v[] = {o.h, o.w, o.l, o.x, o.y, o.z, o.ry, o.score};
    for (double x : v)
      if (!std::isfinite(x)) fail(path, line, "", "NaN or infinite value in a box");
    if (o.h < 0 || o.w < 0 || o.l < 0) fail(path, line, "dimensions", "negative box dimension");
  }
}
}  // namespace

std::vector<KittiEvalFrame> load_kitti_eval_frames(const std::string& gt_dir,
                                                   const std::string& pred_dir,
                                                   const std::string& split_file) {
  const std::string gt = label_dir(gt_dir);
  if (!fs::is_directory(pred_dir)) throw Error(pred_dir + ": prediction folder not found");
  std::vector<std::string> ids;
  if (!split_file.empty()) {
    ids = read_kitti_imageset(split_file);
  } else {
    for (const auto& e : fs::directory_iterator(pred_dir))
      if (e.path().extension() == ".txt") ids.push_back(e.path().stem().string());
    std::sort(ids.begin(), ids.end());
  }
  std::vector<KittiEvalFrame> frames;
  frames.reserve(ids.size());
  for (const std::string& id : ids) {
    const std::string gp = gt + "/" + id + ".txt", pp = pred_dir + "/" + id + ".txt";
    if (!fs::exists(gp))
      throw Error(pp + ": prediction for frame " + id + " which has no ground truth (" + gp +
                  " missing)");
    if (!fs::exists(pp)) throw Error(pp + ": no prediction file for frame " + id + " of the split");
    KittiEvalFrame f;
    f.id = id;
    f.gt = read_kitti_labels(gp);
    f.det = read_kitti_labels(pp);
    check_objects(f.gt, gp, false);
    check_objects(f.det, pp, true);
    frames.push_back(std::move(f));
  }
  return frames;
}

}  // namespace lidardet::eval
