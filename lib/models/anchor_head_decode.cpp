#include "models/anchor_head_decode.hpp"

#include <cmath>
#include <numbers>

#include "core/error.hpp"

namespace lidardet {

namespace {
int anchors_per_cell(const AnchorHeadSettings& s) {
  int n = 0;
  for (const auto& c : s.classes) n += static_cast<int>(c.sizes.size() * c.rotations.size());
  return n;
}

double sigmoid(double v) { return 1.0 / (1.0 + std::exp(-v)); }

double limit_period(double v, double offset, double period) {
  return v - std::floor(v / period + offset) * period;
}
}  // namespace

std::vector<Box3D> generate_anchors(const AnchorHeadSettings& s, int height, int width) {
  const int a = anchors_per_cell(s);
  std::vector<Box3D> out;
  out.reserve(static_cast<std::size_t>(height) * width * a);
  const double xr = s.range[3] - s.range[0], yr = s.range[4] - s.range[1];
  // align_center False spreads centres over [min, max] inclusive; True puts them mid-cell.
  const double xs = s.align_center ? xr / width : xr / (width - 1);
  const double ys = s.align_center ? yr / height : yr / (height - 1);
  const double x0 = s.range[0] + (s.align_center ? xs / 2 : 0.0);
  const double y0 = s.range[1] + (s.align_center ? ys / 2 : 0.0);
  for (int h = 0; h < height; ++h)
    for (int w = 0; w < width; ++w)
      for (const auto& c : s.classes)
        for (const auto& size : c.sizes)
          for (double rot : c.rotations) {
            Box3D b;
            b.x = x0 + w * xs;
            b.y = y0 + h * ys;
            b.l = size[0];
            b.w = size[1];
            b.h = size[2];
            b.z = c.bottom_height + b.h / 2;
            b.yaw = rot;
            b.label = c.name;
            out.push_back(b);
          }
  return out;
}

DecodedBoxes decode_anchor_head(const AnchorHeadSettings& s, const FeatureMap& cls,
                                const FeatureMap& box, const FeatureMap& dir, double min_score) {
  const int a = anchors_per_cell(s);
  const int k = static_cast<int>(s.classes.size());
  const int bins = s.num_dir_bins;
  if (a == 0 || k == 0) throw Error("AnchorHead: the config defines no anchors");
  if (cls.channels != a * k || box.channels != a * 7 || (dir.data && dir.channels != a * bins))
    throw Error("AnchorHead: head outputs have " + std::to_string(cls.channels) + "/" +
                std::to_string(box.channels) + "/" + std::to_string(dir.channels) +
                " channels, the anchor config needs " + std::to_string(a * k) + "/" +
                std::to_string(a * 7) + "/" + std::to_string(a * bins));
  if (box.height != cls.height || box.width != cls.width)
    throw Error("AnchorHead: cls and box maps differ in size");
  // One row of anchors (the cell's A anchors at x = 0, y = 0) plus the cell spacing: the same
  // arithmetic as generate_anchors, without building a Box3D per anchor of the map.
  const auto cell = generate_anchors(s, 2, 2);  // the first A are the cell at (0, 0)
  const double xr = s.range[3] - s.range[0], yr = s.range[4] - s.range[1];
  const double xs = s.align_center ? xr / cls.width : xr / (cls.width - 1);
  const double ys = s.align_center ? yr / cls.height : yr / (cls.height - 1);
  const double x0 = s.range[0] + (s.align_center ? xs / 2 : 0.0);
  const double y0 = s.range[1] + (s.align_center ? ys / 2 : 0.0);
  const double period = 2.0 * std::numbers::pi / bins;
  DecodedBoxes out;
  for (int y = 0; y < cls.height; ++y)
    for (int x = 0; x < cls.width; ++x)
      for (int j = 0; j < a; ++j) {
        Box3D an = cell[j];
        an.x = x0 + x * xs;
        an.y = y0 + y * ys;
        int best = 0;
        float best_logit = cls.at(j * k, y, x);
        for (int c = 1; c < k; ++c)
          if (float v = cls.at(j * k + c, y, x); v > best_logit) best_logit = v, best = c;
        const auto score = static_cast<float>(sigmoid(best_logit));
        if (score < min_score) continue;
        double t[7];
        for (int i = 0; i < 7; ++i) t[i] = box.at(j * 7 + i, y, x);
        const double diag = std::sqrt(an.l * an.l + an.w * an.w);
        Box3D b;
        b.x = t[0] * diag + an.x;
        b.y = t[1] * diag + an.y;
        b.z = t[2] * an.h + an.z;
        b.l = std::exp(t[3]) * an.l;
        b.w = std::exp(t[4]) * an.w;
        b.h = std::exp(t[5]) * an.h;
        double r = t[6] + an.yaw;
        if (dir.data) {
          int bin = 0;
          float bl = dir.at(j * bins, y, x);
          for (int q = 1; q < bins; ++q)
            if (float v = dir.at(j * bins + q, y, x); v > bl) bl = v, bin = q;
          r = limit_period(r - s.dir_offset, s.dir_limit_offset, period) + s.dir_offset +
              period * bin;
        }
        b.yaw = r;
        b.label = s.classes[best].name;
        b.score = score;
        out.boxes.push_back(b);
        out.scores.push_back(b.score);
        out.labels.push_back(best);
      }
  return out;
}

DecodedBoxes anchor_head_post_process(const AnchorHeadSettings& s, const DecodedBoxes& all) {
  DecodedBoxes cand;
  for (std::size_t i = 0; i < all.boxes.size(); ++i)
    if (all.scores[i] >= s.score_threshold) {
      cand.boxes.push_back(all.boxes[i]);
      cand.scores.push_back(all.scores[i]);
      cand.labels.push_back(all.labels[i]);
    }
  DecodedBoxes out;
  for (int i : rotated_nms(cand.boxes, cand.scores, s.nms)) {
    out.boxes.push_back(cand.boxes[i]);
    out.scores.push_back(cand.scores[i]);
    out.labels.push_back(cand.labels[i]);
  }
  return out;
}

}  // namespace lidardet
