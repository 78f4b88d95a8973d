// lidardet trace: runs the model (or a span of its named stages) on one frame or on given stage
// inputs and writes every stage's output tensors by name to an .npz (docs/trace.md).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "cli_util.hpp"
#include "command.hpp"
#include "core/error.hpp"
#include "io/kitti_velodyne.hpp"
#include "models/default_model.hpp"
#include "models/detector.hpp"
#include "models/npz.hpp"
#ifdef LIDARDET_HAVE_ADAPTERS
#include "adapters/point_file.hpp"
#endif

namespace {
using namespace lidardet;

// A host copy that outlives the frame's scratch memory.
nn::Tensor host_copy(const nn::Tensor& t) {
  nn::Tensor h = nn::Tensor::empty(t.shape(), t.dtype());
  std::memcpy(h.raw(), t.raw(), t.numel() * nn::dtype_size(t.dtype()));
  return h;
}

struct Opts {
  std::string config, weights, input, stage_input, from = "vfe", to = "post_processing", out;
};

void run(const Opts& o) {
  if (o.input.empty() == o.stage_input.empty())
    throw Error("give exactly one of --input FRAME and --stage-input FILE.npz");
  const ModelFiles files = resolve_model_files(o.config, o.weights, cli::model_roots());
  // The weights may hold only the keys of the stages that run; the span refuses to start
  // when one of its stages lacks a key.
  DetectorOptions dopt;
  dopt.allow_missing_keys = true;
  Detector det(files.config, files.weights, dopt);
  PointCloud cloud;
  std::map<std::string, nn::Tensor> inputs;
  if (!o.input.empty()) {
#ifdef LIDARDET_HAVE_ADAPTERS
    cloud = read_points(o.input);
#else
    cloud = read_velodyne_bin(o.input);
#endif
  } else {
    inputs = read_npz(o.stage_input);
  }
  std::vector<std::pair<std::string, nn::Tensor>> recorded;
  const auto boxes = det.run_stages(o.from, o.to, o.input.empty() ? nullptr : &cloud, inputs,
                                    [&](const std::string& name, const nn::Tensor& t) {
                                      recorded.emplace_back(name, host_copy(t));
                                    });
  const auto names = det.stage_names();
  if (o.to == "post_processing") {
    const int64_t n = static_cast<int64_t>(boxes.size());
    nn::Tensor b = nn::Tensor::empty({n, 7}), s = nn::Tensor::empty({n}),
               l = nn::Tensor::empty({n}, nn::DType::I32);
    for (int64_t i = 0; i < n; ++i) {
      const Box3D& x = boxes[i];
      const double v[7] = {x.x, x.y, x.z, x.l, x.w, x.h, x.yaw};
      for (int k = 0; k < 7; ++k) b.f32()[i * 7 + k] = float(v[k]);
      s.f32()[i] = x.score;
      const auto& cn = det.class_names();
      l.i32()[i] = int32_t(std::find(cn.begin(), cn.end(), x.label) - cn.begin()) + 1;
    }
    recorded.emplace_back("post_processing.boxes", b);
    recorded.emplace_back("post_processing.scores", s);
    recorded.emplace_back("post_processing.labels", l);
  }
  write_npz(o.out, recorded);
  std::printf("%zu tensors written to %s\n", recorded.size(), o.out.c_str());
  for (const auto& [name, t] : recorded)
    std::printf("  %-40s %s\n", name.c_str(), nn::shape_string(t.shape()).c_str());
}

void setup(CLI::App& sub) {
  auto o = std::make_shared<Opts>();
  sub.add_option("--config", o->config, "Model config (default: the shipped model)");
  sub.add_option("--weights", o->weights, "Weights (.safetensors or .pth)");
  sub.add_option("--input", o->input, "A point file (.bin/.pcd/.ply)");
  sub.add_option("--stage-input", o->stage_input, ".npz with the input tensors of --from");
  sub.add_option("--from", o->from, "First stage (default vfe)");
  sub.add_option("--to", o->to, "Last stage (default post_processing)");
  sub.add_option("--out", o->out, "Output .npz")->required();
  sub.callback([o] { run(*o); });
}
}  // namespace

LIDARDET_COMMAND(trace, "Write every stage's output tensors of a model run to .npz", setup);
