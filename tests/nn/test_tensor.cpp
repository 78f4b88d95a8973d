#include <gtest/gtest.h>

#include "core/error.hpp"
#include "nn/arena.hpp"
#include "nn/cpu_backend.hpp"
#include "nn/tensor.hpp"
#include "nn_test_util.hpp"

using lidardet::Error;
using namespace lidardet::nn;

TEST(NnTensor, EmptyIsZeroFilledAndContiguous) {
  Tensor t = Tensor::empty({2, 3});
  EXPECT_TRUE(t.contiguous());
  EXPECT_EQ(t.numel(), 6);
  EXPECT_EQ(t.strides(), (Shape{3, 1}));
  for (float v : t.to_vector()) EXPECT_EQ(v, 0.f);
}

TEST(NnTensor, SliceIsAViewSharingStorage) {
  Tensor t = Tensor::from_vector({2, 3}, std::vector<float>{0, 1, 2, 3, 4, 5});
  Tensor c = t.slice(1, 1, 3);  // columns 1..2: strided rows
  EXPECT_FALSE(c.contiguous());
  EXPECT_TRUE(c.row_major_2d());
  EXPECT_EQ(c.to_vector(), (std::vector<float>{1, 2, 4, 5}));
  c.f32()[0] = 42;  // writes through to the parent
  EXPECT_EQ(t.to_vector()[1], 42.f);
  Tensor r = t.slice(0, 1, 2);
  EXPECT_TRUE(r.contiguous());
  EXPECT_EQ(r.to_vector(), (std::vector<float>{3, 4, 5}));
}

TEST(NnTensor, ReshapeInfersOneDimAndRejectsBadShapes) {
  Tensor t = Tensor::empty({4, 6});
  EXPECT_EQ(t.reshape({-1, 3}).shape(), (Shape{8, 3}));
  EXPECT_THROW(t.reshape({5, 5}), Error);
  EXPECT_THROW(t.slice(1, 0, 2).reshape({-1}), Error);  // not contiguous
  EXPECT_THROW(t.slice(0, 2, 5), Error);
  EXPECT_THROW(Tensor::empty({2, -1}), Error);
}

TEST(NnTensor, TypedAccessChecksDtype) {
  Tensor i = Tensor::from_vector({3}, std::vector<int32_t>{1, 2, 3});
  EXPECT_EQ(i.i32()[2], 3);
  EXPECT_THROW(i.f32(), Error);
  EXPECT_EQ(i.to_vector(), (std::vector<float>{1, 2, 3}));
}

// Host accessors refuse device memory (a model reading a device tensor on the host is a bug
// that would crash on a GPU); backends reach it through data_ptr().
TEST(NnTensor, HostAccessorsRefuseDeviceTensors) {
  Tensor h = Tensor::from_vector({2, 3}, std::vector<float>{0, 1, 2, 3, 4, 5});
  Tensor d = h.slice(1, 1, 3).retagged(Device::Cuda);
  EXPECT_EQ(d.device(), Device::Cuda);
  EXPECT_EQ(d.shape(), (Shape{2, 2}));
  EXPECT_EQ(d.strides(), h.strides());
  EXPECT_THROW(d.raw(), Error);
  EXPECT_THROW(d.f32(), Error);
  EXPECT_THROW(d.to_vector(), Error);
  EXPECT_THROW(Tensor::wrap(h.raw(), {6}, DType::I32, Device::Cuda).i32(), Error);
  EXPECT_EQ(d.data_ptr(), static_cast<void*>(h.f32() + 1));
  // A retagged view shares ownership: it outlives the tensor it came from.
  Tensor back;
  {
    Tensor tmp = Tensor::from_vector({2}, std::vector<float>{7, 8});
    back = tmp.retagged(Device::Cuda).retagged(Device::Host);
  }
  EXPECT_EQ(back.device(), Device::Host);
  EXPECT_EQ(back.to_vector(), (std::vector<float>{7, 8}));
}

// upload_frame: a host backend hands the host tensor through (no copy, as upload does).
TEST(NnBackend, UploadFrameOnTheHostIsTheTensorItself) {
  CpuBackend be;
  Tensor h = Tensor::from_vector({3}, std::vector<int32_t>{4, 5, 6});
  Tensor u = be.upload_frame(h);
  EXPECT_EQ(u.data_ptr(), h.data_ptr());
  EXPECT_EQ(be.arena().used(), 0u);
}

TEST(NnArena, SteadyStateFramesDoNotAllocate) {
  Arena arena;
  auto frame = [&](int64_t n) {
    arena.reset();
    for (int i = 0; i < 10; ++i) arena.alloc({n, 64}).fill(1.f);
  };
  frame(1000);  // 10 x 256 kB: grows over several chunks
  frame(1000);  // merges into one chunk
  const std::size_t after_warmup = arena.system_allocations();
  for (int f = 0; f < 5; ++f) frame(700 + 60 * f);  // every frame fits
  EXPECT_EQ(arena.system_allocations(), after_warmup);
  EXPECT_GE(arena.capacity(), 10u * 1000 * 64 * 4);
}

TEST(NnArena, TensorsAreAlignedAndDisjoint) {
  Arena arena;
  Tensor a = arena.alloc({3}), b = arena.alloc({5});
  EXPECT_EQ(reinterpret_cast<uintptr_t>(a.raw()) % 64, 0u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(b.raw()) % 64, 0u);
  EXPECT_GE(static_cast<char*>(b.raw()) - static_cast<char*>(a.raw()), 12);
}
