// End-to-end: many small files, fast (docs/ARCHITECTURE.md#small-objects). The
// real CLI, coordinator (inline limit 64 KiB, the default), accounts, six storage
// daemons and PostgreSQL: small files are stored inline in the objects table and
// committed in batches, larger ones as shards, both in one `put FILE...`; `get
// NAME...` resolves names by their keyed hash (no listing) and falls back to the
// listing for objects stored without one; inline objects count in usage, are
// deleted with their row and export as age files.
#include <grpcpp/grpcpp.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/grpc_server.h"
#include "freehold/v1/coordinator.grpc.pb.h"
#include "tests/e2e/e2e_fixture.h"
#include "tests/support/status_matchers.h"

namespace freehold::e2e {
namespace {

using ::testing::HasSubstr;

class SmallFilesTest : public ClusterTest<6, 3> {};

TEST_F(SmallFilesTest, ManyFilesInOneCommandInlineAndShardedRoundTripByteForByte) {
  auto alice = SignUp("alice");
  // Payload = plaintext + 16-byte nonce + 16 bytes per 64 KiB chunk: 65504 B is the
  // largest file whose payload (65536 B) is inline; 65505 B and up are sharded.
  std::vector<size_t> sizes = {0, 1, 100, 4095, 4096, 30000, 65000, 65504, 65505, 200000};
  for (int i = 0; i < 14; ++i) sizes.push_back(1 + (static_cast<size_t>(i) * 7919) % 60000);
  std::vector<std::string> args = {"--json", "put", "--concurrency", "4"};
  std::map<std::string, std::string> data;  // name -> bytes
  for (size_t i = 0; i < sizes.size(); ++i) {
    const std::string name = absl::StrCat("small file ", i, ".bin");
    data[name] = WriteRandomFile(alice->File(name), sizes[i], static_cast<uint32_t>(i + 1));
    args.push_back(alice->File(name));
  }
  CliResult put = alice->Run(args);
  ASSERT_EQ(put.exit_code, 0) << put.Describe();
  nlohmann::json stored = nlohmann::json::parse(put.out)["stored"];
  ASSERT_EQ(stored.size(), sizes.size()) << put.out;
  int inline_count = 0;
  std::string inline_id;
  for (const nlohmann::json& s : stored) {
    const bool expect_inline = s["size"].get<uint64_t>() <= 65504;
    EXPECT_EQ(s["inline"].get<bool>(), expect_inline) << s.dump();
    if (expect_inline) {
      ++inline_count;
      inline_id = s["id"].get<std::string>();
    }
  }
  EXPECT_EQ(inline_count, static_cast<int>(sizes.size()) - 2);
  // Inline objects have their payload in the row and no segments; every object
  // has a name hash.
  EXPECT_EQ(Sql("SELECT count(*) FROM objects WHERE inline_payload IS NOT NULL AND state = 2"),
            inline_count);
  EXPECT_EQ(Sql("SELECT count(*) FROM segments s JOIN objects o USING (object_id) "
                "WHERE o.inline_payload IS NOT NULL"),
            0);
  EXPECT_EQ(Sql("SELECT count(*) FROM objects WHERE name_hash IS NULL"), 0);
  EXPECT_EQ(Sql("SELECT count(*) FROM objects WHERE inline_payload IS NULL"), 2);

  // Usage counts inline bytes like any others.
  ASSERT_OK_AND_ASSIGN(v1::ClusterStatusResponse status, cluster().Status());
  EXPECT_EQ(status.logical_used_bytes(),
            static_cast<uint64_t>(Sql("SELECT sum(size_bytes) FROM objects WHERE state = 2")));
  EXPECT_GT(Sql("SELECT sum(size_bytes) FROM objects WHERE inline_payload IS NOT NULL"), 0);

  // All back in one command, into a directory, by name.
  const std::string out_dir = alice->File("back");
  ASSERT_EQ(::mkdir(out_dir.c_str(), 0700), 0);
  std::vector<std::string> get = {"get", "--concurrency", "3", "-o", out_dir};
  for (const auto& [name, bytes] : data) get.push_back(name);
  CliResult got = alice->Run(get);
  ASSERT_EQ(got.exit_code, 0) << got.Describe();
  for (const auto& [name, bytes] : data) {
    EXPECT_EQ(ReadFile(out_dir + "/" + name), bytes) << name;
  }
  // Again into the same directory: refused, nothing replaced.
  CliResult again = alice->Run({"get", "-o", out_dir, "small file 1.bin"});
  EXPECT_EQ(again.exit_code, 2) << again.Describe();
  EXPECT_THAT(again.err, HasSubstr("already exists"));

  // An inline object exports as an age file the stock tool decrypts.
  if (::access("/usr/bin/age", X_OK) == 0) {
    CliResult exp = alice->Run({"export", "small file 5.bin", "-o", alice->File("five.age")});
    ASSERT_EQ(exp.exit_code, 0) << exp.Describe();
    CliResult key = alice->Run({"recovery-key", "--yes"});
    ASSERT_EQ(key.exit_code, 0) << key.Describe();
    { std::ofstream(alice->File("identity.txt")) << key.out; }
    CliResult age = RunTool("/usr/bin/age",
                            {"-d", "-i", alice->File("identity.txt"), "-o",
                             alice->File("five.out"), alice->File("five.age")},
                            alice->work_dir());
    ASSERT_EQ(age.exit_code, 0) << age.Describe();
    EXPECT_EQ(ReadFile(alice->File("five.out")), data["small file 5.bin"]);
  }

  // Deleting an inline object moves it to the trash (row kept); emptying the trash
  // removes its row; there are no shards to queue.
  const int64_t queued = Sql("SELECT count(*) FROM shard_deletions");
  CliResult rm = alice->Run({"rm", inline_id});
  ASSERT_EQ(rm.exit_code, 0) << rm.Describe();
  EXPECT_EQ(Sql(absl::StrCat("SELECT count(*) FROM objects WHERE object_id = '", inline_id,
                             "' AND trashed_at IS NOT NULL")),
            1);
  CliResult empty = alice->Run({"trash", "empty", inline_id});
  ASSERT_EQ(empty.exit_code, 0) << empty.Describe();
  EXPECT_EQ(Sql(absl::StrCat("SELECT count(*) FROM objects WHERE object_id = '", inline_id, "'")),
            0);
  EXPECT_EQ(Sql("SELECT count(*) FROM shard_deletions"), queued);
  CliResult gone = alice->Run({"get", inline_id, "-o", alice->File("gone")});
  EXPECT_EQ(gone.exit_code, 4) << gone.Describe();
}

TEST_F(SmallFilesTest, GetByNameUsesTheNameHashNotTheListingAndOldObjectsStillResolve) {
  auto alice = SignUp("alice");
  std::vector<std::string> data;
  std::vector<std::string> args = {"--json", "put"};
  for (int i = 0; i < 3; ++i) {
    data.push_back(WriteRandomFile(alice->File(absl::StrCat("n", i)), 1000 + i, 50 + i));
    args.push_back(alice->File(absl::StrCat("n", i)));
  }
  CliResult put = alice->Run(args);
  ASSERT_EQ(put.exit_code, 0) << put.Describe();
  nlohmann::json stored = nlohmann::json::parse(put.out)["stored"];
  ASSERT_EQ(stored.size(), 3u);
  std::string id1;
  for (const nlohmann::json& s : stored) {
    if (s["name"] == "n1") id1 = s["id"].get<std::string>();
  }

  const double lists = RpcCount("ListObjects");
  const double finds = RpcCount("FindObjectsByName");
  CliResult got = alice->Run({"get", "n0", "-o", alice->File("n0.back")});
  ASSERT_EQ(got.exit_code, 0) << got.Describe();
  EXPECT_EQ(ReadFile(alice->File("n0.back")), data[0]);
  EXPECT_EQ(RpcCount("ListObjects"), lists) << "get NAME listed the account";
  EXPECT_EQ(RpcCount("FindObjectsByName"), finds + 1);

  // An object stored before name hashes existed: found through the listing.
  EXPECT_EQ(Sql(absl::StrCat("WITH u AS (UPDATE objects SET name_hash = NULL WHERE object_id = '",
                             id1, "' RETURNING 1) SELECT count(*) FROM u")),
            1);
  CliResult old = alice->Run({"get", "n1", "-o", alice->File("n1.back")});
  ASSERT_EQ(old.exit_code, 0) << old.Describe();
  EXPECT_EQ(ReadFile(alice->File("n1.back")), data[1]);
  EXPECT_EQ(RpcCount("ListObjects"), lists + 1);

  // Another account's hash key differs: bob cannot find alice's names.
  auto bob = SignUp("bob");
  CliResult theirs = bob->Run({"get", "n2", "-o", bob->File("x")});
  EXPECT_EQ(theirs.exit_code, 4) << theirs.Describe();
  EXPECT_THAT(theirs.err, HasSubstr("no file named"));
}

TEST_F(SmallFilesTest, SmallObjectRpcsRefuseBadInputAndStoreNothing) {
  auto alice = SignUp("alice");
  const std::string token = AccessToken(*alice);
  ASSERT_FALSE(token.empty());
  auto stub = CoordinatorStub();

  auto put = [&](const v1::PutInlineObjectsRequest& req, const std::string& tok,
                 v1::PutInlineObjectsResponse* resp) {
    grpc::ClientContext ctx;
    PrepareCall(&ctx, tok);
    return stub->PutInlineObjects(&ctx, req, resp);
  };
  v1::InlineObject good;
  good.set_encrypted_metadata(std::string(10000, 'm'));
  good.set_age_header("age-encryption.org/v1\n-> X25519 x\nx\n--- x\n");
  good.set_payload(std::string(1000, 'p'));
  good.set_name_hash(std::string(32, 'h'));

  v1::PutInlineObjectsRequest req;
  v1::PutInlineObjectsResponse resp;
  *req.add_objects() = good;
  v1::InlineObject big = good;
  big.set_payload(std::string(65537, 'p'));
  *req.add_objects() = big;
  grpc::Status s = put(req, token, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("objects[1].payload"));

  req.mutable_objects(1)->set_payload("p");
  req.mutable_objects(1)->set_name_hash("short");
  s = put(req, token, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("objects[1].name_hash"));

  req.mutable_objects(1)->clear_age_header();
  req.mutable_objects(1)->set_name_hash(std::string(32, 'h'));
  s = put(req, token, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("objects[1].age_header"));

  s = put(v1::PutInlineObjectsRequest(), token, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("objects is empty"));

  s = put(req, "", &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Sql("SELECT count(*) FROM objects"), 0) << "a refused batch stored something";

  // Five good objects in one call (one transaction); then listed by bytes: 10 KB
  // of metadata each, at most 25,000 bytes per page -> pages of two.
  v1::PutInlineObjectsRequest five;
  for (int i = 0; i < 5; ++i) *five.add_objects() = good;
  s = put(five, token, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(resp.object_ids_size(), 5);
  EXPECT_EQ(Sql("SELECT count(*) FROM objects WHERE inline_payload IS NOT NULL"), 5);
  std::string page_token;
  int pages = 0, listed = 0;
  do {
    grpc::ClientContext ctx;
    PrepareCall(&ctx, token);
    v1::ListObjectsRequest lr;
    lr.set_max_bytes(25000);
    lr.mutable_page()->set_page_token(page_token);
    v1::ListObjectsResponse lresp;
    grpc::Status ls = stub->ListObjects(&ctx, lr, &lresp);
    ASSERT_TRUE(ls.ok()) << ls.error_message();
    EXPECT_LE(lresp.objects_size(), 2);
    listed += lresp.objects_size();
    page_token = lresp.next_page_token();
    ++pages;
  } while (!page_token.empty() && pages < 10);
  EXPECT_EQ(listed, 5);
  EXPECT_EQ(pages, 3);
  {
    grpc::ClientContext ctx;
    PrepareCall(&ctx, token);
    v1::ListObjectsRequest lr;
    lr.set_max_bytes(13u << 20);
    v1::ListObjectsResponse lresp;
    grpc::Status ls = stub->ListObjects(&ctx, lr, &lresp);
    EXPECT_EQ(ls.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(ls.error_message(), HasSubstr("max_bytes"));
  }
  // Name lookups: a hash of the wrong size is refused; a known one is found.
  {
    grpc::ClientContext ctx;
    PrepareCall(&ctx, token);
    v1::FindObjectsByNameRequest fr;
    fr.add_name_hashes(std::string(32, 'h'));
    fr.add_name_hashes(std::string(31, 'h'));
    v1::FindObjectsByNameResponse fresp;
    grpc::Status fs = stub->FindObjectsByName(&ctx, fr, &fresp);
    EXPECT_EQ(fs.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(fs.error_message(), HasSubstr("name_hashes[1]"));
  }
  {
    grpc::ClientContext ctx;
    PrepareCall(&ctx, token);
    v1::FindObjectsByNameRequest fr;
    fr.add_name_hashes(std::string(32, 'h'));
    fr.add_name_hashes(std::string(32, 'z'));
    v1::FindObjectsByNameResponse fresp;
    grpc::Status fs = stub->FindObjectsByName(&ctx, fr, &fresp);
    ASSERT_TRUE(fs.ok()) << fs.error_message();
    ASSERT_EQ(fresp.matches_size(), 2);
    EXPECT_EQ(fresp.matches(0).objects_size(), 5);
    EXPECT_EQ(fresp.matches(1).objects_size(), 0);
  }
  // GetObject returns the inline payload.
  {
    grpc::ClientContext ctx;
    PrepareCall(&ctx, token);
    v1::GetObjectRequest gr;
    gr.set_object_id(resp.object_ids(0));
    v1::GetObjectResponse gresp;
    grpc::Status gs = stub->GetObject(&ctx, gr, &gresp);
    ASSERT_TRUE(gs.ok()) << gs.error_message();
    EXPECT_TRUE(gresp.is_inline());
    EXPECT_EQ(gresp.inline_payload(), good.payload());
    EXPECT_EQ(gresp.segments_size(), 0);
  }
  // GetObjects: many manifests in one call; unknown and other accounts' ids are
  // not found (bob may not read alice's object); a malformed id is refused.
  auto bob = SignUp("bob");
  for (const std::string& tok : {token, AccessToken(*bob)}) {
    grpc::ClientContext ctx;
    PrepareCall(&ctx, tok);
    v1::GetObjectsRequest gr;
    gr.add_object_ids(resp.object_ids(1));
    gr.add_object_ids("00000000-0000-4000-8000-000000000000");
    gr.add_object_ids(resp.object_ids(2));
    v1::GetObjectsResponse gresp;
    grpc::Status gs = stub->GetObjects(&ctx, gr, &gresp);
    ASSERT_TRUE(gs.ok()) << gs.error_message();
    ASSERT_EQ(gresp.results_size(), 3);
    const bool owner = tok == token;
    EXPECT_EQ(gresp.results(0).found(), owner);
    EXPECT_FALSE(gresp.results(1).found());
    EXPECT_EQ(gresp.results(2).found(), owner);
    if (owner) EXPECT_EQ(gresp.results(2).object().inline_payload(), good.payload());
  }
  {
    grpc::ClientContext ctx;
    PrepareCall(&ctx, token);
    v1::GetObjectsRequest gr;
    gr.add_object_ids("not-an-id");
    v1::GetObjectsResponse gresp;
    grpc::Status gs = stub->GetObjects(&ctx, gr, &gresp);
    EXPECT_EQ(gs.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(gs.error_message(), HasSubstr("object_ids[0]"));
  }
}

}  // namespace
}  // namespace freehold::e2e
