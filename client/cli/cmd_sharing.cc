// share, link, fetch.
#include <algorithm>
#include <iostream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "client/cli/commands.h"
#include "client/cli/contacts.h"
#include "client/cli/exit_codes.h"
#include "client/cli/file_io.h"
#include "client/cli/format.h"
#include "client/cli/object_ops.h"
#include "client/core/age_file.h"
#include "client/core/age_header.h"
#include "client/core/age_stream.h"

namespace freehold::cli {
namespace {

absl::StatusOr<client::AgeHeader> ParseStoredHeader(const std::string& text) {
  absl::StatusOr<client::AgeHeader> h = client::ParseHeader(text);
  if (!h.ok()) {
    return absl::DataLossError(
        absl::StrCat("the object's age header is damaged: ", h.status().message()));
  }
  return h;
}

absl::Status OpenerError(const absl::Status& s) {
  if (absl::IsPermissionDenied(s)) {
    return absl::PermissionDeniedError("only the owner of this object can share it");
  }
  return s;
}

}  // namespace

absl::Status RunShare(Context& ctx, const ShareArgs& args) {
  const std::string handle = absl::AsciiStrToLower(absl::StripAsciiWhitespace(args.with));
  if (handle.empty()) return UsageError("share needs --with HANDLE");
  absl::StatusOr<UserSession*> user = ctx.User();
  if (!user.ok()) return user.status();
  absl::StatusOr<CoordinatorApi*> coordinator = ctx.Coordinator();
  if (!coordinator.ok()) return coordinator.status();
  absl::StatusOr<AccountsApi*> accounts = ctx.Accounts();
  if (!accounts.ok()) return accounts.status();
  absl::StatusOr<client::X25519Identity> identity = (*user)->Identity(ctx.Passwords());
  if (!identity.ok()) return identity.status();
  absl::StatusOr<std::string> id = ResolveObject(**coordinator, args.object, &*identity);
  if (!id.ok()) return id.status();

  absl::StatusOr<std::string> token = (*user)->AccessToken();
  if (!token.ok()) return token.status();
  absl::StatusOr<v1::GetPublicKeyResponse> recipient = (*accounts)->GetPublicKey(handle, *token);
  if (absl::IsNotFound(recipient.status())) {
    return absl::NotFoundError(absl::StrCat("no account with the handle \"", handle, "\""));
  }
  if (!recipient.ok()) return recipient.status();
  if (recipient->account_id() == (*user)->session().account_id) {
    return UsageError("that is your own account: you can already read your files");
  }
  absl::StatusOr<client::X25519PublicKey> key = client::ParseRecipient(recipient->public_key());
  if (!key.ok()) {
    return absl::DataLossError(absl::StrCat("the public key of ", handle, " is malformed"));
  }
  // Trust on first use, then only the pinned (or re-verified) key (contacts.h).
  const SessionStore* pins = *ctx.Store();
  ContactsStore contacts(pins->dir(), (*user)->session().account_id);
  std::optional<PinnedKey> pinned;
  absl::StatusOr<PinOutcome> pin = [&]() -> absl::StatusOr<PinOutcome> {
    absl::StatusOr<FileLock> lock = pins->Lock();
    if (!lock.ok()) return lock.status();
    return contacts.CheckOrPin(handle, recipient->account_id(), recipient->public_key(), &pinned);
  }();
  if (!pin.ok()) return pin.status();
  if (*pin == PinOutcome::kChanged) {
    return ChangedKeyError(handle, *pinned, recipient->public_key());
  }
  if (*pin == PinOutcome::kFirstUse && !ctx.json() && !ctx.options().quiet) {
    std::cerr << "First share with " << handle << ": their key is now pinned on this device "
              << "(fingerprint " << FingerprintOf(recipient->public_key())
              << "). Compare it with them and run `freehold contacts verify " << handle
              << "`.\n";
  }

  absl::StatusOr<v1::GetObjectResponse> manifest = (*coordinator)->GetObject(*id);
  if (!manifest.ok()) return manifest.status();
  if (manifest->object().owner_account_id() != (*user)->session().account_id) {
    return absl::PermissionDeniedError("only the owner of this object can share it");
  }
  absl::StatusOr<client::AgeHeader> header = ParseStoredHeader(manifest->age_header());
  if (!header.ok()) return header.status();
  client::X25519AgeIdentity opener(identity->Clone());
  const client::AgeIdentity* openers[] = {&opener};
  client::X25519Recipient added(*key);
  const client::AgeRecipient* adds[] = {&added};
  absl::StatusOr<client::AgeHeader> shared = client::AddRecipients(*header, openers, adds);
  if (!shared.ok()) return OpenerError(shared.status());

  // UpdateHeader replaces the whole share list: send everyone this device
  // shared the object with so far plus the new account.
  const SessionStore* store = *ctx.Store();
  absl::StatusOr<std::vector<std::string>> shares = store->SharesOf(*id);
  if (!shares.ok()) return shares.status();
  if (std::find(shares->begin(), shares->end(), recipient->account_id()) == shares->end()) {
    shares->push_back(recipient->account_id());
  }
  v1::UpdateHeaderRequest req;
  req.set_object_id(*id);
  req.set_age_header(client::SerializeHeader(*shared));
  for (const std::string& a : *shares) req.add_share_with_account_ids(a);
  if (absl::Status s = (*coordinator)->UpdateHeader(req); !s.ok()) return s;
  if (absl::Status s = store->RecordShares(*id, *shares); !s.ok()) {
    std::cerr << "freehold: warning: could not record the share locally: " << s.message() << "\n";
  }
  if (ctx.json()) {
    ctx.PrintJson({{"id", *id},
                   {"shared_with", handle},
                   {"account_id", recipient->account_id()},
                   {"public_key", recipient->public_key()}});
  } else {
    std::cout << "Shared " << *id << " with " << handle << " (" << recipient->public_key()
              << "). They can now: freehold get " << *id << "\n";
  }
  return absl::OkStatus();
}

absl::Status RunLink(Context& ctx, const LinkArgs& args) {
  absl::StatusOr<UserSession*> user = ctx.User();
  if (!user.ok()) return user.status();
  absl::StatusOr<CoordinatorApi*> coordinator = ctx.Coordinator();
  if (!coordinator.ok()) return coordinator.status();
  absl::StatusOr<client::X25519Identity> identity = (*user)->Identity(ctx.Passwords());
  if (!identity.ok()) return identity.status();
  absl::StatusOr<std::string> id = ResolveObject(**coordinator, args.object, &*identity);
  if (!id.ok()) return id.status();
  if (args.disable) {
    v1::SetPublicLinkRequest req;
    req.set_object_id(*id);
    req.set_enabled(false);
    if (absl::Status s = (*coordinator)->SetPublicLink(req); !s.ok()) return s;
    if (ctx.json()) {
      ctx.PrintJson({{"id", *id}, {"public_link", false}});
    } else {
      std::cout << "Public links to " << *id << " no longer work.\n";
    }
    return absl::OkStatus();
  }
  absl::StatusOr<v1::GetObjectResponse> manifest = (*coordinator)->GetObject(*id);
  if (!manifest.ok()) return manifest.status();
  absl::StatusOr<client::AgeHeader> header = ParseStoredHeader(manifest->age_header());
  if (!header.ok()) return header.status();
  client::X25519AgeIdentity opener(identity->Clone());
  const client::AgeIdentity* openers[] = {&opener};
  absl::StatusOr<client::PublicLink> link = client::AddPublicLink(*header, openers);
  if (!link.ok()) return OpenerError(link.status());
  v1::SetPublicLinkRequest req;
  req.set_object_id(*id);
  req.set_enabled(true);
  req.set_age_header(client::SerializeHeader(link->header));
  if (absl::Status s = (*coordinator)->SetPublicLink(req); !s.ok()) return s;
  const std::string text = FormatLink(*id, link->identity);
  if (ctx.json()) {
    ctx.PrintJson({{"id", *id}, {"link", text}});
  } else {
    std::cerr << "Anyone with this link can read the file (the part after '#' never reaches a "
                 "server). Turn it off with: freehold link --disable "
              << *id << "\n";
    std::cout << text << "\n";
  }
  return absl::OkStatus();
}

absl::Status RunFetch(Context& ctx, const FetchArgs& args) {
  absl::StatusOr<ParsedLink> link = ParseLink(args.link);
  if (!link.ok()) return link.status();
  absl::StatusOr<CoordinatorApi*> coordinator = ctx.Coordinator(/*anonymous=*/true);
  if (!coordinator.ok()) return coordinator.status();
  absl::StatusOr<v1::GetObjectResponse> manifest = (*coordinator)->GetObject(link->object_id);
  // The coordinator answers NOT_FOUND alike for a deleted object and for one whose
  // public link was turned off (it does not tell strangers that an object exists).
  if (absl::IsNotFound(manifest.status()) || absl::IsUnauthenticated(manifest.status()) ||
      absl::IsPermissionDenied(manifest.status())) {
    return absl::NotFoundError(
        "this link no longer works: the file was deleted or its owner turned the public link "
        "off");
  }
  if (!manifest.ok()) return manifest.status();
  absl::StatusOr<client::SecretBytes> key = OpenFileKey(manifest->age_header(), link->identity);
  if (absl::IsPermissionDenied(key.status())) {
    return absl::PermissionDeniedError("the link's key does not open this file (wrong link?)");
  }
  if (!key.ok()) return key.status();
  const std::string output = args.output.empty() ? link->object_id : args.output;
  absl::StatusOr<std::unique_ptr<OutputFile>> out = OutputFile::Create(output);
  if (!out.ok()) return out.status();
  std::unique_ptr<ProgressDisplay> progress = ctx.Progress("fetch");
  absl::Status s = DownloadObject(ctx, **coordinator, *manifest, &*key, **out, progress.get());
  if (s.ok()) s = (*out)->Commit();
  if (!s.ok()) return s;
  absl::StatusOr<uint64_t> size = client::PlaintextSizeForPayload(manifest->object().size_bytes());
  if (ctx.json()) {
    ctx.PrintJson({{"id", link->object_id}, {"output", output}, {"size", size.ok() ? *size : 0}});
  } else {
    (output == "-" ? std::cerr : std::cout)
        << "Saved the linked file (" << HumanBytes(size.ok() ? *size : 0) << ") to "
        << (output == "-" ? "standard output" : output) << "\n";
  }
  return absl::OkStatus();
}

}  // namespace freehold::cli
