// Claiming past donations by e-mail, for the donor portal's backend
// (freehold.v1.Donations RequestDonationClaim, ConfirmDonationClaim), and the
// notification outbox the operator's mailer drains (ListNotifications,
// AckNotifications).
//
// A donor holding a token (from a donation intent, or from intake) may have given
// earlier without one: Stripe reported those payments with an e-mail address, kept in
// donor_personal. The donor asks for a claim on an address; the service mails a
// one-time code there through the outbox (only if some donor has that address; the
// answer is the same either way, so the call reveals nothing about who gave). The donor
// gives the code back; the donors with that address are then linked to the claimant:
// their donations, receipts and pledges are reachable with the claimant's token, and
// the claimant's erasure erases them too. The ledger itself is not changed.
//
// The code: 8 decimal digits from libsodium's CSPRNG; stored as BLAKE2b-256 keyed by the
// claim id, compared in constant time; valid for kClaimLifetime, at most
// kClaimMaxAttempts wrong codes, used once. At most kClaimsPerDonorPerHour claims per
// donor and kClaimsPerEmailPerHour per address.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace freehold::donations {

inline constexpr absl::Duration kClaimLifetime = absl::Minutes(15);
inline constexpr int kClaimMaxAttempts = 5;
inline constexpr int kClaimsPerDonorPerHour = 5;
inline constexpr int kClaimsPerEmailPerHour = 3;

struct Notification {
  int64_t id = 0;          // assigned by the store
  std::string kind;        // "donation_claim_code"
  std::string recipient;   // an e-mail address
  std::string subject;
  std::string body;        // plain text
  absl::Time created_at;
};

struct EmailClaim {
  std::string claim_id;   // UUID
  std::string donor_id;   // the claimant
  std::string email;      // lower case
  std::string code_hash;  // 32 bytes
  absl::Time created_at;
  absl::Time expires_at;
  int attempts = 0;       // wrong codes so far
  std::optional<absl::Time> consumed_at;
};

// What deciding on a presented code does to the claim (ClaimStore::ConfirmClaim).
enum class ClaimVerdict {
  kAccept,     // consume it and link the donors
  kWrongCode,  // count one more attempt
  kRefuse,     // leave it (expired, used, out of attempts)
};

struct ClaimLinks {
  int donors = 0;    // donors linked by this claim (new links)
  int payments = 0;  // payments of all donors linked to the claimant so far
};

class ClaimStore {
 public:
  virtual ~ClaimStore() = default;
  // The donor a token hash belongs to, or nullopt.
  virtual absl::StatusOr<std::optional<std::string>> FindDonorByTokenHash(
      absl::string_view token_hash) = 0;
  // Claims created since `since` by `donor_id`, and for `email`.
  virtual absl::StatusOr<std::pair<int, int>> RecentClaims(absl::string_view donor_id,
                                                           absl::string_view email,
                                                           absl::Time since) = 0;
  // Whether a donor other than `donor_id` has personal data with this e-mail
  // (compared case-insensitively).
  virtual absl::StatusOr<bool> OtherDonorsWithEmail(absl::string_view donor_id,
                                                    absl::string_view email) = 0;
  // In one transaction: the claim, and the notification if given.
  virtual absl::Status CreateClaim(const EmailClaim& claim,
                                   const std::optional<Notification>& notification) = 0;
  // In one transaction, with the claim row locked: reads `claim_id` (nullopt if there is
  // no such claim of `donor_id`), asks `decide`, and applies the verdict (kAccept:
  // consumed_at = now and the other donors with the claim's e-mail linked to the
  // claimant; kWrongCode: attempts + 1). Returns the claim as read (attempts after the
  // verdict) and, on kAccept, the links.
  virtual absl::StatusOr<std::optional<std::pair<EmailClaim, ClaimLinks>>> ConfirmClaim(
      absl::string_view claim_id, absl::string_view donor_id,
      const std::function<ClaimVerdict(const EmailClaim&)>& decide, absl::Time now) = 0;
  // The oldest `limit` notifications not yet acknowledged.
  virtual absl::StatusOr<std::vector<Notification>> PendingNotifications(int limit) = 0;
  // Deletes these notifications; returns how many existed.
  virtual absl::StatusOr<int> AckNotifications(const std::vector<int64_t>& ids) = 0;
};

struct ClaimRequested {
  std::string claim_id;
  absl::Time expires_at;
};

struct ClaimConfirmed {
  int linked_donors = 0;
  int linked_payments = 0;
};

class DonationClaims {
 public:
  DonationClaims(ClaimStore& store, Clock& clock);

  // INVALID_ARGUMENT (donor_token missing, email not local@domain or > 320 bytes),
  // UNAUTHENTICATED (unknown token), RESOURCE_EXHAUSTED (too many claims this hour).
  absl::StatusOr<ClaimRequested> Request(absl::string_view donor_token, absl::string_view email);
  // INVALID_ARGUMENT (token, claim_id not a UUID, code not 8 digits), UNAUTHENTICATED,
  // NOT_FOUND (no such claim of this donor), FAILED_PRECONDITION (expired, used, or out
  // of attempts: request a new code), PERMISSION_DENIED (wrong code; the message says how
  // many attempts remain).
  absl::StatusOr<ClaimConfirmed> Confirm(absl::string_view donor_token, absl::string_view claim_id,
                                         absl::string_view code);

  // The mailer's side. limit 1..500 (0 = 100).
  absl::StatusOr<std::vector<Notification>> PendingNotifications(int limit);
  // INVALID_ARGUMENT for no ids or more than 500.
  absl::StatusOr<int> AckNotifications(const std::vector<int64_t>& ids);

  // BLAKE2b-256 of `code` keyed by the claim id (exposed for tests).
  static std::string HashCode(absl::string_view claim_id, absl::string_view code);

 private:
  absl::StatusOr<std::string> Authenticate(absl::string_view donor_token);

  ClaimStore& store_;
  Clock& clock_;
};

}  // namespace freehold::donations
