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
#include <optional>
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

std::span<const uint8_t> Bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
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

  // Generation 1 of an organization, as both tests start: ann owns it, bob and cat are
  // members, eve an outsider. cat stores /proj/old.txt and ann shares /proj with eve
  // (its folder key goes to generation 1 and to eve). Before cat's removal, cat's last
  // keys are taken: its own identity (its recovery key), the organization identity it
  // holds (g1) and the folder key of /proj it opens with g1 (k1).
  struct World {
    std::unique_ptr<CliUser> ann, bob, cat, eve;
    std::string org, org_id, old, proj_id;
    std::optional<client::X25519Identity> cat_me, g1;
    std::optional<client::SecretBytes> k1;
    std::unique_ptr<v1::Coordinator::Stub> coordinator;
  };
  void SetUpGenerationOne(const std::string& prefix, int seed, World* w) {
    w->ann = SignUp(prefix + "ann");
    w->bob = SignUp(prefix + "bob");
    w->cat = SignUp(prefix + "cat");
    w->eve = SignUp(prefix + "eve");
    w->org = prefix + "rot" + std::to_string(::getpid());
    ASSERT_EQ(w->ann->Run({"org", "create", w->org}).exit_code, 0);
    for (CliUser* u : {w->bob.get(), w->cat.get()}) {
      CliResult r = w->ann->Run({"org", "add", w->org, HandleOf(*u)});
      ASSERT_EQ(r.exit_code, 0) << r.Describe();
    }
    CliResult r = w->ann->Run({"--json", "org", "ls"});
    ASSERT_EQ(r.exit_code, 0) << r.Describe();
    w->org_id = Json(r)["orgs"][0]["org_id"].get<std::string>();

    const std::string proj_local = w->cat->File("proj");
    ASSERT_EQ(::mkdir(proj_local.c_str(), 0700), 0);
    w->old = WriteRandomFile(proj_local + "/old.txt", 3000, seed);
    r = w->cat->Run({"put", "-r", "--org", w->org, proj_local, "/proj"});
    ASSERT_EQ(r.exit_code, 0) << r.Describe();
    r = w->ann->Run({"--json", "share", "--org", w->org, "/proj", "--with", HandleOf(*w->eve)});
    ASSERT_EQ(r.exit_code, 0) << r.Describe();
    w->proj_id = Json(r)["id"].get<std::string>();

    r = w->cat->Run({"--json", "recovery-key", "--yes"});
    ASSERT_EQ(r.exit_code, 0) << r.Describe();
    absl::StatusOr<client::X25519Identity> me =
        client::ParseIdentity(Json(r)["recovery_key"].get<std::string>());
    ASSERT_TRUE(me.ok()) << me.status();
    w->cat_me = *std::move(me);
    std::vector<client::X25519Identity> held;  // every generation cat held
    ASSERT_NO_FATAL_FAILURE(HeldOrgIdentities(*w->cat, w->org, *w->cat_me, &held));
    ASSERT_EQ(held.size(), 1u);
    w->g1 = std::move(held.front());

    w->coordinator = CoordinatorStub();
    ASSERT_EQ(w->bob->Run({"whoami"}).exit_code, 0);
    absl::StatusOr<client::SecretBytes> k1 =
        OpenHeader(GetFolder(*w, w->proj_id).age_header(), *w->g1);
    ASSERT_TRUE(k1.ok()) << k1.status();
    w->k1 = *std::move(k1);
  }

  // The coordinator's view, as a remaining member (bob) sees it in the organization.
  void BobCall(const World& w, grpc::ClientContext* ctx) {
    PrepareCall(ctx, AccessToken(*w.bob));
    ctx->AddMetadata("freehold-org", w.org_id);
  }
  v1::FolderSummary GetFolder(const World& w, const std::string& id) {
    grpc::ClientContext ctx;
    BobCall(w, &ctx);
    v1::GetFolderRequest req;
    req.set_folder_id(id);
    v1::GetFolderResponse resp;
    grpc::Status s = w.coordinator->GetFolder(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.folder();
  }
  v1::ListFolderResponse ListFolder(const World& w, const std::string& id) {
    grpc::ClientContext ctx;
    BobCall(w, &ctx);
    v1::ListFolderRequest req;
    req.set_folder_id(id);
    v1::ListFolderResponse resp;
    grpc::Status s = w.coordinator->ListFolder(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }
  // The object's age header as the coordinator stores it.
  std::string AgeHeaderOf(const World& w, const std::string& object_id) {
    grpc::ClientContext ctx;
    BobCall(w, &ctx);
    v1::GetObjectRequest req;
    req.set_object_id(object_id);
    v1::GetObjectResponse manifest;
    grpc::Status s = w.coordinator->GetObject(&ctx, req, &manifest);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return manifest.age_header();
  }
  // ann removes cat: generation 2.
  void RemoveCat(const World& w) {
    CliResult r = w.ann->Run({"--json", "org", "remove", w.org, HandleOf(*w.cat)});
    ASSERT_EQ(r.exit_code, 0) << r.Describe();
    ASSERT_EQ(Json(r)["generation"], 2);
  }
};

// name -> id of the entries of a `ls --json PATH` listing.
std::map<std::string, std::string> Entries(const CliResult& r) {
  std::map<std::string, std::string> out;
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  if (j.is_discarded() || !j.is_array()) return out;
  for (const auto& e : j) out[e.value("name", "")] = e.value("id", "");
  return out;
}

TEST_F(OrgRotationEndToEndTest, AfterARemovalNewNamesFilesAndFolderKeysAreOutOfItsReach) {
  World w;
  ASSERT_NO_FATAL_FAILURE(SetUpGenerationOne("r", 21, &w));
  CliUser *ann = w.ann.get(), *bob = w.bob.get(), *eve = w.eve.get();
  const std::string& org = w.org;
  const std::string& proj_id = w.proj_id;
  const std::string& old = w.old;
  const client::X25519Identity& g1 = *w.g1;
  const client::SecretBytes g1_meta = client::MetadataKey(g1);
  const client::SecretBytes g1_names = client::NameHashKey(g1);
  // cat also stores /plain/p.txt (a folder nobody shares) in generation 1.
  const std::string plain_local = w.cat->File("plain");
  ASSERT_EQ(::mkdir(plain_local.c_str(), 0700), 0);
  const std::string p = WriteRandomFile(plain_local + "/p.txt", 1000, 22);
  CliResult r = w.cat->Run({"put", "-r", "--org", org, plain_local, "/plain"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();

  ASSERT_NO_FATAL_FAILURE(RemoveCat(w));

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
  const v1::FolderSummary proj = GetFolder(w, proj_id);
  EXPECT_FALSE(OpenHeader(proj.age_header(), g1).ok()) << "the folder key was not replaced";
  EXPECT_FALSE(OpenHeader(proj.age_header(), *w.cat_me).ok());
  int new_files = 0, old_files = 0;
  const v1::ListFolderResponse in_proj = ListFolder(w, proj_id);
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
    EXPECT_FALSE(client::OpenEntryWrap(*w.k1, Bytes(o.folder_wrap()), proj_id, o.object_id()).ok());
    EXPECT_FALSE(o.folder_wrap().empty()) << "the new file has no wrap for the folder's readers";
    EXPECT_FALSE(OpenHeader(AgeHeaderOf(w, o.object_id()), g1).ok());
  }
  EXPECT_EQ(old_files, 1);
  EXPECT_EQ(new_files, 1);
  const v1::ListFolderResponse root = ListFolder(w, "");
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
  for (CliUser* u : {ann, bob}) {
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
  World w;
  ASSERT_NO_FATAL_FAILURE(SetUpGenerationOne("s", 31, &w));
  CliUser *ann = w.ann.get(), *bob = w.bob.get(), *eve = w.eve.get();
  const std::string& org = w.org;
  const std::string& proj_id = w.proj_id;
  const std::string& old = w.old;
  const client::X25519Identity& g1 = *w.g1;

  // cat is removed (generation 2); bob syncs a directory up into /proj.
  ASSERT_NO_FATAL_FAILURE(RemoveCat(w));
  const std::string up = bob->File("up");
  ASSERT_EQ(::mkdir(up.c_str(), 0700), 0);
  const std::string fresh = WriteRandomFile(up + "/new.txt", 4000, 32);
  CliResult r = bob->Run({"sync", "--org", org, up, "fh:/proj"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();

  // The folder's key and the new file's wrap and key open with none of cat's keys.
  ASSERT_EQ(bob->Run({"whoami"}).exit_code, 0);
  const v1::FolderSummary proj = GetFolder(w, proj_id);
  EXPECT_FALSE(OpenHeader(proj.age_header(), g1).ok()) << "sync did not re-key the folder";
  EXPECT_FALSE(OpenHeader(proj.age_header(), *w.cat_me).ok());
  const v1::ListFolderResponse listed = ListFolder(w, proj_id);
  ASSERT_EQ(listed.objects_size(), 2);
  int new_files = 0;
  for (const v1::ObjectSummary& o : listed.objects()) {
    if (client::OpenObjectMetadata(client::MetadataKey(g1), Bytes(o.encrypted_metadata()),
                                   o.object_id()).ok()) {
      continue;  // old.txt, written before the removal
    }
    ++new_files;
    EXPECT_FALSE(o.folder_wrap().empty()) << "the synced file has no wrap for the folder's readers";
    EXPECT_FALSE(client::OpenEntryWrap(*w.k1, Bytes(o.folder_wrap()), proj_id, o.object_id()).ok())
        << "the synced file is wrapped under the folder key cat held";
    const std::string header = AgeHeaderOf(w, o.object_id());
    EXPECT_FALSE(OpenHeader(header, g1).ok());
    EXPECT_FALSE(OpenHeader(header, *w.cat_me).ok());
  }
  EXPECT_EQ(new_files, 1);

  // The remaining members and the outsider read both files.
  for (CliUser* u : {ann, bob}) {
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
