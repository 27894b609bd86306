// Secret files a service re-reads while it runs, so keys and secrets rotate without a
// restart: the accounts signing key set (--signing-keys-file) and the donations
// webhook secrets (--stripe-webhook-secrets-file). One pattern for all of them:
//   * the operator (or Kubernetes, updating a mounted Secret) replaces the file whole;
//   * it is re-read every interval and whenever ReloadLoop::Trigger() is called (the
//     services call it on SIGHUP);
//   * the text goes to `apply` only when it differs from the version read last
//     (compared by a BLAKE2b digest, so no further copy of a secret is kept);
//   * a missing, unreadable, world-accessible (ReadSecretFile) or malformed version
//     keeps what is in force: `apply` is not called, or returns an error and changes
//     nothing. The failure is logged once per broken version, counted in
//     freehold_file_reloads_total{file,result="error"}, and
//     freehold_file_reload_failing{file} stays 1 until a good version is applied.
// (The coordinator's grant key, coordinator/core/grant_keys.h, and TLS certificates,
// common/tls_config.h, have reload paths of their own.)
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/logging.h"

namespace freehold {

class FileReloader {
 public:
  // Receives the whole file (ReadSecretFile: trailing white space trimmed) and puts it
  // in force, or returns an error (naming the problem, never the secret) and changes
  // nothing. Called from one thread at a time.
  using Apply = std::function<absl::Status(const std::string& text)>;

  // `label` names the file in logs, errors and metrics (the flag, e.g.
  // "--signing-keys-file"). `registry` may be null (no metrics).
  // `secret` = false for files that are not secrets (e.g. exchange rates): read without
  // the mode check of ReadSecretFile (others may read them).
  FileReloader(std::string label, std::string path, Apply apply, Logger log,
               prometheus::Registry* registry, bool secret = true);

  // Reads and applies the file now, whatever was read before (start-up). Errors are
  // prefixed with the label.
  absl::Status Load();

  // Re-reads the file; applies it if it changed. OK(true): a new version is in force.
  // OK(false): unchanged, or the same broken version as last time (already reported).
  // An error: a newly broken version (the previous one stays in force); also logged.
  absl::StatusOr<bool> ReloadIfChanged();

  // True while the latest version read could not be applied.
  bool failing() const;
  const std::string& label() const { return label_; }
  const std::string& path() const { return path_; }

 private:
  using Digest = std::array<uint8_t, 32>;
  absl::StatusOr<bool> Read(bool force);

  const std::string label_;
  const std::string path_;
  const Apply apply_;
  const bool secret_;
  const Logger log_;
  prometheus::Counter* applied_ = nullptr;
  prometheus::Counter* errors_ = nullptr;
  prometheus::Gauge* failing_gauge_ = nullptr;

  mutable absl::Mutex mu_;  // serializes reads and applies
  bool seen_ ABSL_GUARDED_BY(mu_) = false;
  Digest last_digest_ ABSL_GUARDED_BY(mu_) = {};
  std::string last_error_ ABSL_GUARDED_BY(mu_);  // of an unreadable file, reported once
  bool failing_ ABSL_GUARDED_BY(mu_) = false;
};

// A thread that calls ReloadIfChanged() on each reloader every `interval` and as soon
// as Trigger() is called. The reloaders must outlive it; the destructor stops it.
class ReloadLoop {
 public:
  ReloadLoop(absl::Duration interval, std::vector<FileReloader*> reloaders);
  ~ReloadLoop();
  ReloadLoop(const ReloadLoop&) = delete;
  ReloadLoop& operator=(const ReloadLoop&) = delete;

  // Re-read now (e.g. on SIGHUP). Thread-safe; does not wait for the re-read.
  void Trigger();

 private:
  void Run();

  const absl::Duration interval_;
  const std::vector<FileReloader*> reloaders_;
  absl::Mutex mu_;
  bool triggered_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace freehold
