// OrgStore over PostgreSQL (core/orgs.h; migration 0008_orgs: organizations,
// org_members, org_key_wraps). Changes of membership lock the organization's row, so
// the generation check and the rotation are atomic.
#pragma once

#include "common/pg.h"
#include "services/accounts/core/orgs.h"

namespace freehold::accounts {

// Thread-safe. `pool` must be created with AccountsPoolOptions and outlive this object.
class PgOrgStore : public OrgStore {
 public:
  explicit PgOrgStore(PgPool& pool) : pool_(pool) {}
  absl::Status CreateOrg(const OrgRecord& org, const std::string& owner_account_id,
                         const std::string& wrapped, absl::Time now) override;
  absl::StatusOr<std::optional<OrgRecord>> FindOrg(const std::string& name) override;
  absl::StatusOr<std::optional<std::string>> RoleOf(const std::string& org_id,
                                                    const std::string& account_id) override;
  absl::StatusOr<std::vector<OrgMemberInfo>> Members(const std::string& org_id) override;
  absl::StatusOr<std::vector<OrgSummary>> OrgsOf(const std::string& account_id) override;
  absl::StatusOr<std::vector<OrgKeyWrap>> KeysOf(const std::string& org_id,
                                                 const std::string& account_id) override;
  absl::Status AddMember(const std::string& org_id, int expected_generation,
                         const std::string& account_id, const std::string& role,
                         const std::string& added_by, const std::vector<OrgKeyWrap>& wraps,
                         absl::Time now) override;
  absl::StatusOr<int> RemoveMemberAndRotate(const std::string& org_id, int expected_generation,
                                            const std::string& account_id,
                                            const std::string& new_public_key,
                                            const std::vector<OrgKeyWrap>& wraps,
                                            absl::Time now) override;
  absl::StatusOr<int> RotateDue(const std::string& org_id, int expected_generation,
                                const std::string& new_public_key,
                                const std::vector<OrgKeyWrap>& wraps, absl::Time now) override;

 private:
  PgPool& pool_;
};

}  // namespace freehold::accounts
