// Why the TCP layer did not take a segment: declared once here (as VPP's
// tcp_error.def) and composed with the other layers' lists by the runtime,
// whose counters use the second column as their name.
#pragma once

#include <cstdint>

// X(enumerator, counter name)
#define SYNACK_TCP_DROPS(X)                                                                  \
  /* segment_parse.h */                                                                      \
  X(kBadTcpHeader, bad_tcp_header)         /* data offset < 5 or past the segment */         \
  X(kBadTcpOptions, bad_tcp_options)       /* malformed option list (length 0/1, overrun) */ \
  X(kTcpMd5Unexpected, tcp_md5_unexpected) /* RFC 2385 option, no key configured */          \
  /* the Endpoint (RFC 9293 3.10.7, RFC 5961, RFC 7323) */                                   \
  X(kOutOfWindow, out_of_window)        /* unacceptable SEG.SEQ: ACK sent (step 1) */        \
  X(kPaws, paws)                        /* RFC 7323 5.3: TSval older than TS.Recent */       \
  X(kRstOutOfWindow, rst_out_of_window) /* RST outside the window: silent (RFC 5961 3.2) */  \
  X(kRstChallenged, rst_challenged)     /* RST in window, not exact: challenge ACK */        \
  X(kRstInexact, rst_inexact)           /* ... to a half-open record: dropped, kept */       \
  X(kSynChallenged, syn_challenged)     /* SYN on a synchronized connection (5961 4.2) */    \
  X(kAckUnacceptable, ack_unacceptable) /* ACK outside the RFC 5961 5.2 range */             \
  X(kNoAck, no_ack)                     /* no ACK bit in a synchronized state (step 5) */    \
  X(kAckInSynSent, ack_in_syn_sent)     /* unacceptable ACK in SYN-SENT (RST sent) */        \
  X(kListenRst, listen_rst)             /* RST to a listener */                              \
  X(kListenAck, listen_ack)             /* ACK to a listener, no cookie: RST sent */         \
  X(kListenNoSyn, listen_no_syn)        /* neither SYN, ACK nor RST to a listener */         \
  X(kListenSynFin, listen_syn_fin)      /* SYN+FIN to a listener (as Linux: dropped) */      \
  X(kClosedPort, closed_port)           /* no TCB, no listener: RST unless a RST */          \
  X(kDuplicate, duplicate)              /* retransmitted segment already taken: ACK sent */  \
  X(kSynSentNoSyn, syn_sent_no_syn)     /* SYN-SENT: neither SYN nor RST (3.10.7.3) */

namespace synack::tcp {

enum class Drop : uint8_t {
  kNone,
#define SYNACK_TCP_DROP_ENUM(e, name) e,
  SYNACK_TCP_DROPS(SYNACK_TCP_DROP_ENUM)
#undef SYNACK_TCP_DROP_ENUM
};
inline constexpr int kNumDrops = 1
#define SYNACK_TCP_DROP_COUNT(e, name) +1
    SYNACK_TCP_DROPS(SYNACK_TCP_DROP_COUNT)
#undef SYNACK_TCP_DROP_COUNT
    ;
const char* drop_name(Drop d);

}  // namespace synack::tcp
