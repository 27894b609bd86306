#include "common/file_reloader.h"

#include <sodium.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/config.h"
#include "common/secure_compare.h"

namespace freehold {
namespace {

// A file that is not a secret: NOT_FOUND / PERMISSION_DENIED naming the path,
// INVALID_ARGUMENT if empty.
absl::StatusOr<std::string> ReadPlainFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return errno == EACCES ? absl::PermissionDeniedError(absl::StrCat("cannot read ", path))
                           : absl::NotFoundError(absl::StrCat("cannot open ", path));
  }
  std::stringstream buf;
  buf << in.rdbuf();
  std::string text = buf.str();
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(path, " is empty"));
  }
  return text;
}

}  // namespace

FileReloader::FileReloader(std::string label, std::string path, Apply apply, Logger log,
                           prometheus::Registry* registry, bool secret)
    : label_(std::move(label)),
      path_(std::move(path)),
      apply_(std::move(apply)),
      secret_(secret),
      log_(std::move(log)) {
  if (registry != nullptr) {
    auto& reloads = prometheus::BuildCounter()
                        .Name("freehold_file_reloads_total")
                        .Help(
                            "Versions of a re-read key or secret file put in force (result=ok) "
                            "or refused, the previous one staying in force (result=error)")
                        .Register(*registry);
    applied_ = &reloads.Add({{"file", label_}, {"result", "ok"}});
    errors_ = &reloads.Add({{"file", label_}, {"result", "error"}});
    failing_gauge_ = &prometheus::BuildGauge()
                          .Name("freehold_file_reload_failing")
                          .Help(
                              "1 while the latest version of a re-read key or secret file "
                              "could not be used (the previous one is still in force)")
                          .Register(*registry)
                          .Add({{"file", label_}});
  }
}

absl::Status FileReloader::Load() { return Read(/*force=*/true).status(); }

absl::StatusOr<bool> FileReloader::ReloadIfChanged() { return Read(/*force=*/false); }

bool FileReloader::failing() const {
  absl::MutexLock lock(&mu_);
  return failing_;
}

absl::StatusOr<bool> FileReloader::Read(bool force) {
  absl::MutexLock lock(&mu_);
  auto fail = [&](const absl::Status& s) -> absl::Status {
    failing_ = true;
    if (errors_ != nullptr) errors_->Increment();
    if (failing_gauge_ != nullptr) failing_gauge_->Set(1);
    absl::Status annotated(s.code(), absl::StrCat(label_, ": ", s.message()));
    if (!force) {
      log_.Warn("cannot use the new version of a re-read file; the previous one stays in force",
                {{"file", label_}, {"error", annotated}});
    }
    return annotated;
  };

  absl::StatusOr<std::string> text = secret_ ? ReadSecretFile(path_) : ReadPlainFile(path_);
  if (!text.ok()) {
    const std::string error(text.status().message());
    if (!force && error == last_error_) return false;  // reported already
    last_error_ = error;
    return fail(text.status());
  }
  last_error_.clear();
  Digest digest;
  crypto_generichash(digest.data(), digest.size(), reinterpret_cast<const uint8_t*>(text->data()),
                     text->size(), nullptr, 0);
  if (!force && seen_ && digest == last_digest_) {
    SecureZero(*text);
    return false;
  }
  seen_ = true;
  last_digest_ = digest;
  absl::Status applied = apply_(*text);
  SecureZero(*text);
  if (!applied.ok()) return fail(applied);
  failing_ = false;
  if (applied_ != nullptr) applied_->Increment();
  if (failing_gauge_ != nullptr) failing_gauge_->Set(0);
  if (!force) log_.Info("re-read file put in force", {{"file", label_}});
  return true;
}

ReloadLoop::ReloadLoop(absl::Duration interval, std::vector<FileReloader*> reloaders)
    : interval_(interval), reloaders_(std::move(reloaders)) {
  thread_ = std::thread([this] { Run(); });
}

ReloadLoop::~ReloadLoop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

void ReloadLoop::Trigger() {
  absl::MutexLock lock(&mu_);
  triggered_ = true;
}

void ReloadLoop::Run() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      auto woken = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return triggered_ || stopping_; };
      mu_.AwaitWithTimeout(absl::Condition(&woken), interval_);
      if (stopping_) return;
      triggered_ = false;
    }
    // Errors are logged and counted by the reloader; the previous version stays.
    for (FileReloader* r : reloaders_) (void)r->ReloadIfChanged();
  }
}

}  // namespace freehold
