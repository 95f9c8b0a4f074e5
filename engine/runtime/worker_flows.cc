// Flow lifecycle: records in and out of the flow table, per-state gauges,
// the move to the TIME-WAIT store, and the flow's timer.
#include <cstring>

#include "runtime/worker.h"

namespace synack::runtime {

namespace {
// A FIN-WAIT-2 timeout is not among them: the exchange finished and nothing
// was reset, the peer just never sent its FIN (Linux ends it as quietly).
constexpr uint32_t kResetEvents = tcp::event::kResetByPeer | tcp::event::kResetSent |
                                  tcp::event::kGaveUp | tcp::event::kIdleTimeout;

bool counted(tcp::State s) {
  return s != tcp::State::kListen && s != tcp::State::kClosed;
}
}  // namespace

int32_t Worker::new_flow(const tcp::FourTuple& key, uint32_t sig, const wire::MacAddr& mac) {
  const int32_t idx = flows_->insert(key, sig);
  if (idx < 0) return idx;  // callers checked the capacity first
  table_changes_++;
  std::memcpy(flows_->at(static_cast<uint32_t>(idx)).peer_mac, mac.b, 6);
  return idx;
}

void Worker::free_flow(uint32_t idx, tcp::State state) {
  timers_->cancel(idx);
  if (counted(state)) state_count_[static_cast<int>(state)]--;
  flows_->erase(idx);
  table_changes_++;
}

void Worker::set_state_gauge(tcp::State before, tcp::State after) {
  if (before == after) return;
  if (counted(before)) state_count_[static_cast<int>(before)]--;
  if (counted(after)) state_count_[static_cast<int>(after)]++;
  if (after == tcp::State::kSynReceived) {
    const uint32_t half_open = state_count_[static_cast<int>(after)];
    if (half_open > counters_->half_open_peak.get()) counters_->half_open_peak.set(half_open);
  }
}

// A connection entering TIME-WAIT gives its record back and keeps a compact
// entry (RFC 9293 3.10.7.4 step 8's timer is the store's FIFO).
void Worker::enter_time_wait(uint32_t idx, tcp::State before) {
  const tcp::TimeWaitState tw = tcp::Endpoint::time_wait_state(flows_->at(idx).tcb);
  const tcp::FourTuple key = flows_->key(idx);
  const uint32_t sig = flows_->signature(key);
  free_flow(idx, before);
  const flow::TimeWaitStore::Inserted r =
      time_wait_->insert(key, sig, tw, now_ms_ + cfg_.endpoint.time_wait_ms);
  if (r.recycled) {
    counters_->time_wait_recycled.add();
    if (client_flows_) client_release(r.recycled_key);
  }
  counters_->time_wait_entered.add();
  counters_->connections_closed.add();
}

// `before` is the state the flow was counted in (kListen/kClosed: not counted yet).
void Worker::apply(int32_t idx, tcp::State before, const tcp::Output& out, rte_mbuf* m,
                   const tcp::Route& route) {
  count_events(out, before);
  const tcp::Tcb* tcb = nullptr;
  const void* app = nullptr;
  if (idx >= 0) {
    const auto i = static_cast<uint32_t>(idx);
    flow::FlowRecord& rec = flows_->at(i);
    const tcp::State after = rec.tcb.state;
    if (client_flows_) client_events(i, out, before, after);
    if (out.has(tcp::event::kClosed) || after == tcp::State::kClosed) {
      free_flow(i, before);
    } else if (after == tcp::State::kTimeWait) {
      // The reply (our ACK of the peer's FIN) is written before the record goes.
      emit(out, m, route, &rec.tcb, app_state(i));
      enter_time_wait(i, before);
      return;
    } else {
      set_state_gauge(before, after);
      if (out.timer == tcp::TimerOp::kArm)
        timers_->arm(i, now_ms_ + out.timer_ms);
      else if (out.timer == tcp::TimerOp::kCancel)
        timers_->cancel(i);
      tcb = &rec.tcb;
      app = app_state(i);
    }
  }
  emit(out, m, route, tcb, app);
}

void Worker::count_events(const tcp::Output& out, tcp::State before) {
  using namespace tcp::event;
  WorkerCounters& c = *counters_;
  if (out.events == 0) return;
  if (out.has(kEstablished)) c.connections_established.add();
  if (out.has(kClosed)) {
    // Only what reached ESTABLISHED was a connection; a handshake that
    // ends (retries exhausted, RST) is a half-open record going away.
    using tcp::State;
    const bool half_open =
        !out.has(kEstablished) &&
        tcp::in_state(before, tcp::bit(State::kSynReceived) | tcp::bit(State::kSynSent) |
                                  tcp::bit(State::kListen));
    if (half_open)
      c.half_open_closed.add();
    else if (before != State::kTimeWait)
      (out.has(kResetEvents) ? c.connections_reset : c.connections_closed).add();
  }
  if (out.has(kFinWait2Timeout)) c.fin_wait_2_timeouts.add();
  if (out.has(kRetransmit)) c.retransmits.add();
  if (out.has(kRequest)) c.requests.add();
  if (out.has(kAckThrottled)) c.acks_rate_limited.add();
}

void Worker::on_timer(uint32_t idx) {
  flow::FlowRecord& rec = flows_->at(idx);
  const tcp::State before = rec.tcb.state;
  tcp::Output out;
  endpoint_.on_timer(rec.tcb, now_ms_, out, app_state(idx));
  tcp::Route route;
  std::memcpy(route.remote_mac.b, rec.peer_mac, 6);
  route.local_mac = p_.mac;
  route.key = flows_->key(idx);
  apply(static_cast<int32_t>(idx), before, out, nullptr, route);
}

}  // namespace synack::runtime
