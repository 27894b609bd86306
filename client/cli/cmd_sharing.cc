// share, link, fetch.
#include <algorithm>
#include <iostream>
#include <memory>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/time/clock.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "client/cli/commands.h"
#include "client/cli/contacts.h"
#include "client/cli/exit_codes.h"
#include "client/cli/file_io.h"
#include "client/cli/folder_share_ops.h"
#include "client/cli/remote_tree.h"
#include "client/cli/format.h"
#include "client/cli/object_ops.h"
#include "client/cli/sharing_ops.h"
#include "client/core/age_file.h"
#include "client/core/age_header.h"
#include "client/core/age_stream.h"
#include "client/core/share_record.h"

namespace freehold::cli {
namespace {

absl::Status OpenerError(const absl::Status& s) {
  if (absl::IsPermissionDenied(s)) {
    return absl::PermissionDeniedError("only the owner of this object can share it or see its sharing");
  }
  return s;
}

}  // namespace

namespace {

// The pieces every sharing command needs. In org mode (`--org`) the owner is the
// organization: `identity` is its naming identity (names, share records), the headers
// open with any of its key generations, and new folder keys go to its current one.
struct Owner {
  UserSession* user = nullptr;
  CoordinatorApi* coordinator = nullptr;
  std::optional<client::X25519Identity> identity;
  std::string object_id;  // the folder id for a folder
  bool is_folder = false;
  std::string owner_id;   // the account, or the organization in org mode
  FolderKeyOwner key_owner;
  // Opens the file key of a header: `identity`, then the organization's generations.
  std::vector<std::unique_ptr<client::X25519AgeIdentity>> opener_store;
  std::vector<const client::AgeIdentity*> openers;
};

absl::StatusOr<Owner> OpenOwner(Context& ctx, const std::string& object) {
  Owner o;
  absl::StatusOr<UserSession*> user = ctx.User();
  if (!user.ok()) return user.status();
  o.user = *user;
  absl::StatusOr<CoordinatorApi*> coordinator = ctx.Coordinator();
  if (!coordinator.ok()) return coordinator.status();
  o.coordinator = *coordinator;
  absl::StatusOr<client::X25519Identity> identity = o.user->Identity(ctx.Passwords());
  if (!identity.ok()) return identity.status();
  o.identity = *std::move(identity);
  o.owner_id = ctx.Org() != nullptr ? ctx.Org()->org_id : o.user->session().account_id;
  o.key_owner = FolderKeyOwnerOf(ctx);
  o.opener_store.push_back(std::make_unique<client::X25519AgeIdentity>(o.identity->Clone()));
  for (const client::X25519Identity* more : o.key_owner.more) {
    o.opener_store.push_back(std::make_unique<client::X25519AgeIdentity>(more->Clone()));
  }
  for (const auto& a : o.opener_store) o.openers.push_back(a.get());
  // A path naming a folder shares the folder (docs/PROTOCOL.md 9.3).
  if (object.find('/') != std::string::npos) {
    absl::StatusOr<std::vector<std::string>> parts = SplitRemotePath(object);
    if (parts.ok() && !parts->empty()) {
      RemoteTree tree(*o.coordinator, *o.identity, o.key_owner.more);
      absl::StatusOr<RemoteEntry> entry = tree.Resolve(*parts);
      if (entry.ok() && entry->is_folder) {
        o.is_folder = true;
        o.object_id = entry->id;
        return o;
      }
    } else if (parts.ok()) {
      return UsageError("the root folder cannot be shared; share a folder in it");
    }
  }
  absl::StatusOr<std::string> id = ResolveObject(*o.coordinator, object, &*o.identity, o.key_owner.more);
  if (!id.ok()) return id.status();
  o.object_id = *id;
  return o;
}

// The owner of the objects (the organization in org mode).
std::string OwnerId(const Owner& o) { return o.owner_id; }
// The person running the command (their contacts, their own account).
std::string MyAccount(const Owner& o) { return o.user->session().account_id; }

absl::Status RunShareList(Context& ctx, const ShareArgs& args) {
  absl::StatusOr<Owner> o = OpenOwner(ctx, args.object);
  if (!o.ok()) return o.status();
  absl::StatusOr<SharingState> state =
      LoadSharing(*o->coordinator, o->object_id, *o->identity, OwnerId(*o), o->is_folder,
                  o->key_owner.more);
  if (o->is_folder && absl::IsFailedPrecondition(state.status())) {
    // A folder without a key was never shared.
    SharingState empty;
    empty.is_folder = true;
    empty.object_id = o->object_id;
    state = std::move(empty);
  }
  if (!state.ok()) return OpenerError(state.status());
  const std::vector<std::string> unrecorded = UnrecordedAccounts(*state);
  int links = 0;
  for (const client::ShareEntry& e : state->record.entries) {
    links += e.kind == client::ShareEntry::Kind::kLink ? 1 : 0;
  }
  if (ctx.json()) {
    nlohmann::json with = nlohmann::json::array();
    for (const client::ShareEntry& e : state->record.entries) {
      if (e.kind != client::ShareEntry::Kind::kAccount) continue;
      with.push_back({{"handle", e.handle},
                      {"account_id", e.account_id},
                      {"public_key", e.public_key},
                      {"fingerprint", FingerprintOf(e.public_key)}});
    }
    ctx.PrintJson({{"id", state->object_id},
                   {"folder", state->is_folder},
                   {"shared_with", with},
                   {"unidentified_account_ids", unrecorded},
                   {"public_link", state->public_link},
                   {"link_disabled_at", state->link_disabled_at},
                   {"link_keys", links},
                   {"header_version", state->version}});
    return absl::OkStatus();
  }
  std::cout << "Sharing of " << state->object_id << ":\n";
  int n = 0;
  for (const client::ShareEntry& e : state->record.entries) {
    if (e.kind != client::ShareEntry::Kind::kAccount) continue;
    std::cout << "  " << e.handle << "  " << e.account_id << "  fingerprint "
              << FingerprintOf(e.public_key) << "\n";
    ++n;
  }
  for (const std::string& a : unrecorded) {
    std::cout << "  (shared by an older client; handle unknown)  " << a << "\n";
    ++n;
  }
  if (n == 0) std::cout << "  not shared with any account\n";
  std::cout << "  public link: " << (state->public_link ? "on" : "off");
  if (!state->public_link && links > 0) std::cout << " (a link key is still in the header)";
  if (!state->link_disabled_at.empty()) {
    std::cout << "\n  The public link was disabled after an abuse report on "
              << state->link_disabled_at.substr(0, 10)
              << " (an operator reviewed a report; it cannot be turned on again)";
  }
  std::cout << "\n";
  return absl::OkStatus();
}

}  // namespace

absl::Status RunShare(Context& ctx, const ShareArgs& args) {
  if (args.list) {
    if (!args.with.empty()) return UsageError("share: --list and --with do not go together");
    return RunShareList(ctx, args);
  }
  const std::string handle = absl::AsciiStrToLower(absl::StripAsciiWhitespace(args.with));
  if (handle.empty()) return UsageError("share needs --with HANDLE (or --list)");
  absl::StatusOr<Owner> o = OpenOwner(ctx, args.object);
  if (!o.ok()) return o.status();
  const absl::Time start = absl::Now();  // after the password unlock
  absl::StatusOr<AccountsApi*> accounts = ctx.Accounts();
  if (!accounts.ok()) return accounts.status();

  absl::StatusOr<std::string> token = o->user->AccessToken();
  if (!token.ok()) return token.status();
  absl::StatusOr<v1::GetPublicKeyResponse> recipient = (*accounts)->GetPublicKey(handle, *token);
  if (absl::IsNotFound(recipient.status())) {
    return absl::NotFoundError(absl::StrCat("no account with the handle \"", handle, "\""));
  }
  if (!recipient.ok()) return recipient.status();
  if (recipient->account_id() == MyAccount(*o)) {
    return UsageError("that is your own account: you can already read your files");
  }
  absl::StatusOr<client::X25519PublicKey> key = client::ParseRecipient(recipient->public_key());
  if (!key.ok()) {
    return absl::DataLossError(absl::StrCat("the public key of ", handle, " is malformed"));
  }
  // Trust on first use, then only the pinned (or re-verified) key (contacts.h).
  const SessionStore* pins = *ctx.Store();
  ContactsStore contacts(pins->dir(), MyAccount(*o));
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

  // A folder: its key first, and a wrap under it for everything below, in
  // batches (folder_share_ops.h).
  KeySync keys;
  if (o->is_folder) {
    RemoteTree tree(*o->coordinator, *o->identity, o->key_owner.more);
    absl::StatusOr<KeySync> k = EnsureFolderKeys(*o->coordinator, tree, *o->identity, o->object_id, o->key_owner);
    if (!k.ok()) return k.status();
    keys = *k;
  }
  // Read the header, share record and share list the server holds (the same
  // on every device), add the recipient, write back with compare-and-swap.
  const std::vector<const client::AgeIdentity*>& openers = o->openers;
  bool already = false;
  absl::Status s = ChangeSharing(
      *o->coordinator, o->object_id, *o->identity, OwnerId(*o),
      [&](SharingState& state) -> absl::Status {
        already = false;
        std::vector<std::string> stale;  // stanzas of an earlier key of this account
        std::vector<client::ShareEntry> kept;
        for (client::ShareEntry& e : state.record.entries) {
          if (e.kind == client::ShareEntry::Kind::kAccount &&
              e.account_id == recipient->account_id()) {
            if (e.public_key == recipient->public_key()) {
              already = true;
              kept.push_back(std::move(e));
            } else {
              stale.push_back(e.stanza_share);
            }
          } else {
            kept.push_back(std::move(e));
          }
        }
        state.record.entries = std::move(kept);
        if (!stale.empty()) {
          absl::StatusOr<client::AgeHeader> h = client::RemoveStanzas(state.header, openers, stale);
          if (!h.ok()) return OpenerError(h.status());
          state.header = *std::move(h);
        }
        if (already) {
          if (std::find(state.accounts.begin(), state.accounts.end(), recipient->account_id()) ==
              state.accounts.end()) {
            state.accounts.push_back(recipient->account_id());
          }
          return absl::OkStatus();
        }
        client::X25519Recipient added(*key);
        const client::AgeRecipient* adds[] = {&added};
        absl::StatusOr<client::AgeHeader> shared =
            client::AddRecipients(state.header, openers, adds);
        if (!shared.ok()) return OpenerError(shared.status());
        absl::StatusOr<std::string> share = client::LastStanzaShare(*shared);
        if (!share.ok()) return share.status();
        state.header = *std::move(shared);
        client::ShareEntry e;
        e.kind = client::ShareEntry::Kind::kAccount;
        e.handle = handle;
        e.account_id = recipient->account_id();
        e.public_key = recipient->public_key();
        e.stanza_share = *share;
        state.record.entries.push_back(std::move(e));
        return absl::OkStatus();
      },
      nullptr, 8, o->is_folder, o->key_owner.more);
  if (!s.ok()) return s;
  if (ctx.json()) {
    ctx.PrintJson({{"id", o->object_id},
                   {"folder", o->is_folder},
                   {"shared_with", handle},
                   {"account_id", recipient->account_id()},
                   {"public_key", recipient->public_key()},
                   {"already_shared", already},
                   {"entries_wrapped", keys.entries_wrapped},
                   {"folders_keyed", keys.folders_keyed},
                   {"key_batches", keys.batches},
                   {"coordinator_rpcs", o->coordinator->calls()},
                   {"seconds", absl::ToDoubleSeconds(absl::Now() - start)}});
  } else if (o->is_folder) {
    std::cout << (already ? "Already shared folder " : "Shared folder ") << o->object_id
              << " with " << handle << " (" << keys.entries_wrapped << " new entry keys in "
              << keys.batches << " batches). They can now: freehold shared get " << o->object_id
              << " -o DIR\n";
  } else {
    std::cout << (already ? "Already shared " : "Shared ") << o->object_id << " with " << handle
              << " (" << recipient->public_key() << "). They can now: freehold get "
              << o->object_id << "\n";
  }
  return absl::OkStatus();
}

absl::Status RunUnshare(Context& ctx, const UnshareArgs& args) {
  const std::string handle = absl::AsciiStrToLower(absl::StripAsciiWhitespace(args.handle));
  if (handle.empty()) return UsageError("unshare needs a HANDLE");
  absl::StatusOr<Owner> o = OpenOwner(ctx, args.object);
  if (!o.ok()) return o.status();
  // The account id: from the share record (the handle it was shared under),
  // else from the accounts server (objects shared by older clients).
  std::string account_id;
  {
    absl::StatusOr<SharingState> state =
        LoadSharing(*o->coordinator, o->object_id, *o->identity, OwnerId(*o), o->is_folder,
                  o->key_owner.more);
    if (o->is_folder && absl::IsFailedPrecondition(state.status())) {
      return absl::NotFoundError(
          absl::StrCat("folder ", o->object_id, " is not shared with \"", handle, "\""));
    }
    if (!state.ok()) return OpenerError(state.status());
    for (const client::ShareEntry& e : state->record.entries) {
      if (e.kind == client::ShareEntry::Kind::kAccount && e.handle == handle) {
        account_id = e.account_id;
      }
    }
  }
  if (account_id.empty()) {
    absl::StatusOr<AccountsApi*> accounts = ctx.Accounts();
    if (!accounts.ok()) return accounts.status();
    absl::StatusOr<std::string> token = o->user->AccessToken();
    if (!token.ok()) return token.status();
    absl::StatusOr<v1::GetPublicKeyResponse> who = (*accounts)->GetPublicKey(handle, *token);
    if (absl::IsNotFound(who.status())) {
      return absl::NotFoundError(
          absl::StrCat(o->object_id, " is not shared with \"", handle, "\""));
    }
    if (!who.ok()) return who.status();
    account_id = who->account_id();
  }
  const std::vector<const client::AgeIdentity*>& openers = o->openers;
  int stanzas_removed = 0;
  absl::Status s = ChangeSharing(
      *o->coordinator, o->object_id, *o->identity, OwnerId(*o),
      [&](SharingState& state) -> absl::Status {
        std::vector<std::string> shares;
        std::vector<client::ShareEntry> kept;
        for (client::ShareEntry& e : state.record.entries) {
          if (e.kind == client::ShareEntry::Kind::kAccount && e.account_id == account_id) {
            shares.push_back(e.stanza_share);
          } else {
            kept.push_back(std::move(e));
          }
        }
        const auto it = std::find(state.accounts.begin(), state.accounts.end(), account_id);
        if (shares.empty() && it == state.accounts.end()) {
          return absl::NotFoundError(
              absl::StrCat(state.object_id, " is not shared with \"", handle, "\""));
        }
        if (it != state.accounts.end()) state.accounts.erase(it);
        state.record.entries = std::move(kept);
        stanzas_removed = 0;
        if (!shares.empty()) {
          absl::StatusOr<client::AgeHeader> h =
              client::RemoveStanzas(state.header, openers, shares, &stanzas_removed);
          if (!h.ok()) return OpenerError(h.status());
          state.header = *std::move(h);
        }
        return absl::OkStatus();
      },
      nullptr, 8, o->is_folder, o->key_owner.more);
  if (!s.ok()) return s;
  if (ctx.json()) {
    ctx.PrintJson({{"id", o->object_id},
                   {"folder", o->is_folder},
                   {"unshared", handle},
                   {"account_id", account_id},
                   {"stanzas_removed", stanzas_removed}});
  } else {
    std::cout << "Stopped sharing " << o->object_id << " with " << handle
              << ": the server no longer lets them read it";
    if (stanzas_removed > 0) {
      std::cout << ", and their key is gone from the file's header";
    } else {
      std::cout << " (it was shared by an older client: their key could not be told apart in "
                   "the header)";
    }
    std::cout << ".\nThis cannot take back a copy they already downloaded.\n";
  }
  return absl::OkStatus();
}

absl::Status RunLink(Context& ctx, const LinkArgs& args) {
  absl::StatusOr<Owner> o = OpenOwner(ctx, args.object);
  if (!o.ok()) return o.status();
  const std::vector<const client::AgeIdentity*>& openers = o->openers;
  if (args.disable) {
    int removed = 0;
    absl::Status s = ChangeSharing(
        *o->coordinator, o->object_id, *o->identity, OwnerId(*o),
        [&](SharingState& state) -> absl::Status {
          std::vector<std::string> shares;
          std::vector<client::ShareEntry> kept;
          for (client::ShareEntry& e : state.record.entries) {
            if (e.kind == client::ShareEntry::Kind::kLink) {
              shares.push_back(e.stanza_share);
            } else {
              kept.push_back(std::move(e));
            }
          }
          state.record.entries = std::move(kept);
          removed = 0;
          if (!shares.empty()) {
            absl::StatusOr<client::AgeHeader> h =
                client::RemoveStanzas(state.header, openers, shares, &removed);
            if (!h.ok()) return OpenerError(h.status());
            state.header = *std::move(h);
          }
          state.set_public_link = false;
          return absl::OkStatus();
        },
        nullptr, 8, o->is_folder, o->key_owner.more);
    if (o->is_folder && absl::IsFailedPrecondition(s)) s = absl::OkStatus();  // never linked
    if (!s.ok()) return s;
    if (ctx.json()) {
      ctx.PrintJson({{"id", o->object_id}, {"public_link", false}, {"link_keys_removed", removed}});
    } else {
      std::cout << "Public links to " << o->object_id << " no longer work";
      if (removed > 0) std::cout << "; the link's key is gone from the file's header";
      std::cout << ".\n";
    }
    return absl::OkStatus();
  }
  if (o->is_folder) {
    RemoteTree tree(*o->coordinator, *o->identity, o->key_owner.more);
    absl::StatusOr<KeySync> k = EnsureFolderKeys(*o->coordinator, tree, *o->identity, o->object_id, o->key_owner);
    if (!k.ok()) return k.status();
  }
  std::optional<client::X25519Identity> link_identity;
  absl::Status s = ChangeSharing(
      *o->coordinator, o->object_id, *o->identity, OwnerId(*o),
      [&](SharingState& state) -> absl::Status {
        absl::StatusOr<client::PublicLink> link = client::AddPublicLink(state.header, openers);
        if (!link.ok()) return OpenerError(link.status());
        absl::StatusOr<std::string> share = client::LastStanzaShare(link->header);
        if (!share.ok()) return share.status();
        client::ShareEntry e;
        e.kind = client::ShareEntry::Kind::kLink;
        e.public_key = link->identity.Recipient();
        e.stanza_share = *share;
        state.record.entries.push_back(std::move(e));
        state.header = std::move(link->header);
        state.set_public_link = true;
        link_identity = std::move(link->identity);
        return absl::OkStatus();
      },
      nullptr, 8, o->is_folder, o->key_owner.more);
  if (!s.ok()) return s;
  const std::string text = o->is_folder ? FormatFolderLink(o->object_id, *link_identity)
                                        : FormatLink(o->object_id, *link_identity);
  if (ctx.json()) {
    ctx.PrintJson({{"id", o->object_id}, {"link", text}});
  } else {
    std::cerr << "Anyone with this link can read the file (the part after '#' never reaches a "
                 "server). Turn it off with: freehold link --disable "
              << o->object_id << "\n";
    std::cout << text << "\n";
  }
  return absl::OkStatus();
}

absl::Status RunFetch(Context& ctx, const FetchArgs& args) {
  absl::StatusOr<ParsedLink> link = ParseLink(args.link);
  if (!link.ok()) return link.status();
  absl::StatusOr<CoordinatorApi*> coordinator = ctx.Coordinator(/*anonymous=*/true);
  if (!coordinator.ok()) return coordinator.status();
  if (link->is_folder) {
    return FetchSharedFolder(ctx, **coordinator, link->object_id, link->identity,
                             args.output.empty() ? link->object_id : args.output,
                             /*from_link=*/true);
  }
  absl::StatusOr<v1::GetObjectResponse> manifest = (*coordinator)->GetObject(link->object_id);
  // The coordinator answers NOT_FOUND alike for a deleted object and for one whose
  // public link was turned off (it does not tell strangers that an object exists).
  if (absl::IsFailedPrecondition(manifest.status()) &&
      absl::StrContains(manifest.status().message(), "abuse report")) {
    return absl::NotFoundError(
        absl::StrCat("this link no longer works: ", manifest.status().message()));
  }
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
