// Seeded procedural street scenes (urban and suburban): a straight road with a gentle slope,
// sidewalks with kerbs, buildings, walls, poles and signs, trees and bushes, parked and moving
// cars, vans and trucks, pedestrians and cyclists. Same config and seed -> same scene.
#pragma once
#include <cstdint>
#include <string>

#include "sim/scene.hpp"
#include "sim/scene_config.hpp"

namespace lidardet::sim {

Scene generate_scene(const SceneConfig& config, std::uint64_t seed);

// One object of class `cls` at its class's mean size, centred at (x, y) with heading `yaw`, on
// flat ground (z = 0) and nothing else: the setting of data.md 6.4's points-vs-distance table.
Scene isolated_object_scene(const SceneConfig& config, const std::string& cls, double x, double y,
                            double yaw, std::uint64_t seed);

}  // namespace lidardet::sim
