// lidardet's own PCD parser and LZF decoder on hand-built inputs (data.md §8.1).
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>

#include "adapters/pcd_reader.hpp"
#include "core/error.hpp"

namespace {

using lidardet::detail::lzf_decompress;
using lidardet::detail::parse_pcd;

std::string msg_of(std::string_view bytes) {
  try {
    parse_pcd(bytes, "f.pcd");
  } catch (const lidardet::Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected lidardet::Error";
  return {};
}

const std::string kHeader3 =
    "FIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nCOUNT 1 1 1\nWIDTH 2\nHEIGHT 1\nPOINTS 2\n";

TEST(Lzf, LiteralsAndOverlappingBackReference) {
  // ctrl 1: two literals "ab"; ctrl 0x40 = length field 2 (copies 2 + 2 = 4 bytes) with
  // offset byte 1 (distance 2): "abab" copied from two back, overlapping its own output.
  const std::string in = std::string(
      "\x01"
      "ab"
      "\x40\x01",
      5);
  EXPECT_EQ(lzf_decompress(in, 6, "f"), "ababab");
  // Length field 7 takes an extra byte: 7 + 3 + 2 = 12 copies of the previous byte.
  const std::string run = std::string(
      "\x00"
      "z"
      "\xe0\x03\x00",
      5);
  EXPECT_EQ(lzf_decompress(run, 13, "f"), std::string(13, 'z'));
}

TEST(Lzf, CorruptStreamsAreErrors) {
  EXPECT_THROW(lzf_decompress(std::string("\x40\x05", 2), 4, "f"), lidardet::Error);  // no data yet
  EXPECT_THROW(lzf_decompress(std::string("\x05"
                                          "ab",
                                          3),
                              6, "f"),
               lidardet::Error);  // short literal
  EXPECT_THROW(lzf_decompress(std::string("\x01"
                                          "ab",
                                          3),
                              5, "f"),
               lidardet::Error);  // too short
  EXPECT_THROW(lzf_decompress(std::string("\x01"
                                          "ab"
                                          "\x40\x01",
                                          5),
                              4, "f"),
               lidardet::Error);  // too long
}

TEST(PcdParser, CompressedSoaLayout) {
  // Two points, fields x y z: SoA = x0 x1 y0 y1 z0 z1, stored as one literal run of 24 bytes.
  const float soa[6] = {1, 4, 2, 5, 3, 6};
  std::string payload(1, char(23));
  payload.append(reinterpret_cast<const char*>(soa), 24);
  const std::uint32_t sizes[2] = {static_cast<std::uint32_t>(payload.size()), 24};
  std::string file = kHeader3 + "DATA binary_compressed\n";
  file.append(reinterpret_cast<const char*>(sizes), 8);
  file += payload;
  const auto c = parse_pcd(file, "f.pcd");
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c(0, 0), 1.f);
  EXPECT_EQ(c(0, 2), 3.f);
  EXPECT_EQ(c(1, 1), 5.f);
  // The uncompressed size must match POINTS x point size, the compressed size the file.
  std::string bad = file;
  const std::uint32_t wrong = 20;
  std::memcpy(bad.data() + kHeader3.size() + 23 + 4, &wrong, 4);
  EXPECT_NE(msg_of(bad).find("uncompressed size 20"), std::string::npos) << msg_of(bad);
  EXPECT_NE(msg_of(file.substr(0, file.size() - 3)).find("exceeds the file"), std::string::npos);
}

TEST(PcdParser, HeaderErrorsNameLineAndKey) {
  EXPECT_NE(msg_of("").find("no DATA line"), std::string::npos);
  EXPECT_NE(msg_of("this is not a point cloud\n").find("f.pcd:1: field 'this'"), std::string::npos);
  EXPECT_NE(msg_of("FIELDS x y z\nSIZE 4 4\nTYPE F F F\nWIDTH 1\nDATA ascii\n0 0 0\n")
                .find("field 'SIZE'"),
            std::string::npos);
  EXPECT_NE(msg_of("FIELDS x y z\nSIZE 4 4 4\nTYPE F F Q\nWIDTH 1\nDATA ascii\n0 0 0\n")
                .find("field 'z': unsupported TYPE/SIZE"),
            std::string::npos);
  EXPECT_NE(msg_of("FIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nWIDTH -1\nDATA ascii\n")
                .find("f.pcd:4: field 'WIDTH'"),
            std::string::npos);
  EXPECT_NE(msg_of("FIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nWIDTH 2\nHEIGHT 2\nPOINTS 3\nDATA "
                   "ascii\n")
                .find("field 'POINTS'"),
            std::string::npos);
  EXPECT_NE(msg_of(kHeader3 + "DATA lzma\n").find("f.pcd:8: field 'DATA'"), std::string::npos);
}

TEST(PcdParser, AsciiDataErrorsNameLineAndField) {
  const std::string h = kHeader3 + "DATA ascii\n";  // data starts on line 9
  EXPECT_NE(msg_of(h + "1 2 3\n4 five 6\n").find("f.pcd:10: field 'y'"), std::string::npos);
  EXPECT_NE(msg_of(h + "1 2 3\n4 5\n").find("f.pcd:10:"), std::string::npos);
  EXPECT_NE(msg_of(h + "1 2 3\n").find("found 1 data lines, POINTS says 2"), std::string::npos);
  EXPECT_NE(msg_of(h + "1 2 3\n4 5 6\n7 8 9\n").find("more data lines"), std::string::npos);
  EXPECT_EQ(parse_pcd(h + "1 2 3\n\n4 5 6", "f.pcd").size(), 2u);  // no final newline is fine
}

TEST(PcdParser, BinaryShortDataIsAnError) {
  const std::string h = kHeader3 + "DATA binary\n";
  const auto m = msg_of(h + std::string(20, '\0'));
  EXPECT_NE(m.find("holds 20 bytes, 2 points need 24"), std::string::npos) << m;
}

}  // namespace
