// Why the wire layer did not take a frame: declared once here (as VPP's
// tcp_error.def) and composed with the other layers' lists by the runtime,
// whose counters use the second column as their name.
#pragma once

// X(enumerator, counter name)
#define SYNACK_WIRE_DROPS(X)                                                                      \
  X(kTruncated, truncated)                        /* shorter than its headers say */              \
  X(kUnsupportedEthertype, unsupported_ethertype) /* not IPv4 or ARP (VLAN included) */           \
  X(kBadSourceMac, bad_source_mac)                /* Ethernet source group or all-zero */         \
  X(kOtherHost, other_host)                       /* unicast to another MAC (PACKET_OTHERHOST) */ \
  X(kNotForUs, not_for_us)                        /* another IP, or TCP/ICMP to a group MAC */    \
  X(kBadArp, bad_arp)                             /* not Ethernet/IPv4 ARP, or an odd opcode */   \
  X(kArpMartian, arp_martian)                     /* ARP sender that cannot be a neighbour */     \
  X(kArpConflict, arp_conflict)                   /* another MAC claims our IP (RFC 5227) */      \
  X(kBadIpHeader, bad_ip_header)                  /* version, IHL or total length wrong */        \
  X(kBadIpChecksum, bad_ip_checksum)                                                              \
  X(kBadIpOptions, bad_ip_options)              /* malformed options (ip_options_compile) */      \
  X(kIpSourceRoute, ip_source_route)            /* LSRR/SSRR (Linux accept_source_route=0) */     \
  X(kFragment, fragment)                        /* MF set or offset != 0 (no reassembly) */       \
  X(kMartianSource, martian_source)             /* RFC 1122 3.2.1.3 source, or our own */         \
  X(kUnsupportedProtocol, unsupported_protocol) /* neither ICMP nor TCP */                        \
  X(kBadIcmp, bad_icmp)                         /* not an echo request, or too short */           \
  X(kBadIcmpChecksum, bad_icmp_checksum)                                                          \
  X(kBadTcpChecksum, bad_tcp_checksum)
