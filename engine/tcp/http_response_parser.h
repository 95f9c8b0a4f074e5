// Where one HTTP/1.1 response ends in a byte stream (RFC 9112 6.3), found
// incrementally: the bytes may arrive in any split, one at a time included,
// and none is kept. The client application (requester.h) keeps one parser per
// flow in its per-flow state, so the parser is 12 trivially copyable bytes,
// all zero before a status line.
//
// What it reads: the status line (RFC 9112 4), the field lines (5), of which
// Content-Length (RFC 9110 8.6), Transfer-Encoding (RFC 9112 6.1) and
// Connection (RFC 9110 7.6.1) matter, interim 1xx responses (skipped), and the
// body as 6.3 frames it: none for 1xx, 204, 304 or a HEAD request; chunked
// (7.1, with chunk extensions and trailers) when chunked is the final
// transfer coding; until the server closes when another coding is final or
// when neither framing field is present; otherwise Content-Length bytes.
// Transfer-Encoding overrides Content-Length (6.3 item 3).
//
// Everything is bounded: a head (status and field lines, over all interim
// responses), a chunk-size line and a trailer section each fit `max_head`
// bytes; lengths fit 32 bits. What it rejects (error() says why) ends the
// connection: RFC 9112 6.3 item 5 makes an invalid length "an unrecoverable
// error", and a stream that is not HTTP cannot be resynchronised.
#pragma once

#include <cstdint>
#include <type_traits>

namespace synack::tcp {

enum class ParseStatus : uint8_t {
  kNeedMore,   // every byte taken, the response goes on
  kComplete,   // the response ended; the bytes after it were not taken
  kMalformed,  // see error(); nothing more is taken
};

enum class ResponseError : uint8_t {
  kNone,
  kBadStatusLine,       // not "HTTP/1.<digit> " (RFC 9112 2.3, 4)
  kBadStatusCode,       // not three digits in 100..599 (RFC 9110 15)
  kUnexpectedUpgrade,   // 101: we never ask to switch protocols (RFC 9110 15.2.2)
  kBadFieldLine,        // no colon, empty name, or a name byte not a tchar (RFC 9112 5)
  kBareCr,              // CR not followed by LF (RFC 9112 2.2)
  kHeadTooLong,         // head, chunk-size line or trailers past max_head
  kBadContentLength,    // not 1*DIGIT, or a list without a value (RFC 9110 8.6)
  kConflictingLength,   // two different Content-Length values (RFC 9112 6.3 item 5)
  kLengthTooLarge,      // Content-Length above 2^32 - 1
  kFoldedFramingField,  // obs-fold continuing Content-Length, Transfer-Encoding or Connection
  kBadChunk,            // chunk-size not hex, or chunk data not followed by CRLF (RFC 9112 7.1)
  kChunkTooLarge,       // chunk-size above 2^32 - 1
};
const char* response_error_name(ResponseError e);

struct ResponseLimits {
  uint16_t max_head = 16384;  // bytes; see the header comment
  bool head_request = false;  // RFC 9112 6.3 item 1: responses to HEAD have no body
};

class HttpResponseParser {
 public:
  // Takes bytes from [p, end), advancing p, up to the end of one response.
  ParseStatus feed(const ResponseLimits& lim, const uint8_t*& p, const uint8_t* end);

  // The server's FIN arrived: whether it ends this response (a close-delimited
  // body, RFC 9112 6.3 item 8) rather than cutting it short.
  bool complete_at_close() const;
  // The response said "Connection: close" (RFC 9112 9.6): the server closes
  // after it. Meaningful once feed() returned kComplete.
  bool connection_close() const { return (flags_ & kConnClose) != 0; }
  // Why feed() returned kMalformed.
  ResponseError error() const {
    return phase_ == kFailed ? static_cast<ResponseError>(scratch_) : ResponseError::kNone;
  }
  // Ready for the next response.
  void reset() { *this = HttpResponseParser{}; }

 private:
  enum Phase : uint8_t {
    kStatusVersion,           // scratch: bytes of "HTTP/1.x " matched
    kStatusCode,              // scratch: the code so far
    kStatusReason,            // to the end of the line
    kFieldStart,              // a field line or the empty line ending the head
    kFieldStartAfterFraming,  // the same, after a framing field (obs-fold is refused)
    kFieldName,               // scratch: candidate names, bytes matched << 8
    kFieldValue,              // a field we do not read: to the end of the line
    kFold,                    // obs-fold of such a field: to the end of the line
    kLengthOws,               // Content-Length, no value on this line yet
    kLengthDigits,            // scratch: the value so far
    kLengthTail,              // OWS after a value
    kLengthNext,              // after a comma that followed a value
    kCodingValue,             // Transfer-Encoding: scratch is the token matcher
    kConnectionValue,         // Connection: the same
    kBody,                    // length_: body bytes still due
    kBodyUntilClose,          // the server's FIN ends the body
    kChunkSizeFirst,          // the first hex digit of a chunk-size
    kChunkSize,               // scratch: the size so far
    kChunkSizeTail,           // BWS before a chunk extension
    kChunkExt,                // chunk extensions: to the end of the line
    kChunkData,               // length_: chunk bytes still due
    kChunkDataEnd,            // the CRLF after chunk data
    kTrailerStart,            // a trailer line or the empty line ending the message
    kTrailerLine,             // to the end of the line
    kComplete,
    kFailed,  // scratch: the ResponseError
  };
  // flags_
  static constexpr uint8_t kCr = 0x01;         // the last byte of a line was CR
  static constexpr uint8_t kInterim = 0x02;    // 1xx
  static constexpr uint8_t kNoBody = 0x04;     // 204, 304
  static constexpr uint8_t kHasLength = 0x08;  // a Content-Length value is in length_
  static constexpr uint8_t kTeSeen = 0x10;     // Transfer-Encoding named a coding
  static constexpr uint8_t kChunked = 0x20;    // ... and the last one was chunked
  static constexpr uint8_t kConnClose = 0x40;  // Connection: close

  ParseStatus line_byte(const ResponseLimits& lim, uint8_t b);
  ParseStatus line_char(uint8_t b);
  ParseStatus line_end(const ResponseLimits& lim);
  ParseStatus status_code_done();
  ParseStatus head_done(const ResponseLimits& lim);
  ParseStatus name_char(uint8_t b);
  ParseStatus name_end();
  ParseStatus length_char(uint8_t b);
  ParseStatus length_commit();
  void token_char(uint8_t b);
  void token_element_end();
  ParseStatus chunk_size_char(uint8_t b);
  ParseStatus fail(ResponseError e);

  uint32_t length_ = 0;   // Content-Length during the head, then body or chunk bytes due
  uint32_t scratch_ = 0;  // what the current line has parsed so far (see Phase)
  uint16_t head_len_ = 0;
  uint8_t phase_ = kStatusVersion;
  uint8_t flags_ = 0;
};
static_assert(sizeof(HttpResponseParser) == 12);
static_assert(std::is_trivially_copyable_v<HttpResponseParser>);

}  // namespace synack::tcp
