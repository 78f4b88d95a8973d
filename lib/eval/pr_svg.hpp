// Precision-recall curves as SVG, since people would rather look at a curve than read 41 numbers.
#pragma once
#include <string>
#include <vector>

namespace lidardet::eval {

struct PrSeries {
  std::string name;  // legend, e.g. "Moderate (AP_R40 78.31)"
  std::vector<double> recall, precision;
};

// A self-contained SVG document: axes 0..1, one polyline per series.
std::string pr_curves_svg(const std::string& title, const std::vector<PrSeries>& series);

}  // namespace lidardet::eval
