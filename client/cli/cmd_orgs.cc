// org create / add / remove / ls / members: organizations whose age identity is made
// here and stored by the accounts server only wrapped to each member's public key
// (client/core/org_keys.h; services/accounts/README.md "Organizations"). Members' keys
// are checked against this device's pins (contacts.h) before anything is wrapped to
// them, so a server cannot slip its own key in.
#include <iostream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "client/cli/commands.h"
#include "client/cli/contacts.h"
#include "client/cli/exit_codes.h"
#include "client/core/org_keys.h"

namespace freehold::cli {
namespace {

struct Caller {
  UserSession* user = nullptr;
  AccountsApi* accounts = nullptr;
  std::string token;
};

absl::StatusOr<Caller> Begin(Context& ctx) {
  Caller c;
  absl::StatusOr<UserSession*> user = ctx.User();
  if (!user.ok()) return user.status();
  c.user = *user;
  absl::StatusOr<AccountsApi*> accounts = ctx.Accounts();
  if (!accounts.ok()) return accounts.status();
  c.accounts = *accounts;
  absl::StatusOr<std::string> token = c.user->AccessToken();
  if (!token.ok()) return token.status();
  c.token = *std::move(token);
  return c;
}

std::string Normalized(const std::string& raw) {
  return absl::AsciiStrToLower(absl::StripAsciiWhitespace(raw));
}

// Refuses a key that changed since this device pinned it (pins it on first use).
absl::Status CheckPinned(Context& ctx, const Caller& c, const std::string& handle,
                         const std::string& account_id, const std::string& public_key) {
  if (account_id == c.user->session().account_id) return absl::OkStatus();
  const SessionStore* pins = *ctx.Store();
  ContactsStore contacts(pins->dir(), c.user->session().account_id);
  std::optional<PinnedKey> pinned;
  absl::StatusOr<FileLock> lock = pins->Lock();
  if (!lock.ok()) return lock.status();
  absl::StatusOr<PinOutcome> pin = contacts.CheckOrPin(handle, account_id, public_key, &pinned);
  if (!pin.ok()) return pin.status();
  if (*pin == PinOutcome::kChanged) return ChangedKeyError(handle, *pinned, public_key);
  return absl::OkStatus();
}

}  // namespace

absl::Status RunOrgCreate(Context& ctx, const OrgArgs& args) {
  absl::StatusOr<Caller> c = Begin(ctx);
  if (!c.ok()) return c.status();
  absl::StatusOr<client::X25519Identity> me = c->user->Identity(ctx.Passwords());
  if (!me.ok()) return me.status();
  client::X25519Identity org = client::X25519Identity::Generate();
  absl::StatusOr<std::string> wrapped = client::WrapOrgIdentity(org, me->Recipient());
  if (!wrapped.ok()) return wrapped.status();
  v1::CreateOrgRequest req;
  req.set_name(Normalized(args.org));
  req.set_public_key(org.Recipient());
  req.set_wrapped_key(*wrapped);
  absl::StatusOr<v1::CreateOrgResponse> resp = c->accounts->CreateOrg(req, c->token);
  if (!resp.ok()) return resp.status();
  if (ctx.json()) {
    ctx.PrintJson({{"org", resp->org().name()},
                   {"org_id", resp->org().org_id()},
                   {"public_key", resp->org().public_key()},
                   {"generation", resp->org().generation()}});
  } else {
    std::cout << "Created " << resp->org().name() << " (you are its owner; key "
              << FingerprintOf(resp->org().public_key()) << ")\n";
  }
  return absl::OkStatus();
}

absl::Status RunOrgAdd(Context& ctx, const OrgArgs& args) {
  const std::string org_name = Normalized(args.org);
  const std::string handle = Normalized(args.handle);
  absl::StatusOr<Caller> c = Begin(ctx);
  if (!c.ok()) return c.status();
  absl::StatusOr<v1::GetPublicKeyResponse> member = c->accounts->GetPublicKey(handle, c->token);
  if (absl::IsNotFound(member.status())) {
    return absl::NotFoundError(absl::StrCat("no account with the handle \"", handle, "\""));
  }
  if (!member.ok()) return member.status();
  if (absl::Status s = CheckPinned(ctx, *c, handle, member->account_id(), member->public_key());
      !s.ok()) {
    return s;
  }
  absl::StatusOr<client::X25519Identity> me = c->user->Identity(ctx.Passwords());
  if (!me.ok()) return me.status();
  absl::StatusOr<v1::GetOrgKeysResponse> keys = c->accounts->GetOrgKeys(org_name, c->token);
  if (!keys.ok()) return keys.status();
  v1::AddOrgMemberRequest req;
  req.set_org(org_name);
  req.set_handle(handle);
  req.set_role(args.role);
  req.set_expected_generation(keys->org().generation());
  // Every generation this member can open, so they read what was written before too.
  for (const v1::OrgKeyWrap& k : keys->keys()) {
    absl::StatusOr<client::X25519Identity> id = client::UnwrapOrgIdentity(k.wrapped(), *me);
    if (!id.ok()) {
      return absl::DataLossError(absl::StrCat("the organization key of generation ",
                                              k.generation(), " does not open with your key"));
    }
    absl::StatusOr<std::string> wrapped = client::WrapOrgIdentity(*id, member->public_key());
    if (!wrapped.ok()) return wrapped.status();
    v1::OrgKeyWrap* out = req.add_keys();
    out->set_generation(k.generation());
    out->set_wrapped(*wrapped);
  }
  if (absl::Status s = c->accounts->AddOrgMember(req, c->token); !s.ok()) return s;
  if (ctx.json()) {
    ctx.PrintJson({{"org", org_name}, {"added", handle}, {"role", args.role}});
  } else {
    std::cout << "Added " << handle << " to " << org_name << " as " << args.role << "\n";
  }
  return absl::OkStatus();
}

absl::Status RunOrgRemove(Context& ctx, const OrgArgs& args) {
  const std::string org_name = Normalized(args.org);
  const std::string handle = Normalized(args.handle);
  absl::StatusOr<Caller> c = Begin(ctx);
  if (!c.ok()) return c.status();
  absl::StatusOr<v1::ListOrgMembersResponse> members =
      c->accounts->ListOrgMembers(org_name, c->token);
  if (!members.ok()) return members.status();
  client::X25519Identity next = client::X25519Identity::Generate();
  v1::RemoveOrgMemberRequest req;
  req.set_org(org_name);
  req.set_handle(handle);
  req.set_expected_generation(members->org().generation());
  req.set_new_public_key(next.Recipient());
  bool found = false;
  for (const v1::OrgMember& m : members->members()) {
    if (m.handle() == handle) {
      found = true;
      continue;
    }
    if (absl::Status s = CheckPinned(ctx, *c, m.handle(), m.account_id(), m.public_key());
        !s.ok()) {
      return s;
    }
    absl::StatusOr<std::string> wrapped = client::WrapOrgIdentity(next, m.public_key());
    if (!wrapped.ok()) return wrapped.status();
    v1::OrgKeyWrap* out = req.add_keys();
    out->set_account_id(m.account_id());
    out->set_wrapped(*wrapped);
  }
  if (!found) return absl::NotFoundError(absl::StrCat(handle, " is not a member of ", org_name));
  absl::StatusOr<v1::RemoveOrgMemberResponse> resp = c->accounts->RemoveOrgMember(req, c->token);
  if (!resp.ok()) return resp.status();
  if (ctx.json()) {
    ctx.PrintJson({{"org", org_name}, {"removed", handle}, {"generation", resp->generation()}});
  } else {
    std::cout << "Removed " << handle << " from " << org_name << "; the organization key is "
              << "rotated (generation " << resp->generation() << "). What they downloaded "
              << "before cannot be taken back.\n";
  }
  return absl::OkStatus();
}

absl::StatusOr<int> RotateDueOrgKey(Context& ctx, const std::string& org) {
  const std::string org_name = Normalized(org);
  absl::StatusOr<Caller> c = Begin(ctx);
  if (!c.ok()) return c.status();
  absl::StatusOr<v1::ListOrgMembersResponse> members =
      c->accounts->ListOrgMembers(org_name, c->token);
  if (!members.ok()) return members.status();
  client::X25519Identity next = client::X25519Identity::Generate();
  v1::RotateOrgKeyRequest req;
  req.set_org(org_name);
  req.set_expected_generation(members->org().generation());
  req.set_new_public_key(next.Recipient());
  for (const v1::OrgMember& m : members->members()) {
    if (absl::Status s = CheckPinned(ctx, *c, m.handle(), m.account_id(), m.public_key());
        !s.ok()) {
      return s;
    }
    absl::StatusOr<std::string> wrapped = client::WrapOrgIdentity(next, m.public_key());
    if (!wrapped.ok()) return wrapped.status();
    v1::OrgKeyWrap* out = req.add_keys();
    out->set_account_id(m.account_id());
    out->set_wrapped(*wrapped);
  }
  absl::StatusOr<v1::RotateOrgKeyResponse> resp = c->accounts->RotateOrgKey(req, c->token);
  if (!resp.ok()) return resp.status();
  return resp->generation();
}

absl::Status RunOrgList(Context& ctx) {
  absl::StatusOr<Caller> c = Begin(ctx);
  if (!c.ok()) return c.status();
  absl::StatusOr<v1::ListOrgsResponse> orgs = c->accounts->ListOrgs(c->token);
  if (!orgs.ok()) return orgs.status();
  if (ctx.json()) {
    nlohmann::json list = nlohmann::json::array();
    for (const v1::Org& o : orgs->orgs()) {
      list.push_back({{"org", o.name()},
                      {"org_id", o.org_id()},
                      {"role", o.role()},
                      {"members", o.members()},
                      {"generation", o.generation()}});
    }
    ctx.PrintJson({{"orgs", list}});
  } else {
    for (const v1::Org& o : orgs->orgs()) {
      std::cout << o.name() << "  " << o.role() << "  " << o.members() << " members\n";
    }
  }
  return absl::OkStatus();
}

absl::Status RunOrgMembers(Context& ctx, const OrgArgs& args) {
  absl::StatusOr<Caller> c = Begin(ctx);
  if (!c.ok()) return c.status();
  absl::StatusOr<v1::ListOrgMembersResponse> members =
      c->accounts->ListOrgMembers(Normalized(args.org), c->token);
  if (!members.ok()) return members.status();
  if (ctx.json()) {
    nlohmann::json list = nlohmann::json::array();
    for (const v1::OrgMember& m : members->members()) {
      list.push_back({{"handle", m.handle()}, {"role", m.role()}, {"account_id", m.account_id()}});
    }
    ctx.PrintJson({{"org", members->org().name()},
                   {"generation", members->org().generation()},
                   {"members", list}});
  } else {
    for (const v1::OrgMember& m : members->members()) {
      std::cout << m.handle() << "  " << m.role() << "\n";
    }
  }
  return absl::OkStatus();
}

}  // namespace freehold::cli
