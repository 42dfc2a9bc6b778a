#include "frame.h"

#include <fmt/format.h>

#include "coding.h"
#include "format.h"
#include "hash.h"

namespace eventlog {

namespace f = format::frame;

uint64_t FrameHeader::aligned_length() const { return format::AlignUp(length); }

bool FrameHeader::has_events() const { return (kind & f::kSkippableBit) == 0; }

void EncodeFrameHeader(FrameHeader* h, std::string_view body, char* out) {
  h->length = static_cast<uint32_t>(f::kHeaderSize + body.size());
  PutFixed32(out + f::kLengthAt, h->length);
  PutFixed16(out + f::kMagicAt, f::kMagic);
  out[f::kVersionAt] = static_cast<char>(f::kVersion);
  out[f::kKindAt] = static_cast<char>(h->kind);
  PutFixed64(out + f::kBaseOffsetAt, h->base_offset);
  PutFixed32(out + f::kEventCountAt, h->event_count);
  PutFixed32(out + f::kLastDeltaAt, h->last_offset_delta);
  PutFixed64(out + f::kFirstTimeAt, static_cast<uint64_t>(h->first_timestamp));
  PutFixed64(out + f::kLastTimeAt, static_cast<uint64_t>(h->last_timestamp));
  PutFixed32(out + f::kFlagsAt, 0);
  PutFixed32(out + f::kReservedAt, 0);
  PutFixed64(out + f::kPrevChecksumAt, h->prev_checksum);
  h->checksum = ChecksumOfPieces(std::string_view(out, f::kChecksumAt), body);
  PutFixed64(out + f::kChecksumAt, h->checksum);
}

namespace {

// DecodeEventRecord, inlined into CheckBody. Called there, it returned each record through
// memory that the caller read back in wider loads than the stores had written: a stall on
// store-to-load forwarding for every record a reader checks.
[[gnu::always_inline]] inline bool DecodeRecord(const char** pp, const char* end, EventRecord* r,
                                                std::vector<HeaderView>* headers) {
  std::string_view rec;
  if (!DecodeLengthPrefixed(pp, end, &rec)) return false;
  const char* p = rec.data();
  const char* rend = p + rec.size();
  uint64_t key_len_plus_one, header_count;
  if (!DecodeVarint(&p, rend, &r->offset_delta) || !DecodeVarint(&p, rend, &r->timestamp_delta) ||
      !DecodeVarint(&p, rend, &key_len_plus_one)) {
    return false;
  }
  if (key_len_plus_one == 0) {
    r->key.reset();
  } else {
    if (key_len_plus_one - 1 > static_cast<uint64_t>(rend - p)) return false;
    r->key = std::string_view(p, key_len_plus_one - 1);
    p += key_len_plus_one - 1;
  }
  if (!DecodeVarint(&p, rend, &header_count) || header_count > static_cast<uint64_t>(rend - p) / 2) {
    return false;  // each header needs at least two bytes: a bound against hostile counts
  }
  headers->clear();
  for (uint64_t i = 0; i < header_count; ++i) {
    HeaderView h;
    if (!DecodeLengthPrefixed(&p, rend, &h.name) || !DecodeLengthPrefixed(&p, rend, &h.value)) return false;
    headers->push_back(h);
  }
  r->payload = std::string_view(p, rend - p);
  return true;
}

bool KnownKind(uint8_t kind) {
  return kind == f::kFull || kind == f::kFirst || kind == f::kMiddle || kind == f::kLast ||
         (kind & f::kSkippableBit) != 0;
}

void DecodeHeaderFields(const char* p, FrameHeader* h) {
  h->length = GetFixed32(p + f::kLengthAt);
  h->kind = static_cast<uint8_t>(p[f::kKindAt]);
  h->base_offset = GetFixed64(p + f::kBaseOffsetAt);
  h->event_count = GetFixed32(p + f::kEventCountAt);
  h->last_offset_delta = GetFixed32(p + f::kLastDeltaAt);
  h->first_timestamp = static_cast<int64_t>(GetFixed64(p + f::kFirstTimeAt));
  h->last_timestamp = static_cast<int64_t>(GetFixed64(p + f::kLastTimeAt));
  h->prev_checksum = GetFixed64(p + f::kPrevChecksumAt);
  h->checksum = GetFixed64(p + f::kChecksumAt);
}

// Defence in depth behind the checksum (format-spec §5.6 step 10): the records must exactly
// fill the body; their count and offset deltas must match the header; timestamp deltas
// start at 0, never decrease, and the last one reaches last_timestamp.
bool CheckBody(const FrameHeader& h, std::string_view body, std::string* why) {
  if (!h.has_events()) return true;
  const char* p = body.data();
  const char* end = p + body.size();
  std::vector<HeaderView> headers;
  const uint64_t span = static_cast<uint64_t>(h.last_timestamp) - static_cast<uint64_t>(h.first_timestamp);
  uint64_t count = 0, last_delta = 0, last_time_delta = 0;
  while (p < end) {
    EventRecord r;
    if (!DecodeRecord(&p, end, &r, &headers)) {
      *why = fmt::format("event record {} does not decode", count);
      return false;
    }
    bool first = count == 0;
    if ((first && (r.offset_delta != 0 || r.timestamp_delta != 0)) ||
        (!first && (r.offset_delta <= last_delta || r.timestamp_delta < last_time_delta)) ||
        r.timestamp_delta > span) {
      *why = fmt::format("event record {} has an out-of-order offset or timestamp", count);
      return false;
    }
    last_delta = r.offset_delta;
    last_time_delta = r.timestamp_delta;
    ++count;
  }
  // Each mismatch named on its own: "1 events, header says 1" helped nobody.
  if (count != h.event_count || count == 0) {
    *why = fmt::format("frame body holds {} event records, its header says {}", count, h.event_count);
    return false;
  }
  if (last_delta != h.last_offset_delta) {
    *why = fmt::format("frame body's last offset delta is {}, its header says {}", last_delta, h.last_offset_delta);
    return false;
  }
  if (last_time_delta != span) {
    *why = fmt::format("frame body's last timestamp delta is {}, its header's timestamps span {}", last_time_delta,
                       span);
    return false;
  }
  return true;
}

}  // namespace

// The steps of format-spec §5.6, in order. Steps 1-5 establish that the bytes are a frame
// someone wrote (checksum-valid); what fails after that is damage or a newer version, never
// a torn write, which recovery must not confuse with a torn tail.
FrameParse ParseFrame(std::string_view data, uint64_t pos, bool check_body, FrameHeader* h,
                      std::string* why) {
  if (pos + 4 > data.size()) return FrameParse::kTruncated;
  const char* p = data.data() + pos;
  if (GetFixed32(p + f::kLengthAt) == 0) return FrameParse::kNoFrame;
  if (pos + f::kHeaderSize > data.size()) return FrameParse::kTruncated;
  DecodeHeaderFields(p, h);
  if (h->length < f::kHeaderSize) {
    *why = fmt::format("bad frame length {}", h->length);
    return FrameParse::kInvalid;
  }
  // Never trust a length before the checksum has vouched for it: an implausible one means
  // the frame was cut short (at the tail) or the length word itself is damaged.
  if (h->aligned_length() > data.size() - pos) return FrameParse::kTruncated;
  if (GetFixed16(p + f::kMagicAt) != f::kMagic) {
    *why = "bad frame magic";
    return FrameParse::kInvalid;
  }
  std::string_view body(p + f::kHeaderSize, h->length - f::kHeaderSize);
  if (ChecksumOfPieces(std::string_view(p, f::kChecksumAt), body) != h->checksum) {
    *why = "checksum mismatch";
    return FrameParse::kInvalid;
  }
  if (static_cast<uint8_t>(p[f::kVersionAt]) != f::kVersion || GetFixed32(p + f::kFlagsAt) != 0) {
    *why = fmt::format("unsupported frame version {} or flags {:#x} (written by a newer evlog?)",
                       static_cast<uint8_t>(p[f::kVersionAt]), GetFixed32(p + f::kFlagsAt));
    return FrameParse::kUnsupported;
  }
  for (uint64_t i = h->length; i < h->aligned_length(); ++i) {
    if (p[i] != 0) {
      *why = "nonzero padding after frame";
      return FrameParse::kDamaged;
    }
  }
  if (!KnownKind(h->kind)) {
    *why = fmt::format("unexpected frame kind {}", h->kind);
    return FrameParse::kDamaged;
  }
  if (!h->has_events()) return FrameParse::kOk;  // skippable: nothing else is ours to check
  if (h->event_count == 0 || h->last_offset_delta < h->event_count - 1 ||
      h->last_timestamp < h->first_timestamp || h->base_offset + h->last_offset_delta > UINT64_MAX - 1 ||
      h->base_offset + h->last_offset_delta < h->base_offset) {
    *why = "frame header fields are inconsistent";
    return FrameParse::kDamaged;
  }
  if (check_body && !CheckBody(*h, body, why)) return FrameParse::kDamaged;
  return FrameParse::kOk;
}

bool DecodeEventRecord(const char** pp, const char* end, EventRecord* r, std::vector<HeaderView>* headers) {
  return DecodeRecord(pp, end, r, headers);
}

uint64_t KeyHeadersPayloadSize(std::optional<std::string_view> key, std::span<const HeaderView> headers,
                               std::string_view payload) {
  uint64_t n = VarintLength(key ? key->size() + 1 : 0) + (key ? key->size() : 0) + VarintLength(headers.size());
  for (const HeaderView& h : headers) {
    n += VarintLength(h.name.size()) + h.name.size() + VarintLength(h.value.size()) + h.value.size();
  }
  return n + payload.size();
}

namespace {

// The headers and the payload of a record: what follows its key.
void AppendHeadersAndPayload(std::string* out, std::span<const HeaderView> headers, std::string_view payload) {
  if (headers.empty()) {
    out->push_back(0);  // the header count
    out->append(payload);
    return;
  }
  AppendVarint(out, headers.size());
  for (const HeaderView& h : headers) {
    AppendVarint(out, h.name.size());
    out->append(h.name);
    AppendVarint(out, h.value.size());
    out->append(h.value);
  }
  out->append(payload);
}

uint64_t RecordBodySize(const EventInput& e, uint64_t offset_delta, uint64_t timestamp_delta) {
  return VarintLength(offset_delta) + VarintLength(timestamp_delta) +
         KeyHeadersPayloadSize(e.key, e.headers, e.payload);
}

}  // namespace

void AppendKeyHeadersPayload(std::string* out, std::optional<std::string_view> key,
                             std::span<const HeaderView> headers, std::string_view payload) {
  AppendVarint(out, key ? key->size() + 1 : 0);
  if (key) out->append(*key);
  AppendHeadersAndPayload(out, headers, payload);
}

uint64_t EventRecordSize(const EventInput& e, uint64_t offset_delta, uint64_t timestamp_delta) {
  uint64_t body = RecordBodySize(e, offset_delta, timestamp_delta);
  return VarintLength(body) + body;
}

void AppendEventRecord(std::string* out, const EventInput& e, uint64_t offset_delta, uint64_t timestamp_delta) {
  // The four varints before the key go out in one append: this runs once per event, and a
  // std::string append per field cost an eighth of append's instructions.
  char prefix[4 * kMaxVarintBytes];
  char* p = EncodeVarint(prefix, RecordBodySize(e, offset_delta, timestamp_delta));
  p = EncodeVarint(p, offset_delta);
  p = EncodeVarint(p, timestamp_delta);
  p = EncodeVarint(p, e.key ? e.key->size() + 1 : 0);
  out->append(prefix, static_cast<size_t>(p - prefix));
  if (e.key) out->append(*e.key);
  AppendHeadersAndPayload(out, e.headers, e.payload);
}

}  // namespace eventlog
