// End to end (branch orgkeys): removing a member of an organization rotates, for
// everything written afterwards, the naming key (names, metadata, (parent, name) hashes)
// and the keys of the organization's shared folders, with the real `freehold` CLI on the
// real cluster. The removed member's last keys -- its own identity (its recovery key)
// and the organization identity it held (generation 1, fetched with its token before the
// removal), and the key of a shared folder opened with it -- are tried on the ciphertext
// the coordinator stores after the removal: a file put into an existing folder, a new
// folder name, the folder's new key and the new file's wrap open with none of them. The
// remaining members read and find by path both what was written before and after; an
// outsider the folder was shared with still reads all of it. The same holds for a file
// that `sync` up writes into the shared folder (branch orgkeys2).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <grpcpp/grpcpp.h>
#include <sys/stat.h>

#include <map>
#include <nlohmann/json.hpp>
#include <span>

#include "client/core/age_file.h"
#include "client/core/age_header.h"
#include "client/core/age_recipients.h"
#include "client/core/folder_keys.h"
#include "client/core/keys.h"
#include "client/core/metadata.h"
#include "client/core/org_keys.h"
#include "common/grpc_server.h"
#include "freehold/v1/accounts.grpc.pb.h"
#include "freehold/v1/coordinator.grpc.pb.h"
#include "tests/e2e/e2e_fixture.h"

namespace freehold::e2e {
namespace {

class OrgRotationEndToEndTest : public ClusterTest<6, 3> {
 protected:
  // Every organization identity `user` (whose own identity is `me`) holds for `org`,
  // fetched with its token as the client does (GetOrgKeys).
  void HeldOrgIdentities(CliUser& user, const std::string& org, const client::X25519Identity& me,
                         std::vector<client::X25519Identity>* out) {
    absl::StatusOr<std::shared_ptr<grpc::Channel>> ach =
        MakeChannel(cluster().accounts_address(), cluster().client_tls());
    ASSERT_TRUE(ach.ok()) << ach.status();
    std::unique_ptr<v1::Accounts::Stub> accounts = v1::Accounts::NewStub(*ach);
    ASSERT_EQ(user.Run({"whoami"}).exit_code, 0);  // a fresh token
    grpc::ClientContext ctx;
    PrepareCall(&ctx, AccessToken(user));
    v1::GetOrgKeysRequest req;
    req.set_org(org);
    v1::GetOrgKeysResponse resp;
    grpc::Status s = accounts->GetOrgKeys(&ctx, req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    for (const v1::OrgKeyWrap& k : resp.keys()) {
      absl::StatusOr<client::X25519Identity> id = client::UnwrapOrgIdentity(k.wrapped(), me);
      ASSERT_TRUE(id.ok()) << id.status();
      out->push_back(*std::move(id));
    }
  }
};

std::span<const uint8_t> Bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// name -> id of the entries of a `ls --json PATH` listing.
std::map<std::string, std::string> Entries(const CliResult& r) {
  std::map<std::string, std::string> out;
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  if (j.is_discarded() || !j.is_array()) return out;
  for (const auto& e : j) out[e.value("name", "")] = e.value("id", "");
  return out;
}

// The file key of an age header for `identity`, or the error.
absl::StatusOr<client::SecretBytes> OpenHeader(const std::string& header,
                                               const client::X25519Identity& identity) {
  absl::StatusOr<client::AgeHeader> h = client::ParseHeader(header);
  if (!h.ok()) return h.status();
  client::X25519AgeIdentity id(identity.Clone());
  const client::AgeIdentity* ids[] = {&id};
  return client::UnwrapFileKey(*h, ids);
}

TEST_F(OrgRotationEndToEndTest, AfterARemovalNewNamesFilesAndFolderKeysAreOutOfItsReach) {
  std::unique_ptr<CliUser> ann = SignUp("rann"), bob = SignUp("rbob"), cat = SignUp("rcat"),
                           eve = SignUp("reve");
  const std::string org = "rot" + std::to_string(::getpid());
  ASSERT_EQ(ann->Run({"org", "create", org}).exit_code, 0);
  CliResult r = ann->Run({"org", "add", org, HandleOf(*bob)});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  r = ann->Run({"org", "add", org, HandleOf(*cat)});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  r = ann->Run({"--json", "org", "ls"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  const std::string org_id = Json(r)["orgs"][0]["org_id"].get<std::string>();

  // Generation 1: cat stores /proj/old.txt and /plain/p.txt; ann shares /proj with eve
  // (its folder key goes to generation 1 and to eve).
  const std::string proj_local = cat->File("proj");
  ASSERT_EQ(::mkdir(proj_local.c_str(), 0700), 0);
  const std::string old = WriteRandomFile(proj_local + "/old.txt", 3000, 21);
  r = cat->Run({"put", "-r", "--org", org, proj_local, "/proj"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  const std::string plain_local = cat->File("plain");
  ASSERT_EQ(::mkdir(plain_local.c_str(), 0700), 0);
  const std::string p = WriteRandomFile(plain_local + "/p.txt", 1000, 22);
  r = cat->Run({"put", "-r", "--org", org, plain_local, "/plain"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  r = ann->Run({"--json", "share", "--org", org, "/proj", "--with", HandleOf(*eve)});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  const std::string proj_id = Json(r)["id"].get<std::string>();

  // cat's last keys: its identity and the organization identity it holds.
  r = cat->Run({"--json", "recovery-key", "--yes"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  absl::StatusOr<client::X25519Identity> cat_me =
      client::ParseIdentity(Json(r)["recovery_key"].get<std::string>());
  ASSERT_TRUE(cat_me.ok()) << cat_me.status();
  std::vector<client::X25519Identity> cat_org;  // every generation cat held
  ASSERT_NO_FATAL_FAILURE(HeldOrgIdentities(*cat, org, *cat_me, &cat_org));
  ASSERT_EQ(cat_org.size(), 1u);
  const client::X25519Identity& g1 = cat_org.front();
  const client::SecretBytes g1_meta = client::MetadataKey(g1);
  const client::SecretBytes g1_names = client::NameHashKey(g1);

  // The coordinator's view, as a remaining member (bob) sees it.
  std::unique_ptr<v1::Coordinator::Stub> coordinator = CoordinatorStub();
  auto bob_call = [&](grpc::ClientContext* ctx) {
    PrepareCall(ctx, AccessToken(*bob));
    ctx->AddMetadata("freehold-org", org_id);
  };
  auto get_folder = [&](const std::string& id) {
    grpc::ClientContext ctx;
    bob_call(&ctx);
    v1::GetFolderRequest req;
    req.set_folder_id(id);
    v1::GetFolderResponse resp;
    grpc::Status s = coordinator->GetFolder(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.folder();
  };
  auto list_folder = [&](const std::string& id) {
    grpc::ClientContext ctx;
    bob_call(&ctx);
    v1::ListFolderRequest req;
    req.set_folder_id(id);
    v1::ListFolderResponse resp;
    grpc::Status s = coordinator->ListFolder(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  };
  ASSERT_EQ(bob->Run({"whoami"}).exit_code, 0);
  // The folder key cat could open before the removal.
  absl::StatusOr<client::SecretBytes> k1 = OpenHeader(get_folder(proj_id).age_header(), g1);
  ASSERT_TRUE(k1.ok()) << k1.status();

  // cat is removed: generation 2.
  r = ann->Run({"--json", "org", "remove", org, HandleOf(*cat)});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  ASSERT_EQ(Json(r)["generation"], 2);

  // bob writes into the existing shared folder and into the unshared one, and makes a
  // new folder.
  const std::string more = bob->File("more");
  ASSERT_EQ(::mkdir(more.c_str(), 0700), 0);
  const std::string fresh = WriteRandomFile(more + "/new.txt", 4000, 23);
  r = bob->Run({"put", "-r", "--org", org, more, "/proj"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  r = bob->Run({"put", "-r", "--org", org, more, "/plain"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  r = bob->Run({"mkdir", "--org", org, "/fresh"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  // A name of generation 1 is still taken: the client looks it up under every generation.
  r = bob->Run({"mkdir", "--org", org, "/proj"});
  EXPECT_NE(r.exit_code, 0) << r.Describe();
  EXPECT_THAT(r.err, ::testing::HasSubstr("exists")) << r.Describe();

  // What the coordinator stores after the removal opens with none of cat's keys.
  ASSERT_EQ(bob->Run({"whoami"}).exit_code, 0);
  const v1::FolderSummary proj = get_folder(proj_id);
  EXPECT_FALSE(OpenHeader(proj.age_header(), g1).ok()) << "the folder key was not replaced";
  EXPECT_FALSE(OpenHeader(proj.age_header(), *cat_me).ok());
  int new_files = 0, old_files = 0;
  const v1::ListFolderResponse in_proj = list_folder(proj_id);
  for (const v1::ObjectSummary& o : in_proj.objects()) {
    absl::StatusOr<client::OpenedMetadata> m =
        client::OpenObjectMetadata(g1_meta, Bytes(o.encrypted_metadata()), o.object_id());
    if (m.ok()) {  // written before: generation 1, as it was
      EXPECT_EQ(m->metadata.name, "old.txt");
      EXPECT_EQ(o.name_hash(), client::EntryNameHash(g1_names, proj_id, "old.txt"));
      ++old_files;
      continue;
    }
    ++new_files;  // new.txt: its name, hash, wrap and file key are out of cat's reach
    EXPECT_NE(o.name_hash(), client::EntryNameHash(g1_names, proj_id, "new.txt"));
    EXPECT_FALSE(client::OpenEntryWrap(*k1, Bytes(o.folder_wrap()), proj_id, o.object_id()).ok());
    EXPECT_FALSE(o.folder_wrap().empty()) << "the new file has no wrap for the folder's readers";
    grpc::ClientContext ctx;
    bob_call(&ctx);
    v1::GetObjectRequest req;
    req.set_object_id(o.object_id());
    v1::GetObjectResponse manifest;
    grpc::Status s = coordinator->GetObject(&ctx, req, &manifest);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_FALSE(OpenHeader(manifest.age_header(), g1).ok());
  }
  EXPECT_EQ(old_files, 1);
  EXPECT_EQ(new_files, 1);
  const v1::ListFolderResponse root = list_folder("");
  int root_folders = 0;
  for (const v1::FolderSummary& f : root.folders()) {
    absl::StatusOr<client::FileMetadata> m = client::OpenMetadata(g1_meta, Bytes(f.encrypted_metadata()));
    if (f.folder_id() == proj_id) {
      ASSERT_TRUE(m.ok()) << m.status();  // named before the removal
      EXPECT_EQ(m->name, "proj");
    } else if (!m.ok()) {
      ++root_folders;  // /fresh
      EXPECT_NE(f.name_hash(), client::NameHash(g1_names, "fresh"));
    } else {
      EXPECT_EQ(m->name, "plain");
    }
  }
  EXPECT_EQ(root_folders, 1);

  // The remaining members find both generations by path and read them.
  for (CliUser* u : {ann.get(), bob.get()}) {
    r = u->Run({"--json", "ls", "--org", org, "/proj"});
    ASSERT_EQ(r.exit_code, 0) << r.Describe();
    std::map<std::string, std::string> e = Entries(r);
    EXPECT_EQ(e.size(), 2u) << r.out;
    EXPECT_TRUE(e.count("old.txt") && e.count("new.txt")) << r.out;
    r = u->Run({"--json", "ls", "--org", org, "/fresh"});
    EXPECT_EQ(r.exit_code, 0) << r.Describe();
    const std::string out = u->File("out");
    r = u->Run({"get", "-r", "--org", org, "/proj", out});
    ASSERT_EQ(r.exit_code, 0) << r.Describe();
    EXPECT_EQ(ReadFile(out + "/old.txt"), old);
    EXPECT_EQ(ReadFile(out + "/new.txt"), fresh);
    const std::string out2 = u->File("out2");
    r = u->Run({"get", "-r", "--org", org, "/plain", out2});
    ASSERT_EQ(r.exit_code, 0) << r.Describe();
    EXPECT_EQ(ReadFile(out2 + "/p.txt"), p);
    EXPECT_EQ(ReadFile(out2 + "/new.txt"), fresh);
  }
  // A name of generation 1 moves into a folder of generation 2 (renamed under it).
  r = ann->Run({"mv", "--org", org, "/plain/p.txt", "/fresh"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  r = bob->Run({"--json", "ls", "--org", org, "/fresh"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(Entries(r).count("p.txt"), 1u) << r.out;
  r = bob->Run({"--json", "share", "--list", "--org", org, "/proj"});  // record re-sealed
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  ASSERT_EQ(Json(r)["shared_with"].size(), 1u) << r.out;
  EXPECT_EQ(Json(r)["shared_with"][0]["handle"], HandleOf(*eve));

  // The outsider keeps reading the whole shared folder with the new key.
  r = eve->Run({"shared", "get", proj_id, "-o", eve->File("proj")});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(ReadFile(eve->File("proj") + "/old.txt"), old);
  EXPECT_EQ(ReadFile(eve->File("proj") + "/new.txt"), fresh);
}


// `sync` up re-keys like put -r (branch orgkeys2): after cat's removal, a file bob syncs
// into the shared org folder /proj is wrapped under the folder's new key, which opens
// with neither cat's identity nor the generation it held; ann, bob and eve read it.
TEST_F(OrgRotationEndToEndTest, AfterARemovalSyncUpReKeysTheSharedFolderItWritesInto) {
  std::unique_ptr<CliUser> ann = SignUp("sann"), bob = SignUp("sbob"), cat = SignUp("scat"),
                           eve = SignUp("seve");
  const std::string org = "srot" + std::to_string(::getpid());
  ASSERT_EQ(ann->Run({"org", "create", org}).exit_code, 0);
  for (CliUser* u : {bob.get(), cat.get()}) {
    CliResult r = ann->Run({"org", "add", org, HandleOf(*u)});
    ASSERT_EQ(r.exit_code, 0) << r.Describe();
  }
  CliResult r = ann->Run({"--json", "org", "ls"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  const std::string org_id = Json(r)["orgs"][0]["org_id"].get<std::string>();

  // Generation 1: cat stores /proj/old.txt; ann shares /proj with eve.
  const std::string proj_local = cat->File("proj");
  ASSERT_EQ(::mkdir(proj_local.c_str(), 0700), 0);
  const std::string old = WriteRandomFile(proj_local + "/old.txt", 3000, 31);
  r = cat->Run({"put", "-r", "--org", org, proj_local, "/proj"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  r = ann->Run({"--json", "share", "--org", org, "/proj", "--with", HandleOf(*eve)});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  const std::string proj_id = Json(r)["id"].get<std::string>();

  // cat's last keys, and the folder key they open before the removal.
  r = cat->Run({"--json", "recovery-key", "--yes"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  absl::StatusOr<client::X25519Identity> cat_me =
      client::ParseIdentity(Json(r)["recovery_key"].get<std::string>());
  ASSERT_TRUE(cat_me.ok()) << cat_me.status();
  std::vector<client::X25519Identity> cat_org;
  ASSERT_NO_FATAL_FAILURE(HeldOrgIdentities(*cat, org, *cat_me, &cat_org));
  ASSERT_EQ(cat_org.size(), 1u);
  const client::X25519Identity& g1 = cat_org.front();
  std::unique_ptr<v1::Coordinator::Stub> coordinator = CoordinatorStub();
  auto bob_call = [&](grpc::ClientContext* ctx) {
    PrepareCall(ctx, AccessToken(*bob));
    ctx->AddMetadata("freehold-org", org_id);
  };
  auto get_folder = [&](const std::string& id) {
    grpc::ClientContext ctx;
    bob_call(&ctx);
    v1::GetFolderRequest req;
    req.set_folder_id(id);
    v1::GetFolderResponse resp;
    grpc::Status s = coordinator->GetFolder(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.folder();
  };
  ASSERT_EQ(bob->Run({"whoami"}).exit_code, 0);
  absl::StatusOr<client::SecretBytes> k1 = OpenHeader(get_folder(proj_id).age_header(), g1);
  ASSERT_TRUE(k1.ok()) << k1.status();

  // cat is removed (generation 2); bob syncs a directory up into /proj.
  r = ann->Run({"--json", "org", "remove", org, HandleOf(*cat)});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  ASSERT_EQ(Json(r)["generation"], 2);
  const std::string up = bob->File("up");
  ASSERT_EQ(::mkdir(up.c_str(), 0700), 0);
  const std::string fresh = WriteRandomFile(up + "/new.txt", 4000, 32);
  r = bob->Run({"sync", "--org", org, up, "fh:/proj"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();

  // The folder's key and the new file's wrap and key open with none of cat's keys.
  ASSERT_EQ(bob->Run({"whoami"}).exit_code, 0);
  const v1::FolderSummary proj = get_folder(proj_id);
  EXPECT_FALSE(OpenHeader(proj.age_header(), g1).ok()) << "sync did not re-key the folder";
  EXPECT_FALSE(OpenHeader(proj.age_header(), *cat_me).ok());
  grpc::ClientContext lctx;
  bob_call(&lctx);
  v1::ListFolderRequest lreq;
  lreq.set_folder_id(proj_id);
  v1::ListFolderResponse listed;
  grpc::Status ls = coordinator->ListFolder(&lctx, lreq, &listed);
  ASSERT_TRUE(ls.ok()) << ls.error_message();
  ASSERT_EQ(listed.objects_size(), 2);
  int new_files = 0;
  for (const v1::ObjectSummary& o : listed.objects()) {
    if (client::OpenObjectMetadata(client::MetadataKey(g1), Bytes(o.encrypted_metadata()),
                                   o.object_id()).ok()) {
      continue;  // old.txt, written before the removal
    }
    ++new_files;
    EXPECT_FALSE(o.folder_wrap().empty()) << "the synced file has no wrap for the folder's readers";
    EXPECT_FALSE(client::OpenEntryWrap(*k1, Bytes(o.folder_wrap()), proj_id, o.object_id()).ok())
        << "the synced file is wrapped under the folder key cat held";
    grpc::ClientContext ctx;
    bob_call(&ctx);
    v1::GetObjectRequest req;
    req.set_object_id(o.object_id());
    v1::GetObjectResponse manifest;
    grpc::Status s = coordinator->GetObject(&ctx, req, &manifest);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_FALSE(OpenHeader(manifest.age_header(), g1).ok());
    EXPECT_FALSE(OpenHeader(manifest.age_header(), *cat_me).ok());
  }
  EXPECT_EQ(new_files, 1);

  // The remaining members and the outsider read both files.
  for (CliUser* u : {ann.get(), bob.get()}) {
    const std::string out = u->File("out");
    r = u->Run({"get", "-r", "--org", org, "/proj", out});
    ASSERT_EQ(r.exit_code, 0) << r.Describe();
    EXPECT_EQ(ReadFile(out + "/old.txt"), old);
    EXPECT_EQ(ReadFile(out + "/new.txt"), fresh);
  }
  r = eve->Run({"shared", "get", proj_id, "-o", eve->File("proj")});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(ReadFile(eve->File("proj") + "/old.txt"), old);
  EXPECT_EQ(ReadFile(eve->File("proj") + "/new.txt"), fresh);
}

}  // namespace
}  // namespace freehold::e2e
