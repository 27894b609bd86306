#include "client/cli/context.h"

#include <iostream>

#include "absl/strings/str_cat.h"
#include "client/cli/config_dir.h"
#include "client/cli/commands.h"
#include "client/cli/rpc.h"

namespace freehold::cli {

absl::StatusOr<const SessionStore*> Context::Store() {
  if (!store_.has_value()) {
    std::string dir = options_.config_dir;
    if (dir.empty()) {
      absl::StatusOr<std::string> d = DefaultConfigDir();
      if (!d.ok()) return d.status();
      dir = *d;
    }
    store_.emplace(ConfigDir(dir));
  }
  return &*store_;
}

absl::StatusOr<std::optional<Session>> Context::LoadSession() {
  if (!session_loaded_) {
    absl::StatusOr<const SessionStore*> store = Store();
    if (!store.ok()) return store.status();
    absl::StatusOr<std::optional<Session>> s = (*store)->Load();
    if (!s.ok()) return s.status();
    session_ = *std::move(s);
    session_loaded_ = true;
  }
  return session_;
}

absl::StatusOr<AccountsApi*> Context::Accounts() {
  if (accounts_ == nullptr) {
    std::string address = options_.accounts_address;
    if (address.empty()) {
      absl::StatusOr<std::optional<Session>> s = LoadSession();
      if (s.ok() && s->has_value()) address = (*s)->accounts_address;
    }
    if (address.empty()) address = std::string(kDefaultAccountsAddress);
    absl::StatusOr<Service> svc = ConnectService("accounts", address, "--accounts", options_.transport);
    if (!svc.ok()) return svc.status();
    accounts_ = std::make_unique<AccountsApi>(*std::move(svc));
  }
  return accounts_.get();
}

absl::StatusOr<UserSession*> Context::User() {
  if (user_ == nullptr) {
    absl::StatusOr<std::optional<Session>> s = LoadSession();
    if (!s.ok()) return s.status();
    if (!s->has_value()) {
      return absl::UnauthenticatedError(
          "not logged in: run `freehold login` (or `freehold signup` for a new account)");
    }
    absl::StatusOr<AccountsApi*> accounts = Accounts();
    if (!accounts.ok()) return accounts.status();
    auto user = std::make_unique<UserSession>(**Store(), **accounts, **s);
    if (!org_name_.empty()) {
      absl::StatusOr<client::X25519Identity> me = user->PersonalIdentity(Passwords());
      if (!me.ok()) return me.status();
      absl::StatusOr<std::string> token = user->AccessToken();
      if (!token.ok()) return token.status();
      absl::StatusOr<OrgKeys> org = OpenOrgKeys(**accounts, *token, org_name_, *me);
      if (!org.ok()) return org.status();
      if (org_write_ && org->rotation_due && org->role != "read-only") {
        user_ = std::move(user);  // RotateDueOrgKey uses this session
        absl::StatusOr<int> generation = RotateDueOrgKey(*this, org_name_);
        user = std::move(user_);
        if (!generation.ok()) return generation.status();
        if (!options_.quiet) {
          std::cerr << "Rotated the key of " << org->name << " (generation " << *generation
                    << "): a member's account was deleted.\n";
        }
        org = OpenOrgKeys(**accounts, *token, org_name_, *me);
        if (!org.ok()) return org.status();
      }
      user->UseOrgIdentity(org->naming().Clone());
      org_ = *std::move(org);
    }
    user_ = std::move(user);
  }
  return user_.get();
}

std::vector<const client::X25519Identity*> Context::ExtraIdentities() const {
  std::vector<const client::X25519Identity*> out;
  if (org_) {
    for (const client::X25519Identity& id : org_->all) out.push_back(&id);
  }
  return out;
}

std::string Context::CoordinatorAddress() {
  std::string address = options_.coordinator_address;
  if (address.empty()) {
    absl::StatusOr<std::optional<Session>> s = LoadSession();
    if (s.ok() && s->has_value()) address = (*s)->coordinator_address;
  }
  if (address.empty()) address = std::string(kDefaultCoordinatorAddress);
  return address;
}

absl::StatusOr<CoordinatorApi*> Context::Coordinator(bool anonymous) {
  std::unique_ptr<CoordinatorApi>& slot = anonymous ? anonymous_coordinator_ : coordinator_;
  if (slot == nullptr) {
    TokenProvider tokens;
    if (!anonymous) {
      absl::StatusOr<UserSession*> user = User();
      if (!user.ok()) return user.status();
      tokens = [u = *user] { return u->AccessToken(); };
    }
    absl::StatusOr<Service> svc =
        ConnectService("coordinator", CoordinatorAddress(), "--coordinator",
                       options_.transport);
    if (!svc.ok()) return svc.status();
    slot = std::make_unique<CoordinatorApi>(*std::move(svc), std::move(tokens));
    if (!anonymous && org_) slot->ActForOrg(org_->org_id);
  }
  return slot.get();
}

std::unique_ptr<ProgressDisplay> Context::Progress(std::string label) const {
  return std::make_unique<ProgressDisplay>(
      std::move(label), ProgressDisplay::ModeFor(stderr, options_.quiet || options_.json),
      !options_.quiet);
}

void Context::PrintJson(const nlohmann::json& doc) const { std::cout << doc.dump(2) << std::endl; }

}  // namespace freehold::cli
