#include "core/box3d.hpp"

#include <cmath>
#include <numbers>

namespace lidardet {

double wrap_angle(double a) {
  constexpr double kTwoPi = 2.0 * std::numbers::pi;
  a = std::fmod(a + std::numbers::pi, kTwoPi);
  if (a < 0) a += kTwoPi;
  return a - std::numbers::pi;
}

}  // namespace lidardet
