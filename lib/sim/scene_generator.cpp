#include "sim/scene_generator.hpp"

#include <algorithm>
#include <cmath>

#include "core/geometry.hpp"
#include "sim/rng.hpp"

namespace lidardet::sim {

namespace {

double deg(double d) { return d * M_PI / 180.0; }

// Scene elements are laid out in road coordinates (u along the road, v to its left, road
// centre at v = 0) and converted to the vehicle frame as they are added.
class Builder {
 public:
  Builder(const SceneConfig& cfg, const SceneTypeConfig& type, Rng& rng)
      : cfg_(cfg), t_(type), rng_(rng) {}

  Scene build();
  Scene isolated(const std::string& cls, double x, double y, double yaw);

 private:
  double U(const Interval& i) { return rng_.uniform(i.lo, i.hi); }
  void to_vehicle(double u, double v, double& x, double& y) const {
    const double dv = v - v_ego_;
    x = cos_ * u - sin_ * dv;
    y = sin_ * u + cos_ * dv;
  }
  double ground_at(double u, double v) const {
    double x, y;
    to_vehicle(u, v, x, y);
    return scene_.ground.smooth_height(x, y);
  }
  bool in_cross_gap(double u0, double u1) const {
    return has_cross_ && u1 > cross_u_ - cross_half_ && u0 < cross_u_ + cross_half_;
  }
  // Primitive helpers; z0/z1 are absolute (vehicle-frame) heights.
  void box(double u, double v, double z0, double z1, double l, double w, double yaw, float albedo,
           int object = -1) {
    Primitive p;
    p.shape = Shape::Box;
    to_vehicle(u, v, p.cx, p.cy);
    p.cz = (z0 + z1) / 2;
    p.hx = l / 2;
    p.hy = w / 2;
    p.hz = (z1 - z0) / 2;
    p.yaw = yaw + road_yaw_;
    p.albedo = albedo;
    p.object = object;
    scene_.primitives.push_back(p);
  }
  void cylinder(double u, double v, double z0, double z1, double r, float albedo, int object = -1) {
    Primitive p;
    p.shape = Shape::Cylinder;
    to_vehicle(u, v, p.cx, p.cy);
    p.cz = (z0 + z1) / 2;
    p.hx = p.hy = r;
    p.hz = (z1 - z0) / 2;
    p.albedo = albedo;
    p.object = object;
    scene_.primitives.push_back(p);
  }
  void sphere(double u, double v, double zc, double r, float albedo, int object = -1) {
    Primitive p;
    p.shape = Shape::Sphere;
    to_vehicle(u, v, p.cx, p.cy);
    p.cz = zc;
    p.hx = p.hy = p.hz = r;
    p.albedo = albedo;
    p.object = object;
    scene_.primitives.push_back(p);
  }
  // An object's ground footprint in road coordinates (only x, y, l, w, yaw are used).
  static Box3D footprint(double u, double v, double l, double w, double yaw) {
    Box3D b;
    b.x = u;
    b.y = v;
    b.l = l;
    b.w = w;
    b.yaw = yaw;
    return b;
  }
  // Whether the footprint, grown by `margin` on every side, overlaps no placed object.
  bool free(double u, double v, double l, double w, double yaw, double margin) const {
    const Box3D f = footprint(u, v, l + 2 * margin, w + 2 * margin, yaw);
    for (const auto& o : occupied_)
      if (bev_intersection_area(f, o) > 0) return false;
    return true;
  }
  void occupy(double u, double v, double l, double w, double yaw) {
    occupied_.push_back(footprint(u, v, l, w, yaw));
  }
  void size_of(const std::string& cls, double& l, double& w, double& h) {
    const ClassShape& s = cfg_.shape(cls);
    if (mean_sizes_) {
      l = s.mean[0];
      w = s.mean[1];
      h = s.mean[2];
      return;
    }
    l = rng_.clamped_normal(s.mean[0], s.stddev[0]);
    w = rng_.clamped_normal(s.mean[1], s.stddev[1]);
    h = rng_.clamped_normal(s.mean[2], s.stddev[2]);
  }
  std::string vehicle_class() {
    const double r = rng_.uniform();
    if (r < t_.truck_fraction) return "Truck";
    if (r < t_.truck_fraction + t_.van_fraction) return "Van";
    return "Car";
  }

  void layout_road();
  void add_sidewalks();
  void add_buildings(int side);
  void add_street_furniture(int side);
  void add_parked(int side);
  void add_moving();
  void add_pedestrians();
  void add_cyclists();
  // Places a labelled object if its footprint is free; returns false otherwise.
  bool try_vehicle(const std::string& cls, double u, double v, double yaw, bool moving,
                   double margin);
  bool try_person(const std::string& cls, double u, double v, double yaw, double base_rel,
                  bool moving);
  int new_object(const std::string& cls, double u, double v, double base, double yaw, double l,
                 double w, double h, bool moving);
  double local_u(double u, double yaw, double du, double dv) const {
    return u + du * std::cos(yaw) - dv * std::sin(yaw);
  }
  double local_v(double v, double yaw, double du, double dv) const {
    return v + du * std::sin(yaw) + dv * std::cos(yaw);
  }

  const SceneConfig& cfg_;
  const SceneTypeConfig& t_;
  Rng& rng_;
  Scene scene_;
  std::vector<Box3D> occupied_;
  double road_yaw_ = 0, cos_ = 1, sin_ = 0, v_ego_ = 0;
  double hw_ = 0, sw_ = 0, kerb_ = 0, travel_hw_ = 0, lane_w_ = 0;
  int lanes_ = 1;
  bool parking_ = false;
  bool mean_sizes_ = false;
  bool has_cross_ = false;
  double cross_u_ = 0, cross_half_ = 0, cross_road_half_ = 0;
};

void Builder::layout_road() {
  hw_ = U(t_.road_half_width);
  sw_ = U(t_.sidewalk_width);
  kerb_ = U(t_.kerb_height);
  parking_ = hw_ >= t_.lane_width + t_.parking_lane_width;
  travel_hw_ = parking_ ? hw_ - t_.parking_lane_width : hw_;
  lanes_ = std::max(1, static_cast<int>(travel_hw_ / t_.lane_width));
  lane_w_ = travel_hw_ / lanes_;
  // Right-hand traffic: the ego drives along +u in one of the lanes with v < 0.
  v_ego_ = -(rng_.uniform_int(0, lanes_ - 1) + 0.5) * lane_w_;
  road_yaw_ = deg(rng_.uniform(-t_.max_road_yaw_deg, t_.max_road_yaw_deg));
  cos_ = std::cos(road_yaw_);
  sin_ = std::sin(road_yaw_);
  const double along = std::tan(deg(rng_.uniform(-t_.max_slope_deg, t_.max_slope_deg)));
  const double across = std::tan(deg(rng_.uniform(-0.3, 0.3) * t_.max_slope_deg));
  scene_.ground.slope_x = cos_ * along - sin_ * across;
  scene_.ground.slope_y = sin_ * along + cos_ * across;
  scene_.ground.roughness = cfg_.ground_roughness;
  scene_.ground.albedo = static_cast<float>(cfg_.ground_albedo);
  scene_.ground.texture_seed = rng_.bits();
  has_cross_ = rng_.bernoulli(t_.cross_street_probability);
  if (has_cross_) {
    cross_road_half_ = U(t_.road_half_width);
    cross_u_ = rng_.uniform(15.0, 75.0) * (rng_.bernoulli(0.8) ? 1 : -1);
    cross_half_ = cross_road_half_ + sw_;
  }
  occupy(1.0, v_ego_, 5.0, 2.0, 0.0);  // the ego vehicle itself
}

void Builder::add_sidewalks() {
  const double step = 5.0;
  for (int side : {-1, 1})
    for (double u = cfg_.road_begin; u < cfg_.road_end; u += step) {
      if (in_cross_gap(u, u + step)) continue;
      const double v = side * (hw_ + sw_ / 2);
      const double g = ground_at(u + step / 2, v);
      box(u + step / 2, v, g - 0.3, g + kerb_, step, sw_, 0.0, 0.25f);
    }
}

void Builder::add_buildings(int side) {
  double u = cfg_.road_begin;
  while (u < cfg_.road_end) {
    double len = U(t_.building_length);
    if (in_cross_gap(u, u + len)) {
      u = cross_u_ + cross_half_ + rng_.uniform(0.5, 3.0);
      continue;
    }
    const double setback = U(t_.building_setback);
    if (rng_.bernoulli(t_.building_fill)) {
      const double depth = U(t_.building_depth), height = U(t_.building_height);
      const double v = side * (hw_ + sw_ + setback + depth / 2);
      const double g = ground_at(u + len / 2, v);
      box(u + len / 2, v, g - 1.0, g + height, len, depth, 0.0,
          static_cast<float>(rng_.uniform(0.15, 0.5)));
    } else if (rng_.bernoulli(t_.wall_probability)) {
      const double v = side * (hw_ + sw_ + rng_.uniform(0.2, 1.0));
      const double g = ground_at(u + len / 2, v);
      box(u + len / 2, v, g - 0.3, g + rng_.uniform(0.8, 2.2), len, rng_.uniform(0.15, 0.35), 0.0,
          static_cast<float>(rng_.uniform(0.2, 0.45)));
    }
    u += len + rng_.uniform(0.0, 4.0);
  }
}

void Builder::add_street_furniture(int side) {
  // Poles (lamps, signs) at the kerb.
  for (double u = cfg_.road_begin + rng_.uniform(0, t_.pole_spacing); u < cfg_.road_end;
       u += t_.pole_spacing * rng_.uniform(0.7, 1.3)) {
    if (t_.pole_spacing <= 0) break;
    if (in_cross_gap(u - 1, u + 1)) continue;
    const double v = side * (hw_ + 0.4);
    const double g = ground_at(u, v);
    const double r = rng_.uniform(0.07, 0.15);
    cylinder(u, v, g - 0.3, g + kerb_ + rng_.uniform(3.5, 8.0), r, 0.3f);
    if (rng_.bernoulli(0.3))  // a retro-reflective sign facing the traffic
      box(u, v, g + 2.0, g + 2.7, 0.05, 0.65, 0.0, 0.9f);
    occupy(u, v, 2 * r, 2 * r, 0.0);
  }
  // Trees: trunk and a round crown; on the sidewalk in town, in front yards in the suburbs.
  for (double u = cfg_.road_begin + rng_.uniform(0, t_.tree_spacing); u < cfg_.road_end;
       u += t_.tree_spacing * rng_.uniform(0.6, 1.4)) {
    if (t_.tree_spacing <= 0) break;
    if (in_cross_gap(u - 2, u + 2)) continue;
    const double v =
        side * (t_.building_setback.lo > 2.0 ? hw_ + sw_ + rng_.uniform(1.0, t_.building_setback.lo)
                                             : hw_ + sw_ - 0.7);
    const double g = ground_at(u, v);
    const double trunk_r = rng_.uniform(0.12, 0.3), trunk_h = rng_.uniform(1.8, 3.5);
    const double crown_r = rng_.uniform(1.2, 2.8);
    cylinder(u, v, g - 0.3, g + trunk_h + crown_r * 0.5, trunk_r, 0.3f);
    sphere(u, v, g + trunk_h + crown_r * 0.7, crown_r, static_cast<float>(rng_.uniform(0.3, 0.5)));
    occupy(u, v, 2 * trunk_r, 2 * trunk_r, 0.0);
  }
  // Bushes beyond the sidewalk.
  const int bushes = rng_.poisson(t_.bush_density * (cfg_.road_end - cfg_.road_begin) / 100.0);
  for (int i = 0; i < bushes; ++i) {
    const double u = rng_.uniform(cfg_.road_begin, cfg_.road_end);
    const double r = rng_.uniform(0.4, 1.1);
    const double v = side * (hw_ + sw_ + r + rng_.uniform(0.1, 2.5));
    if (in_cross_gap(u - r, u + r)) continue;
    sphere(u, v, ground_at(u, v) + r * 0.6, r, static_cast<float>(rng_.uniform(0.3, 0.5)));
  }
}

int Builder::new_object(const std::string& cls, double u, double v, double base, double yaw,
                        double l, double w, double h, bool moving) {
  SceneObject o;
  o.kitti_class = cls;
  o.waymo_class = cfg_.shape(cls).waymo_class;
  to_vehicle(u, v, o.box.x, o.box.y);
  o.box.z = base + h / 2;
  o.box.l = l;
  o.box.w = w;
  o.box.h = h;
  o.box.yaw = wrap_angle(yaw + road_yaw_);
  o.box.label = cls;
  o.moving = moving;
  scene_.objects.push_back(o);
  occupy(u, v, l, w, yaw);
  return static_cast<int>(scene_.objects.size()) - 1;
}

bool Builder::try_vehicle(const std::string& cls, double u, double v, double yaw, bool moving,
                          double margin) {
  double l, w, h;
  size_of(cls, l, w, h);
  if (!free(u, v, l, w, yaw, margin)) return false;
  const double g = ground_at(u, v);
  const int id = new_object(cls, u, v, g, yaw, l, w, h, moving);
  const float paint = static_cast<float>(rng_.uniform(0.05, 0.6));
  const float glass = 0.1f, tyre = 0.05f;
  // The surface sits a few centimetres inside the label box, as annotated boxes enclose the
  // object with a margin; otherwise range noise would push half the face returns outside.
  const double m = 0.06;
  auto part = [&](double du, double z0, double z1, double pl, double pw, float albedo) {
    box(local_u(u, yaw, du, 0), local_v(v, yaw, du, 0), g + z0, g + z1, pl, pw, yaw, albedo, id);
  };
  const double clearance = cls == "Truck" ? 0.45 : 0.2;
  // Wheels fill the gap under the body at the four corners.
  const double wheel_d = cls == "Truck" ? 1.0 : 0.65;
  for (double fu : {0.33, -0.33})
    for (double fv : {1.0, -1.0}) {
      const double du = fu * l, dv = fv * (w / 2 - m - 0.12);
      box(local_u(u, yaw, du, dv), local_v(v, yaw, du, dv), g, g + wheel_d, wheel_d, 0.24, yaw,
          tyre, id);
    }
  const double bl = l - 2 * m, bw = w - 2 * m, top = h - m;
  if (cls == "Car") {
    part(0.0, clearance, 0.58 * h, bl, bw, paint);
    part(-0.06 * l, 0.58 * h, top, 0.6 * l, 0.9 * bw, glass);
  } else if (cls == "Van") {
    part(0.0, clearance, 0.45 * h, bl, bw, paint);
    part(-0.07 * l, 0.45 * h, top, 0.84 * l, 0.96 * bw, paint);
  } else {  // Truck: cab in front, cargo box behind
    part(0.39 * l - m, clearance, 0.85 * h, 0.22 * l, bw, paint);
    part(-0.11 * l, clearance + 0.2, top, 0.78 * l - m, bw,
         static_cast<float>(rng_.uniform(0.2, 0.6)));
  }
  return true;
}

bool Builder::try_person(const std::string& cls, double u, double v, double yaw, double base_rel,
                         bool moving) {
  double l, w, h;
  size_of(cls, l, w, h);
  if (!free(u, v, l, w, yaw, 0.2)) return false;
  const double g = ground_at(u, v) + base_rel;
  const int id = new_object(cls, u, v, g, yaw, l, w, h, moving);
  const float cloth = static_cast<float>(rng_.uniform(0.08, 0.5));
  const double head_r = 0.11;
  if (cls == "Pedestrian") {
    box(u, v, g, g + 0.47 * h, 0.5 * l, 0.6 * w, yaw, cloth, id);  // legs, mid-stride
    cylinder(u, v, g + 0.47 * h, g + 0.84 * h, std::min({0.22, 0.35 * w, 0.45 * l}), cloth, id);
    sphere(u, v, g + h - head_r, head_r, 0.3f, id);
  } else {  // Cyclist: bicycle frame and wheels as a thin slab, rider above
    box(u, v, g + 0.05, g + 0.55 * h, 0.95 * l, 0.1, yaw, 0.2f, id);
    const double ru = local_u(u, yaw, -0.12 * l, 0), rv = local_v(v, yaw, -0.12 * l, 0);
    box(ru, rv, g + 0.3 * h, g + 0.55 * h, 0.35, 0.6 * w, yaw, cloth, id);
    cylinder(ru, rv, g + 0.55 * h, g + 0.86 * h, std::min(0.18, 0.45 * w), cloth, id);
    sphere(local_u(u, yaw, 0.05 * l, 0), local_v(v, yaw, 0.05 * l, 0), g + h - head_r, head_r, 0.3f,
           id);
  }
  return true;
}

void Builder::add_parked(int side) {
  if (!parking_ || t_.parked_per_100m <= 0) return;
  const double mean_gap = std::max(1.0, 100.0 / t_.parked_per_100m - 4.0);
  double u = cfg_.road_begin + rng_.uniform(0, mean_gap);
  while (u < cfg_.road_end) {
    const std::string cls = vehicle_class();
    const double v = side * (hw_ - t_.parking_lane_width / 2) + rng_.normal(0, 0.1);
    const double yaw = (side < 0 ? 0.0 : M_PI) + deg(rng_.normal(0, 1.5));
    if (!in_cross_gap(u - 6, u + 6)) try_vehicle(cls, u, v, yaw, false, 0.3);
    u += 5.0 + rng_.uniform(0.5, 2 * mean_gap);
  }
}

void Builder::add_moving() {
  const int n = rng_.poisson(t_.moving_vehicles);
  for (int i = 0; i < n; ++i)
    for (int attempt = 0; attempt < 10; ++attempt) {
      const int dir = rng_.bernoulli(0.5) ? 1 : -1;
      const int lane = rng_.uniform_int(0, lanes_ - 1);
      const double v = -dir * (lane + 0.5) * lane_w_ + rng_.normal(0, 0.2);
      const double u = rng_.uniform(cfg_.road_begin + 5, cfg_.road_end - 5);
      const double yaw = (dir > 0 ? 0.0 : M_PI) + deg(rng_.normal(0, 2.0));
      if (try_vehicle(vehicle_class(), u, v, yaw, true, 1.5)) break;
    }
  if (!has_cross_) return;
  const int cross = rng_.poisson(1.0);
  for (int i = 0; i < cross; ++i) {
    const int dir = rng_.bernoulli(0.5) ? 1 : -1;
    const double u = cross_u_ - dir * rng_.uniform(0.3, 0.7) * cross_road_half_;
    const double v = (rng_.bernoulli(0.5) ? 1 : -1) * rng_.uniform(hw_ + sw_ + 3, 60.0);
    try_vehicle(vehicle_class(), u, v, dir * M_PI / 2 + deg(rng_.normal(0, 2.0)), true, 1.5);
  }
}

void Builder::add_pedestrians() {
  const int n = rng_.poisson(t_.pedestrians);
  for (int i = 0; i < n; ++i)
    for (int attempt = 0; attempt < 10; ++attempt) {
      const double u = rng_.uniform(cfg_.road_begin + 2, cfg_.road_end - 2);
      if (rng_.bernoulli(t_.crossing_pedestrian_fraction)) {
        const double v = rng_.uniform(-hw_ + 0.5, hw_ - 0.5);
        const double yaw = (rng_.bernoulli(0.5) ? 1 : -1) * M_PI / 2 + deg(rng_.normal(0, 10));
        if (try_person("Pedestrian", u, v, yaw, 0.0, true)) break;
      } else {
        const int side = rng_.bernoulli(0.5) ? 1 : -1;
        const double v = side * (hw_ + rng_.uniform(0.5, std::max(0.6, sw_ - 0.4)));
        const double yaw = rng_.bernoulli(0.7)
                               ? (rng_.bernoulli(0.5) ? 0 : M_PI) + deg(rng_.normal(0, 15))
                               : rng_.uniform(-M_PI, M_PI);
        const double base = in_cross_gap(u - 1, u + 1) ? 0.0 : kerb_;
        if (try_person("Pedestrian", u, v, yaw, base, rng_.bernoulli(0.8))) break;
      }
    }
}

void Builder::add_cyclists() {
  const int n = rng_.poisson(t_.cyclists);
  for (int i = 0; i < n; ++i)
    for (int attempt = 0; attempt < 10; ++attempt) {
      const int dir = rng_.bernoulli(0.5) ? 1 : -1;
      const double v = -dir * (travel_hw_ - 0.7) + rng_.normal(0, 0.15);
      const double u = rng_.uniform(cfg_.road_begin + 3, cfg_.road_end - 3);
      const double yaw = (dir > 0 ? 0.0 : M_PI) + deg(rng_.normal(0, 4.0));
      if (try_person("Cyclist", u, v, yaw, 0.0, true)) break;
    }
}

Scene Builder::build() {
  layout_road();
  add_sidewalks();
  for (int side : {-1, 1}) add_buildings(side);
  for (int side : {-1, 1}) add_street_furniture(side);
  for (int side : {-1, 1}) add_parked(side);
  add_moving();
  add_pedestrians();
  add_cyclists();
  return std::move(scene_);
}

Scene Builder::isolated(const std::string& cls, double x, double y, double yaw) {
  mean_sizes_ = true;
  scene_.ground.albedo = static_cast<float>(cfg_.ground_albedo);
  if (cls == "Pedestrian" || cls == "Cyclist")
    try_person(cls, x, y, yaw, 0.0, false);
  else
    try_vehicle(cls, x, y, yaw, false, 0.0);
  scene_.type = "isolated";
  return std::move(scene_);
}

}  // namespace

Scene isolated_object_scene(const SceneConfig& config, const std::string& cls, double x, double y,
                            double yaw, std::uint64_t seed) {
  Rng rng(seed);
  Builder builder(config, config.types.front(), rng);
  return builder.isolated(cls, x, y, yaw);
}

Scene generate_scene(const SceneConfig& config, std::uint64_t seed) {
  Rng rng(seed);
  double total = 0;
  for (const auto& t : config.types) total += t.probability;
  double pick = rng.uniform() * total;
  const SceneTypeConfig* type = &config.types.back();
  for (const auto& t : config.types) {
    if (pick < t.probability) {
      type = &t;
      break;
    }
    pick -= t.probability;
  }
  Builder builder(config, *type, rng);
  Scene scene = builder.build();
  scene.type = type->name;
  return scene;
}

}  // namespace lidardet::sim
