// Seeded procedural street scenes (urban and suburban): a straight road with a gentle slope,
// sidewalks with kerbs, buildings, walls, poles and signs, trees and bushes, parked and moving
// cars, vans and trucks, pedestrians and cyclists. Same config and seed -> same scene.
#pragma once
#include <cstdint>

#include "sim/scene.hpp"
#include "sim/scene_config.hpp"

namespace lidardet::sim {

Scene generate_scene(const SceneConfig& config, std::uint64_t seed);

}  // namespace lidardet::sim
