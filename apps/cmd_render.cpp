// `lidardet render`: a bird's-eye-view PNG of a KITTI frame with ground truth (green) and
// detections (red), each box with its heading marked.
#include <memory>
#include <string>

#include "command.hpp"
#include "core/error.hpp"
#include "io/kitti_box.hpp"
#include "io/kitti_calib.hpp"
#include "io/kitti_label.hpp"
#include "io/kitti_velodyne.hpp"
#include "render_bev.hpp"
#include "sim/png_writer.hpp"

namespace {

struct Options {
  std::string input, labels, calib, pred, out;
  double range = 50, resolution = 0.1;
};

void draw_labels(lidardet::cli::BevCanvas& canvas, const std::string& path,
                 const lidardet::KittiCalib& calib, lidardet::cli::Rgb colour) {
  for (const auto& o : lidardet::read_kitti_labels(path))
    if (o.type != "DontCare") canvas.draw_box(lidardet::kitti_to_box(o, calib), colour);
}

void run(const Options& o) {
  using namespace lidardet;
  if ((!o.labels.empty() || !o.pred.empty()) && o.calib.empty())
    throw Error("render: --labels and --pred need --calib (labels are in the camera frame)");
  cli::BevCanvas canvas(o.range, o.resolution);
  canvas.draw_grid(10.0);
  canvas.draw_points(read_velodyne_bin(o.input));
  if (!o.calib.empty()) {
    const KittiCalib calib = read_kitti_calib(o.calib);
    if (!o.labels.empty()) draw_labels(canvas, o.labels, calib, {40, 220, 60});
    if (!o.pred.empty()) draw_labels(canvas, o.pred, calib, {235, 40, 40});
  }
  sim::write_png_rgb(o.out, canvas.width(), canvas.height(), canvas.rgb());
}

void setup(CLI::App& sub) {
  auto o = std::make_shared<Options>();
  sub.add_option("--input", o->input, "velodyne .bin (x y z intensity)")->required();
  sub.add_option("--labels", o->labels, "Ground-truth label_2 file (drawn green)");
  sub.add_option("--calib", o->calib, "calib file for --labels / --pred");
  sub.add_option("--pred", o->pred, "Detections in label_2 format (drawn red)");
  sub.add_option("--out", o->out, "Output PNG")->required();
  sub.add_option("--range", o->range, "Half width of the view, metres")->capture_default_str();
  sub.add_option("--resolution", o->resolution, "Metres per pixel")->capture_default_str();
  sub.callback([o] { run(*o); });
}

}  // namespace

LIDARDET_COMMAND(render, "Draw a bird's-eye view of a frame with its boxes as a PNG", setup);
