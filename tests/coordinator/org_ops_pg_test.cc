// The permission rules of organizations on the coordinator (core/org_access.h): the
// role table (OrgRoleAllows), NOT_FOUND alike for a non-member and an unknown
// organization, the 2 s membership cache (a removed member refused once it passes), and
// over real PostgreSQL the organization as one owner: a member's delete lands in the
// organization's trash, which another member lists and restores from, a read-only
// member reads but is refused the trash, and the org id is recorded in org_owners at
// the first write only.
//
// The membership answers come from `RoleBook`, a fixed table behind the OrgMembership
// seam (the answers freehold-accounts' CheckOrgMember gives; the real RPC is exercised
// end to end in tests/e2e/org_ops_e2e_test.cc).
#include <gtest/gtest.h>

#include <map>
#include <utility>

#include "absl/strings/str_replace.h"
#include "coordinator/core/ids.h"
#include "coordinator/core/org_access.h"
#include "coordinator/core/trash.h"
#include "coordinator/pg/pg_org_owners.h"
#include "tests/coordinator/coordinator_fixture.h"
#include "tests/support/status_matchers.h"

namespace freehold::coordinator::testing {
namespace {

using ::testing::HasSubstr;

// The membership table of a few organizations; `fail` makes every answer UNAVAILABLE.
class RoleBook : public OrgMembership {
 public:
  absl::StatusOr<std::string> RoleOf(const std::string& org_id,
                                     const std::string& account_id) override {
    absl::MutexLock lock(&mu_);
    ++asked_;
    if (fail_) return absl::UnavailableError("accounts is down");
    auto it = roles_.find({org_id, account_id});
    return it == roles_.end() ? std::string() : it->second;
  }
  void Set(const std::string& org, const std::string& account, const std::string& role) {
    absl::MutexLock lock(&mu_);
    if (role.empty()) {
      roles_.erase({org, account});
    } else {
      roles_[{org, account}] = role;
    }
  }
  void Fail(bool fail) {
    absl::MutexLock lock(&mu_);
    fail_ = fail;
  }
  int asked() {
    absl::MutexLock lock(&mu_);
    return asked_;
  }

 private:
  absl::Mutex mu_;
  std::map<std::pair<std::string, std::string>, std::string> roles_ ABSL_GUARDED_BY(mu_);
  bool fail_ ABSL_GUARDED_BY(mu_) = false;
  int asked_ ABSL_GUARDED_BY(mu_) = 0;
};

constexpr OrgAccessKind kAllKinds[] = {OrgAccessKind::kRead,  OrgAccessKind::kWrite,
                                       OrgAccessKind::kDelete, OrgAccessKind::kTrash,
                                       OrgAccessKind::kRestore, OrgAccessKind::kShare};

TEST(OrgRoleTable, WritersMayEverythingReadOnlyOnlyReadsUnknownRolesNothing) {
  const std::string org = "7d6f9a62-1111-4a4a-8b8b-000000000001";
  for (const char* role : {"owner", "admin", "member"}) {
    for (OrgAccessKind kind : kAllKinds) {
      EXPECT_OK(OrgRoleAllows(role, kind, org)) << role << " " << static_cast<int>(kind);
    }
  }
  EXPECT_OK(OrgRoleAllows("read-only", OrgAccessKind::kRead, org));
  const std::pair<OrgAccessKind, const char*> refused[] = {
      {OrgAccessKind::kWrite, "cannot change its files"},
      {OrgAccessKind::kDelete, "cannot delete its files"},
      {OrgAccessKind::kTrash, "cannot see its trash"},
      {OrgAccessKind::kRestore, "cannot restore files from its trash"},
      {OrgAccessKind::kShare, "cannot share its files"}};
  for (const auto& [kind, what] : refused) {
    absl::Status s = OrgRoleAllows("read-only", kind, org);
    EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s;
    EXPECT_THAT(std::string(s.message()), HasSubstr("read-only members of organization " + org));
    EXPECT_THAT(std::string(s.message()), HasSubstr(what));
  }
  for (OrgAccessKind kind : kAllKinds) {  // a role this coordinator does not know: nothing
    absl::Status s = OrgRoleAllows("auditor", kind, org);
    EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s;
    EXPECT_THAT(std::string(s.message()), HasSubstr("\"auditor\""));
  }
  EXPECT_FALSE(OrgAccessWrites(OrgAccessKind::kRead));
  EXPECT_FALSE(OrgAccessWrites(OrgAccessKind::kTrash));
  EXPECT_TRUE(OrgAccessWrites(OrgAccessKind::kDelete));
  EXPECT_TRUE(OrgAccessWrites(OrgAccessKind::kShare));
}

class OrgOpsPgTest : public CoordinatorPgTest {
 protected:
  void SetUp() override {
    CoordinatorPgTest::SetUp();
    if (HasFatalFailure()) return;
    config_.trash_window = absl::Hours(1);
    trash_ = std::make_unique<TrashBin>(*store_, clock_, config_, metrics_.get(), log_);
    owners_ = std::make_unique<PgOrgOwners>(*pool_);
    access_ = std::make_unique<OrgAccess>(&book_, owners_.get(), clock_);
  }

  Caller Act(const Caller& person, OrgAccessKind kind) {
    absl::StatusOr<Caller> c = access_->ActFor(person, org_, kind);
    EXPECT_OK(c.status());
    return c.ok() ? *c : Caller{};
  }

  const std::string org_ = NewUuid();
  RoleBook book_;
  std::unique_ptr<TrashBin> trash_;
  std::unique_ptr<PgOrgOwners> owners_;
  std::unique_ptr<OrgAccess> access_;
};

TEST_F(OrgOpsPgTest, TheOrgTrashIsSharedByItsWritersAndClosedToReadOnlyMembers) {
  AddNodes(6);
  const Caller admin = NewAccount(), member = NewAccount(), reader = NewAccount();
  book_.Set(org_, admin.account_id, "admin");
  book_.Set(org_, member.account_id, "member");
  book_.Set(org_, reader.account_id, "read-only");

  // Reads record nothing; the first write records the organization.
  ASSERT_OK_AND_ASSIGN(OrgUsage usage, owners_->Usage());
  EXPECT_EQ(usage.organizations, 0u);
  const Caller as_member = Act(member, OrgAccessKind::kWrite);
  EXPECT_EQ(as_member.account_id, org_);  // the call runs as the organization
  ASSERT_OK_AND_ASSIGN(std::string id, UploadObject(as_member, 50000));
  ASSERT_OK_AND_ASSIGN(usage, owners_->Usage());
  EXPECT_EQ(usage.organizations, 1u);
  EXPECT_EQ(usage.logical_bytes, 50000u);

  // The read-only member reads the organization's object, and is refused every change.
  const Caller as_reader = Act(reader, OrgAccessKind::kRead);
  ASSERT_OK(catalog_->Get(&as_reader, id).status());
  for (OrgAccessKind kind : {OrgAccessKind::kWrite, OrgAccessKind::kDelete, OrgAccessKind::kTrash,
                             OrgAccessKind::kRestore, OrgAccessKind::kShare}) {
    absl::Status s = access_->ActFor(reader, org_, kind).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s;
    EXPECT_THAT(std::string(s.message()), HasSubstr("read-only"));
  }

  // The member deletes: the object goes to the organization's trash, not the member's.
  ASSERT_OK(catalog_->Delete(Act(member, OrgAccessKind::kDelete), id));
  ASSERT_OK_AND_ASSIGN(TrashPage own, trash_->List(member, 0, ""));
  EXPECT_TRUE(own.objects.empty());
  ASSERT_OK_AND_ASSIGN(TrashPage org_trash, trash_->List(Act(admin, OrgAccessKind::kTrash), 0, ""));
  ASSERT_EQ(org_trash.objects.size(), 1u);
  EXPECT_EQ(org_trash.objects[0].object.object_id, id);
  // Another member (the admin) restores it; the read-only member reads it again.
  EXPECT_EQ(trash_->Restore(admin, {id}, false), ObjectNotFoundError(id));  // as a person: not theirs
  ASSERT_OK(trash_->Restore(Act(admin, OrgAccessKind::kRestore), {id}, false));
  ASSERT_OK_AND_ASSIGN(ObjectManifest m, catalog_->Get(&as_reader, id));
  EXPECT_EQ(m.object.owner_account_id, org_);
  // Sharing it with an outsider is a writer's act on the organization's object.
  const Caller outsider = NewAccount();
  ASSERT_OK(catalog_->UpdateHeader(Act(member, OrgAccessKind::kShare), id, "age-header-2",
                                   {outsider.account_id})
                .status());
  ASSERT_OK(catalog_->Get(&outsider, id).status());
}

TEST_F(OrgOpsPgTest, NonMembersGetNotFoundAndARemovedMemberIsRefusedOnceTheCachePasses) {
  const Caller member = NewAccount(), stranger = NewAccount();
  book_.Set(org_, member.account_id, "member");
  ASSERT_OK(access_->ActFor(member, org_, OrgAccessKind::kDelete).status());

  // A stranger and an unknown organization: the same NOT_FOUND (the id is the caller's).
  const std::string unknown = NewUuid();
  absl::Status s1 = access_->ActFor(stranger, org_, OrgAccessKind::kRead).status();
  absl::Status s2 = access_->ActFor(stranger, unknown, OrgAccessKind::kRead).status();
  EXPECT_EQ(s1.code(), absl::StatusCode::kNotFound) << s1;
  EXPECT_EQ(s2.code(), absl::StatusCode::kNotFound) << s2;
  EXPECT_EQ(std::string(s1.message()),
            absl::StrReplaceAll(std::string(s2.message()), {{unknown, org_}}));
  EXPECT_EQ(access_->ActFor(stranger, "not-a-uuid", OrgAccessKind::kRead).status().code(),
            absl::StatusCode::kInvalidArgument);

  // Removed: the cached answer lasts kOrgMembershipTtl (2 s), no longer.
  book_.Set(org_, member.account_id, "");
  const int asked = book_.asked();
  clock_.Advance(absl::Milliseconds(1900));
  EXPECT_OK(access_->ActFor(member, org_, OrgAccessKind::kDelete).status());
  EXPECT_EQ(book_.asked(), asked);  // from the cache
  clock_.Advance(absl::Milliseconds(200));
  absl::Status gone = access_->ActFor(member, org_, OrgAccessKind::kDelete).status();
  EXPECT_EQ(gone.code(), absl::StatusCode::kNotFound) << gone;
  EXPECT_EQ(access_->ActFor(member, org_, OrgAccessKind::kRead).status().code(),
            absl::StatusCode::kNotFound);

  // Accounts down: UNAVAILABLE (retry), never a guess.
  book_.Set(org_, member.account_id, "admin");
  book_.Fail(true);
  clock_.Advance(absl::Seconds(3));
  EXPECT_EQ(access_->ActFor(member, org_, OrgAccessKind::kRead).status().code(),
            absl::StatusCode::kUnavailable);
  book_.Fail(false);
  EXPECT_OK(access_->ActFor(member, org_, OrgAccessKind::kShare).status());
}

}  // namespace
}  // namespace freehold::coordinator::testing
