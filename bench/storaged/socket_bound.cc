#include "bench/storaged/socket_bound.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace freehold::bench {
namespace {

// gRPC's SSL frame protector fills records of its maximum frame (16 KiB) less its
// allowance for the record overhead (TSI_SSL_MAX_PROTECTION_OVERHEAD, 100 bytes).
constexpr size_t kTlsRecordPlaintext = 16384 - 100;
// Reads as gRPC's TCP endpoint reads on the daemon (GRPC_ARG_TCP_READ_CHUNK_SIZE).
constexpr size_t kReadBytes = 1 << 20;
// Plaintext writes of one PutShard message.
constexpr size_t kWriteBytes = 4 << 20;
// OpenSSL's read-ahead buffer (a few records per read(); a bigger one costs OpenSSL
// memmoves of what it has not decrypted yet) and the sender's write buffer.
constexpr int kTlsReadBuffer = 64 << 10;
constexpr int kTlsWriteBuffer = 1 << 20;

double ThreadCpuSeconds() {
  timespec ts;
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

std::string SslError(const char* what) {
  std::string s = what;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    absl::StrAppend(&s, ": ", buf);
  }
  return s;
}

// A connected pair of TCP sockets over 127.0.0.1, both with TCP_NODELAY as gRPC's.
absl::Status ConnectedPair(int* a, int* b) {
  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listener < 0) return absl::InternalError("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(listener, 1) != 0 ||
      ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(listener);
    return absl::InternalError("bind/listen on 127.0.0.1");
  }
  *a = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (*a < 0 || ::connect(*a, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(listener);
    return absl::InternalError("connect to 127.0.0.1");
  }
  *b = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  ::close(listener);
  if (*b < 0) return absl::InternalError("accept");
  const int one = 1;
  ::setsockopt(*a, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  ::setsockopt(*b, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return absl::OkStatus();
}

absl::StatusOr<SSL_CTX*> MakeContext(const TlsConfig& pair, bool server) {
  SSL_CTX* ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
  if (ctx == nullptr) return absl::InternalError(SslError("SSL_CTX_new"));
  // As gRPC 1.51's TLS credentials: TLS 1.2 to 1.3, OpenSSL's default TLS 1.3 suites.
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  if (SSL_CTX_use_certificate_chain_file(ctx, pair.cert_file.c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(ctx, pair.key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_load_verify_locations(ctx, pair.ca_file.c_str(), nullptr) != 1) {
    SSL_CTX_free(ctx);
    return absl::InvalidArgumentError(SslError("loading the bench certificates"));
  }
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | (server ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0),
                     nullptr);
  // OpenSSL at its cheapest: several records per read().
  SSL_CTX_set_read_ahead(ctx, 1);
  SSL_CTX_set_default_read_buffer_len(ctx, kTlsReadBuffer);
  return ctx;
}

}  // namespace

static absl::StatusOr<double> SealOpenCpuSeconds(std::string_view data, std::string_view suite) {
  const EVP_CIPHER* cipher = suite == "TLS_AES_128_GCM_SHA256"         ? EVP_aes_128_gcm()
                             : suite == "TLS_AES_256_GCM_SHA384"       ? EVP_aes_256_gcm()
                             : suite == "TLS_CHACHA20_POLY1305_SHA256" ? EVP_chacha20_poly1305()
                                                                       : nullptr;
  if (cipher == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("no AEAD known for suite ", std::string(suite)));
  }
  if (data.empty()) return 0.0;
  EVP_CIPHER_CTX* seal = EVP_CIPHER_CTX_new();
  EVP_CIPHER_CTX* open = EVP_CIPHER_CTX_new();
  std::vector<unsigned char> key(EVP_CIPHER_get_key_length(cipher), 0x5a);
  unsigned char iv[12] = {0};
  unsigned char tag[16];
  std::vector<unsigned char> sealed(kTlsRecordPlaintext + 1), opened(kTlsRecordPlaintext + 1);
  bool ok = EVP_EncryptInit_ex(seal, cipher, nullptr, key.data(), iv) == 1 &&
            EVP_DecryptInit_ex(open, cipher, nullptr, key.data(), iv) == 1;
  const double cpu = ThreadCpuSeconds();
  uint64_t sequence = 0;
  for (size_t off = 0; ok && off < data.size(); off += kTlsRecordPlaintext) {
    const int n = static_cast<int>(std::min(kTlsRecordPlaintext, data.size() - off));
    // A TLS 1.3 record: nonce from the sequence number, the 5-byte header as AAD.
    ++sequence;
    std::memcpy(iv + 4, &sequence, sizeof(sequence));
    const unsigned char header[5] = {23, 3, 3, static_cast<unsigned char>((n + 17) >> 8),
                                     static_cast<unsigned char>(n + 17)};
    int len = 0, fin = 0;
    ok = EVP_EncryptInit_ex(seal, nullptr, nullptr, nullptr, iv) == 1 &&
         EVP_EncryptUpdate(seal, nullptr, &len, header, sizeof(header)) == 1 &&
         EVP_EncryptUpdate(seal, sealed.data(), &len,
                           reinterpret_cast<const unsigned char*>(data.data() + off), n) == 1 &&
         EVP_EncryptFinal_ex(seal, sealed.data() + len, &fin) == 1 &&
         EVP_CIPHER_CTX_ctrl(seal, EVP_CTRL_AEAD_GET_TAG, 16, tag) == 1 &&
         EVP_DecryptInit_ex(open, nullptr, nullptr, nullptr, iv) == 1 &&
         EVP_DecryptUpdate(open, nullptr, &len, header, sizeof(header)) == 1 &&
         EVP_DecryptUpdate(open, opened.data(), &len, sealed.data(), n) == 1 &&
         EVP_CIPHER_CTX_ctrl(open, EVP_CTRL_AEAD_SET_TAG, 16, tag) == 1 &&
         EVP_DecryptFinal_ex(open, opened.data() + len, &fin) == 1;
  }
  const double seconds = ThreadCpuSeconds() - cpu;
  EVP_CIPHER_CTX_free(seal);
  EVP_CIPHER_CTX_free(open);
  if (!ok || std::memcmp(opened.data(), data.data() + (sequence - 1) * kTlsRecordPlaintext,
                         data.size() - (sequence - 1) * kTlsRecordPlaintext) != 0) {
    return absl::InternalError(SslError("AEAD seal/open failed"));
  }
  return seconds;
}

absl::StatusOr<std::unique_ptr<SocketBound>> SocketBound::Open(const TlsConfig& server,
                                                               const TlsConfig& client) {
  std::unique_ptr<SocketBound> self(new SocketBound());
  if (absl::Status s = ConnectedPair(&self->plain_send_, &self->plain_recv_); !s.ok()) return s;
  if (absl::Status s = ConnectedPair(&self->tls_send_fd_, &self->tls_recv_fd_); !s.ok()) return s;
  absl::StatusOr<SSL_CTX*> server_ctx = MakeContext(server, true);
  if (!server_ctx.ok()) return server_ctx.status();
  self->server_ctx_ = *server_ctx;
  absl::StatusOr<SSL_CTX*> client_ctx = MakeContext(client, false);
  if (!client_ctx.ok()) return client_ctx.status();
  self->client_ctx_ = *client_ctx;
  self->tls_send_ = SSL_new(self->client_ctx_);
  self->tls_recv_ = SSL_new(self->server_ctx_);
  if (self->tls_send_ == nullptr || self->tls_recv_ == nullptr) {
    return absl::InternalError(SslError("SSL_new"));
  }
  // The sender's records go out through a 1 MiB buffer, many per write() (as gRPC
  // hands many protected frames to one sendmsg()); flushed at the end of each transfer.
  BIO* socket = BIO_new_socket(self->tls_send_fd_, BIO_NOCLOSE);
  BIO* buffer = BIO_new(BIO_f_buffer());
  if (socket == nullptr || buffer == nullptr || BIO_set_write_buffer_size(buffer, kTlsWriteBuffer) != 1) {
    return absl::InternalError(SslError("BIO_new"));
  }
  BIO_up_ref(socket);  // one reference for the read side, one in the write chain
  BIO_push(buffer, socket);
  SSL_set_bio(self->tls_send_, socket, buffer);
  SSL_set_fd(self->tls_recv_, self->tls_recv_fd_);
  int accepted = 0;
  std::thread acceptor([&] { accepted = SSL_accept(self->tls_recv_); });
  const int connected = SSL_connect(self->tls_send_);
  acceptor.join();
  if (connected != 1 || accepted != 1) return absl::InternalError(SslError("TLS handshake"));
  return self;
}

SocketBound::~SocketBound() {
  if (tls_send_ != nullptr) SSL_free(tls_send_);
  if (tls_recv_ != nullptr) SSL_free(tls_recv_);
  if (client_ctx_ != nullptr) SSL_CTX_free(client_ctx_);
  if (server_ctx_ != nullptr) SSL_CTX_free(server_ctx_);
  for (int fd : {plain_send_, plain_recv_, tls_send_fd_, tls_recv_fd_}) {
    if (fd >= 0) ::close(fd);
  }
}

std::string SocketBound::suite() const { return SSL_get_cipher_name(tls_send_); }

absl::Status SocketBound::SealOpen(std::string_view data) {
  absl::StatusOr<double> cpu = SealOpenCpuSeconds(data, suite());
  if (!cpu.ok()) return cpu.status();
  aead_.cpu_seconds += *cpu;
  aead_.bytes += data.size();
  return absl::OkStatus();
}

std::string SocketBound::cipher() const {
  return absl::StrCat(SSL_get_version(tls_send_), " ", SSL_get_cipher_name(tls_send_));
}

absl::Status SocketBound::SendPlain(std::string_view data) {
  double recv_cpu = 0;
  bool recv_ok = true;
  const absl::Time start = absl::Now();
  std::thread receiver([&] {
    const double cpu = ThreadCpuSeconds();
    std::vector<char> buf(kReadBytes);
    size_t left = data.size();
    while (left > 0) {
      const ssize_t n = ::read(plain_recv_, buf.data(), std::min(buf.size(), left));
      if (n <= 0) {
        recv_ok = false;
        break;
      }
      left -= static_cast<size_t>(n);
    }
    recv_cpu = ThreadCpuSeconds() - cpu;
  });
  const double cpu = ThreadCpuSeconds();
  bool send_ok = true;
  for (size_t off = 0; off < data.size();) {
    const ssize_t n = ::write(plain_send_, data.data() + off, std::min(kWriteBytes, data.size() - off));
    if (n <= 0) {
      send_ok = false;
      ::shutdown(plain_send_, SHUT_RDWR);
      break;
    }
    off += static_cast<size_t>(n);
  }
  const double send_cpu = ThreadCpuSeconds() - cpu;
  receiver.join();
  if (!send_ok || !recv_ok) return absl::InternalError("plaintext socket transfer failed");
  plain_.seconds += absl::ToDoubleSeconds(absl::Now() - start);
  plain_.cpu_seconds += send_cpu + recv_cpu;
  plain_.bytes += data.size();
  return absl::OkStatus();
}

absl::Status SocketBound::SendTls(std::string_view data) {
  double recv_cpu = 0;
  bool recv_ok = true;
  const absl::Time start = absl::Now();
  std::thread receiver([&] {
    const double cpu = ThreadCpuSeconds();
    std::vector<char> buf(kReadBytes);
    size_t left = data.size();
    while (left > 0) {
      const int n = SSL_read(tls_recv_, buf.data(), static_cast<int>(std::min(buf.size(), left)));
      if (n <= 0) {
        recv_ok = false;
        break;
      }
      left -= static_cast<size_t>(n);
    }
    recv_cpu = ThreadCpuSeconds() - cpu;
  });
  const double cpu = ThreadCpuSeconds();
  bool send_ok = true;
  for (size_t off = 0; off < data.size();) {
    const size_t piece = std::min(kTlsRecordPlaintext, data.size() - off);
    const int n = SSL_write(tls_send_, data.data() + off, static_cast<int>(piece));
    if (n <= 0) {
      send_ok = false;
      ::shutdown(tls_send_fd_, SHUT_RDWR);
      break;
    }
    off += static_cast<size_t>(n);
  }
  if (send_ok && BIO_flush(SSL_get_wbio(tls_send_)) != 1) {
    send_ok = false;
    ::shutdown(tls_send_fd_, SHUT_RDWR);
  }
  const double send_cpu = ThreadCpuSeconds() - cpu;
  receiver.join();
  if (!send_ok || !recv_ok) return absl::InternalError(SslError("TLS socket transfer failed"));
  tls_.seconds += absl::ToDoubleSeconds(absl::Now() - start);
  tls_.cpu_seconds += send_cpu + recv_cpu;
  tls_.bytes += data.size();
  return absl::OkStatus();
}

}  // namespace freehold::bench
