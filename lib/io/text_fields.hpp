// Helpers shared by the KITTI text readers: split a line into whitespace-separated fields and
// parse numbers strictly (the whole field must be a finite number), with errors that name the
// file, line and field.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace lidardet::text {

// Fields separated by spaces or tabs; a trailing '\r' (CRLF files) is ignored.
std::vector<std::string_view> split_fields(std::string_view line);

// Lines of a text buffer without their '\n' (a missing final newline is tolerated).
std::vector<std::string_view> split_lines(std::string_view text);

// Parses a finite double / an int; throws lidardet::Error "FILE:LINE: field 'FIELD': expected
// a finite number, got '...'" otherwise.
double parse_double(std::string_view s, const std::string& file, long line,
                    const std::string& field);
int parse_int(std::string_view s, const std::string& file, long line, const std::string& field);

}  // namespace lidardet::text
