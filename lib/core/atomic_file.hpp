// Writers never leave partial output: they write to a temporary file beside the target and
// rename it into place only when everything was written.
#pragma once
#include <functional>
#include <ostream>
#include <string>
#include <string_view>

namespace lidardet {

// Calls write(stream) on a temporary file, then renames it to `path`. Throws lidardet::Error
// (and removes the temporary) if writing fails or `write` throws.
void write_file_atomic(const std::string& path, const std::function<void(std::ostream&)>& write,
                       bool binary = false);

void write_file_atomic(const std::string& path, std::string_view bytes);

// Whole file as bytes; throws lidardet::Error naming the path when it cannot be read.
std::string read_file_bytes(const std::string& path);

}  // namespace lidardet
