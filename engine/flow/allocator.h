// Where a per-lcore structure takes its memory from. The caller chooses, so that
// a worker's tables sit on its lcore's NUMA socket (socket_allocator) while unit
// tests and benchmarks without an EAL use the heap (heap_allocator).
#pragma once

#include <cstddef>

namespace synack::flow {

struct Allocator {
  // A block of `bytes`, aligned to 64 bytes, contents unspecified; nullptr when
  // there is no memory.
  void* (*alloc)(size_t bytes, void* ctx);
  void (*free)(void* p, void* ctx);
  void* ctx;
};

// std::aligned_alloc / std::free.
Allocator heap_allocator();

// rte_zmalloc_socket / rte_free on `socket_id` (SOCKET_ID_ANY allowed). Needs an
// initialised EAL when the memory is taken.
Allocator socket_allocator(int socket_id);

}  // namespace synack::flow
