#include "models/detector.hpp"

#include <chrono>

#include "checkpoint/checkpoint.hpp"
#include "core/error.hpp"
#include "models/anchor_head.hpp"
#include "models/bev_backbone.hpp"
#include "models/center_head.hpp"
#include "models/dynamic_vfe.hpp"
#include "models/flatformer_model.hpp"
#include "models/lion_backbone.hpp"
#include "models/sparse_stage_input.hpp"
#include "nn/cpu_backend.hpp"
#ifdef LIDARDET_MODELS_HAVE_CUDA
#include "core/device.hpp"
#include "nn/cuda_backend_factory.hpp"
#endif

namespace lidardet {

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

std::unique_ptr<nn::Backend> make_backend(const DetectorOptions& o) {
  if (o.backend_factory) {
    std::unique_ptr<nn::Backend> be = o.backend_factory();
    if (!be) throw Error("Detector: the backend factory returned no backend");
    return be;
  }
  if (o.backend == DetectorBackend::Cpu) return std::make_unique<nn::CpuBackend>();
  std::string why;
  if (!detector_backend_available(o.backend, &why))
    throw Error("Detector: the CUDA backend cannot be used: " + why);
#ifdef LIDARDET_MODELS_HAVE_CUDA
  return cuda::make_cuda_backend();
#else
  throw Error("Detector: the CUDA backend cannot be used");  // unreachable: not available
#endif
}

void check_supported(const ModelConfig& cfg) {
  const std::string vfe = cfg.get_string("MODEL.VFE.NAME");
  const std::string b3d = cfg.get_string("MODEL.BACKBONE_3D.NAME");
  const std::string bev = cfg.get_string("MODEL.MAP_TO_BEV.NAME");
  const std::string head = cfg.get_string("MODEL.DENSE_HEAD.NAME");
  auto bad = [&](const std::string& key, const std::string& got, const std::string& want) {
    throw Error(cfg.path + ": " + key + ": '" + got + "' is not supported by lidardet's " +
                "detector yet (expected " + want + ")");
  };
  if (vfe != "DynamicVoxelVFE") bad("MODEL.VFE.NAME", vfe, "DynamicVoxelVFE");
  if (b3d != "LION3DBackboneOneStride")
    bad("MODEL.BACKBONE_3D.NAME", b3d, "LION3DBackboneOneStride");
  if (bev != "HeightCompression") bad("MODEL.MAP_TO_BEV.NAME", bev, "HeightCompression");
  if (head != "AnchorHeadSingle" && head != "CenterHead")
    bad("MODEL.DENSE_HEAD.NAME", head, "AnchorHeadSingle or CenterHead");
}

}  // namespace

bool detector_backend_available(DetectorBackend backend, std::string* why) {
  if (backend == DetectorBackend::Cpu) return true;
#ifdef LIDARDET_MODELS_HAVE_CUDA
  if (cuda::device_available()) return true;
  if (why) *why = "no usable CUDA device (" + cuda::device_description() + ")";
#else
  if (why)
    *why =
        "this build of lidardet has no CUDA backend (configure with -DLIDARDET_CUDA=ON where "
        "nvcc is installed)";
#endif
  return false;
}

struct Detector::Impl {
  ModelConfig cfg;
  std::unique_ptr<nn::Backend> be;
  std::string backend_name;
  std::vector<std::string> class_names;
  VoxelizerConfig vc;
  std::unique_ptr<DynamicVoxelVfe> vfe;
  std::unique_ptr<LionBackbone> backbone;
  int64_t bev_channels = 0;
  std::unique_ptr<BaseBevBackbone> bev;
  std::unique_ptr<AnchorHead> head;         // AnchorHeadSingle, or
  std::unique_ptr<CenterHead> center_head;  // CenterHead
  std::unique_ptr<FlatFormerModel> flat;    // a FlatFormer config: every stage in here
  std::vector<StageTime> timings;
  std::vector<std::string> missing_keys;  // only with DetectorOptions::allow_missing_keys
  std::string weights_source;

  Impl(const ModelConfig& c, const std::string& weights, const DetectorOptions& o) : cfg(c) {
    const bool is_flat = is_flatformer_config(cfg);
    if (!is_flat) check_supported(cfg);
    be = make_backend(o);
    backend_name = be->name();
    class_names = cfg.get_strings("CLASS_NAMES");
    nn::WeightMap wm = nn::WeightMap::from_checkpoint(load_checkpoint(weights));
    wm.source = weights;
    nn::WeightLoader wl(wm, *be);
    if (is_flat) {
      flat = std::make_unique<FlatFormerModel>(wl, cfg);
      wl.finish(o.allow_unexpected_keys, {}, o.allow_missing_keys);
      missing_keys = wl.missing_keys();
      weights_source = weights;
      return;
    }
    vc = VoxelizerConfig::from_model_yaml(cfg.root, cfg.path);
    vfe = std::make_unique<DynamicVoxelVfe>(wl, cfg, vc);
    backbone = std::make_unique<LionBackbone>(wl, cfg, vc.grid);
    bev_channels = cfg.get_int("MODEL.MAP_TO_BEV.NUM_BEV_FEATURES");
    bev = std::make_unique<BaseBevBackbone>(wl, cfg, bev_channels);
    if (cfg.get_string("MODEL.DENSE_HEAD.NAME") == "CenterHead")
      center_head = std::make_unique<CenterHead>(wl, cfg, bev->out_channels(), o.corrected_nms);
    else
      head = std::make_unique<AnchorHead>(wl, cfg, bev->out_channels());
    // global_step is a training counter OpenPCDet stores beside the weights.
    wl.finish(o.allow_unexpected_keys, {"global_step"}, o.allow_missing_keys);
    missing_keys = wl.missing_keys();
    weights_source = weights;
  }

  // Key prefixes of the weights a stage uses (official key names of each family).
  std::vector<std::string> stage_key_prefixes(const std::string& stage) const {
    const bool b3d = stage.starts_with("backbone_3d.");
    if (flat) {
      if (stage == "vfe") return {"voxel_encoder."};
      if (b3d) return {"middle_encoder." + stage.substr(12) + "."};
      if (stage == "backbone_2d") return {"backbone.", "neck."};
      if (stage == "dense_head") return {"bbox_head."};
      return {};
    }
    if (stage == "vfe" || stage == "backbone_2d" || stage == "dense_head") return {stage + "."};
    if (b3d) return {stage + "."};
    return {};
  }

  // With partial weights, refuses a span whose stages need missing keys. A missing key that
  // belongs to no stage is needed by every span.
  void check_weights_for(std::size_t from, std::size_t to) const {
    if (missing_keys.empty()) return;
    const auto n = names();
    std::vector<std::vector<std::string>> prefixes;
    for (const auto& s : n) prefixes.push_back(stage_key_prefixes(s));
    std::string list;
    std::size_t count = 0;
    for (const std::string& k : missing_keys) {
      bool owned = false, needed = false;
      for (std::size_t i = 0; i < n.size(); ++i)
        for (const std::string& p : prefixes[i])
          if (k.starts_with(p)) {
            owned = true;
            needed = needed || (i >= from && i <= to);
          }
      if (needed || !owned) {
        list += "\n    " + k;
        ++count;
      }
    }
    if (count)
      throw Error(weights_source + ": stages " + n[from] + " to " + n[to] + " need " +
                  std::to_string(count) + " keys the weights do not hold:" + list);
  }

  // What flows between stages.
  struct State {
    SparseVoxels sparse;
    nn::Tensor dense;
    AnchorHeadMaps maps;
    std::map<std::string, nn::Tensor> center_maps;
    std::vector<Box3D> boxes;
  };

  std::vector<std::string> names() const {
    if (flat) return flat->stage_names();
    std::vector<std::string> n = {"vfe"};
    for (std::size_t i = 0; i < backbone->num_stages(); ++i)
      n.push_back("backbone_3d." + backbone->stage_name(i));
    for (const char* s : {"map_to_bev", "backbone_2d", "dense_head", "post_processing"})
      n.push_back(s);
    return n;
  }

  std::size_t index_of(const std::string& name, bool first) const {
    const auto n = names();
    if (name == "backbone_3d") {  // its first or last block
      std::size_t i = first ? 1 : n.size() - 1;
      while (!n[i].starts_with("backbone_3d.")) first ? ++i : --i;
      return i;
    }
    for (std::size_t i = 0; i < n.size(); ++i)
      if (n[i] == name) return i;
    std::string all;
    for (const auto& s : n) all += " " + s;
    throw Error("unknown stage '" + name + "' (stages:" + all + ", or backbone_3d)");
  }

  static const nn::Tensor& input(const std::map<std::string, nn::Tensor>& in,
                                 const std::string& name, const std::string& stage) {
    auto it = in.find(name);
    if (it == in.end()) throw Error("stage " + stage + " needs the input tensor '" + name + "'");
    return it->second;
  }

  // State before stage i, from recorded tensors.
  State load_state(std::size_t i, const std::map<std::string, nn::Tensor>& in) {
    nn::Backend& b = *be;
    const auto n = names();
    const std::string prev = n[i - 1];
    State st;
    if (i <= backbone->num_stages() + 1) {  // a backbone stage or map_to_bev: sparse input
      const std::string f = prev == "vfe" ? "vfe.voxel_features" : prev + ".features";
      const std::string c = prev == "vfe" ? "vfe.voxel_coords" : prev + ".indices";
      st.sparse = sparse_stage_input(
          b, n[i], f, input(in, f, n[i]), c, input(in, c, n[i]),
          i <= backbone->num_stages() ? backbone->stage_shape(i - 1) : final_shape());
    } else if (prev == "dense_head" && center_head) {
      for (const auto& name : center_head->outputs()) {
        const nn::Tensor& t = input(in, "dense_head." + name, n[i]);
        st.center_maps[name] = b.alloc(t.shape());
        b.copy(t, st.center_maps[name]);
      }
    } else if (prev == "dense_head") {
      for (auto [name, dst] :
           {std::pair{"cls_preds", &st.maps.cls}, std::pair{"box_preds", &st.maps.box},
            std::pair{"dir_cls_preds", &st.maps.dir}}) {
        const nn::Tensor& t = input(in, std::string("dense_head.") + name, n[i]);
        *dst = b.alloc(t.shape());
        b.copy(t, *dst);
      }
    } else {
      const nn::Tensor& t = input(in, prev, n[i]);
      if (t.rank() != 4 || t.dim(0) != 1)
        throw Error("stage " + n[i] + ": expected " + prev + " as [1, C, H, W]");
      st.dense = b.alloc(t.shape());
      b.copy(t, st.dense);
    }
    return st;
  }

  std::array<int64_t, 3> final_shape() const {
    auto s = backbone->stage_shape(backbone->num_stages() - 1);
    return s;  // linear_out keeps the shape of its input
  }

  void run_stage(std::size_t i, const PointCloud* cloud, State& st, const StageRecorder& rec) {
    nn::Backend& b = *be;
    const std::size_t nb = backbone->num_stages();
    if (i == 0) {
      if (!cloud) throw Error("stage vfe needs a point cloud");
      st.sparse = vfe->forward(b, *cloud);
      if (rec) {
        rec("vfe.voxel_features", st.sparse.features);
        rec("vfe.voxel_coords", host_index_tensor(st.sparse.coords, 4));
      }
    } else if (i <= nb) {
      st.sparse = backbone->run_stage(i - 1, b, std::move(st.sparse));
      record_sparse(rec, "backbone_3d." + backbone->stage_name(i - 1), st.sparse);
    } else if (i == nb + 1) {
      const SparseVoxels& x = st.sparse;
      const int64_t C = x.features.dim(1), Z = x.shape[0];
      if (C * Z != bev_channels)
        throw Error(cfg.path + ": MODEL.MAP_TO_BEV.NUM_BEV_FEATURES is " +
                    std::to_string(bev_channels) + " but the 3D backbone gives " +
                    std::to_string(C) + " channels x " + std::to_string(Z) + " heights");
      st.dense = b.alloc({1, C * Z, x.shape[1], x.shape[2]});
      b.sparse_to_dense(x.features, index_tensor(b, x.coords, 4), st.dense);
      if (rec) rec("map_to_bev", st.dense);
    } else if (i == nb + 2) {
      st.dense = bev->forward(b, st.dense, rec);
      if (rec) rec("backbone_2d", st.dense);
    } else if (i == nb + 3 && center_head) {
      st.center_maps = center_head->forward(b, st.dense);
      if (rec)
        for (const auto& [name, t] : st.center_maps) rec("dense_head." + name, t);
    } else if (i == nb + 3) {
      st.maps = head->forward(b, st.dense);
      if (rec) {
        rec("dense_head.cls_preds", st.maps.cls);
        rec("dense_head.box_preds", st.maps.box);
        rec("dense_head.dir_cls_preds", st.maps.dir);
      }
    } else if (center_head) {
      std::map<std::string, nn::Tensor> host;
      for (const auto& [name, t] : st.center_maps) host[name] = b.to_host(t);
      auto fm = [&](const char* name) {
        auto it = host.find(name);
        if (it == host.end()) return FeatureMap{};
        const nn::Tensor& h = it->second;
        return FeatureMap{h.f32(), int(h.dim(1)), int(h.dim(2)), int(h.dim(3))};
      };
      const CenterHeadOutputs outs{fm("hm"),  fm("center"), fm("center_z"),
                                   fm("dim"), fm("rot"),    fm("iou")};
      const DecodedBoxes cand = decode_center_head(center_head->settings(), outs);
      st.boxes = center_head_post_process(center_head->settings(), cand).boxes;
    } else {
      auto fm = [](const nn::Tensor& h) {
        return FeatureMap{h.f32(), int(h.dim(1)), int(h.dim(2)), int(h.dim(3))};
      };
      const nn::Tensor hc = b.to_host(st.maps.cls), hb = b.to_host(st.maps.box),
                       hd = b.to_host(st.maps.dir);
      const DecodedBoxes all = decode_anchor_head(head->settings(), fm(hc), fm(hb), fm(hd),
                                                  head->settings().score_threshold);
      st.boxes = anchor_head_post_process(head->settings(), all).boxes;
    }
  }

  std::vector<Box3D> run_span(std::size_t from, std::size_t to, const PointCloud* cloud,
                              const std::map<std::string, nn::Tensor>& in,
                              const StageRecorder& user_rec) {
    check_weights_for(from, to);
    nn::Backend& b = *be;
    b.arena().reset();
    timings.clear();
    const auto n = names();
    // The recorder always sees host tensors: outputs on a device come over explicitly here.
    StageRecorder rec;
    if (user_rec)
      rec = [&](const std::string& name, const nn::Tensor& t) {
        user_rec(name, t.device() == nn::Device::Host ? t : b.to_host(t));
      };
    // Device work is asynchronous: each stage clock starts and stops on an idle device.
    b.synchronize();
    auto timed = [&](std::size_t i, auto&& stage) {
      const auto t0 = Clock::now();
      stage();
      b.synchronize();
      const std::string group = n[i].starts_with("backbone_3d.") ? "backbone_3d" : n[i];
      if (timings.empty() || timings.back().stage != group) timings.push_back({group, 0});
      timings.back().ms += ms_since(t0);
    };
    if (flat) {
      FlatFormerModel::State st =
          from == 0 ? FlatFormerModel::State{} : flat->load_state(b, from, in);
      for (std::size_t i = from; i <= to; ++i)
        timed(i, [&] { flat->run_stage(b, i, cloud, st, rec); });
      return st.boxes;
    }
    State st = from == 0 ? State{} : load_state(from, in);
    for (std::size_t i = from; i <= to; ++i) timed(i, [&] { run_stage(i, cloud, st, rec); });
    return st.boxes;
  }

  std::vector<Box3D> run(const PointCloud& cloud, const StageRecorder& rec) {
    return run_span(0, names().size() - 1, &cloud, {}, rec);
  }
};

Detector::Detector(const std::string& config_path, const std::string& weights_path,
                   DetectorOptions options)
    : Detector(load_model_config(config_path), weights_path, options) {}

Detector::Detector(const ModelConfig& config, const std::string& weights_path,
                   DetectorOptions options)
    : impl_(std::make_unique<Impl>(config, weights_path, options)) {}

Detector::~Detector() = default;
Detector::Detector(Detector&&) noexcept = default;
Detector& Detector::operator=(Detector&&) noexcept = default;

std::vector<Box3D> Detector::detect(const PointCloud& cloud) { return impl_->run(cloud, {}); }

std::vector<Box3D> Detector::detect(const PointCloud& cloud, const StageRecorder& recorder) {
  return impl_->run(cloud, recorder);
}

std::vector<std::vector<Box3D>> Detector::detect_batch(const std::vector<PointCloud>& clouds) {
  std::vector<std::vector<Box3D>> out;
  out.reserve(clouds.size());
  for (const auto& c : clouds) out.push_back(impl_->run(c, {}));
  return out;
}

std::vector<std::string> Detector::stage_names() const { return impl_->names(); }

std::vector<Box3D> Detector::run_stages(const std::string& from, const std::string& to,
                                        const PointCloud* cloud,
                                        const std::map<std::string, nn::Tensor>& inputs,
                                        const StageRecorder& recorder) {
  const std::size_t f = impl_->index_of(from, true), t = impl_->index_of(to, false);
  if (f > t) throw Error("stage '" + from + "' comes after '" + to + "'");
  return impl_->run_span(f, t, cloud, inputs, recorder);
}

const std::vector<StageTime>& Detector::last_timings() const { return impl_->timings; }
const std::vector<std::string>& Detector::class_names() const { return impl_->class_names; }
const std::string& Detector::backend_name() const { return impl_->backend_name; }

}  // namespace lidardet
