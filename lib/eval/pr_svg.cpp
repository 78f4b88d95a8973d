#include "eval/pr_svg.hpp"

#include <cstdio>

namespace lidardet::eval {

std::string pr_curves_svg(const std::string& title, const std::vector<PrSeries>& series) {
  const int w = 480, h = 400, left = 60, top = 40, pw = 380, ph = 300;
  const char* colours[] = {"#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02"};
  std::string s;
  char buf[512];
  std::snprintf(
      buf, sizeof buf,
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
      "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%%\" height=\"100%%\" "
      "fill=\"white\"/>\n<text x=\"%d\" y=\"22\" font-size=\"14\">%s</text>\n",
      w, h, left, title.c_str());
  s += buf;
  for (int i = 0; i <= 10; ++i) {
    const double x = left + pw * i / 10.0, y = top + ph - ph * i / 10.0;
    std::snprintf(buf, sizeof buf,
                  "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#eee\"/>"
                  "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#eee\"/>\n"
                  "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%.1f</text>"
                  "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.1f</text>\n",
                  x, top, x, top + ph, left, y, left + pw, y, x, top + ph + 16, i / 10.0, left - 6,
                  y + 4, i / 10.0);
    s += buf;
  }
  std::snprintf(
      buf, sizeof buf,
      "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"black\"/>\n"
      "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">recall</text>\n"
      "<text x=\"16\" y=\"%d\" transform=\"rotate(-90 16 %d)\" "
      "text-anchor=\"middle\">precision</text>\n",
      left, top, pw, ph, left + pw / 2, top + ph + 34, top + ph / 2, top + ph / 2);
  s += buf;
  for (std::size_t k = 0; k < series.size(); ++k) {
    const auto& sr = series[k];
    const char* col = colours[k % 6];
    s += std::string("<polyline fill=\"none\" stroke-width=\"2\" stroke=\"") + col + "\" points=\"";
    for (std::size_t i = 0; i < sr.recall.size() && i < sr.precision.size(); ++i) {
      std::snprintf(buf, sizeof buf, "%.2f,%.2f ", left + pw * sr.recall[i],
                    top + ph - ph * sr.precision[i]);
      s += buf;
    }
    s += "\"/>\n";
    std::snprintf(buf, sizeof buf,
                  "<rect x=\"%d\" y=\"%zu\" width=\"12\" height=\"3\" fill=\"%s\"/>"
                  "<text x=\"%d\" y=\"%zu\">%s</text>\n",
                  left + 10, top + ph - 60 + 16 * k, col, left + 28, top + ph - 55 + 16 * k,
                  sr.name.c_str());
    s += buf;
  }
  return s + "</svg>\n";
}

}  // namespace lidardet::eval
