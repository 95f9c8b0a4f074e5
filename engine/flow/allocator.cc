// The two Allocator back ends: the C heap and DPDK's per-socket heap.
#include "flow/allocator.h"

#include <rte_common.h>
#include <rte_malloc.h>

#include <cstdint>
#include <cstdlib>

namespace synack::flow {
namespace {

constexpr size_t kAlign = 64;

void* heap_alloc(size_t bytes, void*) {
  // aligned_alloc wants a size that is a multiple of the alignment.
  return std::aligned_alloc(kAlign, (bytes + kAlign - 1) / kAlign * kAlign);
}
void heap_free(void* p, void*) {
  std::free(p);
}

// The socket id travels in ctx itself, so the Allocator owns nothing.
void* socket_alloc(size_t bytes, void* ctx) {
  const int socket = static_cast<int>(reinterpret_cast<intptr_t>(ctx));
  return rte_zmalloc_socket("synack_flow", bytes, kAlign, socket);
}
void socket_free(void* p, void*) {
  rte_free(p);
}

}  // namespace

Allocator heap_allocator() {
  return Allocator{heap_alloc, heap_free, nullptr};
}

Allocator socket_allocator(int socket_id) {
  return Allocator{socket_alloc, socket_free,
                   reinterpret_cast<void*>(static_cast<intptr_t>(socket_id))};
}

}  // namespace synack::flow
