// Protobuf wire codec, CRC32C and TFRecord framing, checked against values fixed by the
// protobuf and TFRecord specifications (not against this code's own output).
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>

#include "common/test_paths.hpp"
#include "core/error.hpp"
#include "io/waymo/crc32c.hpp"
#include "io/waymo/proto_wire.hpp"
#include "io/waymo/tfrecord.hpp"

using namespace lidardet;
using namespace lidardet::waymo;

TEST(Crc32c, StandardCheckValue) {
  // The CRC-32C check value from the Castagnoli catalogue entry.
  EXPECT_EQ(crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(crc32c(""), 0u);
  // 32 zero bytes: the iSCSI test vector of RFC 3720 B.4.
  EXPECT_EQ(crc32c(std::string(32, '\0')), 0x8A9136AAu);
}

TEST(Crc32c, MaskRoundTripsAndMatchesFormula) {
  for (std::uint32_t c : {0u, 1u, 0xE3069283u, 0xFFFFFFFFu}) {
    EXPECT_EQ(unmask_crc(mask_crc(c)), c);
    EXPECT_EQ(mask_crc(c), ((c >> 15) | (c << 17)) + 0xA282EAD8u);
  }
}

TEST(ProtoWire, VarintBytesFromTheProtobufDocs) {
  // The protobuf encoding guide: field 1 = 150 is 08 96 01.
  WireWriter w;
  w.varint(1, 150);
  EXPECT_EQ(w.data(), std::string("\x08\x96\x01", 3));
  // A negative int32 is sign-extended to a 10-byte varint.
  WireWriter n;
  n.int32(2, -1);
  ASSERT_EQ(n.data().size(), 11u);
  EXPECT_EQ(static_cast<unsigned char>(n.data()[0]), 0x10);
  WireReader r(n.data(), "mem", "Msg");
  ASSERT_TRUE(r.next());
  EXPECT_EQ(r.field(), 2u);
  EXPECT_EQ(r.int32(), -1);
  EXPECT_FALSE(r.next());
}

TEST(ProtoWire, ZigzagMatchesSpec) {
  EXPECT_EQ(zigzag_encode(0), 0u);
  EXPECT_EQ(zigzag_encode(-1), 1u);
  EXPECT_EQ(zigzag_encode(1), 2u);
  EXPECT_EQ(zigzag_encode(-2), 3u);
  EXPECT_EQ(zigzag_encode(2147483647), 4294967294u);
  EXPECT_EQ(zigzag_decode(4294967295u), -2147483648LL);
}

TEST(ProtoWire, AllTypesRoundTrip) {
  WireWriter w;
  w.f64(1, 3.25);
  w.f32(2, -1.5f);
  w.bytes(3, "abc");
  w.sint64(4, -123456789);
  const std::vector<float> fl{1.f, 2.f, -3.f};
  w.packed(5, std::span<const float>(fl));
  const std::vector<std::int32_t> in{-1, 0, 300};
  w.packed(6, std::span<const std::int32_t>(in));
  w.unpacked(7, std::span<const std::int32_t>(in));
  const std::vector<double> db{0.5, -0.25};
  w.unpacked(8, std::span<const double>(db));
  w.packed(8, std::span<const double>(db));

  WireReader r(w.data(), "mem", "Msg");
  std::vector<float> f;
  std::vector<std::int32_t> packed_ints, unpacked_ints;
  std::vector<double> d;
  while (r.next()) {
    switch (r.field()) {
      case 1:
        EXPECT_EQ(r.f64(), 3.25);
        break;
      case 2:
        EXPECT_EQ(r.f32(), -1.5f);
        break;
      case 3:
        EXPECT_EQ(r.bytes(), "abc");
        break;
      case 4:
        EXPECT_EQ(r.sint64(), -123456789);
        break;
      case 5:
        r.append(f);
        break;
      case 6:
        r.append(packed_ints);
        break;
      case 7:
        r.append(unpacked_ints);
        break;
      case 8:
        r.append(d);
        break;
      default:
        FAIL() << "unexpected field " << r.field();
    }
  }
  EXPECT_EQ(f, fl);
  EXPECT_EQ(packed_ints, in);
  EXPECT_EQ(unpacked_ints, in);
  EXPECT_EQ(d, (std::vector<double>{0.5, -0.25, 0.5, -0.25}));
}

TEST(ProtoWire, ErrorsNameThePathAndField) {
  WireWriter inner;
  inner.f64(7, 1.0);
  WireWriter outer;
  outer.message(6, inner);
  std::string bytes = outer.data();
  bytes.pop_back();  // truncate inside the double
  WireReader r(bytes, "f.tfrecord: record 0", "Frame");
  ASSERT_TRUE(r.next());
  try {
    WireReader m = r.message("laser_labels", 3);
    FAIL() << "the length runs past the end and must be rejected";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("f.tfrecord: record 0: Frame field 6"), std::string::npos) << msg;
    EXPECT_NE(msg.find("past the end"), std::string::npos) << msg;
  }
  // Wrong wire type for a double.
  WireWriter v;
  v.varint(7, 5);
  WireReader r2(v.data(), "x", "Box");
  ASSERT_TRUE(r2.next());
  try {
    r2.f64();
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("Box field 7: expected wire type fixed64"),
              std::string::npos)
        << e.what();
  }
  // A 3-byte varint cut off after its first byte.
  WireReader r3(std::string_view("\x08\x96", 2), "x", "M");
  ASSERT_TRUE(r3.next());
  EXPECT_THROW(r3.varint(), Error);
  // Wire types 3/4 (groups) and field number 0 are rejected.
  WireReader r4(std::string_view("\x0B", 1), "x", "M");
  EXPECT_THROW(r4.next(), Error);
  WireReader r5(std::string_view("\x00\x01", 2), "x", "M");
  EXPECT_THROW(r5.next(), Error);
}

namespace {
std::string write_records(const std::string& name, const std::vector<std::string>& records) {
  const auto dir = test::temp_dir("wire_" + name);
  const std::string path = (dir / "seg.tfrecord").string();
  write_tfrecord_file(path, records);
  return path;
}
std::string slurp(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}
void spit(const std::string& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary) << bytes;
}
}  // namespace

TEST(TFRecord, FramingLayoutAndRoundTrip) {
  const std::string path = write_records("rt", {"hello", "", std::string(1000, 'x')});
  const std::string raw = slurp(path);
  // 3 records of 12 + n + 4 bytes.
  ASSERT_EQ(raw.size(), (16u + 5) + 16u + (16u + 1000));
  EXPECT_EQ(raw.substr(0, 8), std::string("\x05\0\0\0\0\0\0\0", 8));
  std::uint32_t data_crc;
  std::memcpy(&data_crc, raw.data() + 17, 4);
  EXPECT_EQ(unmask_crc(data_crc), crc32c("hello"));

  TFRecordReader reader(path);
  std::string rec;
  ASSERT_TRUE(reader.next(rec));
  EXPECT_EQ(rec, "hello");
  ASSERT_TRUE(reader.next(rec));
  EXPECT_EQ(rec, "");
  ASSERT_TRUE(reader.next(rec));
  EXPECT_EQ(rec, std::string(1000, 'x'));
  EXPECT_EQ(reader.index(), 2);
  EXPECT_FALSE(reader.next(rec));
  EXPECT_EQ(count_tfrecords(path), 3u);
}

TEST(TFRecord, CorruptCrcIsAClearError) {
  const std::string path = write_records("crc", {"first", "second"});
  std::string raw = slurp(path);
  raw[12 + 5 + 4 + 12 + 2] ^= 0x01;  // flip a bit in the second record's data
  spit(path, raw);
  TFRecordReader reader(path);
  std::string rec;
  ASSERT_TRUE(reader.next(rec));
  try {
    reader.next(rec);
    FAIL() << "a flipped bit must fail the data CRC";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("record 1"), std::string::npos) << msg;
    EXPECT_NE(msg.find("CRC32C mismatch"), std::string::npos) << msg;
  }
  // Without CRC checks the same file reads.
  TFRecordReader lax(path, false);
  ASSERT_TRUE(lax.next(rec));
  ASSERT_TRUE(lax.next(rec));
}

TEST(TFRecord, TruncatedRecordIsAClearError) {
  const std::string path = write_records("trunc", {"first", std::string(100, 'y')});
  const std::string raw = slurp(path);
  for (std::size_t cut : {raw.size() - 1, raw.size() - 50, std::size_t(21 + 5)}) {
    spit(path, raw.substr(0, cut));
    TFRecordReader reader(path);
    std::string rec;
    ASSERT_TRUE(reader.next(rec));
    try {
      reader.next(rec);
      FAIL() << "cut at " << cut;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("record 1"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos) << e.what();
    }
  }
  // A length field corrupted to a huge value is caught by the length CRC.
  std::string bad = raw;
  bad[6] = 0x7F;
  spit(path, bad);
  TFRecordReader reader(path);
  std::string rec;
  EXPECT_THROW(reader.next(rec), Error);
}

TEST(TFRecord, RealFrameCrcsAreValid) {
  const std::string path = test::shared_data("waymo_real/one_frame.tfrecord");
  LIDARDET_REQUIRE_SHARED(path);
  // The README: one record, both CRCs valid.
  EXPECT_EQ(count_tfrecords(path, true), 1u);
}

TEST(TFRecord, MissingFileIsAnError) {
  EXPECT_THROW(TFRecordReader("/nonexistent/x.tfrecord"), Error);
}
