// Timestamped HMAC-SHA256 signatures, checked against Stripe's own npm library.
#include "services/donations/core/webhook_signature.h"

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "common/encoding.h"
#include "services/donations/core/stripe_provider.h"
#include "tests/donations/donations_test_support.h"
#include "tests/support/status_matchers.h"

namespace freehold::donations {
namespace {

using freehold::testing::StatusIs;
using testing::kNow;

constexpr char kBody[] = R"({"id":"evt_1","type":"payment_intent.succeeded"})";

WebhookSecrets Secrets(std::vector<std::string> s) { return WebhookSecrets(std::move(s)); }

TEST(WebhookSignatureTest, AcceptsOwnSignatureWithinTolerance) {
  WebhookSecrets secrets({"whsec_a"});
  std::string header = SignPayload("whsec_a", kNow, kBody);
  EXPECT_OK(
      VerifySignature(header, kBody, secrets, absl::FromUnixSeconds(kNow + 299), absl::Minutes(5)));
  EXPECT_OK(
      VerifySignature(header, kBody, secrets, absl::FromUnixSeconds(kNow - 299), absl::Minutes(5)));
}

TEST(WebhookSignatureTest, KnownAnswerMatchesHmacSha256) {
  // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
  EXPECT_EQ(HexEncode(HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(WebhookSignatureTest, RejectsReplayOutsideTheWindowAsStale) {
  WebhookSecrets secrets({"whsec_a"});
  std::string header = SignPayload("whsec_a", kNow, kBody);
  EXPECT_THAT(
      VerifySignature(header, kBody, secrets, absl::FromUnixSeconds(kNow + 301), absl::Minutes(5)),
      StatusIs(absl::StatusCode::kFailedPrecondition, ::testing::HasSubstr("tolerance")));
  EXPECT_THAT(
      VerifySignature(header, kBody, secrets, absl::FromUnixSeconds(kNow - 3600), absl::Minutes(5)),
      StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(WebhookSignatureTest, RejectsForgedSignatureAndTamperedBody) {
  WebhookSecrets secrets({"whsec_a"});
  const absl::Time now = absl::FromUnixSeconds(kNow);
  EXPECT_THAT(VerifySignature(SignPayload("whsec_attacker", kNow, kBody), kBody, secrets, now,
                              absl::Minutes(5)),
              StatusIs(absl::StatusCode::kUnauthenticated));
  std::string tampered = kBody;
  tampered[10] = 'X';
  EXPECT_THAT(VerifySignature(SignPayload("whsec_a", kNow, kBody), tampered, secrets, now,
                              absl::Minutes(5)),
              StatusIs(absl::StatusCode::kUnauthenticated));
  // A valid MAC for another timestamp does not move to a fresh one.
  std::string old = SignPayload("whsec_a", kNow - 10, kBody);
  std::string moved = absl::StrCat("t=", kNow, old.substr(old.find(',')));
  EXPECT_THAT(VerifySignature(moved, kBody, secrets, now, absl::Minutes(5)),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST(WebhookSignatureTest, RejectsMalformedHeaders) {
  WebhookSecrets secrets({"whsec_a"});
  const absl::Time now = absl::FromUnixSeconds(kNow);
  for (const std::string& header :
       {std::string(""), std::string("garbage"), absl::StrCat("t=", kNow), std::string("v1=00"),
        absl::StrCat("t=abc,v1=", std::string(64, '0')), absl::StrCat("t=", kNow, ",v1=zz"),
        absl::StrCat("t=", kNow, ",v0=", std::string(64, '0'))}) {
    EXPECT_THAT(VerifySignature(header, kBody, secrets, now, absl::Minutes(5)),
                StatusIs(absl::StatusCode::kUnauthenticated))
        << header;
  }
}

TEST(WebhookSignatureTest, AnyActiveSecretAndAnyV1EntryMayMatch) {
  // Rotation: Stripe signs with both the old and the new secret during the overlap and
  // sends one v1 per secret; we may hold either or both.
  const absl::Time now = absl::FromUnixSeconds(kNow);
  std::string old_sig = SignPayload("whsec_old", kNow, kBody);
  std::string new_sig = SignPayload("whsec_new", kNow, kBody);
  std::string both = absl::StrCat(new_sig, ",v1=", old_sig.substr(old_sig.find("v1=") + 3));
  EXPECT_OK(VerifySignature(both, kBody, Secrets({"whsec_old"}), now, absl::Minutes(5)));
  EXPECT_OK(VerifySignature(both, kBody, Secrets({"whsec_new"}), now, absl::Minutes(5)));
  EXPECT_OK(
      VerifySignature(new_sig, kBody, Secrets({"whsec_old", "whsec_new"}), now, absl::Minutes(5)));
  EXPECT_OK(
      VerifySignature(old_sig, kBody, Secrets({"whsec_old", "whsec_new"}), now, absl::Minutes(5)));
  // Once the old secret is retired, its signatures stop verifying.
  EXPECT_THAT(VerifySignature(old_sig, kBody, Secrets({"whsec_new"}), now, absl::Minutes(5)),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST(StripeNpmInteropTest, VerifiesHeadersMadeByStripesOwnLibrary) {
  const std::string body = testing::PaymentIntentSucceeded(
      {.event_id = "evt_npm_1", .payment_intent = "pi_npm_1", .amount = 2500});
  std::string why;
  std::optional<std::string> header =
      testing::SignWithStripeNpm(body, testing::kSecret, kNow, &why);
  if (!header.has_value()) GTEST_SKIP() << "Stripe npm signer unavailable: " << why;
  EXPECT_EQ(*header, SignPayload(testing::kSecret, kNow, body));

  auto secrets = std::make_shared<const WebhookSecrets>(std::vector<std::string>{testing::kSecret});
  StripeProvider stripe(secrets, absl::Minutes(5));
  EXPECT_OK(stripe.VerifySignature({{"stripe-signature", *header}}, body,
                                   absl::FromUnixSeconds(kNow + 60)));
  EXPECT_THAT(stripe.VerifySignature({{"Stripe-Signature", *header}}, body + " ",
                                     absl::FromUnixSeconds(kNow)),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(
      stripe.VerifySignature({}, body, absl::FromUnixSeconds(kNow)),
      StatusIs(absl::StatusCode::kUnauthenticated, ::testing::HasSubstr("Stripe-Signature")));
}

}  // namespace
}  // namespace freehold::donations
