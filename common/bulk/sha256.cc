// SHA-256 backends: OpenSSL EVP_MD (SHA extensions) and libsodium.
#include "common/bulk/sha256.h"

#include <openssl/evp.h>
#include <sodium.h>

#include <cstdlib>

namespace freehold::bulk {

// One of the two states is used depending on the backend.
class Sha256::Impl {
 public:
  explicit Impl(Backend backend) : backend_(backend) {
    if (backend_ == Backend::kOpenSsl) {
      md_ = EVP_MD_fetch(nullptr, "SHA256", nullptr);
      ctx_ = EVP_MD_CTX_new();
      // Allocation failure here is an environment defect, not bad input.
      if (md_ == nullptr || ctx_ == nullptr) std::abort();
    } else if (sodium_init() < 0) {
      std::abort();
    }
    Reset();
  }
  ~Impl() {
    EVP_MD_CTX_free(ctx_);
    EVP_MD_free(md_);
  }

  void Reset() {
    if (backend_ == Backend::kOpenSsl) {
      if (EVP_DigestInit_ex2(ctx_, md_, nullptr) != 1) std::abort();
    } else {
      crypto_hash_sha256_init(&state_);
    }
  }
  void Update(std::span<const uint8_t> data) {
    if (backend_ == Backend::kOpenSsl) {
      EVP_DigestUpdate(ctx_, data.data(), data.size());
    } else {
      crypto_hash_sha256_update(&state_, data.data(), data.size());
    }
  }
  Sha256Hash Final() {
    Sha256Hash out;
    if (backend_ == Backend::kOpenSsl) {
      unsigned int n = 0;
      EVP_DigestFinal_ex(ctx_, out.data(), &n);
    } else {
      crypto_hash_sha256_final(&state_, out.data());
    }
    Reset();
    return out;
  }

 private:
  Backend backend_;
  EVP_MD* md_ = nullptr;
  EVP_MD_CTX* ctx_ = nullptr;
  crypto_hash_sha256_state state_;
};

Sha256::Sha256(Backend backend) : backend_(backend), impl_(std::make_unique<Impl>(backend)) {}
Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::Update(std::span<const uint8_t> data) { impl_->Update(data); }
Sha256Hash Sha256::Final() { return impl_->Final(); }

Sha256Hash Sha256Digest(std::span<const uint8_t> data, Backend backend) {
  Sha256Hash out;
  if (backend == Backend::kOpenSsl) {
    unsigned int n = 0;
    if (EVP_Digest(data.data(), data.size(), out.data(), &n, EVP_sha256(), nullptr) != 1) {
      std::abort();
    }
  } else {
    if (sodium_init() < 0) std::abort();
    crypto_hash_sha256(out.data(), data.data(), data.size());
  }
  return out;
}

Sha256Hash Sha256Digest(std::string_view data, Backend backend) {
  return Sha256Digest(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(data.data()), data.size()),
      backend);
}

std::string Sha256Hex(const Sha256Hash& hash) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(hash.size() * 2, '0');
  for (size_t i = 0; i < hash.size(); ++i) {
    out[2 * i] = kHex[hash[i] >> 4];
    out[2 * i + 1] = kHex[hash[i] & 15];
  }
  return out;
}

}  // namespace freehold::bulk
