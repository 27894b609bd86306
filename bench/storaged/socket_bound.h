// A bound for the price of TLS on this machine (benchmark code, not a test): the same
// bytes sent over one loopback TCP connection in plaintext and through OpenSSL's TLS
// (the library gRPC links, TLS 1.3 with its default cipher suite, mutual
// authentication with the bench's certificates, records of the size gRPC's frame
// protector writes), one sending and one receiving thread, as one PutShard stream
// has. What OpenSSL alone spends on a byte, in CPU seconds and in wall time, is
// what no TLS in this process can spend less of; sealing and opening the records
// with the suite's AEAD alone (SealOpen) is the least any TLS spends at all.
#pragma once

#include <openssl/ssl.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/tls_config.h"

namespace freehold::bench {

// Seconds and CPU seconds (sender thread + receiver thread) of transfers, summed.
struct SocketTransfer {
  double seconds = 0;
  double cpu_seconds = 0;
  uint64_t bytes = 0;
};

// One plaintext and one TLS connection over 127.0.0.1, open for the whole run so
// that no handshake is timed (gRPC's channels stay open too).
class SocketBound {
 public:
  // `server` and `client`: key pairs of one CA (the server verifies the client's).
  static absl::StatusOr<std::unique_ptr<SocketBound>> Open(const TlsConfig& server,
                                                           const TlsConfig& client);
  ~SocketBound();

  // Sends `data` from this thread and receives it on another; adds to the totals.
  absl::Status SendPlain(std::string_view data);
  absl::Status SendTls(std::string_view data);

  // Seals and opens `data` in memory in records as above with the AEAD of the
  // negotiated suite (CPU only): the part of TLS no implementation can skip.
  absl::Status SealOpen(std::string_view data);

  const SocketTransfer& plain() const { return plain_; }
  const SocketTransfer& aead() const { return aead_; }
  const SocketTransfer& tls() const { return tls_; }
  // The negotiated protocol and cipher suite, e.g. "TLSv1.3 TLS_AES_256_GCM_SHA384".
  std::string cipher() const;
  std::string suite() const;  // e.g. "TLS_AES_256_GCM_SHA384"

 private:
  SocketBound() = default;

  int plain_send_ = -1, plain_recv_ = -1;
  int tls_send_fd_ = -1, tls_recv_fd_ = -1;
  SSL_CTX* server_ctx_ = nullptr;
  SSL_CTX* client_ctx_ = nullptr;
  SSL* tls_send_ = nullptr;  // the client end writes, as the bench's PutShard does
  SSL* tls_recv_ = nullptr;
  SocketTransfer plain_, tls_, aead_;
};

}  // namespace freehold::bench
