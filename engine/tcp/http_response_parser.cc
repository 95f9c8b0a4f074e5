#include "tcp/http_response_parser.h"

#include <algorithm>

namespace synack::tcp {

namespace {

constexpr uint8_t kLf = '\n';
constexpr uint8_t kCrByte = '\r';

bool is_ows(uint8_t b) {
  return b == ' ' || b == '\t';
}
bool is_digit(uint8_t b) {
  return b >= '0' && b <= '9';
}
int hex_value(uint8_t b) {
  if (is_digit(b)) return b - '0';
  if (b >= 'a' && b <= 'f') return b - 'a' + 10;
  if (b >= 'A' && b <= 'F') return b - 'A' + 10;
  return -1;
}
uint8_t lower(uint8_t b) {
  return (b >= 'A' && b <= 'Z') ? static_cast<uint8_t>(b + ('a' - 'A')) : b;
}
// RFC 9110 5.6.2: tchar.
bool is_tchar(uint8_t b) {
  if (is_digit(b) || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z')) return true;
  switch (b) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

// The field names that frame a response, matched case-insensitively (RFC 9110
// 5.1) one byte at a time: scratch holds the names still possible in its low
// bits and the bytes matched in bits 8-15.
struct Name {
  const char* text;
  uint8_t len;
};
constexpr Name kNames[] = {{"content-length", 14}, {"transfer-encoding", 17}, {"connection", 10}};
constexpr uint32_t kNameLength = 1u << 0;
constexpr uint32_t kNameCoding = 1u << 1;
constexpr uint32_t kNameConnection = 1u << 2;
constexpr uint32_t kAllNames = kNameLength | kNameCoding | kNameConnection;

// A list of tokens (RFC 9110 5.6.1), the elements compared with one token
// case-insensitively: scratch holds the bytes matched (saturating) and these
// bits. Parameters (";...", quoted strings included) are skipped.
constexpr uint32_t kTokCount = 0x1f;
constexpr uint32_t kTokMismatch = 1u << 5;
constexpr uint32_t kTokEnded = 1u << 6;  // OWS or ';' came after the token
constexpr uint32_t kTokParams = 1u << 7;
constexpr uint32_t kTokQuoted = 1u << 8;
constexpr uint32_t kTokEscape = 1u << 9;
constexpr char kChunkedToken[] = "chunked";
constexpr char kCloseToken[] = "close";

}  // namespace

const char* response_error_name(ResponseError e) {
  switch (e) {
    case ResponseError::kNone:
      return "none";
    case ResponseError::kBadStatusLine:
      return "bad_status_line";
    case ResponseError::kBadStatusCode:
      return "bad_status_code";
    case ResponseError::kUnexpectedUpgrade:
      return "unexpected_upgrade";
    case ResponseError::kBadFieldLine:
      return "bad_field_line";
    case ResponseError::kBareCr:
      return "bare_cr";
    case ResponseError::kHeadTooLong:
      return "head_too_long";
    case ResponseError::kBadContentLength:
      return "bad_content_length";
    case ResponseError::kConflictingLength:
      return "conflicting_length";
    case ResponseError::kLengthTooLarge:
      return "length_too_large";
    case ResponseError::kFoldedFramingField:
      return "folded_framing_field";
    case ResponseError::kBadChunk:
      return "bad_chunk";
    case ResponseError::kChunkTooLarge:
      return "chunk_too_large";
  }
  return "unknown";
}

ParseStatus HttpResponseParser::fail(ResponseError e) {
  phase_ = kFailed;
  scratch_ = static_cast<uint32_t>(e);
  return ParseStatus::kMalformed;
}

bool HttpResponseParser::complete_at_close() const {
  return phase_ == kBodyUntilClose;
}

ParseStatus HttpResponseParser::feed(const ResponseLimits& lim, const uint8_t*& p,
                                     const uint8_t* end) {
  while (p < end) {
    switch (phase_) {
      case kBody:
      case kChunkData: {
        const auto n = static_cast<uint32_t>(std::min<size_t>(length_, end - p));
        length_ -= n;
        p += n;
        if (length_ != 0) break;
        if (phase_ == kChunkData) {
          phase_ = kChunkDataEnd;
          break;
        }
        phase_ = kComplete;
        return ParseStatus::kComplete;
      }
      case kBodyUntilClose:
        p = end;
        return ParseStatus::kNeedMore;
      case kComplete:
        return ParseStatus::kComplete;
      case kFailed:
        return ParseStatus::kMalformed;
      default: {
        const ParseStatus r = line_byte(lim, *p++);
        if (r != ParseStatus::kNeedMore) return r;
        break;
      }
    }
  }
  return ParseStatus::kNeedMore;
}

// RFC 9112 2.2: lines end in CRLF; "a recipient MAY recognize a single LF as
// a line terminator and ignore any preceding CR", and a bare CR is invalid.
ParseStatus HttpResponseParser::line_byte(const ResponseLimits& lim, uint8_t b) {
  if (head_len_ >= lim.max_head) return fail(ResponseError::kHeadTooLong);
  ++head_len_;
  if (flags_ & kCr) {
    if (b != kLf) return fail(ResponseError::kBareCr);
    flags_ &= static_cast<uint8_t>(~kCr);
    return line_end(lim);
  }
  if (b == kCrByte) {
    flags_ |= kCr;
    return ParseStatus::kNeedMore;
  }
  if (b == kLf) return line_end(lim);
  return line_char(b);
}

ParseStatus HttpResponseParser::line_char(uint8_t b) {
  switch (phase_) {
    case kStatusVersion: {
      // RFC 9112 2.3: HTTP-version = "HTTP" "/" DIGIT "." DIGIT, case-sensitive;
      // only major version 1 is HTTP/1.x framing.
      static constexpr char kPrefix[] = "HTTP/1.";
      const uint32_t pos = scratch_;
      const bool ok = pos < 7    ? b == static_cast<uint8_t>(kPrefix[pos])
                      : pos == 7 ? is_digit(b)
                                 : b == ' ';
      if (!ok) return fail(ResponseError::kBadStatusLine);
      if (pos == 8) {
        phase_ = kStatusCode;
        scratch_ = 0;
      } else {
        scratch_ = pos + 1;
      }
      return ParseStatus::kNeedMore;
    }
    case kStatusCode:
      if (is_digit(b) && scratch_ < 100) {
        // The first digit is the class, 1 to 5 (RFC 9110 15).
        if (scratch_ == 0 && (b < '1' || b > '5')) return fail(ResponseError::kBadStatusCode);
        scratch_ = scratch_ * 10 + (b - '0');
        return ParseStatus::kNeedMore;
      }
      if (b == ' ' && scratch_ >= 100) {
        phase_ = kStatusReason;
        return status_code_done();
      }
      return fail(ResponseError::kBadStatusCode);
    case kStatusReason:
    case kFieldValue:
    case kFold:
    case kChunkExt:
    case kTrailerLine:
      return ParseStatus::kNeedMore;  // "A client SHOULD ignore the reason-phrase" (RFC 9112 4)
    case kFieldStart:
    case kFieldStartAfterFraming:
      if (is_ows(b)) {
        // RFC 9112 5.2 obs-fold: the line continues the previous field. For
        // a field that frames the message a fold is refused, as a split
        // Content-Length is the stuff of response splitting.
        if (phase_ == kFieldStartAfterFraming) return fail(ResponseError::kFoldedFramingField);
        phase_ = kFold;
        return ParseStatus::kNeedMore;
      }
      phase_ = kFieldName;
      scratch_ = kAllNames;
      return name_char(b);
    case kFieldName:
      return b == ':' ? name_end() : name_char(b);
    case kLengthOws:
    case kLengthDigits:
    case kLengthTail:
    case kLengthNext:
      return length_char(b);
    case kCodingValue:
    case kConnectionValue:
      token_char(b);
      return ParseStatus::kNeedMore;
    case kChunkSizeFirst:
    case kChunkSize:
    case kChunkSizeTail:
      return chunk_size_char(b);
    case kChunkDataEnd:
      return fail(ResponseError::kBadChunk);
    case kTrailerStart:
      phase_ = kTrailerLine;  // RFC 9112 7.1.2: trailer fields may be discarded
      return ParseStatus::kNeedMore;
    default:
      return fail(ResponseError::kBadStatusLine);  // not reached: body phases take no lines
  }
}

ParseStatus HttpResponseParser::line_end(const ResponseLimits& lim) {
  switch (phase_) {
    case kStatusCode:
      // A status line without the SP before an empty reason phrase: accepted.
      if (scratch_ < 100) return fail(ResponseError::kBadStatusCode);
      phase_ = kFieldStart;
      return status_code_done();
    case kStatusReason:
    case kFieldValue:
    case kFold:
      phase_ = kFieldStart;
      return ParseStatus::kNeedMore;
    case kFieldStart:
    case kFieldStartAfterFraming:
      return head_done(lim);
    case kLengthOws:
      return fail(ResponseError::kBadContentLength);
    case kLengthDigits:
    case kLengthTail: {
      const ParseStatus r = length_commit();
      if (r != ParseStatus::kNeedMore) return r;
      phase_ = kFieldStartAfterFraming;
      return r;
    }
    case kLengthNext:
      phase_ = kFieldStartAfterFraming;
      return ParseStatus::kNeedMore;
    case kCodingValue:
    case kConnectionValue:
      token_element_end();
      phase_ = kFieldStartAfterFraming;
      return ParseStatus::kNeedMore;
    case kChunkSize:
    case kChunkSizeTail:
    case kChunkExt:
      // RFC 9112 7.1: last-chunk (size 0) is followed by the trailer section.
      head_len_ = 0;
      if (scratch_ == 0) {
        phase_ = kTrailerStart;
      } else {
        length_ = scratch_;
        phase_ = kChunkData;
      }
      return ParseStatus::kNeedMore;
    case kChunkDataEnd:
      phase_ = kChunkSizeFirst;
      head_len_ = 0;
      return ParseStatus::kNeedMore;
    case kTrailerStart:
      phase_ = kComplete;
      return ParseStatus::kComplete;
    case kTrailerLine:
      phase_ = kTrailerStart;
      return ParseStatus::kNeedMore;
    case kChunkSizeFirst:
      return fail(ResponseError::kBadChunk);
    default:  // kStatusVersion, kFieldName: the line ended too early
      return fail(phase_ == kFieldName ? ResponseError::kBadFieldLine
                                       : ResponseError::kBadStatusLine);
  }
}

ParseStatus HttpResponseParser::status_code_done() {
  const uint32_t code = scratch_;
  scratch_ = 0;
  if (code == 101) return fail(ResponseError::kUnexpectedUpgrade);
  if (code < 200) flags_ |= kInterim;
  if (code == 204 || code == 304) flags_ |= kNoBody;
  return ParseStatus::kNeedMore;
}

// RFC 9112 6.3, in its order: items 1 (1xx, 204, 304, HEAD), 3-4
// (Transfer-Encoding), 5-6 (Content-Length), 8 (until close).
ParseStatus HttpResponseParser::head_done(const ResponseLimits& lim) {
  scratch_ = 0;
  if (flags_ & kInterim) {
    // RFC 9110 15.2: "A client MUST be able to parse one or more 1xx
    // responses received prior to a final response". The bound on the head
    // counts them all, so a stream of them ends.
    const uint16_t seen = head_len_;
    reset();
    head_len_ = seen;
    return ParseStatus::kNeedMore;
  }
  if ((flags_ & kNoBody) || lim.head_request) {
    phase_ = kComplete;
    return ParseStatus::kComplete;
  }
  if (flags_ & kTeSeen) {
    phase_ = (flags_ & kChunked) ? kChunkSizeFirst : kBodyUntilClose;
    head_len_ = 0;
    return ParseStatus::kNeedMore;
  }
  if (flags_ & kHasLength) {
    if (length_ == 0) {
      phase_ = kComplete;
      return ParseStatus::kComplete;
    }
    phase_ = kBody;
    return ParseStatus::kNeedMore;
  }
  phase_ = kBodyUntilClose;
  return ParseStatus::kNeedMore;
}

ParseStatus HttpResponseParser::name_char(uint8_t b) {
  if (!is_tchar(b)) return fail(ResponseError::kBadFieldLine);
  const uint32_t pos = scratch_ >> 8;
  uint32_t cand = scratch_ & kAllNames;
  for (uint32_t i = 0; i < 3; ++i) {
    const uint32_t bit = 1u << i;
    if ((cand & bit) && (pos >= kNames[i].len || lower(b) != kNames[i].text[pos])) cand &= ~bit;
  }
  scratch_ = cand | (std::min<uint32_t>(pos + 1, 0xff) << 8);
  return ParseStatus::kNeedMore;
}

ParseStatus HttpResponseParser::name_end() {
  const uint32_t pos = scratch_ >> 8;
  const uint32_t cand = scratch_ & kAllNames;
  scratch_ = 0;
  if (pos == 0) return fail(ResponseError::kBadFieldLine);
  if ((cand & kNameLength) && pos == kNames[0].len) {
    phase_ = kLengthOws;
  } else if ((cand & kNameCoding) && pos == kNames[1].len) {
    phase_ = kCodingValue;
  } else if ((cand & kNameConnection) && pos == kNames[2].len) {
    phase_ = kConnectionValue;
  } else {
    phase_ = kFieldValue;
  }
  return ParseStatus::kNeedMore;
}

// RFC 9110 8.6: Content-Length = 1*DIGIT, between optional whitespace. RFC
// 9112 6.3 item 5 lets a recipient accept a list of one value repeated
// ("42, 42"); empty list elements are ignored (RFC 9110 5.6.1.2).
ParseStatus HttpResponseParser::length_char(uint8_t b) {
  if (is_digit(b)) {
    const uint32_t d = b - '0';
    switch (phase_) {
      case kLengthOws:
      case kLengthNext:
        scratch_ = d;
        phase_ = kLengthDigits;
        return ParseStatus::kNeedMore;
      case kLengthDigits:
        if (scratch_ > (UINT32_MAX - d) / 10) return fail(ResponseError::kLengthTooLarge);
        scratch_ = scratch_ * 10 + d;
        return ParseStatus::kNeedMore;
      default:  // kLengthTail: "1 2"
        return fail(ResponseError::kBadContentLength);
    }
  }
  if (is_ows(b)) {
    if (phase_ == kLengthDigits) phase_ = kLengthTail;
    return ParseStatus::kNeedMore;
  }
  if (b == ',') {
    if (phase_ == kLengthDigits || phase_ == kLengthTail) {
      const ParseStatus r = length_commit();
      if (r != ParseStatus::kNeedMore) return r;
      phase_ = kLengthNext;
    }
    return ParseStatus::kNeedMore;
  }
  return fail(ResponseError::kBadContentLength);
}

ParseStatus HttpResponseParser::length_commit() {
  if ((flags_ & kHasLength) && length_ != scratch_) return fail(ResponseError::kConflictingLength);
  length_ = scratch_;
  flags_ |= kHasLength;
  scratch_ = 0;
  return ParseStatus::kNeedMore;
}

void HttpResponseParser::token_char(uint8_t b) {
  uint32_t s = scratch_;
  if (s & kTokQuoted) {
    if (s & kTokEscape) {
      s &= ~kTokEscape;
    } else if (b == '\\') {
      s |= kTokEscape;
    } else if (b == '"') {
      s &= ~kTokQuoted;
    }
  } else if (b == ',') {
    token_element_end();
    return;
  } else if (s & kTokParams) {
    if (b == '"') s |= kTokQuoted;
  } else if (b == ';') {
    s |= kTokParams | kTokEnded;
  } else if (is_ows(b)) {
    if ((s & kTokCount) != 0 || (s & kTokMismatch)) s |= kTokEnded;
  } else {
    const char* want = phase_ == kCodingValue ? kChunkedToken : kCloseToken;
    const uint32_t want_len = phase_ == kCodingValue ? 7 : 5;
    const uint32_t n = s & kTokCount;
    if ((s & kTokEnded) || !is_tchar(b) || n >= want_len || lower(b) != want[n]) {
      s |= kTokMismatch;
    }
    s = (s & ~kTokCount) | std::min<uint32_t>(n + 1, kTokCount);
  }
  scratch_ = s;
}

void HttpResponseParser::token_element_end() {
  const uint32_t s = scratch_;
  scratch_ = 0;
  const uint32_t n = s & kTokCount;
  if (n == 0) return;  // an empty element
  const uint32_t want_len = phase_ == kCodingValue ? 7 : 5;
  const bool match = n == want_len && !(s & kTokMismatch);
  if (phase_ == kCodingValue) {
    // RFC 9112 6.3 item 4: what counts is whether chunked is the final coding,
    // over all Transfer-Encoding lines in order.
    flags_ |= kTeSeen;
    if (match) {
      flags_ |= kChunked;
    } else {
      flags_ &= static_cast<uint8_t>(~kChunked);
    }
  } else if (match) {
    flags_ |= kConnClose;
  }
}

// RFC 9112 7.1: chunk-size = 1*HEXDIG, then chunk-ext = *( BWS ";" ... ).
ParseStatus HttpResponseParser::chunk_size_char(uint8_t b) {
  const int h = hex_value(b);
  if (h >= 0 && phase_ != kChunkSizeTail) {
    if (phase_ == kChunkSize && scratch_ > (UINT32_MAX >> 4)) {
      return fail(ResponseError::kChunkTooLarge);
    }
    scratch_ = (phase_ == kChunkSizeFirst ? 0 : scratch_ << 4) | static_cast<uint32_t>(h);
    phase_ = kChunkSize;
    return ParseStatus::kNeedMore;
  }
  if (phase_ == kChunkSizeFirst) return fail(ResponseError::kBadChunk);
  if (b == ';') {
    phase_ = kChunkExt;
    return ParseStatus::kNeedMore;
  }
  if (is_ows(b)) {
    phase_ = kChunkSizeTail;
    return ParseStatus::kNeedMore;
  }
  return fail(ResponseError::kBadChunk);
}

}  // namespace synack::tcp
