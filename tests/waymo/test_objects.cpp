// Objects files (metrics.proto Objects/Object, label.proto Label/Box).
#include <gtest/gtest.h>

#include <cstring>

#include "common/test_paths.hpp"
#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "io/waymo/objects.hpp"
#include "io/waymo/proto_wire.hpp"

using namespace lidardet;
using namespace lidardet::waymo;

namespace {
WaymoObject sample(int i) {
  WaymoObject o;
  o.context_name = "ctx_" + std::to_string(i % 2);
  o.frame_timestamp_micros = 1550000000000000 + i * 100000;
  o.box = {1.5 + i, -2.25, 0.75, 4.5, 2.0, 1.6, 0.3 * i - 1.0, "", 1.0f};
  o.type = static_cast<WaymoType>(1 + i % 4);
  o.box.label = type_name(o.type);
  o.id = "track" + std::to_string(i);
  o.num_lidar_points_in_box = 10 * i;
  o.detection_difficulty_level = i % 3;
  o.score = 0.125f * static_cast<float>(i % 8);
  o.box.score = o.score;
  if (i % 2) o.speed = std::array<double, 3>{1.0, -2.0, 0.0};
  if (i % 3 == 0) o.accel = std::array<double, 3>{0.5, 0.0, -0.1};
  return o;
}
}  // namespace

TEST(Objects, FileRoundTripIsExact) {
  std::vector<WaymoObject> objs;
  for (int i = 0; i < 9; ++i) objs.push_back(sample(i));
  const auto dir = test::temp_dir("objects_rt");
  const std::string path = (dir / "pred.bin").string();
  write_objects_file(path, objs);
  const auto back = read_objects_file(path);
  ASSERT_EQ(back.size(), objs.size());
  for (std::size_t i = 0; i < objs.size(); ++i) EXPECT_EQ(back[i], objs[i]) << "object " << i;
}

TEST(Objects, WireLayoutFollowsTheProto) {
  // Decode our own bytes with a generic wire reader and check field numbers as the protos
  // define them: Objects.objects = 1; Object.object = 1, score = 2 (float), context_name = 4,
  // frame_timestamp_micros = 5; Label.box = 1, type = 3; Box.width = 4, length = 5.
  WaymoObject o = sample(1);
  o.box.l = 7.0;
  o.box.w = 3.0;
  const std::string bytes = encode_objects({o});
  WireReader objs(bytes, "mem", "Objects");
  ASSERT_TRUE(objs.next());
  ASSERT_EQ(objs.field(), 1u);
  WireReader obj = objs.message("objects", 0);
  bool saw_box = false, saw_score = false, saw_ctx = false, saw_ts = false;
  while (obj.next()) {
    if (obj.field() == 1) {
      WireReader label = obj.message("object");
      while (label.next()) {
        if (label.field() == 1) {
          WireReader box = label.message("box");
          while (box.next()) {
            const double v = box.f64();
            if (box.field() == 4) EXPECT_EQ(v, 3.0);  // width
            if (box.field() == 5) EXPECT_EQ(v, 7.0);  // length
          }
          saw_box = true;
        } else if (label.field() == 3) {
          EXPECT_EQ(label.int32(), 2);  // sample(1) is a pedestrian
        } else {
          label.skip();
        }
      }
    } else if (obj.field() == 2) {
      EXPECT_EQ(obj.type(), WireType::kFixed32);
      EXPECT_EQ(obj.f32(), o.score);
      saw_score = true;
    } else if (obj.field() == 4) {
      EXPECT_EQ(obj.bytes(), "ctx_1");
      saw_ctx = true;
    } else if (obj.field() == 5) {
      EXPECT_EQ(obj.int64(), o.frame_timestamp_micros);
      saw_ts = true;
    } else {
      obj.skip();
    }
  }
  EXPECT_TRUE(saw_box && saw_score && saw_ctx && saw_ts);
  EXPECT_FALSE(objs.next());
}

TEST(Objects, ScoreDefaultsToOneWhenAbsent) {
  // A hand-encoded Object with only a label of type VEHICLE: proto2 default score is 1.0.
  WireWriter label;
  label.int32(3, 1);
  WireWriter obj;
  obj.message(1, label);
  WireWriter objs;
  objs.message(1, obj);
  const auto back = decode_objects(objs.data(), "mem");
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].score, 1.0f);
  EXPECT_EQ(back[0].type, WaymoType::kVehicle);
  EXPECT_EQ(back[0].box.label, "Vehicle");
}

TEST(Objects, EmptyFileHoldsNoObjects) {
  const auto dir = test::temp_dir("objects_empty");
  const std::string path = (dir / "empty.bin").string();
  write_objects_file(path, {});
  EXPECT_TRUE(read_objects_file(path).empty());
}

TEST(Objects, CorruptFileIsAClearError) {
  std::string bytes = encode_objects({sample(2), sample(3)});
  bytes.resize(bytes.size() - 3);
  try {
    decode_objects(bytes, "pred.bin");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("pred.bin: Objects"), std::string::npos) << e.what();
  }
  // A type outside Label.Type.
  WireWriter label;
  label.int32(3, 9);
  WireWriter obj;
  obj.message(1, label);
  WireWriter objs;
  objs.message(1, obj);
  try {
    decode_objects(objs.data(), "pred.bin");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("Objects.objects[0].object field 3"), std::string::npos)
        << e.what();
  }
}

TEST(Objects, TypeNames) {
  EXPECT_STREQ(type_name(WaymoType::kCyclist), "Cyclist");
  EXPECT_EQ(type_from_name("Sign"), WaymoType::kSign);
  EXPECT_FALSE(type_from_name("Car").has_value());
}
