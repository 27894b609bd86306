// ChaCha20-Poly1305 IETF backends: OpenSSL EVP (contexts keyed once, only the
// nonce is reset per message) and libsodium.
#include "common/bulk/aead.h"

#include <openssl/evp.h>
#include <sodium.h>

#include <algorithm>
#include <climits>
#include <cstring>

namespace freehold::bulk {
namespace {

absl::Status CheckSizes(std::span<const uint8_t> nonce, size_t in, size_t out, bool seal) {
  if (nonce.size() != kAeadNonceBytes) {
    return absl::InvalidArgumentError("chacha20poly1305: nonce must be 12 bytes");
  }
  if (seal ? out != in + kAeadTagBytes : (in < kAeadTagBytes || out != in - kAeadTagBytes)) {
    return absl::InvalidArgumentError("chacha20poly1305: output size does not match input size");
  }
  return absl::OkStatus();
}

class SodiumAead final : public ChaCha20Poly1305 {
 public:
  explicit SodiumAead(std::span<const uint8_t> key) { std::memcpy(key_, key.data(), sizeof key_); }
  ~SodiumAead() override { sodium_memzero(key_, sizeof key_); }

  absl::Status Seal(std::span<const uint8_t> nonce, std::span<const uint8_t> aad,
                    std::span<const uint8_t> plaintext, std::span<uint8_t> out) override {
    if (auto s = CheckSizes(nonce, plaintext.size(), out.size(), true); !s.ok()) return s;
    // Detached form so that plaintext and out may alias exactly.
    crypto_aead_chacha20poly1305_ietf_encrypt_detached(
        out.data(), out.data() + plaintext.size(), nullptr, plaintext.data(), plaintext.size(),
        aad.data(), aad.size(), nullptr, nonce.data(), key_);
    return absl::OkStatus();
  }

  absl::Status Open(std::span<const uint8_t> nonce, std::span<const uint8_t> aad,
                    std::span<const uint8_t> ciphertext, std::span<uint8_t> out) override {
    if (auto s = CheckSizes(nonce, ciphertext.size(), out.size(), false); !s.ok()) return s;
    const size_t len = out.size();
    uint8_t tag[kAeadTagBytes];
    std::memcpy(tag, ciphertext.data() + len, kAeadTagBytes);
    if (crypto_aead_chacha20poly1305_ietf_decrypt_detached(out.data(), nullptr, ciphertext.data(),
                                                           len, tag, aad.data(), aad.size(),
                                                           nonce.data(), key_) != 0) {
      sodium_memzero(out.data(), len);
      return absl::DataLossError("chacha20poly1305: authentication failed");
    }
    return absl::OkStatus();
  }

  Backend backend() const override { return Backend::kSodium; }

 private:
  uint8_t key_[kAeadKeyBytes];
};

class OpenSslAead final : public ChaCha20Poly1305 {
 public:
  OpenSslAead() = default;
  ~OpenSslAead() override {
    EVP_CIPHER_CTX_free(enc_);
    EVP_CIPHER_CTX_free(dec_);
    EVP_CIPHER_free(cipher_);
  }

  absl::Status Init(std::span<const uint8_t> key) {
    cipher_ = EVP_CIPHER_fetch(nullptr, "ChaCha20-Poly1305", nullptr);
    enc_ = EVP_CIPHER_CTX_new();
    dec_ = EVP_CIPHER_CTX_new();
    if (cipher_ == nullptr || enc_ == nullptr || dec_ == nullptr ||
        EVP_EncryptInit_ex2(enc_, cipher_, key.data(), nullptr, nullptr) != 1 ||
        EVP_DecryptInit_ex2(dec_, cipher_, key.data(), nullptr, nullptr) != 1) {
      return absl::InternalError("chacha20poly1305: OpenSSL initialisation failed");
    }
    return absl::OkStatus();
  }

  absl::Status Seal(std::span<const uint8_t> nonce, std::span<const uint8_t> aad,
                    std::span<const uint8_t> plaintext, std::span<uint8_t> out) override {
    if (auto s = CheckSizes(nonce, plaintext.size(), out.size(), true); !s.ok()) return s;
    int n = 0;
    if (EVP_EncryptInit_ex2(enc_, nullptr, nullptr, nonce.data(), nullptr) != 1 ||
        !Feed(enc_, aad, nullptr) || !Feed(enc_, plaintext, out.data()) ||
        EVP_EncryptFinal_ex(enc_, out.data() + plaintext.size(), &n) != 1 ||
        EVP_CIPHER_CTX_ctrl(enc_, EVP_CTRL_AEAD_GET_TAG, kAeadTagBytes,
                            out.data() + plaintext.size()) != 1) {
      return absl::InternalError("chacha20poly1305: OpenSSL seal failed");
    }
    return absl::OkStatus();
  }

  absl::Status Open(std::span<const uint8_t> nonce, std::span<const uint8_t> aad,
                    std::span<const uint8_t> ciphertext, std::span<uint8_t> out) override {
    if (auto s = CheckSizes(nonce, ciphertext.size(), out.size(), false); !s.ok()) return s;
    const size_t len = out.size();
    uint8_t tag[kAeadTagBytes];
    std::memcpy(tag, ciphertext.data() + len, kAeadTagBytes);
    int n = 0;
    bool ok = EVP_DecryptInit_ex2(dec_, nullptr, nullptr, nonce.data(), nullptr) == 1 &&
              EVP_CIPHER_CTX_ctrl(dec_, EVP_CTRL_AEAD_SET_TAG, kAeadTagBytes, tag) == 1 &&
              Feed(dec_, aad, nullptr) && Feed(dec_, ciphertext.first(len), out.data()) &&
              EVP_DecryptFinal_ex(dec_, out.data() + len, &n) == 1;
    if (!ok) {
      // OpenSSL decrypts before the tag check; never release that plaintext.
      sodium_memzero(out.data(), len);
      return absl::DataLossError("chacha20poly1305: authentication failed");
    }
    return absl::OkStatus();
  }

  Backend backend() const override { return Backend::kOpenSsl; }

 private:
  // Feeds `in` through EVP_CipherUpdate in int-sized pieces (out == nullptr for AAD).
  static bool Feed(EVP_CIPHER_CTX* ctx, std::span<const uint8_t> in, uint8_t* out) {
    size_t done = 0;
    while (done < in.size()) {
      int piece = static_cast<int>(std::min<size_t>(in.size() - done, 1 << 30));
      int n = 0;
      if (EVP_CipherUpdate(ctx, out == nullptr ? nullptr : out + done, &n, in.data() + done,
                           piece) != 1) {
        return false;
      }
      done += static_cast<size_t>(piece);
    }
    return true;
  }

  EVP_CIPHER* cipher_ = nullptr;
  EVP_CIPHER_CTX* enc_ = nullptr;
  EVP_CIPHER_CTX* dec_ = nullptr;
};

}  // namespace

absl::StatusOr<std::unique_ptr<ChaCha20Poly1305>> ChaCha20Poly1305::Create(
    std::span<const uint8_t> key, Backend backend) {
  if (key.size() != kAeadKeyBytes) {
    return absl::InvalidArgumentError("chacha20poly1305: key must be 32 bytes");
  }
  if (backend == Backend::kSodium) {
    if (sodium_init() < 0) return absl::InternalError("libsodium initialisation failed");
    return std::unique_ptr<ChaCha20Poly1305>(new SodiumAead(key));
  }
  auto aead = std::make_unique<OpenSslAead>();
  if (auto s = aead->Init(key); !s.ok()) return s;
  return std::unique_ptr<ChaCha20Poly1305>(std::move(aead));
}

}  // namespace freehold::bulk
