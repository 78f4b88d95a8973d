// lidardet::Detector: a whole 3D detector built from a model config (configs/*.yaml or an
// OpenPCDet YAML) and a weights file (safetensors or PyTorch .pth, official key names): LION
// (OpenPCDet keys) or FlatFormer (mmdet3d keys, MODEL.NAME FlatFormer).
//
//   lidardet::Detector det("configs/lion_mamba_kitti.yaml", "model.safetensors");
//   std::vector<lidardet::Box3D> boxes = det.detect(cloud);  // LiDAR frame, label, score
//
// Each instance owns its backend and scratch memory (no global state): separate instances may
// run concurrently on different threads; one instance is not re-entrant.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/box3d.hpp"
#include "core/point_cloud.hpp"
#include "models/model_config.hpp"
#include "models/sparse_voxels.hpp"

namespace lidardet {

// Cpu: OpenBLAS and loops on the host. Cuda: cuBLAS and kernels on the first CUDA device (needs
// a build with the CUDA backend, LIDARDET_CUDA=ON or AUTO with nvcc, and a device at run time).
enum class DetectorBackend { Cpu, Cuda };

// Whether `backend` can be constructed in this process; when not, `why` (if given) says why
// (not built, or no usable device). Constructing a Detector on it throws that reason.
bool detector_backend_available(DetectorBackend backend, std::string* why = nullptr);

struct DetectorOptions {
  DetectorBackend backend = DetectorBackend::Cpu;
  // When set, the Detector runs on the backend this returns instead of `backend` (tests use a
  // backend that emulates a device on host memory; an embedder may bring its own).
  std::function<std::unique_ptr<nn::Backend>()> backend_factory;
  bool corrected_nms = false;  // mmdet3d multi-class NMS: true box geometry instead of the quirk
  // Keys of the weights file no stage uses are an error unless this is set.
  bool allow_unexpected_keys = false;
  // The weights may lack keys: construction succeeds, and running a stage whose keys are
  // missing is an error naming them (trace over a span of stages with partial weights).
  bool allow_missing_keys = false;
};

struct StageTime {
  std::string stage;  // vfe, backbone_3d, map_to_bev, backbone_2d, dense_head, post_processing
  double ms = 0;
};

class Detector {
 public:
  Detector(const std::string& config_path, const std::string& weights_path,
           DetectorOptions options = {});
  Detector(const ModelConfig& config, const std::string& weights_path,
           DetectorOptions options = {});
  ~Detector();
  Detector(Detector&&) noexcept;
  Detector& operator=(Detector&&) noexcept;

  // Boxes of one cloud: channels as the config's used_feature_list (x, y, z, intensity...),
  // values as the config's data pipeline delivers them, i.e. with DATA_CONFIG.TANH_ON_FEATURES
  // already applied (lidardet::waymo::model_input_cloud does that for Waymo inputs).
  std::vector<Box3D> detect(const PointCloud& cloud);
  // The same with every stage's output handed to `recorder` (trace, parity tests).
  std::vector<Box3D> detect(const PointCloud& cloud, const StageRecorder& recorder);
  // One result per cloud; the clouds run one after another through the same scratch memory.
  std::vector<std::vector<Box3D>> detect_batch(const std::vector<PointCloud>& clouds);

  // Stage names in pipeline order: vfe, backbone_3d.<block>..., map_to_bev, backbone_2d,
  // dense_head, post_processing (docs/trace.md). LION blocks are linear_<i>, dow<i>,
  // linear_out; FlatFormer blocks are block_list.<i>.
  std::vector<std::string> stage_names() const;
  // Runs the stages from `from` to `to` (inclusive; "backbone_3d" stands for its first or last
  // block). Starting at vfe needs `cloud`; a later start reads its input from `inputs`, named
  // as the stage before records its output (e.g. vfe.voxel_features and vfe.voxel_coords).
  // Returns the boxes when post_processing ran, else nothing.
  std::vector<Box3D> run_stages(const std::string& from, const std::string& to,
                                const PointCloud* cloud,
                                const std::map<std::string, nn::Tensor>& inputs,
                                const StageRecorder& recorder);

  // Wall time of each stage of the last detect() call, in pipeline order.
  const std::vector<StageTime>& last_timings() const;
  const std::vector<std::string>& class_names() const;
  const std::string& backend_name() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace lidardet
