#include "io/waymo/zlib_codec.hpp"

#include <zlib.h>

#include <algorithm>
#include <limits>
#include <memory>

#include "core/error.hpp"
#ifdef LIDARDET_HAVE_LIBDEFLATE
#include <libdeflate.h>
#endif

namespace lidardet::waymo {
std::string zlib_inflate_streaming(std::string_view compressed, const std::string& where,
                                   std::size_t size_hint) {
  if (compressed.size() > std::numeric_limits<uInt>::max())
    throw Error(where + ": zlib stream larger than 4 GiB");
  z_stream zs{};
  if (inflateInit(&zs) != Z_OK) throw Error(where + ": cannot initialise zlib");
  std::string out;
  out.resize(std::max<std::size_t>(size_hint ? size_hint + 64 : compressed.size() * 4, 1024));
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  zs.avail_in = static_cast<uInt>(compressed.size());
  std::size_t produced = 0;
  int rc = Z_OK;
  while (true) {
    if (produced == out.size()) out.resize(out.size() * 2);
    const std::size_t room =
        std::min<std::size_t>(out.size() - produced, std::numeric_limits<uInt>::max());
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
    zs.avail_out = static_cast<uInt>(room);
    rc = inflate(&zs, Z_NO_FLUSH);
    produced += room - zs.avail_out;
    if (rc == Z_STREAM_END) break;
    if (rc == Z_OK) continue;
    if (rc == Z_BUF_ERROR && zs.avail_out == 0) continue;  // only needs more output room
    const std::string msg = zs.msg ? zs.msg : (rc == Z_BUF_ERROR ? "stream ends early" : "error");
    inflateEnd(&zs);
    throw Error(where + ": bad zlib stream (" + msg + ", " + std::to_string(compressed.size()) +
                " compressed bytes)");
  }
  const std::size_t unused = zs.avail_in;
  inflateEnd(&zs);
  if (unused)
    throw Error(where + ": " + std::to_string(unused) + " bytes of garbage after the zlib stream");
  out.resize(produced);
  return out;
}

namespace {

#ifdef LIDARDET_HAVE_LIBDEFLATE
// libdeflate decompresses whole buffers about twice as fast as zlib; it needs the output size
// up front, so the buffer grows until the stream fits.
std::string inflate_with_libdeflate(std::string_view compressed, const std::string& where,
                                    std::size_t size_hint) {
  struct Free {
    void operator()(libdeflate_decompressor* d) const { libdeflate_free_decompressor(d); }
  };
  thread_local std::unique_ptr<libdeflate_decompressor, Free> d(libdeflate_alloc_decompressor());
  if (!d) throw Error(where + ": cannot allocate a decompressor");
  std::string out(std::max<std::size_t>(size_hint ? size_hint + 64 : compressed.size() * 4, 1024),
                  '\0');
  while (true) {
    std::size_t in_used = 0, produced = 0;
    const libdeflate_result rc = libdeflate_zlib_decompress_ex(
        d.get(), compressed.data(), compressed.size(), out.data(), out.size(), &in_used, &produced);
    if (rc == LIBDEFLATE_SUCCESS) {
      if (in_used != compressed.size())
        throw Error(where + ": " + std::to_string(compressed.size() - in_used) +
                    " bytes of garbage after the zlib stream");
      out.resize(produced);
      return out;
    }
    if (rc != LIBDEFLATE_INSUFFICIENT_SPACE || out.size() > compressed.size() * 1040 + 4096)
      throw Error(where + ": bad zlib stream (corrupt or truncated data, " +
                  std::to_string(compressed.size()) + " compressed bytes)");
    out.resize(out.size() * 2);
  }
}
#endif

}  // namespace

std::string zlib_inflate(std::string_view compressed, const std::string& where,
                         std::size_t size_hint) {
#ifdef LIDARDET_HAVE_LIBDEFLATE
  return inflate_with_libdeflate(compressed, where, size_hint);
#else
  return zlib_inflate_streaming(compressed, where, size_hint);
#endif
}

std::size_t zlib_peek(std::string_view compressed, char* out, std::size_t n) {
  z_stream zs{};
  if (inflateInit(&zs) != Z_OK) return 0;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  zs.avail_in =
      static_cast<uInt>(std::min<std::size_t>(compressed.size(), std::numeric_limits<uInt>::max()));
  zs.next_out = reinterpret_cast<Bytef*>(out);
  zs.avail_out = static_cast<uInt>(n);
  while (zs.avail_out) {
    const int rc = inflate(&zs, Z_SYNC_FLUSH);
    if (rc != Z_OK) break;
  }
  const std::size_t got = n - zs.avail_out;
  inflateEnd(&zs);
  return got;
}

std::string zlib_deflate(std::string_view data, int level) {
  if (data.size() > std::numeric_limits<uLong>::max()) throw Error("zlib_deflate: input too large");
  uLongf bound = compressBound(static_cast<uLong>(data.size()));
  std::string out(bound, '\0');
  const int rc = compress2(reinterpret_cast<Bytef*>(out.data()), &bound,
                           reinterpret_cast<const Bytef*>(data.data()),
                           static_cast<uLong>(data.size()), level);
  if (rc != Z_OK) throw Error("zlib_deflate: compress2 failed (code " + std::to_string(rc) + ")");
  out.resize(bound);
  return out;
}

}  // namespace lidardet::waymo
