// An embedding project: uses the installed lidardet through find_package.
#include <cstdio>
#include <lidardet.hpp>

int main() {
  lidardet::PointCloud cloud;
  for (int i = 0; i < 3; ++i) {
    const float p[4] = {float(i), 0.f, 0.f, 0.5f};
    cloud.push_back(p);
  }
  lidardet::Box3D box{.x = 1, .y = 0, .z = 0, .l = 4, .w = 2, .h = 2, .yaw = 0.3};
  std::printf("points=%zu iou=%.3f\n", cloud.size(), lidardet::iou_3d(box, box));
  return 0;
}
