#include "tests/accounts/accounts_test_support.h"

#include <sodium.h>

#include <chrono>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "services/accounts/core/validation.h"

namespace freehold::accounts::testing {

FairUseConfig UnlimitedFairUse() {
  FairUseConfig f;
  f.login_free_failures_per_account = 1000000;
  f.login_free_failures_per_address = 1000000;
  f.registrations_per_address_per_hour = 0;
  return f;
}

AccountsOptions TestOptions() {
  AccountsOptions o;
  o.kdf_bounds = KdfBounds::Weak();
  o.default_kdf = KdfParams{1, 8192, kKdfAlgorithm};
  return o;
}

absl::StatusOr<std::unique_ptr<InProcessAccounts>> InProcessAccounts::Start(
    const std::string& db_url, StackConfig config) {
  std::unique_ptr<InProcessAccounts> s(new InProcessAccounts());
  s->config_ = std::move(config);
  FH_ASSIGN_OR_RETURN(s->keyring_, TokenKeyring::OpenOrCreate(s->data_dir_.path()));
  FH_ASSIGN_OR_RETURN(Pepper pepper, Pepper::FromSecret(kTestPepper));
  s->pepper_ = std::make_unique<Pepper>(pepper);
  s->pool_ = std::make_unique<PgPool>(AccountsPoolOptions(db_url, 8));
  FH_RETURN_IF_ERROR(MigrateAccountsSchema(*s->pool_));
  s->repo_ = std::make_unique<PgAccountRepository>(*s->pool_);
  s->metrics_ = std::make_unique<AccountsMetrics>(s->registry_);
  s->limiter_ = std::make_unique<FairUseLimiter>(s->config_.fair_use, s->clock_);
  LoginThrottleConfig throttle;
  throttle.free_failures_per_handle = s->config_.fair_use.login_free_failures_per_account;
  throttle.free_failures_per_network = s->config_.fair_use.login_free_failures_per_address;
  throttle.base = s->config_.fair_use.login_backoff_base;
  throttle.max = s->config_.fair_use.login_backoff_max;
  throttle.memory = s->config_.fair_use.login_failure_memory;
  s->throttle_ = std::make_unique<PgLoginThrottle>(*s->pool_, *s->pepper_, throttle);
  s->issuer_ = std::make_unique<TokenIssuer>(s->keyring_->signer(), s->keyring_->verifier(),
                                             s->config_.options);
  s->login_ = std::make_unique<LoginService>(*s->repo_, *s->pepper_, *s->limiter_, *s->throttle_,
                                             *s->issuer_,
                                             *s->metrics_, s->clock_, s->config_.options);
  s->sessions_ = std::make_unique<SessionService>(*s->repo_, *s->issuer_, *s->metrics_, s->clock_);
  s->accounts_ = std::make_unique<AccountService>(*s->repo_, *s->pepper_, *s->limiter_, *s->throttle_,
                                                  *s->metrics_, s->clock_, s->config_.options);
  s->service_ = std::make_unique<AccountsGrpcService>(
      *s->login_, *s->sessions_, *s->accounts_,
      AccountsGrpcOptions{s->keyring_->public_keys(), s->config_.options.audience,
                          s->config_.tls.has_value()});
  s->lifecycle_store_ = std::make_unique<PgLifecycleStore>(*s->pool_);
  s->lifecycle_ = std::make_unique<AccountLifecycle>(*s->lifecycle_store_, s->config_.lifecycle,
                                                     *s->metrics_, s->clock_);
  s->service_->SetLifecycle(s->lifecycle_.get());
  s->org_store_ = std::make_unique<PgOrgStore>(*s->pool_);
  s->directory_ = std::make_unique<RepositoryAccountDirectory>(*s->repo_);
  s->orgs_ = std::make_unique<OrgService>(*s->org_store_, *s->directory_, s->clock_);
  s->service_->SetOrgs(s->orgs_.get());
  GrpcServerOptions opts;
  opts.listen_address = "127.0.0.1:0";
  opts.max_receive_message_bytes = 64 << 10;
  opts.metrics_registry = &s->registry_;
  ClientTlsOptions client_tls;
  if (s->config_.tls.has_value()) {
    opts.tls = s->config_.tls->Server(ClientCertificates::kVerifyIfPresented);
    client_tls.enabled = true;
    client_tls.ca_file = s->config_.tls->ca_file;
  }
  FH_ASSIGN_OR_RETURN(s->server_, GrpcServer::Start(opts, {s->service_.get()}));
  s->address_ = s->server_->address();
  FH_ASSIGN_OR_RETURN(s->channel_, MakeChannel(s->address_, client_tls));
  s->stub_ = v1::Accounts::NewStub(s->channel_);
  return s;
}

InProcessAccounts::~InProcessAccounts() {
  if (server_) server_->Shutdown(absl::Seconds(1));
}

v1::KdfParams TestKdf() {
  v1::KdfParams k;
  k.set_ops_limit(1);
  k.set_mem_limit_bytes(8192);
  k.set_algorithm("argon2id13");
  return k;
}

absl::StatusOr<DeviceKeys> Derive(const std::string& password, const std::string& salt,
                                  const v1::KdfParams& kdf) {
  std::span<const uint8_t> salt_span(reinterpret_cast<const uint8_t*>(salt.data()), salt.size());
  FH_ASSIGN_OR_RETURN(
      client::DerivedKeys keys,
      client::DeriveKeys(password, salt_span,
                         client::PwhashParams{kdf.ops_limit(), kdf.mem_limit_bytes()}));
  return DeviceKeys{std::string(keys.auth_key.view()), std::move(keys.kek)};
}

absl::StatusOr<NewAccount> MakeAccount(const std::string& handle, const std::string& password) {
  NewAccount a;
  a.handle = handle;
  a.password = password;
  const auto salt_arr = client::GeneratePasswordSalt();
  const std::string salt(reinterpret_cast<const char*>(salt_arr.data()), salt_arr.size());
  FH_ASSIGN_OR_RETURN(DeviceKeys keys, Derive(password, salt, TestKdf()));
  FH_ASSIGN_OR_RETURN(std::vector<uint8_t> wrapped, client::WrapIdentity(keys.kek, a.identity));
  a.auth_key = keys.auth_key;
  a.request.set_handle(handle);
  a.request.set_salt(salt);
  *a.request.mutable_kdf() = TestKdf();
  a.request.set_auth_key(keys.auth_key);
  a.request.set_wrapped_identity(std::string(wrapped.begin(), wrapped.end()));
  a.request.set_public_key(a.identity.Recipient());
  return a;
}

absl::StatusOr<std::string> RegisterAccount(v1::Accounts::Stub& stub, const NewAccount& account) {
  v1::RegisterResponse resp;
  grpc::Status s = stub.Register(PlainContext().get(), account.request, &resp);
  if (!s.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                        absl::StrCat("Register: ", s.error_message()));
  }
  return resp.account_id();
}

absl::StatusOr<DeviceLogin> LoginWithPassword(v1::Accounts::Stub& stub, const std::string& handle,
                                              const std::string& password,
                                              const std::string& device_name) {
  v1::PreLoginRequest pre;
  pre.set_handle(handle);
  v1::PreLoginResponse pre_resp;
  grpc::Status s = stub.PreLogin(PlainContext().get(), pre, &pre_resp);
  if (!s.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                        absl::StrCat("PreLogin: ", s.error_message()));
  }
  FH_ASSIGN_OR_RETURN(DeviceKeys keys, Derive(password, pre_resp.salt(), pre_resp.kdf()));
  v1::LoginRequest req;
  req.set_handle(handle);
  req.set_auth_key(keys.auth_key);
  req.set_device_name(device_name);
  DeviceLogin out;
  s = stub.Login(PlainContext().get(), req, &out.response);
  if (!s.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                        absl::StrCat("Login: ", s.error_message()));
  }
  const std::string& w = out.response.wrapped_identity();
  FH_ASSIGN_OR_RETURN(
      out.identity,
      client::UnwrapIdentity(keys.kek, std::span<const uint8_t>(
                                           reinterpret_cast<const uint8_t*>(w.data()), w.size())));
  return out;
}

absl::StatusOr<std::string> ClientRecoveryProof(const client::X25519Identity& identity,
                                                const std::string& ephemeral_public,
                                                const std::string& challenge) {
  FH_ASSIGN_OR_RETURN(client::X25519PublicKey eph, client::ParseRecipient(ephemeral_public));
  unsigned char shared[crypto_scalarmult_BYTES];
  if (crypto_scalarmult(shared, identity.secret().data(), eph.bytes.data()) != 0) {
    return absl::InvalidArgumentError("low-order ephemeral key");
  }
  std::string proof(32, '\0');
  crypto_generichash(reinterpret_cast<unsigned char*>(proof.data()), proof.size(),
                     reinterpret_cast<const unsigned char*>(challenge.data()), challenge.size(),
                     shared, sizeof(shared));
  sodium_memzero(shared, sizeof(shared));
  return proof;
}

std::unique_ptr<grpc::ClientContext> PlainContext() {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  return ctx;
}

std::unique_ptr<grpc::ClientContext> AuthedContext(const std::string& access_token) {
  auto ctx = PlainContext();
  ctx->AddMetadata("authorization", "Bearer " + access_token);
  return ctx;
}

std::string Repeat(char c, size_t n) { return std::string(n, c); }

}  // namespace freehold::accounts::testing
