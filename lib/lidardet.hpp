// Umbrella header for embedding lidardet.
#pragma once
#include "core/atomic_file.hpp"
#include "core/box3d.hpp"
#include "core/error.hpp"
#include "core/geometry.hpp"
#include "core/point_cloud.hpp"
