// Operator-call authorization (see admin_access.h).
#include "services/donations/core/admin_access.h"

#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/encoding.h"
#include "common/signed_token.h"
#include "common/string_view.h"
#include "services/donations/core/types.h"

namespace freehold::donations {
namespace {

constexpr char kHowToEnable[] =
    "operator calls are disabled: start freehold-donations with --accounts-keys FILE "
    "(the accounts service's --verification-keys-out file) and call with an accounts "
    "access token carrying the scope \"donations:admin\"";

}  // namespace

absl::StatusOr<std::vector<PublicKey>> ParseAccountsKeys(absl::string_view text,
                                                         absl::string_view source) {
  std::vector<PublicKey> keys;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line.front() == '#') continue;
    auto bad = [&](absl::string_view why) {
      return absl::InvalidArgumentError(absl::StrCat(source, " line ", line_no, ": ", why,
                                                     " (want \"ed25519 <key_id> <base64 key>\")"));
    };
    std::vector<absl::string_view> fields = absl::StrSplit(line, ' ', absl::SkipWhitespace());
    if (fields.size() != 3) return bad("expected 3 fields");
    if (fields[0] != "ed25519") return bad("unknown key type");
    if (!IsValidKeyId(std::string_view(fields[1].data(), fields[1].size()))) {
      return bad("bad key id");
    }
    absl::StatusOr<std::string> raw =
        Base64Decode(std::string_view(fields[2].data(), fields[2].size()));
    if (!raw.ok() || raw->size() != 32) return bad("key is not 32 bytes of base64");
    PublicKey key;
    key.key_id = std::string(fields[1]);
    std::copy(raw->begin(), raw->end(), key.key.begin());
    keys.push_back(std::move(key));
  }
  if (keys.empty()) return absl::InvalidArgumentError(absl::StrCat(source, ": no keys"));
  return keys;
}

AdminAuthorizer::AdminAuthorizer(Clock& clock) : enabled_(false), clock_(clock) {}

AdminAuthorizer::AdminAuthorizer(std::string keys_file, Clock& clock)
    : enabled_(true), keys_file_(std::move(keys_file)), clock_(clock) {}

AdminAuthorizer::AdminAuthorizer(std::vector<PublicKey> keys, Clock& clock)
    : enabled_(true), clock_(clock), verifier_(std::make_shared<const TokenVerifier>(keys)) {}

absl::Status AdminAuthorizer::Reload() {
  if (keys_file_.empty()) return absl::OkStatus();
  std::ifstream in(keys_file_);
  if (!in) return absl::NotFoundError(absl::StrCat("--accounts-keys: cannot read ", keys_file_));
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();
  {
    absl::MutexLock lock(&mu_);
    if (verifier_ != nullptr && text == loaded_text_) return absl::OkStatus();
  }
  absl::StatusOr<std::vector<PublicKey>> keys =
      ParseAccountsKeys(text, absl::StrCat("--accounts-keys ", keys_file_));
  if (!keys.ok()) return keys.status();
  auto verifier = std::make_shared<const TokenVerifier>(*keys);
  absl::MutexLock lock(&mu_);
  verifier_ = std::move(verifier);
  loaded_text_ = std::move(text);
  return absl::OkStatus();
}

std::shared_ptr<const TokenVerifier> AdminAuthorizer::verifier() const {
  absl::MutexLock lock(&mu_);
  return verifier_;
}

absl::StatusOr<AdminCaller> AdminAuthorizer::Authorize(absl::string_view authorization) const {
  if (!enabled_) return absl::FailedPreconditionError(kHowToEnable);
  absl::StatusOr<std::string> token = BearerToken(
      StdView(authorization),
      "operator call needs an access token: send metadata \"authorization: Bearer <token>\"");
  if (!token.ok()) return token.status();
  std::shared_ptr<const TokenVerifier> v = verifier();
  if (v == nullptr || v->empty()) {
    return absl::UnavailableError("accounts verification keys are not loaded yet; retry");
  }
  absl::StatusOr<TokenClaims> claims = VerifyClaims(
      *v, *token, kAccessTokenAudience, clock_.Now());
  if (!claims.ok()) {
    return absl::UnauthenticatedError(
        absl::StrCat("access token rejected: ", claims.status().message()));
  }
  if (!IsUuid(claims->subject)) {
    return absl::UnauthenticatedError("access token rejected: subject is not an account id");
  }
  if (!claims->HasScope(kDonationsAdminScope)) {
    return absl::PermissionDeniedError(
        "this call is for operators: the access token lacks the scope \"donations:admin\"");
  }
  return AdminCaller{claims->subject, claims->token_id};
}

}  // namespace freehold::donations
