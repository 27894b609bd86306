// Replays parked payments in the background (see parked_payment_replayer.h).
#include "services/donations/core/parked_payment_replayer.h"

#include <utility>

namespace freehold::donations {

ParkedPaymentReplayer::ParkedPaymentReplayer(const WebhookIntake& intake, absl::Duration interval,
                                             Logger log)
    : intake_(intake), interval_(interval), log_(std::move(log)) {
  thread_ = std::thread([this] { Run(); });
}

ParkedPaymentReplayer::~ParkedPaymentReplayer() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

void ParkedPaymentReplayer::Trigger() {
  absl::MutexLock lock(&mu_);
  triggered_ = true;
}

void ParkedPaymentReplayer::Run() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return triggered_ || stopping_; };
      mu_.AwaitWithTimeout(absl::Condition(&ready), interval_);
      if (stopping_) return;
      triggered_ = false;
    }
    absl::StatusOr<int> recorded = intake_.ReplayParkedPayments();
    if (!recorded.ok()) {
      log_.Warn("replaying parked payments failed; retried later", {{"error", recorded.status()}});
    } else if (*recorded > 0) {
      log_.Info("parked payments recorded", {{"payments", *recorded}});
    }
  }
}

}  // namespace freehold::donations
