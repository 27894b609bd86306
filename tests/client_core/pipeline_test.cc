// Segmenter, SegmentJoiner, SegmentedPayloadSource and the upload pipeline
// (single- and multi-threaded): the pipeline's segments concatenate to exactly
// the STREAM payload, and the download path (decode with shards missing ->
// join -> decrypt, or range decrypt) gives the plaintext back.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <set>

#include "client/core/age_stream.h"
#include "client/core/segmenter.h"
#include "client/core/upload_pipeline.h"
#include "tests/client_core/test_util.h"
#include "tests/support/status_matchers.h"

namespace freehold::client {
namespace {

using ::freehold::testing::StatusIs;

constexpr size_t P = kStreamChunkBytes;

std::string Hex(const bulk::Sha256Hash& h) { return bulk::Sha256Hex(h); }

TEST(SegmenterTest, CutsAnyWritePatternIntoSegmentsAndJoinsBack) {
  for (uint64_t seg_size : {1ull, 7ull, 1000ull, 65536ull}) {
    for (size_t n :
         {size_t{0}, size_t{1}, size_t{999}, size_t{1000}, size_t{1001}, size_t{200000}}) {
      if (seg_size == 1 && n > 1001) continue;
      std::vector<uint8_t> data = testing::RandomBytes(n, n + seg_size);
      std::vector<std::vector<uint8_t>> segs;
      Segmenter s(seg_size, [&](uint64_t index, std::vector<uint8_t>& seg) {
        EXPECT_EQ(index, segs.size());
        segs.push_back(std::move(seg));
        return absl::OkStatus();
      });
      size_t pos = 0, piece = 1;
      while (pos < n) {
        size_t take = std::min(piece, n - pos);
        ASSERT_OK(s.Write(std::span<const uint8_t>(data).subspan(pos, take)));
        pos += take;
        piece = piece * 2 + 1;
      }
      ASSERT_OK(s.Close());
      SegmentLayout layout{seg_size, n};
      ASSERT_EQ(segs.size(), layout.count());
      std::string joined;
      StringSink sink(&joined);
      SegmentJoiner j(layout, sink);
      for (size_t i = 0; i < segs.size(); ++i) {
        EXPECT_EQ(segs[i].size(), layout.length(i));
        ASSERT_OK(j.Add(i, segs[i]));
      }
      ASSERT_OK(j.Close());
      EXPECT_EQ(joined, testing::AsString(data));
    }
  }
}

TEST(SegmenterTest, JoinerRejectsOutOfOrderWrongLengthAndMissing) {
  std::string out;
  StringSink sink(&out);
  SegmentJoiner j(SegmentLayout{10, 25}, sink);
  std::vector<uint8_t> ten(10), five(5);
  EXPECT_THAT(j.Add(1, ten), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(j.Add(0, five), StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_OK(j.Add(0, ten));
  EXPECT_THAT(j.Close(), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(SegmenterTest, HandlerErrorStopsTheSegmenter) {
  Segmenter s(10,
              [](uint64_t, std::vector<uint8_t>&) { return absl::UnavailableError("node down"); });
  std::vector<uint8_t> data(25);
  EXPECT_THAT(s.Write(data), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(s.Write(data), StatusIs(absl::StatusCode::kUnavailable));
}

// A fixed nonce whose byte i is i * step.
PayloadNonce PatternNonce(int step) {
  PayloadNonce nonce;
  for (size_t i = 0; i < nonce.size(); ++i) nonce[i] = static_cast<uint8_t>(i * step);
  return nonce;
}

std::string StreamPayload(const SecretBytes& key, const PayloadNonce& nonce,
                          const std::string& plain) {
  std::string out;
  StringSink sink(&out);
  auto enc = StreamEncryptor::Create(key, sink, bulk::kDefaultBackend, nonce);
  EXPECT_OK(enc.status());
  EXPECT_OK((*enc)->Write(AsBytes(plain)));
  EXPECT_OK((*enc)->Close());
  return out;
}

// Calls check(n, plain, payload, seg, threads, options) for every plaintext size, segment size
// and thread count these tests cover: `plain` is n random bytes, `payload` its STREAM payload
// under key and nonce, `options` a 3+2 layout with that segment size, thread count and nonce.
template <typename Check>
void ForEachUploadShape(const SecretBytes& key, const PayloadNonce& nonce, Check check) {
  for (size_t n : {size_t{0}, size_t{1}, P - 1, P, P + 1, 5 * P + 77}) {
    const std::string plain = testing::AsString(testing::RandomBytes(n, n + nonce[1]));
    const std::string payload = StreamPayload(key, nonce, plain);
    for (uint64_t seg : {10ull, 16ull, 17ull, 65552ull, 65553ull, 100000ull, 1ull << 20}) {
      if (seg < 1000 && n > 2 * P) continue;
      for (int threads : {0, 1, 2}) {
        UploadOptions o;
        o.segment_size = seg;
        o.k = 3;
        o.m = 2;
        o.threads = threads;
        o.nonce = nonce;
        check(n, plain, payload, seg, threads, o);
      }
    }
  }
}

TEST(UploadPipelineTest, SegmentsConcatenateToTheStreamPayloadForAnyThreadCount) {
  SecretBytes key = SecretBytes::Random(16);
  const PayloadNonce nonce = PatternNonce(7);
  ForEachUploadShape(key, nonce,
                     [&](size_t n, const std::string& plain, const std::string& payload,
                         uint64_t seg, int threads, UploadOptions o) {
                       std::string joined;
                       uint64_t expect_index = 0;
                       SpanSource src(plain);
                       auto summary = EncodeUpload(key, src, o, [&](UploadSegment& s) {
                         EXPECT_EQ(s.index, expect_index++);
                         EXPECT_EQ(s.payload_offset, joined.size());
                         EXPECT_EQ(s.encoded.hashes.size(), 5u);
                         for (int i = 0; i < 5; ++i)
                           EXPECT_EQ(bulk::Sha256Digest(s.encoded.shard(i)), s.encoded.hashes[i]);
                         joined.append(reinterpret_cast<const char*>(s.encoded.storage.data()),
                                       s.encoded.segment_len);
                         return absl::OkStatus();
                       });
                       ASSERT_OK(summary.status());
                       EXPECT_EQ(summary->plaintext_bytes, n);
                       EXPECT_EQ(summary->payload_bytes, payload.size());
                       EXPECT_EQ(summary->segments, SegmentLayout({seg, payload.size()}).count());
                       ASSERT_TRUE(joined == payload)
                           << "n=" << n << " seg=" << seg << " threads=" << threads;
                     });
}

TEST(UploadPipelineTest, DownloadWithMissingShardsAndRangeReads) {
  SecretBytes key = SecretBytes::Random(16);
  const size_t n = 7 * P + 4321;
  std::string plain = testing::AsString(testing::RandomBytes(n, 99));
  UploadOptions o;
  o.segment_size = 150000;
  o.k = 4;
  o.m = 2;
  o.threads = 2;
  std::vector<erasure::EncodedSegment> stored;
  SpanSource src(plain);
  ASSERT_OK_AND_ASSIGN(UploadSummary sum, EncodeUpload(key, src, o, [&](UploadSegment& s) {
                         stored.push_back(std::move(s.encoded));
                         return absl::OkStatus();
                       }));
  ASSERT_OK_AND_ASSIGN(erasure::ReedSolomon rs, erasure::ReedSolomon::Create(4, 2));
  SegmentLayout layout{o.segment_size, sum.payload_bytes};
  // Each segment loses two different shards; one more is corrupted on disk.
  auto fetch = [&](uint64_t i) -> absl::StatusOr<std::vector<uint8_t>> {
    const erasure::EncodedSegment& seg = stored[i];
    std::vector<std::span<const uint8_t>> shards;
    for (int s = 0; s < 6; ++s) shards.push_back(seg.shard(s));
    shards[i % 6] = {};
    shards[(i + 3) % 6] = {};
    return erasure::DecodeSegment(rs, seg.segment_len, shards, seg.hashes);
  };
  std::string out;
  StringSink sink(&out);
  ASSERT_OK_AND_ASSIGN(auto dec, StreamDecryptor::Create(key, sink));
  for (uint64_t i = 0; i < layout.count(); ++i) {
    ASSERT_OK_AND_ASSIGN(auto seg, fetch(i));
    ASSERT_OK(dec->Write(seg));
  }
  ASSERT_OK(dec->Close());
  EXPECT_TRUE(out == plain);

  // A range in the middle touches only the segments that hold its chunks.
  SegmentedPayloadSource payload(layout, fetch);
  std::string range;
  StringSink range_sink(&range);
  ASSERT_OK(DecryptPayloadRange(key, payload, 3 * P + 10, 5000, range_sink));
  EXPECT_EQ(range, plain.substr(3 * P + 10, 5000));
  EXPECT_LE(payload.fetches(), 2u);
}

TEST(UploadPipelineTest, ReusedPipelineGivesIdenticalOutputAcrossRuns) {
  SecretBytes key = SecretBytes::Random(16);
  for (int threads : {0, 2}) {
    UploadOptions o;
    o.segment_size = 3 * P + 5;
    o.threads = threads;
    o.nonce = PayloadNonce{};
    ASSERT_OK_AND_ASSIGN(auto pipeline, UploadPipeline::Create(o));
    std::vector<std::string> outputs;
    for (size_t n : {10 * P + 3, 10 * P + 3, 2 * P, 10 * P + 3}) {
      std::string plain = testing::AsString(testing::RandomBytes(n, 42));
      std::string joined;
      SpanSource src(plain);
      ASSERT_OK(pipeline
                    ->Run(key, src,
                          [&](UploadSegment& s) {
                            for (int i = 0; i < 6; ++i) joined += Hex(s.encoded.hashes[i]);
                            return absl::OkStatus();
                          })
                    .status());
      outputs.push_back(joined);
    }
    EXPECT_EQ(outputs[0], outputs[1]);
    EXPECT_EQ(outputs[0], outputs[3]);
    EXPECT_NE(outputs[0], outputs[2]);
  }
}

// An in-memory PositionalSource; `readable` bytes can be read (fewer than
// size() mimics a file that shrank), `unchanged` is CheckUnchanged's answer.
class TestPositionalSource final : public PositionalSource {
 public:
  explicit TestPositionalSource(std::string_view data) : data_(data), readable_(data.size()) {}
  absl::StatusOr<size_t> Read(std::span<uint8_t>) override {
    ++stream_reads;
    return absl::InternalError("positional sources are not read as streams");
  }
  uint64_t size() const override { return data_.size(); }
  absl::Status ReadAtOffset(uint64_t offset, std::span<uint8_t> out) override {
    if (offset + out.size() > readable_) return absl::FailedPreconditionError("shrank");
    std::memcpy(out.data(), data_.data() + offset, out.size());
    return absl::OkStatus();
  }
  absl::Status CheckUnchanged() override { return unchanged; }
  void set_readable(size_t n) { readable_ = n; }
  absl::Status unchanged;
  std::atomic<int> stream_reads{0};

 private:
  std::string_view data_;
  size_t readable_;
};

TEST(UploadPipelineTest, PositionalSourceGivesTheStreamPayloadInPlace) {
  SecretBytes key = SecretBytes::Random(16);
  const PayloadNonce nonce = PatternNonce(5);
  ForEachUploadShape(key, nonce,
                     [&](size_t n, const std::string& plain, const std::string& payload,
                         uint64_t seg, int threads, UploadOptions o) {
                       std::string joined;
                       std::set<const uint8_t*> buffers;
                       TestPositionalSource src(plain);
                       auto summary = EncodeUpload(key, src, o, [&](UploadSegment& s) {
                         EXPECT_EQ(s.payload_offset, joined.size());
                         for (int i = 0; i < 5; ++i)
                           EXPECT_EQ(bulk::Sha256Digest(s.encoded.shard(i)), s.encoded.hashes[i]);
                         joined.append(reinterpret_cast<const char*>(s.encoded.storage.data()),
                                       s.encoded.segment_len);
                         buffers.insert(s.encoded.storage.data());
                         return absl::OkStatus();
                       });
                       ASSERT_OK(summary.status());
                       EXPECT_EQ(src.stream_reads, 0);
                       EXPECT_EQ(summary->plaintext_bytes, n);
                       EXPECT_EQ(summary->segments, SegmentLayout({seg, payload.size()}).count());
                       ASSERT_TRUE(joined == payload)
                           << "n=" << n << " seg=" << seg << " threads=" << threads;
                       // Bounded memory: one shard buffer per worker (none read ahead).
                       EXPECT_LE(buffers.size(), static_cast<size_t>(std::max(threads, 1)))
                           << "n=" << n << " seg=" << seg << " threads=" << threads;
                     });
}

TEST(UploadPipelineTest, PositionalSourceThatShrinksOrChangesFailsTheRun) {
  SecretBytes key = SecretBytes::Random(16);
  std::string plain = testing::AsString(testing::RandomBytes(10 * P, 9));
  for (int threads : {0, 1, 2}) {
    UploadOptions o;
    o.segment_size = 2 * P;
    o.threads = threads;
    TestPositionalSource shrunk(plain);
    shrunk.set_readable(6 * P + 3);
    EXPECT_THAT(EncodeUpload(key, shrunk, o, [](UploadSegment&) { return absl::OkStatus(); }),
                StatusIs(absl::StatusCode::kFailedPrecondition));
    TestPositionalSource grew(plain);
    grew.unchanged = absl::FailedPreconditionError("grew");
    int segments = 0;
    EXPECT_THAT(EncodeUpload(key, grew, o,
                             [&](UploadSegment&) {
                               ++segments;
                               return absl::OkStatus();
                             }),
                StatusIs(absl::StatusCode::kFailedPrecondition, "grew"));
    EXPECT_EQ(segments, 6);  // every segment built, then the check fails the run
  }
}

TEST(UploadPipelineTest, HandlerErrorStopsThePipeline) {
  SecretBytes key = SecretBytes::Random(16);
  std::string plain = testing::AsString(testing::RandomBytes(10 * P, 3));
  for (int threads : {0, 2}) {
    UploadOptions o;
    o.segment_size = 2 * P;
    o.threads = threads;
    int calls = 0;
    SpanSource src(plain);
    auto r = EncodeUpload(key, src, o, [&](UploadSegment&) {
      return ++calls == 2 ? absl::UnavailableError("upload failed") : absl::OkStatus();
    });
    EXPECT_THAT(r, StatusIs(absl::StatusCode::kUnavailable));
    EXPECT_EQ(calls, 2);
  }
}

TEST(UploadPipelineTest, RejectsBadOptions) {
  SecretBytes key = SecretBytes::Random(16);
  SpanSource src("x");
  auto ok = [](UploadSegment&) { return absl::OkStatus(); };
  UploadOptions o;
  o.segment_size = 0;
  EXPECT_THAT(EncodeUpload(key, src, o, ok), StatusIs(absl::StatusCode::kInvalidArgument));
  o = {};
  o.k = 0;
  EXPECT_THAT(EncodeUpload(key, src, o, ok), StatusIs(absl::StatusCode::kInvalidArgument));
  o = {};
  o.threads = -1;
  EXPECT_THAT(EncodeUpload(key, src, o, ok), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(EncodeUpload(SecretBytes(8), src, UploadOptions{}, ok),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace freehold::client
