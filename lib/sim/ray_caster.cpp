#include "sim/ray_caster.hpp"

#include <algorithm>
#include <cmath>

namespace lidardet::sim {

namespace {
constexpr double kElevationPad = 1e-4;  // radians; keeps float-rounded bounds conservative

double radius_xy(const Primitive& p) {
  return p.shape == Shape::Box ? std::sqrt(p.hx * p.hx + p.hy * p.hy) : p.hx;
}

RayCaster::Extent circle_extent(const double o[3], double cx, double cy, double r, double zlo,
                                double zhi) {
  RayCaster::Extent e;
  const double dx = cx - o[0], dy = cy - o[1];
  const double d = std::sqrt(dx * dx + dy * dy);
  if (d <= r + 1e-6) {
    e.all_around = true;
    e.el_lo = -M_PI / 2;
    e.el_hi = M_PI / 2;
    return e;
  }
  e.az_center = std::atan2(dy, dx);
  e.az_half = std::asin(r / d) + 1e-6;
  const double dmin = d - r, dmax = d + r;
  e.el_hi = std::atan2(zhi - o[2], zhi > o[2] ? dmin : dmax) + kElevationPad;
  e.el_lo = std::atan2(zlo - o[2], zlo < o[2] ? dmin : dmax) - kElevationPad;
  return e;
}
}  // namespace

RayCaster::Extent RayCaster::extent_of(const Primitive& p) const {
  return circle_extent(o_, p.cx, p.cy, radius_xy(p), p.cz - p.hz, p.cz + p.hz);
}

RayCaster::RayCaster(const Scene& scene, double ox, double oy, double oz, double max_range,
                     int sectors)
    : scene_(scene), o_{ox, oy, oz}, max_range_(max_range), sectors_(sectors) {
  object_primitives_.resize(scene.objects.size());
  const double scale = sectors_ / (2 * M_PI);
  auto sector_range = [&](const Extent& e, long& s0, long& s1) {
    if (e.all_around || e.az_half * 2 >= 2 * M_PI) {
      s0 = 0;
      s1 = sectors_ - 1;
      return;
    }
    s0 = static_cast<long>(std::floor((e.az_center - e.az_half + M_PI) * scale));
    s1 = static_cast<long>(std::floor((e.az_center + e.az_half + M_PI) * scale));
    if (s1 - s0 >= sectors_) {
      s0 = 0;
      s1 = sectors_ - 1;
    }
  };
  auto wrap = [&](long s) { return static_cast<int>(((s % sectors_) + sectors_) % sectors_); };
  // Two passes (count, fill) into one CSR array.
  std::vector<std::uint32_t> counts(sectors_ + 1, 0);
  std::vector<Extent> extents(scene.primitives.size());
  for (std::size_t i = 0; i < scene.primitives.size(); ++i) {
    const Primitive& p = scene.primitives[i];
    if (p.object >= 0 && p.object < static_cast<int>(object_primitives_.size()))
      object_primitives_[p.object].push_back(static_cast<int>(i));
    extents[i] = extent_of(p);
    long s0, s1;
    sector_range(extents[i], s0, s1);
    for (long s = s0; s <= s1; ++s) ++counts[wrap(s) + 1];
  }
  for (int s = 0; s < sectors_; ++s) counts[s + 1] += counts[s];
  offsets_ = counts;
  entries_.resize(offsets_.back());
  std::vector<std::uint32_t> fill(offsets_.begin(), offsets_.end() - 1);
  for (std::size_t i = 0; i < scene.primitives.size(); ++i) {
    const Primitive& p = scene.primitives[i];
    const Extent& e = extents[i];
    const double dx = p.cx - o_[0], dy = p.cy - o_[1];
    const double dmin = std::max(0.0, std::sqrt(dx * dx + dy * dy) - radius_xy(p));
    long s0, s1;
    sector_range(e, s0, s1);
    for (long s = s0; s <= s1; ++s)
      entries_[fill[wrap(s)]++] = {static_cast<float>(std::max(0.0, dmin - 1e-3)),
                                   static_cast<float>(e.el_lo), static_cast<float>(e.el_hi),
                                   static_cast<int>(i)};
  }
  // Nearest first; ties broken by primitive index so the order never depends on the sort.
  for (int s = 0; s < sectors_; ++s)
    std::sort(entries_.begin() + offsets_[s], entries_.begin() + offsets_[s + 1],
              [](const Entry& a, const Entry& b) {
                return a.dmin != b.dmin ? a.dmin < b.dmin : a.primitive < b.primitive;
              });
}

bool RayCaster::intersect(const Primitive& p, const double d[3], double t_max, Hit& hit) const {
  const double px = o_[0] - p.cx, py = o_[1] - p.cy, pz = o_[2] - p.cz;
  if (p.shape == Shape::Box) {
    const double c = std::cos(p.yaw), s = std::sin(p.yaw);
    const double lo[3] = {c * px + s * py, -s * px + c * py, pz};
    const double ld[3] = {c * d[0] + s * d[1], -s * d[0] + c * d[1], d[2]};
    const double half[3] = {p.hx, p.hy, p.hz};
    double t_near = -1e300, t_far = 1e300;
    int axis = -1;
    for (int a = 0; a < 3; ++a) {
      if (std::abs(ld[a]) < 1e-12) {
        if (std::abs(lo[a]) > half[a]) return false;
        continue;
      }
      double t1 = (-half[a] - lo[a]) / ld[a], t2 = (half[a] - lo[a]) / ld[a];
      if (t1 > t2) std::swap(t1, t2);
      if (t1 > t_near) {
        t_near = t1;
        axis = a;
      }
      t_far = std::min(t_far, t2);
      if (t_near > t_far) return false;
    }
    if (axis < 0 || t_near <= 0 || t_near >= t_max) return false;  // behind, inside or too far
    double ln[3] = {0, 0, 0};
    ln[axis] = ld[axis] > 0 ? -1 : 1;
    hit.t = t_near;
    hit.nx = c * ln[0] - s * ln[1];
    hit.ny = s * ln[0] + c * ln[1];
    hit.nz = ln[2];
    return true;
  }
  if (p.shape == Shape::Cylinder) {
    bool found = false;
    double best = t_max;
    const double a = d[0] * d[0] + d[1] * d[1];
    if (a > 1e-12) {
      const double b = 2 * (px * d[0] + py * d[1]);
      const double cc = px * px + py * py - p.hx * p.hx;
      const double disc = b * b - 4 * a * cc;
      if (disc >= 0) {
        const double t = (-b - std::sqrt(disc)) / (2 * a);
        const double z = pz + t * d[2];
        if (t > 0 && t < best && std::abs(z) <= p.hz) {
          best = t;
          found = true;
          hit.nx = (px + t * d[0]) / p.hx;
          hit.ny = (py + t * d[1]) / p.hx;
          hit.nz = 0;
        }
      }
    }
    if (std::abs(d[2]) > 1e-12) {
      for (double cap : {p.hz, -p.hz}) {
        const double t = (cap - pz) / d[2];
        const double x = px + t * d[0], y = py + t * d[1];
        if (t > 0 && t < best && x * x + y * y <= p.hx * p.hx) {
          best = t;
          found = true;
          hit.nx = hit.ny = 0;
          hit.nz = cap > 0 ? 1 : -1;
        }
      }
    }
    if (found) hit.t = best;
    return found;
  }
  // Sphere.
  const double b = px * d[0] + py * d[1] + pz * d[2];
  const double cc = px * px + py * py + pz * pz - p.hx * p.hx;
  const double disc = b * b - cc;
  if (disc < 0) return false;
  const double t = -b - std::sqrt(disc);
  if (t <= 0 || t >= t_max) return false;
  hit.t = t;
  hit.nx = (px + t * d[0]) / p.hx;
  hit.ny = (py + t * d[1]) / p.hx;
  hit.nz = (pz + t * d[2]) / p.hx;
  return true;
}

bool RayCaster::intersect_ground(const double d[3], Hit& hit) const {
  const Ground& g = scene_.ground;
  const double denom = d[2] - g.slope_x * d[0] - g.slope_y * d[1];
  if (denom >= -1e-9) return false;  // parallel to or rising above the ground
  const double base = g.slope_x * o_[0] + g.slope_y * o_[1] - o_[2];
  double t = base / denom;
  if (t <= 0) return false;
  // One refinement step onto the bumpy surface (bumps are centimetres, slopes gentle).
  const double bump = g.height(o_[0] + t * d[0], o_[1] + t * d[1]) -
                      g.smooth_height(o_[0] + t * d[0], o_[1] + t * d[1]);
  t = (base + bump) / denom;
  if (t <= 0) return false;
  const double n = std::sqrt(g.slope_x * g.slope_x + g.slope_y * g.slope_y + 1);
  hit.t = t;
  hit.primitive = kGround;
  hit.nx = -g.slope_x / n;
  hit.ny = -g.slope_y / n;
  hit.nz = 1 / n;
  return true;
}

bool RayCaster::cast(double azimuth, double elevation, Hit& hit) const {
  const double ce = std::cos(elevation);
  const double d[3] = {ce * std::cos(azimuth), ce * std::sin(azimuth), std::sin(elevation)};
  Hit best;
  best.t = max_range_;
  bool found = false;
  Hit h;
  if (intersect_ground(d, h) && h.t < best.t) {
    best = h;
    found = true;
  }
  long s = static_cast<long>(std::floor((azimuth + M_PI) * (sectors_ / (2 * M_PI))));
  s = ((s % sectors_) + sectors_) % sectors_;
  const float el = static_cast<float>(elevation);
  for (std::uint32_t k = offsets_[s]; k < offsets_[s + 1]; ++k) {
    const Entry& e = entries_[k];
    if (e.dmin >= best.t) break;
    if (el < e.el_lo || el > e.el_hi) continue;
    if (intersect(scene_.primitives[e.primitive], d, best.t, h)) {
      h.primitive = e.primitive;
      best = h;
      found = true;
    }
  }
  if (found) hit = best;
  return found;
}

bool RayCaster::cast_object(int object, double azimuth, double elevation, Hit& hit) const {
  const double ce = std::cos(elevation);
  const double d[3] = {ce * std::cos(azimuth), ce * std::sin(azimuth), std::sin(elevation)};
  bool found = false;
  double best = max_range_;
  Hit h;
  for (int i : object_primitives_[object])
    if (intersect(scene_.primitives[i], d, best, h)) {
      h.primitive = i;
      hit = h;
      best = h.t;
      found = true;
    }
  return found;
}

RayCaster::Extent RayCaster::object_extent(int object) const {
  const Box3D& b = scene_.objects[object].box;
  double r = 0, zlo = 1e300, zhi = -1e300;
  for (int i : object_primitives_[object]) {
    const Primitive& p = scene_.primitives[i];
    r = std::max(r, std::hypot(p.cx - b.x, p.cy - b.y) + radius_xy(p));
    zlo = std::min(zlo, p.cz - p.hz);
    zhi = std::max(zhi, p.cz + p.hz);
  }
  if (object_primitives_[object].empty()) return {};
  return circle_extent(o_, b.x, b.y, r, zlo, zhi);
}

}  // namespace lidardet::sim
