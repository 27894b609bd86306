// End to end (issue 21, "sharing that holds"): who a file is shared with lives
// on the server beside its header, so a second device of the owner sees it and
// sharing from there keeps the earlier recipients (also when both devices share
// at once: compare-and-swap); unshare and link --disable remove the stanza and
// the access; metadata is bound to its object (a swap in the database is
// refused) and old-format metadata still reads and is migrated; signup prints
// the recovery key that `recover` takes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "client/core/keys.h"
#include "client/core/metadata.h"
#include "tests/e2e/e2e_fixture.h"

namespace freehold::e2e {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

class ShareEndToEndTest : public ClusterTest<6, 3> {
 protected:
  nlohmann::json Json(const CliUser& u, const std::vector<std::string>& args) {
    std::vector<std::string> full = {"--json"};
    full.insert(full.end(), args.begin(), args.end());
    CliResult r = u.Run(full);
    EXPECT_EQ(r.exit_code, 0) << r.Describe();
    return nlohmann::json::parse(r.out, nullptr, false);
  }

  // A second device (its own config dir) of the account `handle`.
  std::unique_ptr<CliUser> Device(const std::string& handle) {
    auto d = std::make_unique<CliUser>(cluster().accounts_address(),
                                       cluster().coordinator_address(), TestPassword(handle),
                                       cluster().ca_file());
    CliResult r = d->Run({"login", "--handle", handle});
    EXPECT_EQ(r.exit_code, 0) << r.Describe();
    return d;
  }

  // Handles in `share --list --json`.
  std::vector<std::string> SharedWith(const CliUser& u, const std::string& id) {
    std::vector<std::string> out;
    nlohmann::json j = Json(u, {"share", "--list", id});
    if (!j.contains("shared_with")) return {"<no list: " + j.dump() + ">"};
    for (const nlohmann::json& e : j["shared_with"]) out.push_back(e.value("handle", ""));
    return out;
  }

  std::string Column(const std::string& id, const std::string& column) {
    pqxx::connection c(cluster().database_url());
    pqxx::work w(c);
    w.exec("SET search_path = coordinator");
    pqxx::row r = w.exec_params1(
        "SELECT " + column + " FROM objects WHERE object_id = $1::uuid", id);
    w.commit();
    pqxx::binarystring b(r[0]);
    return b.str();
  }
  void SetMetadata(const std::string& id, const std::string& blob) {
    pqxx::connection c(cluster().database_url());
    pqxx::work w(c);
    w.exec("SET search_path = coordinator");
    w.exec_params("UPDATE objects SET encrypted_metadata = $2 WHERE object_id = $1::uuid", id,
                  pqxx::binarystring(blob.data(), blob.size()));
    w.commit();
  }
  int Stanzas(const std::string& id) {
    const std::string header = Column(id, "age_header");
    int n = 0;
    for (size_t p = header.find("-> X25519 "); p != std::string::npos;
         p = header.find("-> X25519 ", p + 1)) {
      ++n;
    }
    return n;
  }
};

TEST_F(ShareEndToEndTest, SecondDeviceSeesSharesKeepsThemAndUnshareRefuses) {
  auto alice = SignUp("alice");
  auto bob = SignUp("bob");
  auto carol = SignUp("carol");
  const std::string data = WriteRandomFile(alice->File("x.bin"), 200000, 3);  // sharded
  const std::string id = Put(*alice, alice->File("x.bin"), "x.bin");
  ASSERT_FALSE(id.empty());
  ASSERT_EQ(alice->Run({"share", id, "--with", HandleOf(*bob)}).exit_code, 0);

  // The laptop has never shared anything: it sees bob from the server.
  auto laptop = Device(HandleOf(*alice));
  EXPECT_THAT(SharedWith(*laptop, id), UnorderedElementsAre(HandleOf(*bob)));
  CliResult shared = laptop->Run({"share", "x.bin", "--with", HandleOf(*carol)});
  ASSERT_EQ(shared.exit_code, 0) << shared.Describe();
  EXPECT_THAT(SharedWith(*alice, id), UnorderedElementsAre(HandleOf(*bob), HandleOf(*carol)));
  EXPECT_EQ(Stanzas(id), 3);
  for (CliUser* reader : {bob.get(), carol.get()}) {
    CliResult got = reader->Run({"get", id, "-o", reader->File("x.out")});
    ASSERT_EQ(got.exit_code, 0) << got.Describe();
    EXPECT_EQ(ReadFile(reader->File("x.out")), data);
  }
  // Sharing again with the same person changes nothing.
  nlohmann::json again = Json(*laptop, {"share", id, "--with", HandleOf(*bob)});
  EXPECT_TRUE(again.value("already_shared", false)) << again.dump();
  EXPECT_EQ(Stanzas(id), 3);

  // Unshare from the laptop: bob's stanza and access are gone, carol keeps hers.
  CliResult un = laptop->Run({"unshare", id, HandleOf(*bob)});
  ASSERT_EQ(un.exit_code, 0) << un.Describe();
  EXPECT_THAT(un.out, HasSubstr("cannot take back"));
  EXPECT_THAT(SharedWith(*alice, id), UnorderedElementsAre(HandleOf(*carol)));
  EXPECT_EQ(Stanzas(id), 2);
  CliResult refused = bob->Run({"get", id, "-o", bob->File("x.again")});
  EXPECT_NE(refused.exit_code, 0) << refused.Describe();
  CliResult kept = carol->Run({"get", id, "-o", carol->File("x.again")});
  ASSERT_EQ(kept.exit_code, 0) << kept.Describe();
  EXPECT_EQ(ReadFile(carol->File("x.again")), data);
  CliResult twice = alice->Run({"unshare", id, HandleOf(*bob)});
  EXPECT_NE(twice.exit_code, 0) << twice.Describe();
  EXPECT_THAT(twice.err, HasSubstr("not shared with"));

  // Only the owner sees or changes the sharing.
  CliResult not_owner = carol->Run({"share", "--list", id});
  EXPECT_NE(not_owner.exit_code, 0) << not_owner.Describe();
}

TEST_F(ShareEndToEndTest, TwoDevicesSharingAtOnceKeepEveryRecipient) {
  auto alice = SignUp("alice");
  auto laptop = Device(HandleOf(*alice));
  std::vector<std::unique_ptr<CliUser>> friends;
  for (int i = 0; i < 4; ++i) friends.push_back(SignUp("friend"));
  WriteRandomFile(alice->File("c.bin"), 3000, 5);
  const std::string id = Put(*alice, alice->File("c.bin"), "c.bin");
  ASSERT_FALSE(id.empty());
  // Two rounds of two devices sharing at the same moment with different people.
  for (int round = 0; round < 2; ++round) {
    CliResult a, b;
    std::thread t1([&] { a = alice->Run({"share", id, "--with", HandleOf(*friends[2 * round])}); });
    std::thread t2(
        [&] { b = laptop->Run({"share", id, "--with", HandleOf(*friends[2 * round + 1])}); });
    t1.join();
    t2.join();
    ASSERT_EQ(a.exit_code, 0) << a.Describe();
    ASSERT_EQ(b.exit_code, 0) << b.Describe();
  }
  EXPECT_THAT(SharedWith(*alice, id),
              UnorderedElementsAre(HandleOf(*friends[0]), HandleOf(*friends[1]),
                                   HandleOf(*friends[2]), HandleOf(*friends[3])));
  EXPECT_EQ(Stanzas(id), 5);
  for (auto& f : friends) {
    CliResult got = f->Run({"get", id, "-o", f->File("c.out")});
    EXPECT_EQ(got.exit_code, 0) << got.Describe();
  }
}

TEST_F(ShareEndToEndTest, LinkDisableRemovesTheLinkKeyAndTheLinkFails) {
  auto alice = SignUp("alice");
  const std::string data = WriteRandomFile(alice->File("l.bin"), 4000, 6);
  const std::string id = Put(*alice, alice->File("l.bin"), "l.bin");
  ASSERT_FALSE(id.empty());
  nlohmann::json link = Json(*alice, {"link", id});
  const std::string text = link.value("link", "");
  ASSERT_THAT(text, HasSubstr("freehold://"));
  EXPECT_EQ(Stanzas(id), 2);
  CliUser stranger(cluster().accounts_address(), cluster().coordinator_address(), "unused",
                   cluster().ca_file());
  CliResult fetched = stranger.Run({"fetch", text, "-o", stranger.File("l.out")});
  ASSERT_EQ(fetched.exit_code, 0) << fetched.Describe();
  EXPECT_EQ(ReadFile(stranger.File("l.out")), data);

  // From another device: the link's stanza is found in the server-side record.
  auto laptop = Device(HandleOf(*alice));
  nlohmann::json off = Json(*laptop, {"link", "--disable", id});
  EXPECT_EQ(off.value("link_keys_removed", -1), 1) << off.dump();
  EXPECT_EQ(Stanzas(id), 1);
  CliResult dead = stranger.Run({"fetch", text, "-o", stranger.File("l.dead")});
  EXPECT_NE(dead.exit_code, 0) << dead.Describe();
  EXPECT_THAT(dead.err, HasSubstr("no longer works"));
  nlohmann::json listed = Json(*alice, {"share", "--list", id});
  EXPECT_FALSE(listed.value("public_link", true));
  EXPECT_EQ(listed.value("link_keys", -1), 0);
  // The owner still reads it.
  CliResult mine = alice->Run({"get", id, "-o", alice->File("l.mine")});
  ASSERT_EQ(mine.exit_code, 0) << mine.Describe();
  EXPECT_EQ(ReadFile(alice->File("l.mine")), data);
}

TEST_F(ShareEndToEndTest, MetadataSwappedBetweenObjectsIsRefused) {
  auto alice = SignUp("alice");
  WriteRandomFile(alice->File("a.txt"), 100, 1);
  WriteRandomFile(alice->File("b.txt"), 100, 2);
  const std::string a = Put(*alice, alice->File("a.txt"), "a.txt");
  const std::string b = Put(*alice, alice->File("b.txt"), "b.txt");
  ASSERT_FALSE(a.empty());
  ASSERT_FALSE(b.empty());
  EXPECT_EQ(Column(a, "encrypted_metadata")[0], '\x02');
  const std::string meta_a = Column(a, "encrypted_metadata");
  const std::string meta_b = Column(b, "encrypted_metadata");
  SetMetadata(a, meta_b);
  SetMetadata(b, meta_a);

  CliResult get = alice->Run({"get", a, "-o", alice->File("a.out")});
  EXPECT_NE(get.exit_code, 0) << get.Describe();
  EXPECT_THAT(get.err, HasSubstr("do not belong to it")) << get.Describe();
  CliResult ls = alice->Run({"ls"});
  EXPECT_NE(ls.exit_code, 0) << ls.Describe();
  EXPECT_THAT(ls.err, HasSubstr("does not belong")) << ls.Describe();
  EXPECT_THAT(ls.out, Not(HasSubstr("a.txt"))) << ls.Describe();
  EXPECT_THAT(ls.out, Not(HasSubstr("b.txt"))) << ls.Describe();
  // Put back, everything reads again.
  SetMetadata(a, meta_a);
  SetMetadata(b, meta_b);
  CliResult ok = alice->Run({"get", a, "-o", alice->File("a.out")});
  EXPECT_EQ(ok.exit_code, 0) << ok.Describe();
  CliResult ls_ok = alice->Run({"ls"});
  EXPECT_EQ(ls_ok.exit_code, 0) << ls_ok.Describe();
}

TEST_F(ShareEndToEndTest, SignupPrintsTheRecoveryKeyAndOldMetadataIsReadAndMigrated) {
  // Signup shows the recovery key (JSON field for scripts) and recover takes it.
  static int n = 0;
  const std::string handle = "olda" + std::to_string(::getpid()) + "x" + std::to_string(++n);
  CliUser alice(cluster().accounts_address(), cluster().coordinator_address(),
                TestPassword(handle), cluster().ca_file());
  CliResult signup = alice.Run({"--json", "signup", "--handle", handle});
  ASSERT_EQ(signup.exit_code, 0) << signup.Describe();
  nlohmann::json j = nlohmann::json::parse(signup.out, nullptr, false);
  const std::string recovery_key = j.value("recovery_key", "");
  ASSERT_THAT(recovery_key, HasSubstr("AGE-SECRET-KEY-1"));
  EXPECT_THAT(signup.err, Not(HasSubstr(recovery_key)));
  CliUser human(cluster().accounts_address(), cluster().coordinator_address(),
                TestPassword(handle + "h"), cluster().ca_file());
  CliResult text = human.Run({"signup", "--handle", handle + "h"});
  ASSERT_EQ(text.exit_code, 0) << text.Describe();
  EXPECT_THAT(text.out, HasSubstr("RECOVERY KEY"));
  EXPECT_THAT(text.out, HasSubstr("AGE-SECRET-KEY-1"));

  // Two objects rewritten to the old (unbound, version 1) metadata format, as
  // objects stored before binding are: the test seals them with the identity.
  absl::StatusOr<client::X25519Identity> identity = client::ParseIdentity(recovery_key);
  ASSERT_TRUE(identity.ok()) << identity.status();
  const client::SecretBytes key = client::MetadataKey(*identity);
  std::vector<std::string> ids;
  std::vector<std::string> datas;
  for (int i = 0; i < 2; ++i) {
    const std::string name = "old" + std::to_string(i) + ".bin";
    datas.push_back(WriteRandomFile(alice.File(name), i == 0 ? 150000 : 500, 10 + i));
    ids.push_back(Put(alice, alice.File(name), name));
    ASSERT_FALSE(ids.back().empty());
    const std::string blob = Column(ids.back(), "encrypted_metadata");
    absl::StatusOr<client::OpenedMetadata> opened = client::OpenObjectMetadata(
        key, {reinterpret_cast<const uint8_t*>(blob.data()), blob.size()}, ids.back());
    ASSERT_TRUE(opened.ok()) << opened.status();
    EXPECT_EQ(opened->version, client::kMetadataVersionBound);
    EXPECT_EQ(opened->metadata.name, name);
    absl::StatusOr<std::vector<uint8_t>> old = client::SealMetadata(key, opened->metadata);
    ASSERT_TRUE(old.ok());
    SetMetadata(ids.back(), std::string(old->begin(), old->end()));
    ASSERT_EQ(Column(ids.back(), "encrypted_metadata")[0], '\x01');
  }
  // get by name still finds and reads the old-format object, and migrates it.
  CliResult got = alice.Run({"get", "old0.bin", "-o", alice.File("old0.out")});
  ASSERT_EQ(got.exit_code, 0) << got.Describe();
  EXPECT_EQ(ReadFile(alice.File("old0.out")), datas[0]);
  EXPECT_EQ(Column(ids[0], "encrypted_metadata")[0], '\x02');
  EXPECT_EQ(Column(ids[1], "encrypted_metadata")[0], '\x01');
  // ls shows the other with its name and migrates it.
  CliResult ls = alice.Run({"ls"});
  ASSERT_EQ(ls.exit_code, 0) << ls.Describe();
  EXPECT_THAT(ls.out, HasSubstr("old1.bin"));
  EXPECT_THAT(ls.err, HasSubstr("one-time migration"));
  EXPECT_EQ(Column(ids[1], "encrypted_metadata")[0], '\x02');
  nlohmann::json none = Json(alice, {"migrate-metadata"});
  EXPECT_EQ(none.value("migrated", -1), 0) << none.dump();
  CliResult got1 = alice.Run({"get", ids[1], "-o", alice.File("old1.out")});
  ASSERT_EQ(got1.exit_code, 0) << got1.Describe();
  EXPECT_EQ(ReadFile(alice.File("old1.out")), datas[1]);

  // The printed recovery key is the one `recover` takes.
  const std::string fresh = "recovered " + handle + " walnut-Harbor-57 kite";
  CliUser phone(cluster().accounts_address(), cluster().coordinator_address(), fresh,
                cluster().ca_file());
  CliResult recovered = phone.Run({"recover", "--handle", handle},
                                  {{"FREEHOLD_RECOVERY_KEY", recovery_key},
                                   {"FREEHOLD_NEW_PASSWORD", fresh}});
  ASSERT_EQ(recovered.exit_code, 0) << recovered.Describe();
  CliResult back = phone.Run({"get", "old1.bin", "-o", phone.File("old1.back")});
  ASSERT_EQ(back.exit_code, 0) << back.Describe();
  EXPECT_EQ(ReadFile(phone.File("old1.back")), datas[1]);
}

}  // namespace
}  // namespace freehold::e2e
