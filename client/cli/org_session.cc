#include "client/cli/org_session.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "client/core/org_keys.h"

namespace freehold::cli {

absl::StatusOr<OrgKeys> OpenOrgKeys(AccountsApi& accounts, const std::string& token,
                                    const std::string& org_name,
                                    const client::X25519Identity& me) {
  const std::string name = absl::AsciiStrToLower(absl::StripAsciiWhitespace(org_name));
  absl::StatusOr<v1::GetOrgKeysResponse> keys = accounts.GetOrgKeys(name, token);
  if (!keys.ok()) return keys.status();
  OrgKeys out;
  out.org_id = keys->org().org_id();
  out.name = keys->org().name();
  out.role = keys->org().role();
  out.generation = keys->org().generation();
  out.rotation_due = keys->org().rotation_due();
  // Newest first: readers try the generations in this order.
  std::vector<const v1::OrgKeyWrap*> wraps;
  for (const v1::OrgKeyWrap& k : keys->keys()) wraps.push_back(&k);
  std::stable_sort(wraps.begin(), wraps.end(),
                   [](const v1::OrgKeyWrap* a, const v1::OrgKeyWrap* b) {
                     return a->generation() > b->generation();
                   });
  out.current_index = -1;
  for (const v1::OrgKeyWrap* kp : wraps) {
    const v1::OrgKeyWrap& k = *kp;
    absl::StatusOr<client::X25519Identity> id = client::UnwrapOrgIdentity(k.wrapped(), me);
    if (!id.ok()) {
      return absl::DataLossError(absl::StrCat("the key of organization ", name,
                                              " (generation ", k.generation(),
                                              ") does not open with your key"));
    }
    const int index = static_cast<int>(out.all.size());
    if (k.generation() == out.generation) {
      if (id->Recipient() != keys->org().public_key()) {
        return absl::DataLossError(absl::StrCat(
            "the current key of organization ", name,
            " does not match its public key: refusing to encrypt to it"));
      }
      out.current_index = index;
    }
    out.all.push_back(*std::move(id));
  }
  if (out.current_index < 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "you hold no key of the current generation (", out.generation, ") of organization ",
        name, ": ask an admin to add you again"));
  }
  return out;
}

}  // namespace freehold::cli
