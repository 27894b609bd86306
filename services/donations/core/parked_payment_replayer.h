// A thread that replays the payments parked for want of an exchange rate
// (WebhookIntake::ReplayParkedPayments) every `interval` and as soon as Trigger() is
// called (after exchange rates were stored: FundingReport::SetRatesListener).
#pragma once

#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/logging.h"
#include "services/donations/core/intake.h"

namespace freehold::donations {

class ParkedPaymentReplayer {
 public:
  // The intake must outlive it; the destructor stops the thread.
  ParkedPaymentReplayer(const WebhookIntake& intake, absl::Duration interval, Logger log);
  ~ParkedPaymentReplayer();
  ParkedPaymentReplayer(const ParkedPaymentReplayer&) = delete;
  ParkedPaymentReplayer& operator=(const ParkedPaymentReplayer&) = delete;

  // Replay soon. Thread-safe; does not wait.
  void Trigger();

 private:
  void Run();

  const WebhookIntake& intake_;
  const absl::Duration interval_;
  const Logger log_;
  absl::Mutex mu_;
  bool triggered_ ABSL_GUARDED_BY(mu_) = true;  // one pass at start
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace freehold::donations
