// HttpResponseParser alone: every framing of RFC 9112 6.3 in every split,
// the bounds, and why each malformed response is refused.
#include "tcp/http_response_parser.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "client_test_util.h"
#include "tcp/requester.h"

namespace synack::tcp::testing {
namespace {

struct Fed {
  ParseStatus status = ParseStatus::kNeedMore;
  size_t taken = 0;  // bytes consumed over all parts
};

// Feeds `parts` in order until the parser stops taking bytes.
Fed feed_parts(HttpResponseParser& p, const std::vector<std::string_view>& parts,
               const ResponseLimits& lim = ResponseLimits()) {
  Fed f;
  for (std::string_view part : parts) {
    const auto* b = reinterpret_cast<const uint8_t*>(part.data());
    const uint8_t* q = b;
    f.status = p.feed(lim, q, b + part.size());
    f.taken += static_cast<size_t>(q - b);
    if (f.status != ParseStatus::kNeedMore) break;
  }
  return f;
}

Fed feed_one(HttpResponseParser& p, std::string_view s,
             const ResponseLimits& lim = ResponseLimits()) {
  return feed_parts(p, {s}, lim);
}

// A well-formed response: complete exactly at its last byte (or, when
// close-delimited, still taking bytes and complete at the FIN).
void expect_framed(const Sample& s, const std::vector<std::string_view>& parts) {
  HttpResponseParser p;
  const Fed f = feed_parts(p, parts);
  EXPECT_EQ(f.taken, s.bytes.size());
  EXPECT_EQ(p.error(), ResponseError::kNone);
  if (s.framing == Framing::kUntilClose) {
    EXPECT_EQ(f.status, ParseStatus::kNeedMore);
    EXPECT_TRUE(p.complete_at_close());
  } else {
    EXPECT_EQ(f.status, ParseStatus::kComplete);
    EXPECT_FALSE(p.complete_at_close());
  }
}

TEST(HttpResponseParser, StateIsSmallAndZeroIsFresh) {
  static_assert(sizeof(RequesterState) <= 16);
  static_assert(std::is_trivially_copyable_v<RequesterState>);
  HttpResponseParser zeroed;
  std::memset(static_cast<void*>(&zeroed), 0, sizeof zeroed);
  const Fed f = feed_one(zeroed, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx");
  EXPECT_EQ(f.status, ParseStatus::kComplete);
  RequesterState st;
  std::memset(static_cast<void*>(&st), 0, sizeof st);
  EXPECT_EQ(st.requests_sent, 0);
  EXPECT_EQ(st.parser.error(), ResponseError::kNone);
}

TEST(HttpResponseParser, EveryResponseWhole) {
  for (const Sample& s : response_corpus()) {
    SCOPED_TRACE(s.name);
    expect_framed(s, {s.bytes});
  }
}

// The bytes after a response are left for the caller.
TEST(HttpResponseParser, StopsAtTheEndOfTheResponse) {
  for (const Sample& s : response_corpus()) {
    if (s.framing == Framing::kUntilClose) continue;
    SCOPED_TRACE(s.name);
    HttpResponseParser p;
    const std::string more = s.bytes + "HTTP/1.1 200 OK\r\n";
    const Fed f = feed_one(p, more);
    EXPECT_EQ(f.status, ParseStatus::kComplete);
    EXPECT_EQ(f.taken, s.bytes.size());
  }
}

TEST(HttpResponseParser, EveryTwoAndThreeWaySplit) {
  for (const Sample& s : response_corpus()) {
    SCOPED_TRACE(s.name);
    const std::string_view b(s.bytes);
    const size_t n = b.size();
    for (size_t i = 0; i <= n; ++i) {
      expect_framed(s, {b.substr(0, i), b.substr(i)});
      if (n > 160) continue;  // three-way splits of the short ones only
      for (size_t j = i; j <= n; ++j) {
        expect_framed(s, {b.substr(0, i), b.substr(i, j - i), b.substr(j)});
      }
    }
  }
}

TEST(HttpResponseParser, OneByteAtATime) {
  for (const Sample& s : response_corpus()) {
    SCOPED_TRACE(s.name);
    std::vector<std::string_view> parts;
    for (size_t i = 0; i < s.bytes.size(); ++i)
      parts.push_back(std::string_view(s.bytes).substr(i, 1));
    expect_framed(s, parts);
  }
}

TEST(HttpResponseParser, EveryMalformedResponseForItsReason) {
  for (const BadSample& b : malformed_corpus()) {
    SCOPED_TRACE(b.name);
    HttpResponseParser whole;
    const Fed f = feed_one(whole, b.bytes);
    EXPECT_EQ(f.status, ParseStatus::kMalformed);
    EXPECT_EQ(response_error_name(whole.error()), std::string(response_error_name(b.error)));
    EXPECT_LE(f.taken, b.bytes.size());
    // Byte by byte, refused at the same byte.
    HttpResponseParser bytewise;
    std::vector<std::string_view> parts;
    for (size_t i = 0; i < b.bytes.size(); ++i)
      parts.push_back(std::string_view(b.bytes).substr(i, 1));
    const Fed g = feed_parts(bytewise, parts);
    EXPECT_EQ(g.status, ParseStatus::kMalformed);
    EXPECT_EQ(g.taken, f.taken);
    EXPECT_EQ(bytewise.error(), whole.error());
    // Once refused, nothing more is taken.
    const Fed h = feed_one(whole, "HTTP/1.1 200 OK\r\n\r\n");
    EXPECT_EQ(h.status, ParseStatus::kMalformed);
    EXPECT_EQ(h.taken, 0u);
    EXPECT_FALSE(whole.complete_at_close());
  }
}

TEST(HttpResponseParser, LengthBoundaries) {
  HttpResponseParser p;
  EXPECT_EQ(feed_one(p, "HTTP/1.1 200 OK\r\nContent-Length: 4294967295\r\n\r\nabc").status,
            ParseStatus::kNeedMore);
  EXPECT_FALSE(p.complete_at_close()) << "a FIN now truncates it";
  HttpResponseParser q;
  EXPECT_EQ(feed_one(q, "HTTP/1.1 200 OK\r\nContent-Length: 0004294967295\r\n\r\n").status,
            ParseStatus::kNeedMore)
      << "leading zeros do not count";
  HttpResponseParser r;
  EXPECT_EQ(feed_one(r, "HTTP/1.1 200 OK\r\nContent-Length: 4294967296\r\n\r\n").status,
            ParseStatus::kMalformed);
  EXPECT_EQ(r.error(), ResponseError::kLengthTooLarge);
  HttpResponseParser c;
  EXPECT_EQ(
      feed_one(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffFFFF\r\nab").status,
      ParseStatus::kNeedMore);
  HttpResponseParser d;
  EXPECT_EQ(
      feed_one(d,
               "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0000000001\r\nx\r\n0\r\n\r\n")
          .status,
      ParseStatus::kComplete);
}

// The head bound: max_head bytes pass, one more does not; interim heads count.
TEST(HttpResponseParser, HeadBound) {
  const std::string head = "HTTP/1.1 204 No Content\r\nX: abc\r\n\r\n";
  ResponseLimits lim;
  lim.max_head = static_cast<uint16_t>(head.size());
  HttpResponseParser p;
  EXPECT_EQ(feed_one(p, head, lim).status, ParseStatus::kComplete);
  lim.max_head -= 1;
  HttpResponseParser q;
  EXPECT_EQ(feed_one(q, head, lim).status, ParseStatus::kMalformed);
  EXPECT_EQ(q.error(), ResponseError::kHeadTooLong);
  const std::string interim = "HTTP/1.1 100 Continue\r\n\r\n";
  lim.max_head = static_cast<uint16_t>(interim.size() + head.size());
  HttpResponseParser r;
  EXPECT_EQ(feed_one(r, interim + head, lim).status, ParseStatus::kComplete);
  HttpResponseParser s;
  EXPECT_EQ(feed_one(s, interim + interim + head, lim).status, ParseStatus::kMalformed);
  // Chunk-size lines and the trailer section have the bound each, not the body.
  lim.max_head = 64;
  HttpResponseParser t;
  const std::string chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" +
                              std::string("64;") + std::string(50, 'e') + "\r\n" +
                              std::string(100, 'd') + "\r\n0\r\nT: " + std::string(50, 't') +
                              "\r\n\r\n";
  EXPECT_EQ(feed_one(t, chunked, lim).status, ParseStatus::kComplete);
}

TEST(HttpResponseParser, HeadRequestResponsesEndAtTheHead) {
  ResponseLimits lim;
  lim.head_request = true;
  for (const char* r :
       {"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "HTTP/1.1 200 OK\r\n\r\n"}) {
    SCOPED_TRACE(r);
    HttpResponseParser p;
    const Fed f = feed_one(p, r, lim);
    EXPECT_EQ(f.status, ParseStatus::kComplete);
    EXPECT_EQ(f.taken, std::strlen(r));
  }
}

// Only the field names and tokens that frame the message count, and only
// when they match exactly (case aside).
TEST(HttpResponseParser, FramingFieldsMatchExactly) {
  struct Case {
    const char* field;
    bool until_close;  // with 2 body bytes "ok" and no other framing
  };
  const Case cases[] = {
      {"Content-Length: 2", false},
      {"CONTENT-length: 2", false},
      {"Content-Lengthy: 2", true},
      {"Content-Lengt: 2", true},
      {"X-Content-Length: 2", true},
      {"Transfer-Encoding: chunkedx", true},
      {"Transfer-Encoding: \"chunked\"", true},
      {"Transfer-Encoding: x;p=\"a,chunked\"", true},
      {"Transfer-Encoding: chun ked", true},
      {"Transfer-Encoding:", false},  // no coding named: the Content-Length below frames it
  };
  for (const Case& k : cases) {
    SCOPED_TRACE(k.field);
    const std::string r =
        std::string("HTTP/1.1 200 OK\r\n") + k.field +
        (std::strncmp(k.field, "Transfer", 8) == 0 ? "\r\nContent-Length: 2" : "") + "\r\n\r\nok";
    HttpResponseParser p;
    const Fed f = feed_one(p, r);
    EXPECT_EQ(f.taken, r.size());
    EXPECT_EQ(f.status, k.until_close ? ParseStatus::kNeedMore : ParseStatus::kComplete);
    EXPECT_EQ(p.complete_at_close(), k.until_close);
  }
  // Transfer-Encoding: chunked with a parameter is still chunked.
  HttpResponseParser c;
  EXPECT_EQ(
      feed_one(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked;x=1\r\n\r\n0\r\n\r\n").status,
      ParseStatus::kComplete);
}

TEST(HttpResponseParser, ConnectionClose) {
  struct Case {
    const char* field;
    bool close;
  };
  const Case cases[] = {
      {"Connection: close", true},          {"connection: CLOSE", true},
      {"Connection: keep-alive", false},    {"Connection: closed", false},
      {"Connection: upgrade, close", true}, {"Connection: close , upgrade", true},
      {"X-Connection: close", false},       {"Connections: close", false},
      {"Connection: clo se", false},
  };
  for (const Case& k : cases) {
    SCOPED_TRACE(k.field);
    HttpResponseParser p;
    const std::string r =
        std::string("HTTP/1.1 200 OK\r\n") + k.field + "\r\nContent-Length: 0\r\n\r\n";
    ASSERT_EQ(feed_one(p, r).status, ParseStatus::kComplete);
    EXPECT_EQ(p.connection_close(), k.close);
    p.reset();
    EXPECT_FALSE(p.connection_close());
  }
  // An interim response's fields are its own.
  HttpResponseParser q;
  ASSERT_EQ(feed_one(q,
                     "HTTP/1.1 100 Continue\r\nConnection: close\r\n\r\n"
                     "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                .status,
            ParseStatus::kComplete);
  EXPECT_FALSE(q.connection_close());
}

TEST(HttpResponseParser, ResetParsesTheNextResponse) {
  HttpResponseParser p;
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(
        feed_one(p, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n")
            .status,
        ParseStatus::kComplete);
    p.reset();
    ASSERT_EQ(feed_one(p, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx").status,
              ParseStatus::kComplete);
    p.reset();
  }
}

}  // namespace
}  // namespace synack::tcp::testing
