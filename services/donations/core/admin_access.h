// Authorization of the donations service's operator calls (SetExchangeRates,
// CreateCampaign, ExportLedger, ListPledges, EraseDonor on someone else's behalf).
//
// Callers present an access token issued by freehold-accounts (common/signed_token.h
// claims: audience "freehold", subject = account id UUID) in the metadata
// `authorization: Bearer <token>`; it must carry the scope "donations:admin". Tokens
// are verified offline with the accounts verification keys (`--accounts-keys FILE`,
// one `ed25519 <key_id> <base64 public key>` line per key, the brief's format).
// Without a key file the operator calls are switched off (FAILED_PRECONDITION).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "common/signed_token.h"

namespace freehold::donations {

// What accounts puts in its access tokens (services/accounts/core/accounts_options.h).
inline constexpr char kAccessTokenAudience[] = "freehold";
// The scope an operator token needs.
inline constexpr char kDonationsAdminScope[] = "donations:admin";

// Parses the accounts verification key file: `ed25519 <key_id> <base64 key>` per line;
// blank lines and '#' comments are skipped. INVALID_ARGUMENT naming `source` and the
// line; an empty key set is an error too.
absl::StatusOr<std::vector<PublicKey>> ParseAccountsKeys(absl::string_view text,
                                                         absl::string_view source);

// The verified operator.
struct AdminCaller {
  std::string account_id;  // token subject
  std::string token_id;    // for audit logs
};

// Thread-safe. The clock must outlive it.
class AdminAuthorizer {
 public:
  // Operator calls refused (FAILED_PRECONDITION): no key file configured.
  explicit AdminAuthorizer(Clock& clock);
  // Keys read from `keys_file` by Reload() (call it once before serving).
  AdminAuthorizer(std::string keys_file, Clock& clock);
  // A fixed key set (tests).
  AdminAuthorizer(std::vector<PublicKey> keys, Clock& clock);

  bool enabled() const { return enabled_; }

  // (Re)reads the key file if its content changed, so accounts can rotate keys without
  // restarting this service. On error the previous keys stay in use. NOT_FOUND /
  // INVALID_ARGUMENT naming the file. OK (no-op) when there is no file.
  absl::Status Reload();

  // `authorization` is the metadata value ("" when absent).
  //   FAILED_PRECONDITION  operator calls are off (no --accounts-keys)
  //   UNAUTHENTICATED      missing or malformed header; bad signature, unknown key,
  //                        expired, wrong audience, subject not an account id
  //   PERMISSION_DENIED    valid token without the "donations:admin" scope
  // Messages never echo the token.
  absl::StatusOr<AdminCaller> Authorize(absl::string_view authorization) const;

 private:
  std::shared_ptr<const TokenVerifier> verifier() const;

  const bool enabled_;
  const std::string keys_file_;
  Clock& clock_;
  mutable absl::Mutex mu_;
  std::shared_ptr<const TokenVerifier> verifier_ ABSL_GUARDED_BY(mu_);
  std::string loaded_text_ ABSL_GUARDED_BY(mu_);
};

}  // namespace freehold::donations
