#include "client/cli/batch_put.h"

#include <sys/stat.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "client/cli/file_io.h"
#include "client/cli/rpc.h"
#include "client/cli/upload_resume.h"
#include "client/core/age_file.h"
#include "client/core/age_header.h"
#include "client/core/age_stream.h"
#include "client/core/metadata.h"

namespace freehold::cli {
namespace {

std::string AsString(std::span<const uint8_t> b) {
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

// The shared state of one PutFiles call.
class BatchPut {
 public:
  BatchPut(CoordinatorApi& coordinator, StorageNodes& nodes,
           const client::X25519Identity& identity, const std::vector<PutItem>& items,
           const BatchPutOptions& options)
      : coordinator_(coordinator),
        nodes_(nodes),
        identity_(identity),
        items_(items),
        options_(options),
        metadata_key_(client::MetadataKey(identity)),
        name_key_(client::NameHashKey(identity)) {
    result_.outcomes.resize(items.size());
  }

  BatchPutResult Run() {
    absl::StatusOr<v1::GetUploadLimitsResponse> limits = coordinator_.GetUploadLimits();
    if (limits.ok()) {
      limits_ = *limits;
    } else if (!absl::IsUnimplemented(limits.status())) {
      result_.status = limits.status();
      return std::move(result_);
    }
    const int workers =
        std::max(1, std::min<int>(options_.concurrency, static_cast<int>(items_.size())));
    std::vector<std::thread> threads;
    for (int w = 0; w < workers; ++w) threads.emplace_back([this] { Work(); });
    for (std::thread& t : threads) t.join();
    if (!failed_.load()) Flush(TakeBatch());
    return std::move(result_);
  }

 private:
  struct Pending {
    size_t item = 0;
    v1::InlineObject object;
  };
  struct Batch {
    std::vector<Pending> pending;
    uint64_t bytes = 0;
  };

  void Work() {
    for (;;) {
      const size_t i = next_.fetch_add(1);
      if (i >= items_.size() || failed_.load()) return;
      absl::Status s = PutOne(i);
      if (!s.ok()) Fail(WithFile(s, items_[i].path));
    }
  }

  static absl::Status WithFile(const absl::Status& s, const std::string& path) {
    return WithContext(s, absl::StrCat("put ", path, " failed"));
  }

  void Fail(absl::Status s) {
    std::lock_guard<std::mutex> lock(mu_);
    if (result_.status.ok()) result_.status = std::move(s);
    failed_.store(true);
  }

  absl::Status PutOne(size_t i) {
    const PutItem& item = items_[i];
    absl::StatusOr<std::unique_ptr<InputFile>> file = InputFile::Open(item.path);
    if (!file.ok()) return file.status();
    client::X25519Recipient self(
        (options_.encrypt_to != nullptr ? *options_.encrypt_to : identity_).public_key());
    const client::AgeRecipient* recipients[] = {&self};
    absl::StatusOr<client::NewAgeFile> age = client::NewFileHeader(recipients);
    if (!age.ok()) return age.status();
    client::FileMetadata meta;
    meta.name = item.name;
    meta.size = (*file)->info().size;
    meta.created_unix_nanos = absl::ToUnixNanos(absl::Now());
    meta.modified_unix_nanos = (*file)->info().modified_unix_nanos;
    meta.content_hash = item.content_hash;
    if (item.record_mode) {
      struct stat st;
      if (::stat(item.path.c_str(), &st) == 0) meta.mode = st.st_mode & 07777;
    }
    // The client picks the object id so that the metadata is bound to it
    // (docs/PROTOCOL.md 5.7).
    const std::string object_id = client::NewObjectId();
    absl::StatusOr<std::vector<uint8_t>> sealed =
        client::SealObjectMetadata(metadata_key_, meta, object_id);
    if (!sealed.ok()) return sealed.status();
    const std::string header = client::SerializeHeader(age->header);
    const std::string name_hash = item.name_hash.empty()
                                      ? client::EntryNameHash(name_key_, item.parent_id, item.name)
                                      : item.name_hash;
    const uint64_t payload_size = client::PayloadSizeForPlaintext(meta.size);

    PutOutcome& out = result_.outcomes[i];
    out.path = item.path;
    out.name = item.name;
    out.size = meta.size;
    const uint64_t entry_bytes = payload_size + sealed->size() + header.size();
    if (payload_size <= limits_.inline_max_bytes() && limits_.inline_batch_max_objects() > 0 &&
        entry_bytes <= limits_.inline_batch_max_bytes()) {
      Pending p;
      p.item = i;
      std::string payload;
      payload.reserve(payload_size);
      client::StringSink sink(&payload);
      absl::StatusOr<std::unique_ptr<client::StreamEncryptor>> enc =
          client::StreamEncryptor::Create(age->file_key, sink);
      if (!enc.ok()) return enc.status();
      std::vector<uint8_t> buf(std::max<uint64_t>(1, meta.size));
      uint64_t done = 0;
      while (done < meta.size) {
        absl::StatusOr<size_t> n =
            (*file)->Read(std::span<uint8_t>(buf.data(), meta.size - done));
        if (!n.ok()) return n.status();
        if (*n == 0) break;
        if (absl::Status s = (*enc)->Write(std::span<const uint8_t>(buf.data(), *n)); !s.ok()) {
          return s;
        }
        done += *n;
      }
      if (absl::Status s = (*file)->CheckUnchanged(); !s.ok()) return s;
      if (absl::Status s = (*enc)->Close(); !s.ok()) return s;
      if (payload.size() != payload_size) {
        return absl::InternalError("the payload size differs from the one computed");
      }
      p.object.set_object_id(object_id);
      p.object.set_encrypted_metadata(AsString(*sealed));
      p.object.set_age_header(header);
      p.object.set_payload(std::move(payload));
      p.object.set_name_hash(name_hash);
      p.object.set_parent_id(item.parent_id);
      Batch full;
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (batch_.pending.size() + 1 > limits_.inline_batch_max_objects() ||
            batch_.bytes + entry_bytes > limits_.inline_batch_max_bytes()) {
          full = std::move(batch_);
          batch_ = Batch();
        }
        batch_.bytes += entry_bytes;
        batch_.pending.push_back(std::move(p));
      }
      if (!full.pending.empty()) Flush(std::move(full));
      return absl::OkStatus();
    }

    Uploader uploader(coordinator_, nodes_, options_.upload, options_.observer);
    UploadInput in;
    in.plaintext = file->get();
    in.plaintext_size = meta.size;
    in.encrypted_metadata = AsString(*sealed);
    in.age_header = header;
    in.file_key = &age->file_key;
    in.name_hash = name_hash;
    in.object_id = object_id;
    in.parent_id = item.parent_id;
    absl::StatusOr<UploadResult> r = UploadResumable(
        uploader, options_.resume_journals,
        ResumeTarget{item.path, item.parent_id, item.name, !item.name_hash.empty()},
        ResumeKeys(), in);
    if (!r.ok()) return r.status();
    out.resumed_segments = r->skipped_segments;
    out.data_shards = r->data_shards;
    out.parity_shards = r->parity_shards;
    out.segments = r->segments;
    out.replaced_shards = r->replaced_shards;
    out.degraded_segments = r->degraded_segments;
    Stored(i, r->object_id, false);
    return absl::OkStatus();
  }

  // The identities that open this batch's headers (upload_resume.h).
  std::vector<const client::X25519Identity*> ResumeKeys() const {
    if (options_.encrypt_to != nullptr) return {options_.encrypt_to, &identity_};
    return {&identity_};
  }

  Batch TakeBatch() {
    std::lock_guard<std::mutex> lock(mu_);
    Batch b = std::move(batch_);
    batch_ = Batch();
    return b;
  }

  // Commits a batch in one PutInlineObjects (one transaction).
  void Flush(Batch batch) {
    if (batch.pending.empty()) return;
    v1::PutInlineObjectsRequest req;
    for (Pending& p : batch.pending) *req.add_objects() = std::move(p.object);
    absl::StatusOr<v1::PutInlineObjectsResponse> resp = coordinator_.PutInlineObjects(req);
    // Admission (10.2) as for shards: wait as long as the cluster asks, within
    // --max-throttle-wait and --throttle-retries; otherwise fail with its reason.
    for (int attempt = 0; absl::IsResourceExhausted(resp.status()); ++attempt) {
      std::optional<absl::Duration> wait = RetryAfterOf(resp.status());
      if (!wait.has_value() || *wait > options_.upload.max_admission_wait ||
          attempt >= options_.upload.admission_retries) {
        break;
      }
      absl::SleepFor(*wait);
      resp = coordinator_.PutInlineObjects(req);
    }
    if (resp.ok() && resp->object_ids_size() != req.objects_size()) {
      resp = absl::InternalError("the coordinator answered a different number of object ids");
    }
    for (int j = 0; resp.ok() && j < req.objects_size(); ++j) {
      if (resp->object_ids(j) != req.objects(j).object_id()) {
        resp = absl::FailedPreconditionError(
            "the coordinator ignored the object ids this client chose (too old a coordinator?): "
            "the files' metadata would not match their objects");
      }
    }
    if (!resp.ok()) {
      Fail(WithContext(resp.status(),
                       absl::StrCat("storing ", req.objects_size(), " small files (",
                                    items_[batch.pending.front().item].path, " ...) failed")));
      return;
    }
    for (size_t j = 0; j < batch.pending.size(); ++j) {
      Stored(batch.pending[j].item, resp->object_ids(static_cast<int>(j)), true);
    }
  }

  void Stored(size_t i, const std::string& object_id, bool is_inline) {
    std::lock_guard<std::mutex> lock(report_mu_);
    PutOutcome& out = result_.outcomes[i];
    out.object_id = object_id;
    out.is_inline = is_inline;
    if (options_.on_stored) options_.on_stored(out);
  }

  CoordinatorApi& coordinator_;
  StorageNodes& nodes_;
  const client::X25519Identity& identity_;
  const std::vector<PutItem>& items_;
  const BatchPutOptions& options_;
  const client::SecretBytes metadata_key_;
  const client::SecretBytes name_key_;
  v1::GetUploadLimitsResponse limits_;  // all zero: nothing inline
  std::atomic<size_t> next_{0};
  std::atomic<bool> failed_{false};
  std::mutex mu_;  // batch_, result_.status
  Batch batch_;
  std::mutex report_mu_;  // on_stored calls, outcome ids
  BatchPutResult result_;
};

}  // namespace

BatchPutResult PutFiles(CoordinatorApi& coordinator, StorageNodes& nodes,
                        const client::X25519Identity& identity, const std::vector<PutItem>& items,
                        const BatchPutOptions& options) {
  return BatchPut(coordinator, nodes, identity, items, options).Run();
}

}  // namespace freehold::cli
