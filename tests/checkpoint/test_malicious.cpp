// Loading never executes code: pickles that run os.system, eval or subprocess under Python (the
// generator proves they do) are refused with an error naming the global, and their marker file
// is never created. Corrupt files give clear errors too.
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <random>

#include "checkpoint/checkpoint.hpp"
#include "checkpoint/pickle.hpp"
#include "common/error_of.hpp"
#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "fixture_util.hpp"

using namespace lidardet;
using lidardet::test::ckpt_expected;
using lidardet::test::ckpt_fixture;
using lidardet::test::error_of;

namespace {

std::string raw_pickle_error(const std::string& path) {
  const std::string bytes = read_file_bytes(path);
  return error_of([&] {
    checkpoint_detail::Unpickler u(path, nullptr);
    std::size_t pos = 0;
    u.load(bytes, pos);
  });
}

}  // namespace

TEST(MaliciousPickles, AreRefusedAndRunNothing) {
  const auto& list = ckpt_expected().at("malicious");
  ASSERT_GE(list.size(), 27u);
  int live = 0;
  for (const auto& m : list) {
    const std::string file = m.at("file");
    SCOPED_TRACE(file);
    const std::string marker = m.at("marker");
    std::filesystem::remove(marker);
    const std::string path = ckpt_fixture(file);
    const std::string msg =
        file.ends_with(".pkl") ? raw_pickle_error(path) : error_of([&] { load_checkpoint(path); });
    EXPECT_NE(msg.find(m.at("error").get<std::string>()), std::string::npos) << msg;
    EXPECT_NE(msg.find(path), std::string::npos) << "the error must name the file: " << msg;
    EXPECT_FALSE(std::filesystem::exists(marker)) << "payload ran: " << marker;
    live += m.at("live").get<bool>();
  }
  EXPECT_GE(live, 15);  // the os.system/eval/subprocess payloads in 3 containers
}

TEST(MaliciousPickles, RefusedGlobalIsNamedWithTheAllowListReason) {
  const std::string msg = raw_pickle_error(ckpt_fixture("malicious/os_system_reduce_raw.pkl"));
  EXPECT_NE(msg.find("global 'os.system' is not in the allow-list"), std::string::npos) << msg;
}

TEST(CorruptCheckpoints, GiveTheExpectedError) {
  for (const auto& c : ckpt_expected().at("corrupt")) {
    const std::string file = c.at("file");
    SCOPED_TRACE(file);
    const std::string msg = error_of([&] { load_checkpoint(ckpt_fixture(file)); });
    EXPECT_NE(msg.find(c.at("error").get<std::string>()), std::string::npos) << msg;
  }
}

TEST(CorruptCheckpoints, EveryTruncationIsAnError) {
  for (const char* file : {"edge_legacy.pth", "edge_zip.pth", "edge_deflate.pth", "edge_zip64.pth",
                           "openpcdet_legacy.pth"}) {
    SCOPED_TRACE(file);
    const std::string bytes = read_file_bytes(ckpt_fixture(file));
    const std::size_t step = std::max<std::size_t>(1, bytes.size() / 300);
    int errors = 0, tries = 0;
    for (std::size_t n = 0; n < bytes.size(); n += step) {
      ++tries;
      try {
        load_checkpoint_bytes(std::string_view(bytes).substr(0, n), "cut");
      } catch (const Error&) {
        ++errors;
      }
    }
    EXPECT_EQ(errors, tries);
  }
}

TEST(CorruptCheckpoints, RandomByteFlipsLoadOrFailCleanly) {
  std::mt19937 rng(1234);
  for (const char* file : {"edge_legacy.pth", "edge_zip.pth", "edge_deflate.pth",
                           "mmdet3d_legacy.pth", "edge_zip64.pth"}) {
    SCOPED_TRACE(file);
    const std::string original = read_file_bytes(ckpt_fixture(file));
    int errors = 0;
    for (int trial = 0; trial < 200; ++trial) {
      std::string bytes = original;
      for (int k = 0; k < 3; ++k) bytes[rng() % bytes.size()] = char(rng() & 0xff);
      try {
        load_checkpoint_bytes(bytes, "flipped");
      } catch (const Error&) {
        ++errors;
      } catch (const std::exception& e) {
        ADD_FAILURE() << "not a lidardet::Error: " << e.what();
      }
    }
    EXPECT_GT(errors, 0);  // some flips must be detected (CRC, opcodes, sizes)
  }
}

TEST(CorruptCheckpoints, DeepAndCyclicPicklesDoNotOverflow) {
  // 200k nested lists: "]]]...aaa." builds list(list(list(...))).
  const int depth = 200000;
  std::string p = "\x80\x02" + std::string(depth, ']') + std::string(depth - 1, 'a') + ".";
  {
    checkpoint_detail::Unpickler u("deep", nullptr);
    std::size_t pos = 0;
    checkpoint_detail::Ref r = u.load(p, pos);
    EXPECT_EQ(pos, p.size());
    EXPECT_EQ(r->kind, checkpoint_detail::Kind::List);
    EXPECT_LT(checkpoint_detail::describe(r).size(), 200u);  // bounded, not recursive to the end
  }  // freeing the arena must not recurse either
  // A list that contains itself (memo PUT 0, GET 0, APPEND).
  const std::string cyclic = std::string(
      "\x80\x02]q\x00h\x00"
      "a.",
      9);
  checkpoint_detail::Unpickler u("cyclic", nullptr);
  std::size_t pos = 0;
  checkpoint_detail::Ref r = u.load(cyclic, pos);
  ASSERT_EQ(r->items.size(), 1u);
  EXPECT_EQ(r->items[0], r);
  EXPECT_LT(checkpoint_detail::describe(r).size(), 200u);
}

TEST(CorruptCheckpoints, NonCheckpointFilesAreNamed) {
  EXPECT_NE(error_of([] { load_checkpoint_bytes("", "e.pth"); }).find("e.pth: empty file"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              load_checkpoint_bytes("hello world, not a model", "t.pth");
            }).find("unknown checkpoint format"),
            std::string::npos);
  EXPECT_NE(error_of([] { load_checkpoint("/nonexistent/x.pth"); }).find("/nonexistent/x.pth"),
            std::string::npos);
  // A plain pickle without the legacy magic number.
  EXPECT_NE(error_of([] {
              load_checkpoint_bytes(std::string("\x80\x02K\x05.", 5), "p.pkl");
            }).find("legacy magic number missing"),
            std::string::npos);
}
