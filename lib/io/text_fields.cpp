#include "io/text_fields.hpp"

#include <charconv>
#include <cmath>

#include "core/error.hpp"

namespace lidardet::text {

std::vector<std::string_view> split_fields(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    std::size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
    if (j > i) out.push_back(line.substr(i, j - i));
    i = j;
  }
  return out;
}

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

namespace {
std::string shown(std::string_view s) {
  constexpr std::size_t kMax = 40;  // keep messages short on binary garbage
  std::string out(s.substr(0, kMax));
  if (s.size() > kMax) out += "...";
  return out;
}
}  // namespace

double parse_double(std::string_view s, const std::string& file, long line,
                    const std::string& field) {
  double v = 0;
  // from_chars rejects a leading '+', which printf-style writers never emit but people might.
  std::string_view body = (!s.empty() && s.front() == '+') ? s.substr(1) : s;
  auto [end, ec] = std::from_chars(body.data(), body.data() + body.size(), v);
  if (ec != std::errc() || end != body.data() + body.size() || body.empty() || !std::isfinite(v))
    fail(file, line, field, "expected a finite number, got '" + shown(s) + "'");
  return v;
}

int parse_int(std::string_view s, const std::string& file, long line, const std::string& field) {
  int v = 0;
  std::string_view body = (!s.empty() && s.front() == '+') ? s.substr(1) : s;
  auto [end, ec] = std::from_chars(body.data(), body.data() + body.size(), v);
  if (ec != std::errc() || end != body.data() + body.size() || body.empty())
    fail(file, line, field, "expected an integer, got '" + shown(s) + "'");
  return v;
}

}  // namespace lidardet::text
