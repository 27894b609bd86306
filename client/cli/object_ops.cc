#include "client/cli/object_ops.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/cli/downloader.h"
#include "client/cli/exit_codes.h"
#include "client/core/age_file.h"
#include "client/core/age_header.h"
#include "client/core/age_stream.h"

namespace freehold::cli {
namespace {

std::span<const uint8_t> Bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

constexpr absl::string_view kLinkScheme = "freehold://";

}  // namespace

std::string ListedObject::DisplayName() const {
  if (metadata.has_value()) return metadata->name;
  return summary.shared_with_me() ? "(shared with you; name encrypted by its owner)"
                                  : "(name does not decrypt)";
}

absl::StatusOr<std::vector<ListedObject>> ListObjects(CoordinatorApi& coordinator,
                                                      const client::X25519Identity& identity) {
  absl::StatusOr<std::vector<v1::ObjectSummary>> all = coordinator.ListAllObjects();
  if (!all.ok()) return all.status();
  const client::SecretBytes key = client::MetadataKey(identity);
  std::vector<ListedObject> out;
  out.reserve(all->size());
  for (v1::ObjectSummary& s : *all) {
    ListedObject o;
    absl::StatusOr<client::FileMetadata> meta =
        client::OpenMetadata(key, Bytes(s.encrypted_metadata()));
    if (meta.ok()) o.metadata = *std::move(meta);
    absl::StatusOr<uint64_t> plain = client::PlaintextSizeForPayload(s.size_bytes());
    o.plaintext_size = plain.ok() ? *plain : 0;
    o.summary = std::move(s);
    out.push_back(std::move(o));
  }
  std::stable_sort(out.begin(), out.end(), [](const ListedObject& a, const ListedObject& b) {
    if (a.metadata.has_value() != b.metadata.has_value()) return a.metadata.has_value();
    return a.DisplayName() < b.DisplayName();
  });
  return out;
}

bool LooksLikeObjectId(absl::string_view t) {
  auto hex = [](char c) { return absl::ascii_isxdigit(static_cast<unsigned char>(c)); };
  if (t.size() == 32) return std::all_of(t.begin(), t.end(), hex);
  if (t.size() != 36) return false;
  for (size_t i = 0; i < t.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? t[i] != '-' : !hex(t[i])) return false;
  }
  return true;
}

absl::StatusOr<std::string> ResolveObject(CoordinatorApi& coordinator, const std::string& arg,
                                          const client::X25519Identity* identity) {
  if (arg.empty()) return UsageError("an object ID or file name is required");
  if (LooksLikeObjectId(arg)) return absl::AsciiStrToLower(arg);
  if (identity == nullptr) return absl::InternalError("resolving a name needs the identity");
  absl::StatusOr<std::vector<ListedObject>> list = ListObjects(coordinator, *identity);
  if (!list.ok()) return list.status();
  std::vector<std::string> ids;
  for (const ListedObject& o : *list) {
    if (o.metadata.has_value() && o.metadata->name == arg) ids.push_back(o.summary.object_id());
  }
  if (ids.empty()) {
    return absl::NotFoundError(
        absl::StrCat("no file named \"", arg, "\" in your account (see `freehold ls`)"));
  }
  if (ids.size() > 1) {
    return UsageError(absl::StrCat(ids.size(), " files are named \"", arg,
                                   "\"; use an object ID instead: ", absl::StrJoin(ids, ", ")));
  }
  return ids.front();
}

absl::StatusOr<client::SecretBytes> OpenFileKey(const std::string& header_text,
                                                const client::X25519Identity& identity) {
  absl::StatusOr<client::AgeHeader> header = client::ParseHeader(header_text);
  if (!header.ok()) {
    return absl::DataLossError(
        absl::StrCat("the object's age header is damaged: ", header.status().message()));
  }
  client::X25519AgeIdentity age_identity(identity.Clone());
  const client::AgeIdentity* ids[] = {&age_identity};
  absl::StatusOr<client::SecretBytes> key = client::UnwrapFileKey(*header, ids);
  if (absl::IsPermissionDenied(key.status()) || absl::IsNotFound(key.status())) {
    return absl::PermissionDeniedError(
        "this object is not encrypted to your key (it was not shared with you)");
  }
  if (!key.ok()) {
    return absl::DataLossError(
        absl::StrCat("the object's age header does not verify: ", key.status().message()));
  }
  return key;
}

absl::Status DownloadObject(Context& ctx, CoordinatorApi& coordinator,
                            const v1::GetObjectResponse& manifest,
                            const client::SecretBytes* file_key, client::ByteSink& out,
                            TransferObserver* observer) {
  DownloadConfig config;
  Downloader downloader(ctx.Nodes(), config, observer);
  const std::string id = manifest.object().object_id();
  ManifestSource renew = [&coordinator, id] { return coordinator.GetObject(id); };
  // Corrupt shards found on the way are reported (best effort) so that the coordinator
  // audits them at once and repair starts when the audit confirms it.
  auto report_corrupt = [&] {
    for (const Downloader::CorruptShard& c : downloader.TakeCorruptShards()) {
      v1::ReportCorruptShardRequest req;
      req.set_object_id(id);
      req.set_segment(c.segment);
      req.set_index(c.index);
      req.set_node_id(c.node_id);
      absl::StatusOr<v1::ReportCorruptShardResponse> r = coordinator.ReportCorruptShard(req);
      if (!r.ok() && observer != nullptr) {
        observer->Notice(
            absl::StrCat("could not report the corrupt shard: ", r.status().message()));
      }
    }
  };
  if (file_key == nullptr) {
    absl::Status s = downloader.Fetch(manifest, renew, out);
    report_corrupt();
    return s;
  }
  absl::StatusOr<std::unique_ptr<client::StreamDecryptor>> decryptor =
      client::StreamDecryptor::Create(*file_key, out);
  if (!decryptor.ok()) return decryptor.status();
  absl::Status s = downloader.Fetch(manifest, renew, **decryptor);
  report_corrupt();
  if (s.ok()) s = (*decryptor)->Close();
  if (absl::IsDataLoss(s) && !absl::StrContains(s.message(), "segment")) {
    return absl::DataLossError(absl::StrCat("the downloaded data does not decrypt (", s.message(),
                                            "); nothing was saved"));
  }
  return s;
}

std::string SafeFileName(const std::string& name, const std::string& fallback) {
  std::string base = name.substr(name.rfind('/') == std::string::npos ? 0 : name.rfind('/') + 1);
  if (base.empty() || base == "." || base == ".." ||
      std::any_of(base.begin(), base.end(), [](char c) { return c == '\0' || c == '\n'; })) {
    return fallback;
  }
  return base;
}

std::string FormatLink(const std::string& object_id, const client::X25519Identity& identity) {
  client::SecretBytes encoded = identity.Encode();
  return absl::StrCat(kLinkScheme, object_id, "#", std::string(encoded.view()));
}

absl::StatusOr<ParsedLink> ParseLink(absl::string_view link) {
  link = absl::StripAsciiWhitespace(link);
  const size_t hash = link.find('#');
  if (!absl::StartsWith(link, kLinkScheme) || hash == absl::string_view::npos) {
    return UsageError("a link looks like freehold://<object-id>#AGE-SECRET-KEY-1...");
  }
  std::string id(link.substr(kLinkScheme.size(), hash - kLinkScheme.size()));
  if (!LooksLikeObjectId(id)) {
    return UsageError(absl::StrCat("the link's object id \"", id, "\" is malformed"));
  }
  std::string secret = absl::AsciiStrToUpper(link.substr(hash + 1));
  absl::StatusOr<client::X25519Identity> identity = client::ParseIdentity(secret);
  std::fill(secret.begin(), secret.end(), '\0');
  if (!identity.ok()) {
    return UsageError("the link's key (after '#') is damaged; copy the whole link again");
  }
  return ParsedLink{absl::AsciiStrToLower(id), *std::move(identity)};
}

}  // namespace freehold::cli
