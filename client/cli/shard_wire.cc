#include "client/cli/shard_wire.h"

#include <cstring>
#include <vector>

namespace freehold::cli {

void AppendVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

namespace {

// Reads bytes across a list of slices.
class SliceCursor {
 public:
  explicit SliceCursor(const std::vector<grpc::Slice>& slices) : slices_(slices) { Skip0(); }
  bool AtEnd() const { return slice_ >= slices_.size(); }
  bool Byte(uint8_t* b) {
    if (AtEnd()) return false;
    *b = slices_[slice_].begin()[pos_];
    Advance(1);
    return true;
  }
  bool Varint(uint64_t* v) {
    *v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      uint8_t b;
      if (!Byte(&b)) return false;
      *v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return true;
    }
    return false;
  }
  // Calls fn(ptr, len) for the next n bytes, in pieces.
  template <typename Fn>
  bool Take(uint64_t n, Fn fn) {
    while (n > 0) {
      if (AtEnd()) return false;
      const grpc::Slice& s = slices_[slice_];
      const size_t piece = static_cast<size_t>(std::min<uint64_t>(n, s.size() - pos_));
      fn(s.begin() + pos_, piece);
      Advance(piece);
      n -= piece;
    }
    return true;
  }

 private:
  void Advance(size_t n) {
    pos_ += n;
    if (pos_ == slices_[slice_].size()) {
      ++slice_;
      pos_ = 0;
      Skip0();
    }
  }
  void Skip0() {
    while (slice_ < slices_.size() && slices_[slice_].size() == 0) ++slice_;
  }
  const std::vector<grpc::Slice>& slices_;
  size_t slice_ = 0, pos_ = 0;
};

}  // namespace
}  // namespace freehold::cli

namespace grpc {

using freehold::cli::RawGetChunk;
using freehold::cli::RawPutChunk;

Status SerializationTraits<RawPutChunk, void>::Serialize(const RawPutChunk& msg, ByteBuffer* buffer,
                                                         bool* own_buffer) {
  std::string head;
  if (!msg.grant_token.empty()) {
    // PutShardRequest.grant (1) = SignedGrant { token (1) }.
    std::string grant;
    grant.push_back(0x0a);
    freehold::cli::AppendVarint(msg.grant_token.size(), &grant);
    grant += msg.grant_token;
    head.push_back(0x0a);
    freehold::cli::AppendVarint(grant.size(), &head);
    head += grant;
    Slice s(head.data(), head.size());
    *buffer = ByteBuffer(&s, 1);
  } else {
    // PutShardRequest.data (2): the header is copied, the bytes are not.
    head.push_back(0x12);
    freehold::cli::AppendVarint(msg.data.size(), &head);
    Slice slices[2] = {Slice(head.data(), head.size()),
                       Slice(msg.data.data(), msg.data.size(), Slice::STATIC_SLICE)};
    *buffer = ByteBuffer(slices, 2);
  }
  *own_buffer = true;
  return Status::OK;
}

Status SerializationTraits<RawPutChunk, void>::Deserialize(ByteBuffer*, RawPutChunk*) {
  return Status(StatusCode::UNIMPLEMENTED, "RawPutChunk is only sent");
}

Status SerializationTraits<RawGetChunk, void>::Serialize(const RawGetChunk&, ByteBuffer*, bool*) {
  return Status(StatusCode::UNIMPLEMENTED, "RawGetChunk is only received");
}

Status SerializationTraits<RawGetChunk, void>::Deserialize(ByteBuffer* buffer, RawGetChunk* msg) {
  std::vector<Slice> slices;
  Status st = buffer->Dump(&slices);
  buffer->Clear();
  if (!st.ok()) return st;
  freehold::cli::SliceCursor in(slices);
  while (!in.AtEnd()) {
    uint64_t tag;
    if (!in.Varint(&tag)) {
      msg->malformed = true;
      break;
    }
    const uint64_t field = tag >> 3, wire = tag & 7;
    uint64_t v;
    if (wire == 0) {  // varint (total_size = 2)
      if (!in.Varint(&v)) {
        msg->malformed = true;
        break;
      }
      continue;
    }
    if (wire == 1 || wire == 5) {  // fixed64 / fixed32
      if (!in.Take(wire == 1 ? 8 : 4, [](const uint8_t*, size_t) {})) {
        msg->malformed = true;
        break;
      }
      continue;
    }
    if (wire != 2 || !in.Varint(&v)) {
      msg->malformed = true;
      break;
    }
    if (field != 1) {  // unknown length-delimited field
      if (!in.Take(v, [](const uint8_t*, size_t) {})) {
        msg->malformed = true;
        break;
      }
      continue;
    }
    if (v > msg->dest.size() - msg->received) {
      msg->overflow = true;
      return Status::OK;
    }
    const bool ok = in.Take(v, [msg](const uint8_t* p, size_t n) {
      std::memcpy(msg->dest.data() + msg->received, p, n);
      if (msg->hash != nullptr) {
        msg->hash->Update(std::span<const uint8_t>(msg->dest.data() + msg->received, n));
      }
      msg->received += n;
    });
    if (!ok) {
      msg->malformed = true;
      break;
    }
    continue;
  }
  return Status::OK;
}

}  // namespace grpc
