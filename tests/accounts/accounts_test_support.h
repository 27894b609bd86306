// Test helpers for the accounts service: the whole service wired in-process (like
// main.cc, but with a FakeClock and a bare registry) on a loopback port, and the client
// side of the key handshake built on client_core (age identity, Argon2id, wrapping).
#pragma once

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>
#include <prometheus/registry.h>

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "client/core/account_keys.h"
#include "client/core/keys.h"
#include "common/clock.h"
#include "common/grpc_server.h"
#include "common/pg.h"
#include "common/tls_config.h"
#include "freehold/v1/accounts.grpc.pb.h"
#include "services/accounts/core/account_crypto.h"
#include "services/accounts/core/account_service.h"
#include "services/accounts/core/accounts_metrics.h"
#include "services/accounts/core/fair_use_limiter.h"
#include "services/accounts/core/login_service.h"
#include "services/accounts/core/session_service.h"
#include "services/accounts/core/token_issuer.h"
#include "services/accounts/core/token_keyring.h"
#include "services/accounts/grpc/accounts_grpc_service.h"
#include "services/accounts/pg/pg_account_repository.h"
#include "services/accounts/pg/pg_lifecycle_store.h"
#include "services/accounts/pg/pg_org_store.h"
#include "services/accounts/pg/pg_login_throttle.h"
#include "tests/support/temp_dir.h"

namespace freehold::accounts::testing {

inline constexpr char kTestPepper[] = "test-pepper-0123456789abcdef0123456789abcdef";

// Fair-use settings for tests that are not about fair use: effectively unlimited.
FairUseConfig UnlimitedFairUse();
// Core options for tests: weak KDF allowed, small default params.
AccountsOptions TestOptions();

struct StackConfig {
  FairUseConfig fair_use = UnlimitedFairUse();
  AccountsOptions options = TestOptions();
  // Server TLS material; without it the service speaks plaintext (development
  // mode) and the stub dials plaintext. With it, stub() trusts the CA and presents
  // no certificate (like the CLI).
  std::optional<TlsConfig> tls;
  // Abandoned accounts (run by the test through lifecycle().RunOnce()).
  LifecyclePolicy lifecycle;
};

// freehold-accounts in-process: real PostgreSQL (db_url), real gRPC on 127.0.0.1:0.
class InProcessAccounts {
 public:
  static absl::StatusOr<std::unique_ptr<InProcessAccounts>> Start(const std::string& db_url,
                                                                  StackConfig config = {});
  ~InProcessAccounts();

  v1::Accounts::Stub& stub() { return *stub_; }
  std::shared_ptr<grpc::Channel> channel() { return channel_; }
  FakeClock& clock() { return clock_; }
  prometheus::Registry& registry() { return registry_; }
  TokenKeyring& keyring() { return *keyring_; }
  PgPool& pool() { return *pool_; }
  AccountRepository& repo() { return *repo_; }
  AccountsMetrics& metrics() { return *metrics_; }
  AccountLifecycle& lifecycle() { return *lifecycle_; }
  const std::string& address() const { return address_; }

 private:
  InProcessAccounts() = default;
  StackConfig config_;
  freehold::testing::TempDir data_dir_{"accounts-data-"};
  FakeClock clock_;
  prometheus::Registry registry_;
  std::unique_ptr<TokenKeyring> keyring_;
  std::unique_ptr<Pepper> pepper_;
  std::unique_ptr<PgPool> pool_;
  std::unique_ptr<PgAccountRepository> repo_;
  std::unique_ptr<AccountsMetrics> metrics_;
  std::unique_ptr<FairUseLimiter> limiter_;
  std::unique_ptr<PgLoginThrottle> throttle_;
  std::unique_ptr<TokenIssuer> issuer_;
  std::unique_ptr<LoginService> login_;
  std::unique_ptr<SessionService> sessions_;
  std::unique_ptr<AccountService> accounts_;
  std::unique_ptr<PgLifecycleStore> lifecycle_store_;
  std::unique_ptr<AccountLifecycle> lifecycle_;
  std::unique_ptr<PgOrgStore> org_store_;
  std::unique_ptr<RepositoryAccountDirectory> directory_;
  std::unique_ptr<OrgService> orgs_;
  std::unique_ptr<AccountsGrpcService> service_;
  std::unique_ptr<GrpcServer> server_;
  std::string address_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Accounts::Stub> stub_;
};

// Argon2id parameters small enough for tests (libsodium's minimum).
v1::KdfParams TestKdf();

// What a device derives from handle + password.
struct DeviceKeys {
  std::string auth_key;  // 32 bytes
  client::SecretBytes kek;
};
absl::StatusOr<DeviceKeys> Derive(const std::string& password, const std::string& salt,
                                  const v1::KdfParams& kdf);

// A new account's client-side state.
struct NewAccount {
  std::string handle;
  std::string password;
  client::X25519Identity identity = client::X25519Identity::Generate();
  v1::RegisterRequest request;  // ready to send
  std::string auth_key;
};
absl::StatusOr<NewAccount> MakeAccount(const std::string& handle, const std::string& password);

// Registers a fresh account and returns it (account_id in request.handle's answer).
absl::StatusOr<std::string> RegisterAccount(v1::Accounts::Stub& stub, const NewAccount& account);

// "Second device": PreLogin -> Argon2id -> Login -> unwrap the identity.
struct DeviceLogin {
  v1::LoginResponse response;
  client::X25519Identity identity = client::X25519Identity::Generate();  // unwrapped one
};
absl::StatusOr<DeviceLogin> LoginWithPassword(v1::Accounts::Stub& stub, const std::string& handle,
                                              const std::string& password,
                                              const std::string& device_name = "laptop");

// The client's recovery proof computed with libsodium directly:
// BLAKE2b-256(key = X25519(identity secret, ephemeral public), challenge).
absl::StatusOr<std::string> ClientRecoveryProof(const client::X25519Identity& identity,
                                                const std::string& ephemeral_public,
                                                const std::string& challenge);

// A client context carrying "authorization: Bearer <token>" and a deadline.
std::unique_ptr<grpc::ClientContext> AuthedContext(const std::string& access_token);
std::unique_ptr<grpc::ClientContext> PlainContext();

std::string Repeat(char c, size_t n);

}  // namespace freehold::accounts::testing
