// Ray casting from a fixed sensor origin against a Scene. Acceleration structure: an azimuth
// grid. Every primitive is binned into the azimuth sectors its bounding circle covers as seen
// from the origin, with its elevation interval and its nearest possible distance; each sector's
// list is sorted by that distance, so a ray visits only its own sector and stops as soon as the
// next candidate cannot be nearer than the best hit so far. The ground is intersected
// analytically (plane plus one refinement step for its bump texture).
#pragma once
#include <cstdint>
#include <vector>

#include "sim/scene.hpp"

namespace lidardet::sim {

struct Hit {
  double t = 0;                   // distance along the unit ray
  int primitive = -1;             // index into Scene::primitives; kGround for the ground
  double nx = 0, ny = 0, nz = 1;  // unit surface normal (vehicle frame)
};

inline constexpr int kGround = -2;

class RayCaster {
 public:
  // `scene` must outlive the caster. `sectors` sets the azimuth grid resolution.
  RayCaster(const Scene& scene, double ox, double oy, double oz, double max_range,
            int sectors = 2048);

  // Nearest hit within max_range along (azimuth, elevation) in the vehicle frame, ground
  // included. Returns false when the ray escapes.
  bool cast(double azimuth, double elevation, Hit& hit) const;
  // As cast(), but only against the primitives of one object and without the ground: the
  // unoccluded view of that object.
  bool cast_object(int object, double azimuth, double elevation, Hit& hit) const;

  // Conservative angular extent of an object's primitives as seen from the origin.
  struct Extent {
    double az_center = 0, az_half = 0, el_lo = 0, el_hi = 0;
    bool all_around = false;
  };
  Extent object_extent(int object) const;

 private:
  struct Entry {
    float dmin, el_lo, el_hi;
    int primitive;
  };
  bool intersect(const Primitive& p, const double d[3], double t_max, Hit& hit) const;
  bool intersect_ground(const double d[3], Hit& hit) const;
  Extent extent_of(const Primitive& p) const;

  const Scene& scene_;
  double o_[3];
  double max_range_;
  int sectors_;
  std::vector<std::uint32_t> offsets_;  // CSR: sector s holds entries [offsets_[s], offsets_[s+1])
  std::vector<Entry> entries_;
  std::vector<std::vector<int>> object_primitives_;
};

}  // namespace lidardet::sim
