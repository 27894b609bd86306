#include "client/cli/object_ops.h"

#include <algorithm>
#include <memory>

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

absl::StatusOr<std::string> CanonicalObjectId(absl::string_view raw) {
  if (!LooksLikeObjectId(raw)) {
    return absl::InvalidArgumentError(absl::StrCat("not an object id: \"", raw, "\""));
  }
  std::string id = absl::AsciiStrToLower(raw);
  if (id.size() == 32) {
    id = absl::StrCat(id.substr(0, 8), "-", id.substr(8, 4), "-", id.substr(12, 4), "-",
                      id.substr(16, 4), "-", id.substr(20));
  }
  return id;
}

absl::StatusOr<client::OpenedMetadata> OpenSummaryMetadata(const client::SecretBytes& key,
                                                           const v1::ObjectSummary& s) {
  absl::StatusOr<std::string> id = CanonicalObjectId(s.object_id());
  if (!id.ok()) return id.status();
  absl::StatusOr<client::OpenedMetadata> m =
      client::OpenObjectMetadata(key, Bytes(s.encrypted_metadata()), *id);
  if (m.ok() || s.shared_with_me()) {
    if (!m.ok()) return absl::PermissionDeniedError("only the owner can read this file's name");
    return m;
  }
  return absl::DataLossError(absl::StrCat(
      "the name and metadata the server returned for object ", *id,
      " do not belong to it (they were swapped with another object's or altered on the "
      "server): refused (",
      m.status().message(), ")"));
}

absl::StatusOr<client::OpenedMetadata> OpenSummaryMetadata(const client::NamingKeys& keys,
                                                           const v1::ObjectSummary& s,
                                                           size_t* generation) {
  absl::StatusOr<client::OpenedMetadata> first = OpenSummaryMetadata(keys.metadata_key(0), s);
  if (first.ok() || keys.size() == 1 || !absl::IsDataLoss(first.status())) {
    if (generation != nullptr) *generation = 0;
    return first;
  }
  for (size_t i = 1; i < keys.size(); ++i) {
    absl::StatusOr<client::OpenedMetadata> m = OpenSummaryMetadata(keys.metadata_key(i), s);
    if (m.ok()) {
      if (generation != nullptr) *generation = i;
      return m;
    }
  }
  return first;
}

absl::StatusOr<int> MigrateLegacyMetadata(CoordinatorApi& coordinator,
                                          const client::SecretBytes& key,
                                          const std::vector<const v1::ObjectSummary*>& summaries) {
  int migrated = 0;
  for (const v1::ObjectSummary* s : summaries) {
    if (s->shared_with_me()) continue;
    absl::StatusOr<client::OpenedMetadata> m = OpenSummaryMetadata(key, *s);
    if (!m.ok() || m->version != client::kMetadataVersionLegacy) continue;
    absl::StatusOr<std::string> id = CanonicalObjectId(s->object_id());
    if (!id.ok()) return id.status();
    absl::StatusOr<std::vector<uint8_t>> sealed =
        client::SealObjectMetadata(key, m->metadata, *id);
    if (!sealed.ok()) return sealed.status();
    v1::UpdateMetadataRequest req;
    req.set_object_id(*id);
    req.set_encrypted_metadata(std::string(sealed->begin(), sealed->end()));
    req.set_expected_encrypted_metadata(s->encrypted_metadata());
    absl::Status st = coordinator.UpdateMetadata(req);
    if (absl::IsAborted(st) || absl::IsNotFound(st)) continue;  // changed or deleted meanwhile
    if (!st.ok()) return st;
    ++migrated;
  }
  return migrated;
}

std::string ListedObject::DisplayName() const {
  if (!metadata_error.empty()) return "(REFUSED: metadata does not belong to this object)";
  if (metadata.has_value()) return metadata->name;
  return summary.shared_with_me() ? "(shared with you; name encrypted by its owner)"
                                  : "(name does not decrypt)";
}

absl::StatusOr<std::vector<ListedObject>> ListObjects(
    CoordinatorApi& coordinator, const client::X25519Identity& identity,
    const std::vector<const client::X25519Identity*>& older) {
  absl::StatusOr<std::vector<v1::ObjectSummary>> all = coordinator.ListAllObjects();
  if (!all.ok()) return all.status();
  const client::NamingKeys key(identity, older);
  std::vector<ListedObject> out;
  out.reserve(all->size());
  for (v1::ObjectSummary& s : *all) {
    ListedObject o;
    absl::StatusOr<client::OpenedMetadata> meta = OpenSummaryMetadata(key, s);
    if (meta.ok()) {
      o.metadata = std::move(meta->metadata);
      o.legacy_metadata = meta->version == client::kMetadataVersionLegacy;
    } else if (absl::IsDataLoss(meta.status())) {
      o.metadata_error = std::string(meta.status().message());
    }
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

absl::StatusOr<std::string> ResolveObject(
    CoordinatorApi& coordinator, const std::string& arg, const client::X25519Identity* identity,
    const std::vector<const client::X25519Identity*>& older) {
  absl::StatusOr<std::vector<std::string>> ids =
      ResolveObjects(coordinator, {arg}, identity, older);
  if (!ids.ok()) return ids.status();
  return ids->front();
}

namespace {

// The one id among `ids` for the name `arg`, or the error saying why not.
absl::StatusOr<std::string> OneId(const std::string& arg, const std::vector<std::string>& ids) {
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

}  // namespace

absl::StatusOr<std::vector<std::string>> ResolveObjects(
    CoordinatorApi& coordinator, const std::vector<std::string>& args,
    const client::X25519Identity* identity,
    const std::vector<const client::X25519Identity*>& older) {
  std::vector<std::string> out(args.size());
  std::vector<size_t> names;  // indexes of args that are names
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i].empty()) return UsageError("an object ID or file name is required");
    if (LooksLikeObjectId(args[i])) {
      out[i] = *CanonicalObjectId(args[i]);
    } else {
      names.push_back(i);
    }
  }
  if (names.empty()) return out;
  if (identity == nullptr) return absl::InternalError("resolving a name needs the identity");
  // One hash per name and naming generation (newest first), in one call per batch.
  const client::NamingKeys keys(*identity, older);
  const size_t gens = keys.size();
  std::vector<size_t> unresolved;
  const size_t kPerCall = std::max<size_t>(1, 1000 / gens);
  bool have_rpc = true;
  for (size_t start = 0; start < names.size(); start += kPerCall) {
    const size_t end = std::min(names.size(), start + kPerCall);
    v1::FindObjectsByNameRequest req;
    for (size_t j = start; j < end; ++j) {
      for (size_t g = 0; g < gens; ++g) req.add_name_hashes(keys.RootHash(args[names[j]], g));
    }
    absl::StatusOr<v1::FindObjectsByNameResponse> resp;
    if (have_rpc) resp = coordinator.FindObjectsByName(req);
    if (have_rpc && absl::IsUnimplemented(resp.status())) have_rpc = false;
    if (!have_rpc) {
      for (size_t j = start; j < end; ++j) unresolved.push_back(names[j]);
      continue;
    }
    if (!resp.ok()) return resp.status();
    if (resp->matches_size() != static_cast<int>((end - start) * gens)) {
      return absl::InternalError("the coordinator answered a different number of name lookups");
    }
    for (size_t j = start; j < end; ++j) {
      const std::string& arg = args[names[j]];
      std::vector<std::string> ids;
      for (size_t g = 0; g < gens; ++g) {
        const int m = static_cast<int>((j - start) * gens + g);
        for (const v1::ObjectSummary& s : resp->matches(m).objects()) {
          absl::StatusOr<client::OpenedMetadata> meta =
              OpenSummaryMetadata(keys.metadata_key(g), s);
          if (meta.ok() && meta->metadata.name == arg) ids.push_back(s.object_id());
        }
      }
      if (ids.empty()) {
        unresolved.push_back(names[j]);
        continue;
      }
      absl::StatusOr<std::string> id = OneId(arg, ids);
      if (!id.ok()) return id.status();
      out[names[j]] = *id;
    }
  }
  if (unresolved.empty()) return out;
  // Fallback: objects stored without a name hash are found by their decrypted names.
  absl::StatusOr<std::vector<ListedObject>> list = ListObjects(coordinator, *identity, older);
  if (!list.ok()) return list.status();
  for (size_t i : unresolved) {
    std::vector<std::string> ids;
    for (const ListedObject& o : *list) {
      if (o.metadata.has_value() && o.metadata->name == args[i]) {
        ids.push_back(o.summary.object_id());
      }
    }
    absl::StatusOr<std::string> id = OneId(args[i], ids);
    if (!id.ok()) return id.status();
    out[i] = *id;
  }
  return out;
}

absl::StatusOr<client::SecretBytes> OpenFileKey(
    const std::string& header_text, const client::X25519Identity& identity,
    const std::vector<const client::X25519Identity*>& more) {
  absl::StatusOr<client::AgeHeader> header = client::ParseHeader(header_text);
  if (!header.ok()) {
    return absl::DataLossError(
        absl::StrCat("the object's age header is damaged: ", header.status().message()));
  }
  std::vector<std::unique_ptr<client::X25519AgeIdentity>> age_identities;
  age_identities.push_back(std::make_unique<client::X25519AgeIdentity>(identity.Clone()));
  for (const client::X25519Identity* m : more) {
    age_identities.push_back(std::make_unique<client::X25519AgeIdentity>(m->Clone()));
  }
  std::vector<const client::AgeIdentity*> ids;
  for (const auto& a : age_identities) ids.push_back(a.get());
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
  if (manifest.is_inline()) {
    // A small object stored inline: the payload came with the manifest.
    const std::string& payload = manifest.inline_payload();
    if (payload.size() != manifest.object().size_bytes()) {
      return absl::DataLossError(absl::StrCat("the coordinator returned ", payload.size(),
                                              " bytes of an inline object of ",
                                              manifest.object().size_bytes(), " bytes"));
    }
    if (observer != nullptr) observer->Started(payload.size(), payload.size());
    absl::Status s;
    if (file_key == nullptr) {
      s = out.Write(Bytes(payload));
    } else {
      absl::StatusOr<std::unique_ptr<client::StreamDecryptor>> decryptor =
          client::StreamDecryptor::Create(*file_key, out);
      if (!decryptor.ok()) return decryptor.status();
      s = (*decryptor)->Write(Bytes(payload));
      if (s.ok()) s = (*decryptor)->Close();
      if (absl::IsDataLoss(s) || absl::IsInvalidArgument(s)) {
        s = absl::DataLossError(absl::StrCat("the downloaded data does not decrypt (", s.message(),
                                             "); nothing was saved"));
      }
    }
    if (observer != nullptr) {
      if (s.ok()) observer->Moved(static_cast<int64_t>(payload.size()));
      observer->Finished(s.ok());
    }
    return s;
  }
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

std::string FormatFolderLink(const std::string& folder_id,
                             const client::X25519Identity& identity) {
  client::SecretBytes encoded = identity.Encode();
  return absl::StrCat(kLinkScheme, "folder/", folder_id, "#", std::string(encoded.view()));
}

absl::StatusOr<ParsedLink> ParseLink(absl::string_view raw_link) {
  raw_link = absl::StripAsciiWhitespace(raw_link);
  // A folder link is an object link with "folder/" after the scheme.
  const std::string folder_prefix = absl::StrCat(kLinkScheme, "folder/");
  const bool is_folder = absl::StartsWith(raw_link, folder_prefix);
  const std::string unfolded =
      is_folder ? absl::StrCat(kLinkScheme, raw_link.substr(folder_prefix.size()))
                : std::string(raw_link);
  absl::string_view link = unfolded;
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
  return ParsedLink{absl::AsciiStrToLower(id), *std::move(identity), is_folder};
}

}  // namespace freehold::cli
