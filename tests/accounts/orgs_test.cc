// Organizations (core/orgs.h) through the in-process service (real gRPC on loopback,
// real PostgreSQL) with real age wrapping (client/core/org_keys.h): an organization with
// three members, one removed, the key rotated.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <pqxx/pqxx>

#include "client/core/org_keys.h"
#include "tests/accounts/accounts_service_fixture.h"
#include "tests/support/status_matchers.h"

namespace freehold::accounts::testing {
namespace {

using ::testing::ElementsAre;

struct Person {
  std::string handle;
  std::string account_id;
  std::string token;
  std::string auth_key;
  client::X25519Identity identity = client::X25519Identity::Generate();
};

class OrgsTest : public AccountsServiceTest {
 protected:
  Person Join(const std::string& handle) {
    NewAccount a = Registered(handle, "pw " + handle);
    absl::StatusOr<DeviceLogin> login = LoginWithPassword(stub(), handle, "pw " + handle);
    EXPECT_TRUE(login.ok()) << login.status();
    Person p;
    p.handle = handle;
    p.account_id = login->response.account_id();
    p.token = login->response.tokens().access_token();
    p.auth_key = a.auth_key;
    p.identity = std::move(login->identity);
    return p;
  }
  std::string Wrap(const client::X25519Identity& org, const std::string& recipient) {
    absl::StatusOr<std::string> w = client::WrapOrgIdentity(org, recipient);
    EXPECT_TRUE(w.ok()) << w.status();
    return w.ok() ? *w : "";
  }
  grpc::Status Create(const Person& p, const std::string& name,
                      const client::X25519Identity& org) {
    v1::CreateOrgRequest req;
    req.set_name(name);
    req.set_public_key(org.Recipient());
    req.set_wrapped_key(Wrap(org, p.identity.Recipient()));
    v1::CreateOrgResponse resp;
    return stub().CreateOrg(AuthedContext(p.token).get(), req, &resp);
  }
  grpc::Status Add(const Person& by, const std::string& org_name, const Person& who,
                   const std::string& role, const client::X25519Identity& org, int generation) {
    v1::AddOrgMemberRequest req;
    req.set_org(org_name);
    req.set_handle(who.handle);
    req.set_role(role);
    req.set_expected_generation(generation);
    v1::OrgKeyWrap* k = req.add_keys();
    k->set_generation(generation);
    k->set_wrapped(Wrap(org, who.identity.Recipient()));
    v1::AddOrgMemberResponse resp;
    return stub().AddOrgMember(AuthedContext(by.token).get(), req, &resp);
  }
  v1::ListOrgMembersResponse Members(const Person& p, const std::string& org_name) {
    v1::ListOrgMembersRequest req;
    req.set_org(org_name);
    v1::ListOrgMembersResponse resp;
    grpc::Status s = stub().ListOrgMembers(AuthedContext(p.token).get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }
  // Removes `who`, wrapping `next` to the members listed (minus `who` unless told).
  grpc::Status Remove(const Person& by, const std::string& org_name, const Person& who,
                      const client::X25519Identity& next, int generation,
                      v1::RemoveOrgMemberResponse* resp, const std::string& skip = "") {
    v1::RemoveOrgMemberRequest req;
    req.set_org(org_name);
    req.set_handle(who.handle);
    req.set_expected_generation(generation);
    req.set_new_public_key(next.Recipient());
    const v1::ListOrgMembersResponse members = Members(by, org_name);
    for (const v1::OrgMember& m : members.members()) {
      if (m.handle() == who.handle || m.handle() == skip) continue;
      v1::OrgKeyWrap* k = req.add_keys();
      k->set_account_id(m.account_id());
      k->set_wrapped(Wrap(next, m.public_key()));
    }
    return stub().RemoveOrgMember(AuthedContext(by.token).get(), req, resp);
  }
  grpc::Status Keys(const Person& p, const std::string& org_name, v1::GetOrgKeysResponse* resp) {
    v1::GetOrgKeysRequest req;
    req.set_org(org_name);
    return stub().GetOrgKeys(AuthedContext(p.token).get(), req, resp);
  }
  // The identity of `generation` as `p` opens it.
  std::string Opened(const Person& p, const v1::GetOrgKeysResponse& keys, int generation) {
    for (const v1::OrgKeyWrap& k : keys.keys()) {
      if (k.generation() != generation) continue;
      absl::StatusOr<client::X25519Identity> id = client::UnwrapOrgIdentity(k.wrapped(), p.identity);
      EXPECT_TRUE(id.ok()) << id.status();
      return id.ok() ? id->Recipient() : "";
    }
    return "";
  }
};

TEST_F(OrgsTest, ThreeMembersOneRemovedTheKeyRotatesAndTheRemovedOneLosesAccess) {
  Person ann = Join("ann"), bob = Join("bob"), cat = Join("cat");
  client::X25519Identity gen1 = client::X25519Identity::Generate();
  ASSERT_TRUE(Create(ann, "acme", gen1).ok());
  ASSERT_TRUE(Add(ann, "acme", bob, "admin", gen1, 1).ok());
  ASSERT_TRUE(Add(bob, "acme", cat, "member", gen1, 1).ok());  // an admin adds members

  v1::ListOrgMembersResponse members = Members(cat, "acme");
  ASSERT_EQ(members.members_size(), 3);
  EXPECT_EQ(members.org().role(), "member");
  EXPECT_EQ(members.org().public_key(), gen1.Recipient());
  v1::GetOrgKeysResponse cat_keys;
  ASSERT_TRUE(Keys(cat, "acme", &cat_keys).ok());
  EXPECT_EQ(Opened(cat, cat_keys, 1), gen1.Recipient());

  // A member may not manage; the last owner may not go; wrappings must cover exactly
  // the remaining members; a stale generation is refused. Nothing changes meanwhile.
  Person dan = Join("dan");
  EXPECT_EQ(Add(cat, "acme", dan, "member", gen1, 1).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  client::X25519Identity gen2 = client::X25519Identity::Generate();
  v1::RemoveOrgMemberResponse removed;
  EXPECT_EQ(Remove(bob, "acme", ann, gen2, 1, &removed).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);  // an admin does not remove the owner
  EXPECT_EQ(Remove(ann, "acme", cat, gen2, 1, &removed, /*skip=*/"bob").error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Remove(ann, "acme", cat, gen2, 7, &removed).error_code(), grpc::StatusCode::ABORTED);
  ASSERT_TRUE(Keys(cat, "acme", &cat_keys).ok());

  ASSERT_TRUE(Remove(ann, "acme", cat, gen2, 1, &removed).ok());
  EXPECT_EQ(removed.generation(), 2);

  // The removed member can no longer fetch any wrapping, nor see the organization.
  v1::GetOrgKeysResponse after;
  EXPECT_EQ(Keys(cat, "acme", &after).error_code(), grpc::StatusCode::NOT_FOUND);
  v1::ListOrgsResponse cat_orgs;
  ASSERT_TRUE(stub().ListOrgs(AuthedContext(cat.token).get(), {}, &cat_orgs).ok());
  EXPECT_EQ(cat_orgs.orgs_size(), 0);
  {
    pqxx::connection c(db_url());
    pqxx::nontransaction txn(c);
    EXPECT_EQ(txn.exec1("SELECT count(*) FROM accounts.org_key_wraps WHERE account_id = '" +
                        cat.account_id + "'")[0]
                  .as<int>(),
              0);
  }

  // The others get the rotated key (and keep the old one for what was written before).
  for (const Person* p : {&ann, &bob}) {
    v1::GetOrgKeysResponse keys;
    ASSERT_TRUE(Keys(*p, "acme", &keys).ok());
    EXPECT_EQ(keys.org().generation(), 2);
    EXPECT_EQ(keys.org().public_key(), gen2.Recipient());
    ASSERT_EQ(keys.keys_size(), 2);
    EXPECT_EQ(keys.keys(0).generation(), 2);
    EXPECT_EQ(Opened(*p, keys, 2), gen2.Recipient()) << p->handle;
    EXPECT_EQ(Opened(*p, keys, 1), gen1.Recipient()) << p->handle;
  }
  std::vector<std::string> handles;
  const v1::ListOrgMembersResponse remaining = Members(bob, "acme");
  for (const auto& m : remaining.members()) handles.push_back(m.handle() + ":" + m.role());
  EXPECT_THAT(handles, ElementsAre("ann:owner", "bob:admin"));
  // A member added now gets the new generation only.
  EXPECT_EQ(Add(ann, "acme", dan, "read-only", gen1, 1).error_code(), grpc::StatusCode::ABORTED);
  ASSERT_TRUE(Add(ann, "acme", dan, "read-only", gen2, 2).ok());
  v1::GetOrgKeysResponse dan_keys;
  ASSERT_TRUE(Keys(dan, "acme", &dan_keys).ok());
  EXPECT_EQ(Opened(dan, dan_keys, 2), gen2.Recipient());
}

TEST_F(OrgsTest, RequestsAreValidatedAndOrganizationsAreHiddenFromNonMembers) {
  Person ann = Join("ann"), eve = Join("eve");
  client::X25519Identity org = client::X25519Identity::Generate();
  EXPECT_EQ(Create(ann, "X", org).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  ASSERT_TRUE(Create(ann, "acme", org).ok());
  EXPECT_EQ(Create(eve, "acme", org).error_code(), grpc::StatusCode::ALREADY_EXISTS);
  v1::CreateOrgRequest bad;
  bad.set_name("other");
  bad.set_public_key("age1nope");
  bad.set_wrapped_key(Wrap(org, ann.identity.Recipient()));
  v1::CreateOrgResponse resp;
  grpc::Status s = stub().CreateOrg(AuthedContext(ann.token).get(), bad, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), ::testing::HasSubstr("public_key"));
  bad.set_public_key(org.Recipient());
  bad.set_wrapped_key("not an age file");
  s = stub().CreateOrg(AuthedContext(ann.token).get(), bad, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), ::testing::HasSubstr("wrapped_key"));
  EXPECT_EQ(stub().CreateOrg(PlainContext().get(), bad, &resp).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Add(ann, "acme", eve, "boss", org, 1).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  v1::GetOrgKeysResponse keys;
  EXPECT_EQ(Keys(eve, "acme", &keys).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Keys(eve, "nowhere", &keys).error_code(), grpc::StatusCode::NOT_FOUND);
  ASSERT_TRUE(Add(ann, "acme", eve, "member", org, 1).ok());
  EXPECT_EQ(Add(ann, "acme", eve, "member", org, 1).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
}

// Branch orgput: a deleted account leaves its organizations with a rotation due (the
// next writer rotates: RotateOrgKey), the last owner's place goes to the longest-standing
// admin, an organization left empty is dissolved into the deletion outbox (so the
// coordinator deletes its objects), and the coordinator's membership check answers.
class OrgsDeletionTest : public OrgsTest {
 protected:
  void Delete(const Person& p) {
    v1::DeleteAccountRequest del;
    del.set_auth_key(p.auth_key);
    v1::DeleteAccountResponse dr;
    grpc::Status s = stub().DeleteAccount(AuthedContext(p.token).get(), del, &dr);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  std::string Check(const std::string& org_id, const std::string& account_id,
                    grpc::StatusCode want = grpc::StatusCode::OK) {
    v1::CheckOrgMemberRequest req;
    req.set_org_id(org_id);
    req.set_account_id(account_id);
    v1::CheckOrgMemberResponse resp;
    grpc::Status s = stub().CheckOrgMember(PlainContext().get(), req, &resp);
    EXPECT_EQ(s.error_code(), want) << s.error_message();
    return resp.role();
  }
  grpc::Status Rotate(const Person& by, const std::string& org_name,
                      const client::X25519Identity& next, int generation,
                      v1::RotateOrgKeyResponse* resp) {
    v1::RotateOrgKeyRequest req;
    req.set_org(org_name);
    req.set_expected_generation(generation);
    req.set_new_public_key(next.Recipient());
    const v1::ListOrgMembersResponse members = Members(by, org_name);
    for (const v1::OrgMember& m : members.members()) {
      v1::OrgKeyWrap* k = req.add_keys();
      k->set_account_id(m.account_id());
      k->set_wrapped(Wrap(next, m.public_key()));
    }
    return stub().RotateOrgKey(AuthedContext(by.token).get(), req, resp);
  }
};

TEST_F(OrgsDeletionTest, DeletedOwnerLeavesWithRotationDueAndAdminInherits) {
  Person ann = Join("ann"), bob = Join("bob"), cat = Join("cat"), dan = Join("dan");
  client::X25519Identity gen1 = client::X25519Identity::Generate();
  ASSERT_TRUE(Create(ann, "acme", gen1).ok());
  ASSERT_TRUE(Add(ann, "acme", cat, "member", gen1, 1).ok());
  ASSERT_TRUE(Add(ann, "acme", bob, "admin", gen1, 1).ok());
  ASSERT_TRUE(Add(ann, "acme", dan, "read-only", gen1, 1).ok());
  const std::string org_id = Members(ann, "acme").org().org_id();
  EXPECT_EQ(Check(org_id, ann.account_id), "owner");
  EXPECT_EQ(Check(org_id, dan.account_id), "read-only");
  EXPECT_EQ(Check(org_id, "not-a-uuid", grpc::StatusCode::INVALID_ARGUMENT), "");

  // No rotation is due before a deletion.
  client::X25519Identity gen2 = client::X25519Identity::Generate();
  v1::RotateOrgKeyResponse rotated;
  EXPECT_EQ(Rotate(bob, "acme", gen2, 1, &rotated).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);

  Delete(ann);  // the only owner
  EXPECT_EQ(Check(org_id, ann.account_id), "");
  v1::ListOrgMembersResponse members = Members(bob, "acme");
  std::vector<std::string> roles;
  for (const auto& m : members.members()) roles.push_back(m.handle() + ":" + m.role());
  EXPECT_THAT(roles, ::testing::UnorderedElementsAre("bob:owner", "cat:member", "dan:read-only"));
  EXPECT_TRUE(members.org().rotation_due());

  // A read-only member may not rotate; a stale generation is refused; a member may.
  EXPECT_EQ(Rotate(dan, "acme", gen2, 1, &rotated).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Rotate(cat, "acme", gen2, 5, &rotated).error_code(), grpc::StatusCode::ABORTED);
  ASSERT_TRUE(Rotate(cat, "acme", gen2, 1, &rotated).ok());
  EXPECT_EQ(rotated.generation(), 2);
  v1::GetOrgKeysResponse keys;
  ASSERT_TRUE(Keys(dan, "acme", &keys).ok());
  EXPECT_FALSE(keys.org().rotation_due());
  EXPECT_EQ(keys.org().public_key(), gen2.Recipient());
  EXPECT_EQ(Opened(dan, keys, 2), gen2.Recipient());
  EXPECT_EQ(Opened(dan, keys, 1), gen1.Recipient());
  // Done once: no second rotation without a new deletion.
  client::X25519Identity gen3 = client::X25519Identity::Generate();
  EXPECT_EQ(Rotate(bob, "acme", gen3, 2, &rotated).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(OrgsDeletionTest, AnOrganizationLeftWithoutMembersIsDissolvedIntoTheDeletionOutbox) {
  Person ann = Join("ann"), bob = Join("bob");
  client::X25519Identity gen1 = client::X25519Identity::Generate();
  ASSERT_TRUE(Create(ann, "solo", gen1).ok());
  ASSERT_TRUE(Add(ann, "solo", bob, "member", gen1, 1).ok());
  const std::string org_id = Members(ann, "solo").org().org_id();
  Delete(bob);
  EXPECT_EQ(Check(org_id, ann.account_id), "owner");
  Delete(ann);
  EXPECT_EQ(Check(org_id, ann.account_id), "");
  v1::ListDeletedAccountsRequest req;
  req.set_limit(100);
  v1::ListDeletedAccountsResponse resp;
  ASSERT_TRUE(stub().ListDeletedAccounts(PlainContext().get(), req, &resp).ok());
  std::vector<std::string> ids;
  for (const auto& d : resp.accounts()) ids.push_back(d.account_id());
  EXPECT_THAT(ids, ::testing::UnorderedElementsAre(bob.account_id, ann.account_id, org_id));
  pqxx::connection c(db_url());
  pqxx::nontransaction txn(c);
  EXPECT_EQ(txn.exec1("SELECT count(*) FROM accounts.organizations WHERE org_id = '" + org_id +
                      "'")[0]
                .as<int>(),
            0);
}

}  // namespace
}  // namespace freehold::accounts::testing
