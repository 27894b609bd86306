// Claiming past donations by e-mail with a one-time code (see donation_claims.h).
#include "services/donations/core/donation_claims.h"

#include <sodium.h>

#include <cstdio>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "services/donations/core/donor_token.h"
#include "services/donations/core/types.h"

namespace freehold::donations {
namespace {

constexpr size_t kMaxEmailBytes = 320;
constexpr int kCodeDigits = 8;

absl::Status CheckEmail(absl::string_view email) {
  if (email.empty()) return absl::InvalidArgumentError("email: required");
  if (email.size() > kMaxEmailBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("email: longer than ", kMaxEmailBytes, " bytes"));
  }
  const size_t at = email.find('@');
  bool control = false;
  for (char c : email) {
    if (static_cast<unsigned char>(c) < 0x21 || c == 0x7f) control = true;
  }
  if (control || at == absl::string_view::npos || at == 0 || at + 1 == email.size() ||
      email.find('@', at + 1) != absl::string_view::npos) {
    return absl::InvalidArgumentError("email: not an e-mail address (local@domain)");
  }
  return absl::OkStatus();
}

std::string NewCode() {
  char out[kCodeDigits + 1];
  std::snprintf(out, sizeof(out), "%08u", randombytes_uniform(100000000u));
  return std::string(out, kCodeDigits);
}

bool LooksLikeCode(absl::string_view code) {
  if (code.size() != kCodeDigits) return false;
  for (char c : code) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

std::string FormatUtc(absl::Time t) {
  return absl::FormatTime("%Y-%m-%d %H:%M UTC", t, absl::UTCTimeZone());
}

}  // namespace

DonationClaims::DonationClaims(ClaimStore& store, Clock& clock) : store_(store), clock_(clock) {}

std::string DonationClaims::HashCode(absl::string_view claim_id, absl::string_view code) {
  unsigned char hash[32];
  crypto_generichash(hash, sizeof(hash), reinterpret_cast<const unsigned char*>(code.data()),
                     code.size(), reinterpret_cast<const unsigned char*>(claim_id.data()),
                     claim_id.size());
  return std::string(reinterpret_cast<char*>(hash), sizeof(hash));
}

absl::StatusOr<std::string> DonationClaims::Authenticate(absl::string_view donor_token) {
  if (donor_token.empty()) return absl::InvalidArgumentError("donor_token: required");
  if (!LooksLikeDonorToken(donor_token)) {
    return absl::UnauthenticatedError("donor_token: unknown donor token");
  }
  FH_ASSIGN_OR_RETURN(std::optional<std::string> donor,
                      store_.FindDonorByTokenHash(HashDonorToken(donor_token)));
  if (!donor.has_value()) return absl::UnauthenticatedError("donor_token: unknown donor token");
  return *donor;
}

absl::StatusOr<ClaimRequested> DonationClaims::Request(absl::string_view donor_token,
                                                       absl::string_view email_in) {
  FH_ASSIGN_OR_RETURN(std::string donor, Authenticate(donor_token));
  FH_RETURN_IF_ERROR(CheckEmail(email_in));
  const std::string email = absl::AsciiStrToLower(email_in);
  const absl::Time now = clock_.Now();
  FH_ASSIGN_OR_RETURN(auto recent, store_.RecentClaims(donor, email, now - absl::Hours(1)));
  if (recent.first >= kClaimsPerDonorPerHour) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "donor_token: at most ", kClaimsPerDonorPerHour, " claims per hour; try again later"));
  }
  if (recent.second >= kClaimsPerEmailPerHour) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "email: at most ", kClaimsPerEmailPerHour, " codes per hour to one address; try again later"));
  }
  EmailClaim claim;
  claim.claim_id = NewUuid();
  claim.donor_id = donor;
  claim.email = email;
  claim.created_at = now;
  claim.expires_at = now + kClaimLifetime;
  std::string code = NewCode();
  claim.code_hash = HashCode(claim.claim_id, code);
  // Mail a code only where there is something to claim; the answer is the same.
  FH_ASSIGN_OR_RETURN(bool anything, store_.OtherDonorsWithEmail(donor, email));
  std::optional<Notification> mail;
  if (anything) {
    mail.emplace();
    mail->kind = "donation_claim_code";
    mail->recipient = std::string(email_in);
    mail->subject = "Your Freehold donation claim code";
    mail->body = absl::StrCat(
        "Someone, hopefully you, asked to see the donations made to Freehold with this "
        "address in their donor portal.\n\nThe code is ",
        code, "\n\nIt is valid until ", FormatUtc(claim.expires_at),
        " and can be used once. If you did not ask for it, ignore this message: nothing "
        "is shared without the code.\n");
    mail->created_at = now;
  }
  sodium_memzero(code.data(), code.size());
  FH_RETURN_IF_ERROR(store_.CreateClaim(claim, mail));
  return ClaimRequested{claim.claim_id, claim.expires_at};
}

absl::StatusOr<ClaimConfirmed> DonationClaims::Confirm(absl::string_view donor_token,
                                                       absl::string_view claim_id,
                                                       absl::string_view code) {
  FH_ASSIGN_OR_RETURN(std::string donor, Authenticate(donor_token));
  if (!IsUuid(claim_id)) return absl::InvalidArgumentError("claim_id: must be a UUID");
  if (!LooksLikeCode(code)) {
    return absl::InvalidArgumentError(
        absl::StrCat("code: must be the ", kCodeDigits, " digits of the e-mail"));
  }
  const std::string presented = HashCode(claim_id, code);
  const absl::Time now = clock_.Now();
  absl::Status refused;
  auto decide = [&](const EmailClaim& c) {
    if (c.consumed_at.has_value()) {
      refused = absl::FailedPreconditionError("claim_id: this code was used already");
      return ClaimVerdict::kRefuse;
    }
    if (now >= c.expires_at) {
      refused = absl::FailedPreconditionError("code: expired; request a new one");
      return ClaimVerdict::kRefuse;
    }
    if (c.attempts >= kClaimMaxAttempts) {
      refused = absl::FailedPreconditionError("code: too many wrong codes; request a new one");
      return ClaimVerdict::kRefuse;
    }
    if (c.code_hash.size() == presented.size() &&
        sodium_memcmp(c.code_hash.data(), presented.data(), presented.size()) == 0) {
      return ClaimVerdict::kAccept;
    }
    const int left = kClaimMaxAttempts - c.attempts - 1;
    refused = left > 0 ? absl::PermissionDeniedError(
                             absl::StrCat("code: wrong code; ", left, " attempts left"))
                       : absl::PermissionDeniedError(
                             "code: wrong code; no attempts left, request a new one");
    return ClaimVerdict::kWrongCode;
  };
  FH_ASSIGN_OR_RETURN(auto result, store_.ConfirmClaim(claim_id, donor, decide, now));
  if (!result.has_value()) return absl::NotFoundError("claim_id: no such claim for this donor");
  if (!refused.ok()) return refused;
  return ClaimConfirmed{result->second.donors, result->second.payments};
}

absl::StatusOr<std::vector<Notification>> DonationClaims::PendingNotifications(int limit) {
  if (limit < 0 || limit > 500) return absl::InvalidArgumentError("limit: must be 0..500");
  return store_.PendingNotifications(limit == 0 ? 100 : limit);
}

absl::StatusOr<int> DonationClaims::AckNotifications(const std::vector<int64_t>& ids) {
  if (ids.empty()) return absl::InvalidArgumentError("ids: at least one notification id");
  if (ids.size() > 500) return absl::InvalidArgumentError("ids: at most 500 at once");
  for (int64_t id : ids) {
    if (id <= 0) return absl::InvalidArgumentError("ids: notification ids are positive");
  }
  return store_.AckNotifications(ids);
}

}  // namespace freehold::donations
