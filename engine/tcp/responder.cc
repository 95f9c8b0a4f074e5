#include "tcp/responder.h"

#include <algorithm>
#include <cstring>

namespace synack::tcp {

namespace {
// The send stream's offsets are 32-bit and map to response bytes modulo its
// length, so a keep-alive connection closes before the stream could wrap.
constexpr uint32_t kMaxStream = 1u << 30;
}  // namespace

void Responder::on_data(AppContext& c, const uint8_t*, uint32_t len) const {
  Tcb& t = c.tcb();
  // With an active close the first request closes too (our FIN is queued):
  // later data is not a request.
  if (len == 0 || t.has(tcbflag::kFinQueued)) return;
  if (t.snd_queued > kMaxStream - response_len()) {
    c.close();
    return;
  }
  c.queue(response_len());
  c.report(event::kRequest);
  if (active_close_) c.close();
}

void Responder::on_peer_fin(AppContext& c) const {
  c.close();
}

void Responder::copy_out(const Tcb&, const void*, uint32_t off, uint8_t* dst, uint32_t len) const {
  const uint32_t n = response_len();
  if (n == 0) return;
  uint32_t pos = off % n;
  while (len > 0) {
    const uint32_t run = std::min(len, n - pos);
    std::memcpy(dst, response_.data() + pos, run);
    dst += run;
    len -= run;
    pos = 0;
  }
}

}  // namespace synack::tcp
