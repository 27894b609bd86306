// age STREAM payload: streaming both ways in bounded memory, range
// decryption, and rejection of every kind of damaged payload.
#include "client/core/age_stream.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/client_core/test_util.h"
#include "tests/support/status_matchers.h"

namespace freehold::client {
namespace {

using ::freehold::testing::StatusIs;
using ::testing::HasSubstr;

constexpr size_t P = kStreamChunkBytes;
constexpr size_t C = kStreamSealedChunkBytes;

SecretBytes TestKey() {
  return SecretBytes::CopyOf(std::span<const uint8_t>(testing::RandomBytes(16, 99)));
}

std::string EncryptPayload(const SecretBytes& key, const std::string& plain, size_t piece = 1 << 20,
                           bulk::Backend backend = bulk::kDefaultBackend) {
  std::string out;
  StringSink sink(&out);
  PayloadNonce nonce{};
  nonce[0] = 42;
  auto enc = StreamEncryptor::Create(key, sink, backend, nonce);
  EXPECT_OK(enc.status());
  for (size_t pos = 0; pos < plain.size(); pos += piece) {
    EXPECT_OK((*enc)->Write(AsBytes(std::string_view(plain).substr(pos, piece))));
  }
  EXPECT_OK((*enc)->Close());
  return out;
}

absl::Status DecryptPayload(const SecretBytes& key, const std::string& payload, std::string* out,
                            size_t piece = 1 << 20) {
  out->clear();
  StringSink sink(out);
  auto dec = StreamDecryptor::Create(key, sink);
  if (!dec.ok()) return dec.status();
  for (size_t pos = 0; pos < payload.size(); pos += piece) {
    if (absl::Status s = (*dec)->Write(AsBytes(std::string_view(payload).substr(pos, piece)));
        !s.ok()) {
      return s;
    }
  }
  return (*dec)->Close();
}

TEST(StreamTest, RoundTripsAtChunkBoundariesWithAnyWriteSize) {
  SecretBytes key = TestKey();
  for (size_t n : {size_t{0}, size_t{1}, P - 1, P, P + 1, 2 * P, 3 * P + 7}) {
    std::string plain = testing::AsString(testing::RandomBytes(n, n));
    std::string ref = EncryptPayload(key, plain);
    EXPECT_EQ(ref.size(), PayloadSizeForPlaintext(n));
    ASSERT_OK_AND_ASSIGN(uint64_t back_size, PlaintextSizeForPayload(ref.size()));
    EXPECT_EQ(back_size, n);
    for (size_t piece : {size_t{1000}, P, P + 1, size_t{7}}) {
      if (piece == 7 && n > 2 * P) continue;  // keep the test fast
      EXPECT_EQ(EncryptPayload(key, plain, piece), ref) << n << "/" << piece;
      std::string out;
      ASSERT_OK(DecryptPayload(key, ref, &out, piece)) << n << "/" << piece;
      EXPECT_EQ(out, plain);
    }
  }
}

TEST(StreamTest, BackendsProduceIdenticalPayloads) {
  SecretBytes key = TestKey();
  std::string plain = testing::AsString(testing::RandomBytes(5 * P + 123, 3));
  EXPECT_EQ(EncryptPayload(key, plain, 1 << 20, bulk::Backend::kOpenSsl),
            EncryptPayload(key, plain, 1 << 20, bulk::Backend::kSodium));
}

TEST(StreamTest, ImpossiblePayloadSizesAreRejected) {
  EXPECT_FALSE(PlaintextSizeForPayload(0).ok());
  EXPECT_FALSE(PlaintextSizeForPayload(31).ok());
  EXPECT_TRUE(PlaintextSizeForPayload(32).ok());
  EXPECT_FALSE(PlaintextSizeForPayload(16 + C + 16).ok());  // empty last chunk after a full one
  EXPECT_TRUE(PlaintextSizeForPayload(16 + C + 17).ok());
  EXPECT_FALSE(PlaintextSizeForPayload(16 + C + 5).ok());
}

TEST(StreamTest, RangeDecryptReadsOnlyCoveringChunks) {
  SecretBytes key = TestKey();
  const size_t n = 4 * P + 1000;
  std::string plain = testing::AsString(testing::RandomBytes(n, 4));
  std::string payload = EncryptPayload(key, plain);

  class CountingSource final : public RandomAccessSource {
   public:
    explicit CountingSource(std::string_view d) : inner_(AsBytes(d)) {}
    uint64_t size() const override { return inner_.size(); }
    absl::Status ReadAt(uint64_t off, std::span<uint8_t> out) override {
      bytes_read += out.size();
      return inner_.ReadAt(off, out);
    }
    uint64_t bytes_read = 0;

   private:
    SpanRandomAccess inner_;
  };

  const std::vector<std::pair<size_t, size_t>> ranges = {
      {0, 0},     {0, 1},        {0, n},      {P - 1, 2}, {P, P}, {3 * P + 5, 1000},
      {n - 1, 1}, {4 * P, 1000}, {123, 3 * P}};
  for (auto [off, len] : ranges) {
    CountingSource src(payload);
    std::string out;
    StringSink sink(&out);
    ASSERT_OK(DecryptPayloadRange(key, src, off, len, sink)) << off << "+" << len;
    EXPECT_EQ(out, plain.substr(off, len));
    const size_t chunks = len == 0 ? 0 : (off + len - 1) / P - off / P + 1;
    EXPECT_LE(src.bytes_read, 16 + chunks * C) << off << "+" << len;
  }
  CountingSource src(payload);
  std::string out;
  StringSink sink(&out);
  EXPECT_THAT(DecryptPayloadRange(key, src, n - 1, 2, sink),
              StatusIs(absl::StatusCode::kOutOfRange));
  // A corrupted chunk fails only the ranges that touch it.
  std::string bad = payload;
  bad[16 + 2 * C + 100] ^= 1;
  SpanRandomAccess bad_src(AsBytes(bad));
  out.clear();
  EXPECT_OK(DecryptPayloadRange(key, bad_src, 0, 2 * P, sink));
  EXPECT_THAT(DecryptPayloadRange(key, bad_src, 2 * P, 1, sink),
              StatusIs(absl::StatusCode::kDataLoss));
  // A lying payload size makes the final-chunk check fail.
  SpanRandomAccess short_src(AsBytes(std::string_view(payload).substr(0, 16 + 2 * C)));
  EXPECT_THAT(DecryptPayloadRange(key, short_src, 0, 2 * P, sink),
              StatusIs(absl::StatusCode::kDataLoss));
}

TEST(StreamTest, FlippedBitInAnyChunkOrNonceIsRejected) {
  SecretBytes key = TestKey();
  std::string plain = testing::AsString(testing::RandomBytes(2 * P + 500, 5));
  std::string payload = EncryptPayload(key, plain);
  for (size_t pos : {size_t{0}, size_t{15}, size_t{16}, size_t{16 + P}, size_t{16 + C - 1},
                     size_t{16 + C}, size_t{16 + 2 * C + 3}, payload.size() - 1}) {
    std::string bad = payload;
    bad[pos] ^= 0x10;
    std::string out;
    EXPECT_THAT(DecryptPayload(key, bad, &out), StatusIs(absl::StatusCode::kDataLoss)) << pos;
    // Only chunks before the damaged one are released.
    const size_t damaged_chunk = pos < 16 ? 0 : (pos - 16) / C;
    EXPECT_EQ(out, plain.substr(0, damaged_chunk * P)) << pos;
  }
}

TEST(StreamTest, WrongKeyIsRejected) {
  std::string payload = EncryptPayload(TestKey(), "hello");
  std::string out;
  EXPECT_THAT(DecryptPayload(SecretBytes::Random(16), payload, &out),
              StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_TRUE(out.empty());
}

TEST(StreamTest, MissingFinalChunkIsRejected) {
  SecretBytes key = TestKey();
  std::string plain = testing::AsString(testing::RandomBytes(3 * P, 6));
  std::string payload = EncryptPayload(key, plain);
  // Cut after two whole chunks: both authenticate as non-final.
  std::string out;
  EXPECT_THAT(DecryptPayload(key, payload.substr(0, 16 + 2 * C), &out),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("no final chunk")));
  EXPECT_EQ(out, plain.substr(0, 2 * P));
  EXPECT_THAT(DecryptPayload(key, payload.substr(0, 16), &out),
              StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(DecryptPayload(key, payload.substr(0, 10), &out),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("nonce")));
  EXPECT_THAT(DecryptPayload(key, payload.substr(0, 16 + C + 10), &out),
              StatusIs(absl::StatusCode::kDataLoss));
}

TEST(StreamTest, EmptyFinalChunkAfterFullChunkIsRejected) {
  SecretBytes key = TestKey();
  PayloadNonce nonce{};
  ASSERT_OK_AND_ASSIGN(StreamCipher cipher, StreamCipher::Create(key, nonce));
  std::vector<uint8_t> pt = testing::RandomBytes(P, 7);
  std::string payload(reinterpret_cast<const char*>(nonce.data()), 16);
  std::vector<uint8_t> c0(C), c1(16);
  ASSERT_OK(cipher.SealChunk(0, false, pt, c0));
  ASSERT_OK(cipher.SealChunk(1, true, {}, c1));
  payload += testing::AsString(c0) + testing::AsString(c1);
  std::string out;
  EXPECT_THAT(DecryptPayload(key, payload, &out),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("empty")));
}

TEST(StreamTest, TrailingDataAfterFinalChunkIsRejected) {
  SecretBytes key = TestKey();
  for (size_t n : {size_t{10}, P}) {
    std::string plain = testing::AsString(testing::RandomBytes(n, 8));
    std::string payload = EncryptPayload(key, plain);
    std::string out;
    EXPECT_THAT(DecryptPayload(key, payload + "x", &out), StatusIs(absl::StatusCode::kDataLoss))
        << n;
    EXPECT_THAT(DecryptPayload(key, payload + std::string(C + 100, 'x'), &out),
                StatusIs(absl::StatusCode::kDataLoss))
        << n;
  }
}

TEST(StreamTest, ReorderedChunksAreRejected) {
  SecretBytes key = TestKey();
  std::string plain = testing::AsString(testing::RandomBytes(3 * P + 1, 9));
  std::string p = EncryptPayload(key, plain);
  std::string swapped =
      p.substr(0, 16) + p.substr(16 + C, C) + p.substr(16, C) + p.substr(16 + 2 * C);
  std::string out;
  EXPECT_THAT(DecryptPayload(key, swapped, &out), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_TRUE(out.empty());
}

TEST(StreamTest, WritesAfterCloseFail) {
  SecretBytes key = TestKey();
  std::string out;
  StringSink sink(&out);
  ASSERT_OK_AND_ASSIGN(auto enc, StreamEncryptor::Create(key, sink));
  ASSERT_OK(enc->Close());
  EXPECT_THAT(enc->Write(AsBytes("x")), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(enc->Close(), StatusIs(absl::StatusCode::kFailedPrecondition));
}

}  // namespace
}  // namespace freehold::client
