#include "client/cli/upload_resume.h"

#include <sodium.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <algorithm>
#include <climits>
#include <nlohmann/json.hpp>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client/cli/object_ops.h"
#include "client/core/age_stream.h"
#include "common/encoding.h"

namespace freehold::cli {
namespace {

constexpr int kJournalVersion = 1;
// Older journals are dropped unread (the coordinator's uploads expire sooner).
constexpr absl::Duration kMaxJournalAge = absl::Hours(24 * 7);

struct Fingerprint {
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  uint64_t inode = 0, device = 0;
};

absl::StatusOr<Fingerprint> FingerprintOf(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return absl::NotFoundError(path);
  return Fingerprint{static_cast<uint64_t>(st.st_size),
                     static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec,
                     static_cast<uint64_t>(st.st_ino), static_cast<uint64_t>(st.st_dev)};
}

std::string AbsolutePath(const std::string& path) {
  char buf[PATH_MAX];
  if (::realpath(path.c_str(), buf) != nullptr) return buf;
  return path;
}

struct Journal {
  Fingerprint file;
  std::string path, parent_id, name, name_hash;
  std::string object_id, age_header, metadata;
  client::PayloadNonce nonce{};
  UploadResumeLayout layout;
  int64_t created_unix = 0;
};

std::string Encode(const Journal& j) {
  nlohmann::json o = {
      {"v", kJournalVersion},
      {"path", Base64Encode(j.path)},
      {"size", j.file.size},
      {"mtime_ns", j.file.mtime_ns},
      {"inode", j.file.inode},
      {"device", j.file.device},
      {"parent_id", j.parent_id},
      {"name", Base64Encode(j.name)},
      {"name_hash", Base64Encode(j.name_hash)},
      {"object_id", j.object_id},
      {"age_header", Base64Encode(j.age_header)},
      {"metadata", Base64Encode(j.metadata)},
      {"nonce", Base64Encode(std::string(reinterpret_cast<const char*>(j.nonce.data()),
                                         j.nonce.size()))},
      {"data_shards", j.layout.data_shards},
      {"parity_shards", j.layout.parity_shards},
      {"segment_size", j.layout.segment_size},
      {"created_unix", j.created_unix}};
  return o.dump();
}

// INVALID_ARGUMENT for anything malformed (the journal is then dropped).
absl::StatusOr<Journal> Decode(const std::string& text) {
  nlohmann::json o = nlohmann::json::parse(text, nullptr, false);
  if (o.is_discarded() || !o.is_object() || o.value("v", 0) != kJournalVersion) {
    return absl::InvalidArgumentError("upload journal: malformed");
  }
  try {
    Journal j;
    auto b64 = [&](const char* key) -> absl::StatusOr<std::string> {
      return Base64Decode(o.at(key).get<std::string>());
    };
    absl::StatusOr<std::string> path = b64("path"), name = b64("name"),
                                name_hash = b64("name_hash"), header = b64("age_header"),
                                metadata = b64("metadata"), nonce = b64("nonce");
    for (const auto* s : {&path, &name, &name_hash, &header, &metadata, &nonce}) {
      if (!s->ok()) return absl::InvalidArgumentError("upload journal: malformed base64");
    }
    if (nonce->size() != j.nonce.size()) {
      return absl::InvalidArgumentError("upload journal: bad nonce");
    }
    j.path = *path;
    j.name = *name;
    j.name_hash = *name_hash;
    j.age_header = *header;
    j.metadata = *metadata;
    std::copy(nonce->begin(), nonce->end(), j.nonce.begin());
    j.file.size = o.at("size").get<uint64_t>();
    j.file.mtime_ns = o.at("mtime_ns").get<int64_t>();
    j.file.inode = o.at("inode").get<uint64_t>();
    j.file.device = o.at("device").get<uint64_t>();
    j.parent_id = o.at("parent_id").get<std::string>();
    j.object_id = o.at("object_id").get<std::string>();
    j.layout.data_shards = o.at("data_shards").get<int>();
    j.layout.parity_shards = o.at("parity_shards").get<int>();
    j.layout.segment_size = o.at("segment_size").get<uint64_t>();
    j.created_unix = o.at("created_unix").get<int64_t>();
    if (j.layout.data_shards <= 0 || j.layout.parity_shards < 0 || j.layout.segment_size == 0) {
      return absl::InvalidArgumentError("upload journal: bad layout");
    }
    return j;
  } catch (const nlohmann::json::exception&) {
    return absl::InvalidArgumentError("upload journal: malformed");
  }
}

bool SameFile(const Fingerprint& a, const Fingerprint& b) {
  return a.size == b.size && a.mtime_ns == b.mtime_ns && a.inode == b.inode &&
         a.device == b.device;
}

}  // namespace

std::string UploadJournalName(const ResumeTarget& target) {
  if (sodium_init() < 0) std::abort();
  const std::string key = absl::StrCat(AbsolutePath(target.path), std::string(1, '\0'),
                                       target.parent_id, std::string(1, '\0'), target.name);
  unsigned char h[16];
  crypto_generichash(h, sizeof(h), reinterpret_cast<const unsigned char*>(key.data()), key.size(),
                     nullptr, 0);
  return absl::StrCat("upload-",
                      absl::BytesToHexString(absl::string_view(reinterpret_cast<char*>(h), 16)),
                      ".json");
}

absl::StatusOr<UploadResult> UploadResumable(Uploader& uploader, const ConfigDir* journals,
                                             const ResumeTarget& target,
                                             const std::vector<const client::X25519Identity*>& keys,
                                             UploadInput in) {
  if (journals == nullptr || keys.empty()) return uploader.Upload(in);
  absl::StatusOr<Fingerprint> now = FingerprintOf(target.path);
  if (!now.ok()) return uploader.Upload(in);
  const std::string journal_name = UploadJournalName(target);

  absl::StatusOr<std::string> text = journals->Read(journal_name);
  if (text.ok()) {
    absl::StatusOr<Journal> j = Decode(*text);
    const bool usable =
        j.ok() && SameFile(j->file, *now) && j->path == AbsolutePath(target.path) &&
        j->parent_id == target.parent_id && j->name == target.name &&
        absl::FromUnixSeconds(j->created_unix) + kMaxJournalAge > absl::Now() &&
        // A fixed name hash must match; a temporary (random) one is the journal's.
        (target.temporary_name_hash || in.name_hash == j->name_hash);
    absl::StatusOr<client::SecretBytes> file_key = absl::NotFoundError("");
    if (usable) {
      std::vector<const client::X25519Identity*> more(keys.begin() + 1, keys.end());
      file_key = OpenFileKey(j->age_header, *keys[0], more);
    }
    if (usable && file_key.ok()) {
      UploadInput resumed = in;
      resumed.object_id = j->object_id;
      resumed.age_header = j->age_header;
      resumed.encrypted_metadata = j->metadata;
      resumed.name_hash = j->name_hash;
      resumed.file_key = &*file_key;
      resumed.payload_nonce = j->nonce;
      resumed.resume = j->layout;
      resumed.on_created = nullptr;
      absl::StatusOr<UploadResult> r = uploader.Upload(resumed);
      (void)journals->Remove(journal_name);
      // Refusals of the resume (upload expired or deleted, a segment begun with
      // other bytes) are NOT_FOUND or FAILED_PRECONDITION, which BeginSegment's
      // caller reports as UNAVAILABLE; anything else is the upload's own error.
      const absl::Status& s = r.status();
      if (r.ok() || !(absl::IsFailedPrecondition(s) || absl::IsNotFound(s) ||
                      absl::IsUnavailable(s) || absl::IsInvalidArgument(s))) {
        return r;
      }
      // Refused (expired, deleted, other bytes): start afresh below.
    } else {
      (void)journals->Remove(journal_name);
    }
  }

  // Fresh: a nonce of our own (recorded), the journal once the object exists.
  client::PayloadNonce nonce;
  randombytes_buf(nonce.data(), nonce.size());
  in.payload_nonce = nonce;
  const uint64_t payload = client::PayloadSizeForPlaintext(in.plaintext_size);
  in.on_created = [&](const v1::CreateObjectResponse& c) {
    if (c.segment_size_bytes() == 0 || payload <= c.segment_size_bytes()) return;  // one segment
    Journal j;
    j.file = *now;
    j.path = AbsolutePath(target.path);
    j.parent_id = target.parent_id;
    j.name = target.name;
    j.name_hash = in.name_hash;
    j.object_id = c.object_id();
    j.age_header = in.age_header;
    j.metadata = in.encrypted_metadata;
    j.nonce = nonce;
    j.layout = {static_cast<int>(c.data_shards()), static_cast<int>(c.parity_shards()),
                c.segment_size_bytes()};
    j.created_unix = absl::ToUnixSeconds(absl::Now());
    // Best effort: without a journal the upload still works, it only cannot resume.
    if (journals->Ensure().ok()) (void)journals->Write(journal_name, Encode(j));
  };
  absl::StatusOr<UploadResult> r = uploader.Upload(in);
  (void)journals->Remove(journal_name);  // committed, or failed and its object deleted
  return r;
}

}  // namespace freehold::cli
