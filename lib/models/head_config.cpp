#include "models/head_config.hpp"

#include "core/error.hpp"

namespace lidardet {

namespace {
std::vector<double> voxel_size(const ModelConfig& cfg) {
  const YAML::Node procs = cfg.require("DATA_CONFIG.DATA_PROCESSOR");
  for (const auto& p : procs)
    // OpenPCDet also names it transform_points_to_voxels_placeholder (dynamic VFEs).
    if (p["NAME"] && p["NAME"].as<std::string>().starts_with("transform_points_to_voxels")) {
      std::vector<double> v;
      for (const auto& x : p["VOXEL_SIZE"]) v.push_back(x.as<double>());
      if (v.size() != 3)
        throw Error(cfg.path +
                    ": DATA_CONFIG.DATA_PROCESSOR transform_points_to_voxels: "
                    "VOXEL_SIZE must hold 3 numbers");
      return v;
    }
  throw Error(cfg.path + ": DATA_CONFIG.DATA_PROCESSOR has no transform_points_to_voxels entry");
}

std::vector<NmsSettings> per_class_nms(const ModelConfig& cfg, const std::string& key,
                                       std::size_t classes) {
  auto thr = cfg.get_doubles(key + ".NMS_THRESH");
  auto pre = cfg.get_doubles(key + ".NMS_PRE_MAXSIZE");
  auto post = cfg.get_doubles(key + ".NMS_POST_MAXSIZE");
  if (thr.size() != classes || pre.size() != classes || post.size() != classes)
    throw Error(cfg.path + ": " + key + ": NMS_THRESH, NMS_PRE_MAXSIZE and NMS_POST_MAXSIZE need " +
                std::to_string(classes) + " values each (one per class)");
  std::vector<NmsSettings> out;
  for (std::size_t i = 0; i < classes; ++i)
    out.push_back({thr[i], static_cast<int>(pre[i]), static_cast<int>(post[i])});
  return out;
}
}  // namespace

AnchorHeadSettings anchor_head_settings(const ModelConfig& cfg) {
  AnchorHeadSettings s;
  const auto range = cfg.get_doubles("DATA_CONFIG.POINT_CLOUD_RANGE", 6);
  std::copy(range.begin(), range.end(), s.range);
  const std::string head = "MODEL.DENSE_HEAD";
  if (auto n = cfg.find(head + ".DIR_OFFSET"); n.IsDefined())
    s.dir_offset = cfg.as<double>(n, head);
  if (auto n = cfg.find(head + ".DIR_LIMIT_OFFSET"); n.IsDefined())
    s.dir_limit_offset = cfg.as<double>(n, head);
  if (auto n = cfg.find(head + ".NUM_DIR_BINS"); n.IsDefined())
    s.num_dir_bins = cfg.as<int>(n, head);
  const YAML::Node gens = cfg.require(head + ".ANCHOR_GENERATOR_CONFIG");
  for (const auto& g : gens) {
    AnchorClass c;
    const std::string k = head + ".ANCHOR_GENERATOR_CONFIG";
    c.name = cfg.as<std::string>(g["class_name"], k + ".class_name");
    for (const auto& sz : g["anchor_sizes"]) {
      if (sz.size() != 3) throw Error(cfg.path + ": " + k + ".anchor_sizes: need [l, w, h]");
      c.sizes.push_back({sz[0].as<double>(), sz[1].as<double>(), sz[2].as<double>()});
    }
    for (const auto& r : g["anchor_rotations"]) c.rotations.push_back(r.as<double>());
    c.bottom_height = cfg.as<double>(g["anchor_bottom_heights"][0], k + ".anchor_bottom_heights");
    if (g["align_center"]) s.align_center = g["align_center"].as<bool>();
    s.classes.push_back(c);
  }
  const std::string post = "MODEL.POST_PROCESSING";
  s.score_threshold = cfg.get_double(post + ".SCORE_THRESH");
  s.nms.iou_threshold = cfg.get_double(post + ".NMS_CONFIG.NMS_THRESH");
  s.nms.pre_max = cfg.get_int(post + ".NMS_CONFIG.NMS_PRE_MAXSIZE");
  s.nms.post_max = cfg.get_int(post + ".NMS_CONFIG.NMS_POST_MAXSIZE");
  return s;
}

CenterHeadSettings center_head_settings(const ModelConfig& cfg, bool corrected_nms) {
  CenterHeadSettings s;
  const std::string head = "MODEL.DENSE_HEAD";
  const std::string name = cfg.get_string(head + ".NAME");
  const auto range = cfg.get_doubles("DATA_CONFIG.POINT_CLOUD_RANGE", 6);
  if (name == "CenterHead") {
    s.family = CenterHeadSettings::Family::OpenPCDet;
    for (const auto& group : cfg.require(head + ".CLASS_NAMES_EACH_HEAD"))
      for (const auto& c : group) s.class_names.push_back(c.as<std::string>());
    const auto vs = voxel_size(cfg);
    const int stride = cfg.get_int(head + ".TARGET_ASSIGNER_CONFIG.FEATURE_MAP_STRIDE");
    s.range_x0 = range[0];
    s.range_y0 = range[1];
    s.voxel_x = vs[0] * stride;
    s.voxel_y = vs[1] * stride;
    const std::string pp = head + ".POST_PROCESSING";
    s.score_threshold = cfg.get_double(pp + ".SCORE_THRESH");
    s.max_objects = cfg.get_int(pp + ".MAX_OBJ_PER_SAMPLE");
    const auto lim = cfg.get_doubles(pp + ".POST_CENTER_LIMIT_RANGE", 6);
    std::copy(lim.begin(), lim.end(), s.center_limit);
    if (auto n = cfg.find(pp + ".USE_IOU_TO_RECTIFY_SCORE"); n.IsDefined() && n.as<bool>())
      s.iou_rectifier = cfg.get_doubles(pp + ".IOU_RECTIFIER");
    const std::string type = cfg.get_string(pp + ".NMS_CONFIG.NMS_TYPE");
    s.nms = type == "multi_class_nms" ? CenterHeadSettings::Nms::MMDetMultiClass
                                      : CenterHeadSettings::Nms::ClassSpecific;
    s.per_class_nms = per_class_nms(cfg, pp + ".NMS_CONFIG", s.class_names.size());
  } else if (name == "CenterHeadMMDet3D") {
    s.family = CenterHeadSettings::Family::MMDet3D;
    for (const auto& group : cfg.require(head + ".TASKS"))
      for (const auto& c : group) s.class_names.push_back(c.as<std::string>());
    const std::string bc = head + ".BBOX_CODER";
    const auto vs = cfg.get_doubles(bc + ".VOXEL_SIZE", 2);
    const auto pc = cfg.get_doubles(bc + ".PC_RANGE", 2);
    const double f = cfg.get_double(bc + ".OUT_SIZE_FACTOR");
    s.voxel_x = vs[0] * f;
    s.voxel_y = vs[1] * f;
    s.range_x0 = pc[0];
    s.range_y0 = pc[1];
    s.max_objects = cfg.get_int(bc + ".MAX_NUM");
    s.score_threshold = cfg.get_double(bc + ".SCORE_THRESHOLD");
    const auto lim = cfg.get_doubles(bc + ".POST_CENTER_RANGE", 6);
    std::copy(lim.begin(), lim.end(), s.center_limit);
    if (auto n = cfg.find(bc + ".IOU_POW"); n.IsDefined()) s.iou_power = cfg.as<double>(n, bc);
    s.nms = CenterHeadSettings::Nms::ClassSpecific;
    s.per_class_nms = per_class_nms(cfg, "MODEL.POST_PROCESSING.NMS_CONFIG", s.class_names.size());
  } else {
    throw Error(cfg.path + ": " + head + ".NAME is '" + name +
                "', expected CenterHead or CenterHeadMMDet3D");
  }
  s.nms_reference_quirk = !corrected_nms;
  return s;
}

}  // namespace lidardet
