// socket_allocator: a TimerWheel built on it takes its memory from DPDK's heap
// of the requested socket and gives it back when destroyed.
#include <gtest/gtest.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include <string>

#include "flow/allocator.h"
#include "flow/timer_wheel.h"

namespace synack::flow {
namespace {

size_t socket_heap_in_use(int socket) {
  rte_malloc_socket_stats s;
  EXPECT_EQ(rte_malloc_get_socket_stats(socket, &s), 0);
  return s.heap_allocsz_bytes;
}

TEST(SocketAllocator, TimerWheelMemoryComesFromTheSocketHeap) {
  const int socket = static_cast<int>(rte_socket_id());
  const size_t before = socket_heap_in_use(socket);
  std::string err;
  auto w = TimerWheel::create(100000, 1, socket_allocator(socket), &err);
  ASSERT_TRUE(w) << err;
  EXPECT_GE(socket_heap_in_use(socket) - before, TimerWheel::memory_bytes(100000));
  for (uint32_t i = 0; i < 100000; i++) w->arm(i, 2 + i % 5000);
  uint32_t fired = 0;
  w->advance(6000, UINT32_MAX, [&](uint32_t) { fired++; });
  EXPECT_EQ(fired, 100000u);
  w.reset();
  EXPECT_EQ(socket_heap_in_use(socket), before);
}

TEST(SocketAllocator, ReportsExhaustion) {
  // More than the test EAL's 256 MB: create() says so instead of crashing.
  std::string err;
  EXPECT_FALSE(TimerWheel::create(20'000'000, 1, socket_allocator(SOCKET_ID_ANY), &err));
  EXPECT_NE(err.find("cannot allocate"), std::string::npos) << err;
}

}  // namespace
}  // namespace synack::flow
