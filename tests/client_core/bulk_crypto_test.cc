// freehold_bulk_crypto: both backends (OpenSSL, libsodium) give identical
// bytes for ChaCha20-Poly1305 and SHA-256, and each matches known answers.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "common/bulk/aead.h"
#include "common/bulk/sha256.h"
#include "tests/client_core/test_util.h"
#include "tests/support/status_matchers.h"

namespace freehold::bulk {
namespace {

using ::freehold::client::testing::RandomBytes;

constexpr Backend kBackends[] = {Backend::kOpenSsl, Backend::kSodium};

std::vector<uint8_t> Hex(std::string_view hex) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

TEST(Sha256Test, MatchesKnownAnswersOnBothBackends) {
  for (Backend b : kBackends) {
    EXPECT_EQ(Sha256Hex(Sha256Digest(std::string_view("abc"), b)),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(Sha256Hex(Sha256Digest(std::string_view(""), b)),
              "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  }
}

TEST(Sha256Test, IncrementalEqualsOneShotAndBackendsAgree) {
  for (size_t n : {0, 1, 55, 56, 63, 64, 65, 1000, 65536, 1 << 20}) {
    std::vector<uint8_t> data = RandomBytes(n, n + 1);
    Sha256Hash ref = Sha256Digest(data, Backend::kSodium);
    for (Backend b : kBackends) {
      EXPECT_EQ(Sha256Digest(data, b), ref) << BackendName(b) << " n=" << n;
      Sha256 h(b);
      // Uneven pieces.
      size_t pos = 0, step = 1;
      while (pos < n) {
        size_t take = std::min(step, n - pos);
        h.Update(std::span<const uint8_t>(data).subspan(pos, take));
        pos += take;
        step = step * 3 + 1;
      }
      EXPECT_EQ(h.Final(), ref) << BackendName(b) << " n=" << n;
      // Final resets: the object hashes a new message.
      h.Update(std::string_view("abc"));
      EXPECT_EQ(Sha256Hex(h.Final()),
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
  }
}

// RFC 8439 section 2.8.2.
TEST(ChaCha20Poly1305Test, MatchesRfc8439OnBothBackends) {
  std::vector<uint8_t> key =
      Hex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
  std::vector<uint8_t> nonce = Hex("070000004041424344454647");
  std::vector<uint8_t> aad = Hex("50515253c0c1c2c3c4c5c6c7");
  std::string pt =
      "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the "
      "future, sunscreen would be it.";
  std::vector<uint8_t> ptb(pt.begin(), pt.end());
  for (Backend b : kBackends) {
    ASSERT_OK_AND_ASSIGN(auto aead, ChaCha20Poly1305::Create(key, b));
    std::vector<uint8_t> out(ptb.size() + 16);
    ASSERT_OK(aead->Seal(nonce, aad, ptb, out));
    EXPECT_EQ(std::vector<uint8_t>(out.end() - 16, out.end()),
              Hex("1ae10b594f09e26a7e902ecbd0600691"))
        << BackendName(b);
    EXPECT_EQ(std::vector<uint8_t>(out.begin(), out.begin() + 16),
              Hex("d31a8d34648e60db7b86afbc53ef7ec2"));
  }
}

TEST(ChaCha20Poly1305Test, BackendsGiveIdenticalBytesAndOpenEachOther) {
  std::vector<uint8_t> key = RandomBytes(32, 7);
  ASSERT_OK_AND_ASSIGN(auto ossl, ChaCha20Poly1305::Create(key, Backend::kOpenSsl));
  ASSERT_OK_AND_ASSIGN(auto sod, ChaCha20Poly1305::Create(key, Backend::kSodium));
  for (size_t n : {0, 1, 15, 16, 17, 63, 64, 65, 4095, 65536, 65537, 300000}) {
    std::vector<uint8_t> pt = RandomBytes(n, n * 31 + 1);
    std::vector<uint8_t> nonce = RandomBytes(12, n);
    std::vector<uint8_t> aad = RandomBytes(n % 40, n + 5);
    std::vector<uint8_t> a(n + 16), b(n + 16);
    ASSERT_OK(ossl->Seal(nonce, aad, pt, a));
    ASSERT_OK(sod->Seal(nonce, aad, pt, b));
    EXPECT_EQ(a, b) << "n=" << n;
    std::vector<uint8_t> back(n);
    ASSERT_OK(ossl->Open(nonce, aad, b, back));
    EXPECT_EQ(back, pt);
    ASSERT_OK(sod->Open(nonce, aad, a, back));
    EXPECT_EQ(back, pt);
  }
}

TEST(ChaCha20Poly1305Test, SealsAndOpensInPlace) {
  std::vector<uint8_t> key = RandomBytes(32, 9), nonce = RandomBytes(12, 10);
  for (Backend b : kBackends) {
    ASSERT_OK_AND_ASSIGN(auto aead, ChaCha20Poly1305::Create(key, b));
    std::vector<uint8_t> pt = RandomBytes(70000, 11);
    std::vector<uint8_t> buf = pt;
    buf.resize(pt.size() + 16);
    ASSERT_OK(aead->Seal(nonce, {}, std::span<const uint8_t>(buf.data(), pt.size()), buf));
    ASSERT_OK(aead->Open(nonce, {}, buf, std::span<uint8_t>(buf.data(), pt.size())));
    buf.resize(pt.size());
    EXPECT_EQ(buf, pt) << BackendName(b);
  }
}

TEST(ChaCha20Poly1305Test, RejectsAnyFlippedBitAndZeroesOutput) {
  std::vector<uint8_t> key = RandomBytes(32, 12), nonce = RandomBytes(12, 13);
  std::vector<uint8_t> pt = RandomBytes(40, 14), aad = RandomBytes(5, 15);
  for (Backend b : kBackends) {
    ASSERT_OK_AND_ASSIGN(auto aead, ChaCha20Poly1305::Create(key, b));
    std::vector<uint8_t> ct(pt.size() + 16);
    ASSERT_OK(aead->Seal(nonce, aad, pt, ct));
    for (size_t bit = 0; bit < ct.size() * 8; ++bit) {
      std::vector<uint8_t> bad = ct;
      bad[bit / 8] ^= static_cast<uint8_t>(1 << (bit % 8));
      std::vector<uint8_t> out(pt.size(), 0xAA);
      EXPECT_THAT(aead->Open(nonce, aad, bad, out),
                  ::freehold::testing::StatusIs(absl::StatusCode::kDataLoss));
      EXPECT_EQ(out, std::vector<uint8_t>(pt.size(), 0)) << BackendName(b);
    }
    std::vector<uint8_t> out(pt.size());
    std::vector<uint8_t> other_aad = aad;
    other_aad[0] ^= 1;
    EXPECT_FALSE(aead->Open(nonce, other_aad, ct, out).ok());
  }
}

TEST(ChaCha20Poly1305Test, RejectsBadSizes) {
  EXPECT_THAT(ChaCha20Poly1305::Create(RandomBytes(31, 1)),
              ::freehold::testing::StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_OK_AND_ASSIGN(auto aead, ChaCha20Poly1305::Create(RandomBytes(32, 1)));
  std::vector<uint8_t> pt(10), out(10), nonce(12), short_nonce(8);
  EXPECT_THAT(aead->Seal(nonce, {}, pt, out),
              ::freehold::testing::StatusIs(absl::StatusCode::kInvalidArgument));
  out.resize(26);
  EXPECT_THAT(aead->Seal(short_nonce, {}, pt, out),
              ::freehold::testing::StatusIs(absl::StatusCode::kInvalidArgument));
  std::vector<uint8_t> tiny(5);
  EXPECT_THAT(aead->Open(nonce, {}, tiny, pt),
              ::freehold::testing::StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace freehold::bulk
