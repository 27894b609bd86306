#include "services/accounts/core/signing_key_set.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/config.h"
#include "common/secure_compare.h"
#include "common/status.h"
#include "services/accounts/core/internal/absl_view.h"

namespace freehold::accounts {
namespace {

constexpr char kSignsFrom[] = "signs-from=";

std::string FormatRfc3339(absl::Time t) {
  return absl::FormatTime(absl::RFC3339_full, t, absl::UTCTimeZone());
}

}  // namespace

const TimedSigningKey& SigningKeySet::SignerAt(absl::Time now) const {
  for (const TimedSigningKey& k : keys) {
    if (k.signs_from <= now) return k;
  }
  return keys.back();
}

std::vector<PublicKey> SigningKeySet::PublicKeys() const {
  std::vector<PublicKey> out;
  out.reserve(keys.size());
  for (const TimedSigningKey& k : keys) out.push_back(k.key.Public());
  return out;
}

std::string FormatSigningKeySet(const SigningKeySet& set) {
  std::string out =
      "# freehold-accounts token-signing keys, newest first: each signs from its signs-from\n"
      "# time until the next newer key does; all verify. Written by freehold-accounts\n"
      "# --rotate-signing-keys-file; do not edit by hand. Secret: mode 0600.\n";
  for (const TimedSigningKey& k : set.keys) {
    absl::StrAppend(&out, FormatSigningKey(k.key), " ", kSignsFrom, FormatRfc3339(k.signs_from),
                    "\n");
  }
  return out;
}

absl::StatusOr<SigningKeySet> ParseSigningKeySet(std::string_view text, std::string_view source) {
  SigningKeySet set;
  std::set<std::string> ids;
  int line_no = 0;
  for (absl::string_view raw : absl::StrSplit(internal::AV(text), '\n')) {
    ++line_no;
    absl::string_view line = absl::StripAsciiWhitespace(raw);
    if (line.empty() || line.front() == '#') continue;
    auto bad = [&](absl::string_view why) {
      return absl::InvalidArgumentError(
          absl::StrCat(internal::AV(source), " line ", line_no, ": ", why));
    };
    std::vector<absl::string_view> parts = absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (parts.size() != 2 || !absl::StartsWith(parts[1], kSignsFrom)) {
      return bad("want 'fh-ed25519-secret:<key_id>:<key> signs-from=<RFC 3339 time>'");
    }
    absl::StatusOr<SigningKey> key = ParseSigningKey(internal::SV(parts[0]));
    if (!key.ok()) return bad("not a valid fh-ed25519-secret key");
    absl::Time from;
    std::string error;
    if (!absl::ParseTime(absl::RFC3339_full, parts[1].substr(sizeof(kSignsFrom) - 1), &from,
                         &error)) {
      return bad("signs-from is not an RFC 3339 time");
    }
    if (!ids.insert(key->key_id).second) return bad("key id listed twice");
    if (!set.keys.empty() && from >= set.keys.back().signs_from) {
      return bad("keys must be listed newest first (signs-from decreasing)");
    }
    if (set.keys.size() == kMaxSigningKeys) {
      return bad(absl::StrCat("more than ", kMaxSigningKeys, " keys"));
    }
    set.keys.push_back(TimedSigningKey{*std::move(key), from});
  }
  if (set.keys.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(internal::AV(source), " holds no key"));
  }
  return set;
}

absl::StatusOr<SigningKeySet> ReadSigningKeySetFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadSecretFile(path);
  if (!text.ok()) return text.status();
  absl::StatusOr<SigningKeySet> set = ParseSigningKeySet(*text, path);
  SecureZero(*text);
  return set;
}

absl::Status WriteSigningKeySetFile(const SigningKeySet& set, const std::string& path) {
  const std::string tmp = path + ".tmp";
  std::string text = FormatSigningKeySet(set);
  // Created 0600 before any byte is written, so no other user ever sees the keys.
  ::unlink(tmp.c_str());
  FILE* f = nullptr;
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) f = ::fdopen(fd, "w");
  if (f == nullptr) {
    if (fd >= 0) ::close(fd);
    SecureZero(text);
    return absl::PermissionDeniedError(absl::StrCat("cannot create ", tmp, ": ", strerror(errno)));
  }
  const bool written = std::fwrite(text.data(), 1, text.size(), f) == text.size() &&
                       std::fflush(f) == 0 && ::fsync(fd) == 0;
  SecureZero(text);
  if (std::fclose(f) != 0 || !written) {
    ::unlink(tmp.c_str());
    return absl::UnavailableError(absl::StrCat("cannot write ", tmp));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return absl::PermissionDeniedError(
        absl::StrCat("cannot rename ", tmp, " to ", path, ": ", strerror(errno)));
  }
  return absl::OkStatus();
}

SigningKeySet PruneSigningKeySet(SigningKeySet set, absl::Time now, const RotationPolicy& policy) {
  // Key i stopped (or will stop) signing when key i-1 started.
  size_t keep = set.keys.size();
  for (size_t i = 1; i < set.keys.size(); ++i) {
    if (now >= set.keys[i - 1].signs_from + policy.keep_retired_for) {
      keep = i;
      break;
    }
  }
  set.keys.resize(keep);
  return set;
}

absl::StatusOr<SigningKeySet> RotateSigningKeySet(SigningKeySet set, absl::Time now,
                                                  const RotationPolicy& policy) {
  FH_ASSIGN_OR_RETURN(SigningKey key, GenerateSigningKey());
  absl::Time from = set.keys.empty() ? now : now + policy.activation_delay;
  if (!set.keys.empty() && from <= set.keys.front().signs_from) {
    from = set.keys.front().signs_from + absl::Seconds(1);  // keep the order strict
  }
  set.keys.insert(set.keys.begin(), TimedSigningKey{std::move(key), from});
  set = PruneSigningKeySet(std::move(set), now, policy);
  if (set.keys.size() > kMaxSigningKeys) {
    return absl::InvalidArgumentError(absl::StrCat("the signing key set would hold more than ",
                                                   kMaxSigningKeys,
                                                   " keys; wait until retired keys can be pruned"));
  }
  return set;
}

}  // namespace freehold::accounts
