// SecretBytes: an owned, fixed-size byte buffer for key material that is
// zeroed (sodium_memzero) when destroyed or moved from. Move-only; never
// printed. Compare with Equals (constant time, sodium_memcmp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

namespace freehold::client {

class SecretBytes {
 public:
  SecretBytes() = default;
  // `size` zero bytes.
  explicit SecretBytes(size_t size);
  static SecretBytes CopyOf(std::span<const uint8_t> bytes);
  static SecretBytes CopyOf(std::string_view text);
  // `size` bytes from the system CSPRNG (randombytes_buf).
  static SecretBytes Random(size_t size);

  ~SecretBytes();
  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;

  uint8_t* data() { return data_.get(); }
  const uint8_t* data() const { return data_.get(); }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::span<uint8_t> span() { return {data_.get(), size_}; }
  std::span<const uint8_t> span() const { return {data_.get(), size_}; }
  // The bytes as text (for secret strings such as an encoded identity).
  std::string_view view() const { return {reinterpret_cast<const char*>(data_.get()), size_}; }
  // Constant-time equality (sizes are not secret).
  bool Equals(const SecretBytes& other) const;
  SecretBytes Clone() const { return CopyOf(span()); }

 private:
  void Wipe();
  std::unique_ptr<uint8_t[]> data_;
  size_t size_ = 0;
};

}  // namespace freehold::client
