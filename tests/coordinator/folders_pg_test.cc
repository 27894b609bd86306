// The encrypted folder tree over real PostgreSQL (core/folders.h): create,
// resolve (one lookup per step), paged listing, atomic moves refusing cycles and
// collisions, deleting empty folders only, the placement of new objects, old
// root objects, and input validation with precise statuses.
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "coordinator/core/folders.h"
#include "coordinator/core/ids.h"
#include "coordinator/core/small_objects.h"
#include "coordinator/core/trash.h"
#include "tests/coordinator/coordinator_fixture.h"
#include "tests/support/status_matchers.h"

namespace freehold::coordinator::testing {
namespace {

using ::freehold::testing::StatusIs;

std::string Hash(char c) { return std::string(kNameHashBytes, c); }

class FoldersPgTest : public CoordinatorPgTest {
 protected:
  void SetUp() override {
    CoordinatorPgTest::SetUp();
    tree_ = std::make_unique<FolderTree>(*store_, clock_, config_, log_);
    small_ = std::make_unique<SmallObjects>(*store_, clock_, config_, admission_, log_);
  }

  absl::StatusOr<std::string> Mkdir(const Caller& who, const std::string& parent, char name) {
    absl::StatusOr<FolderSummary> f =
        tree_->Create(who, CreateFolderInput{parent, Hash(name), "sealed-name"});
    if (!f.ok()) return f.status();
    return f->folder_id;
  }

  absl::StatusOr<std::string> PutIn(const Caller& who, const std::string& parent, char name) {
    InlineObjectInput in{"meta", "age-header", "payload", Hash(name), /*object_id=*/"", parent};
    absl::StatusOr<InlineCommit> done = small_->PutInline(who, {in});
    if (!done.ok()) return done.status();
    return done->object_ids.front();
  }

  std::unique_ptr<FolderTree> tree_;
  std::unique_ptr<SmallObjects> small_;
};

TEST_F(FoldersPgTest, CreateResolveAndListNestedFolders) {
  Caller alice = NewAccount();
  ASSERT_OK_AND_ASSIGN(std::string a, Mkdir(alice, "", 'a'));
  ASSERT_OK_AND_ASSIGN(std::string b, Mkdir(alice, a, 'b'));
  ASSERT_OK_AND_ASSIGN(std::string obj, PutIn(alice, b, 'f'));

  // a/b/f in three lookups.
  ASSERT_OK_AND_ASSIGN(ResolvedEntry e, tree_->Resolve(alice, "", Hash('a')));
  ASSERT_TRUE(e.folder.has_value());
  EXPECT_EQ(e.folder->folder_id, a);
  ASSERT_OK_AND_ASSIGN(e, tree_->Resolve(alice, a, Hash('b')));
  ASSERT_TRUE(e.folder.has_value());
  EXPECT_EQ(e.folder->parent_id, a);
  ASSERT_OK_AND_ASSIGN(e, tree_->Resolve(alice, b, Hash('f')));
  EXPECT_FALSE(e.folder.has_value());
  ASSERT_EQ(e.objects.size(), 1u);
  EXPECT_EQ(e.objects[0].object_id, obj);
  EXPECT_EQ(e.objects[0].parent_id, b);
  // Absent names are empty answers; the same hash in another folder is another name.
  ASSERT_OK_AND_ASSIGN(e, tree_->Resolve(alice, a, Hash('f')));
  EXPECT_FALSE(e.folder.has_value());
  EXPECT_TRUE(e.objects.empty());

  // Another account sees none of it.
  Caller bob = NewAccount();
  EXPECT_THAT(tree_->Resolve(bob, a, Hash('b')).status(), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(e, tree_->Resolve(bob, "", Hash('a')));
  EXPECT_FALSE(e.folder.has_value());
  EXPECT_THAT(tree_->List(bob, a, 0, "").status(), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(Mkdir(bob, a, 'x').status(), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(PutIn(bob, a, 'x').status(), StatusIs(absl::StatusCode::kNotFound));

  // Paging: 5 folders and 4 objects, 2 per page, every entry once.
  for (char c = 'k'; c < 'p'; ++c) ASSERT_OK(Mkdir(alice, b, c).status());
  for (char c = 'p'; c < 's'; ++c) ASSERT_OK(PutIn(alice, b, c).status());
  std::set<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    ASSERT_OK_AND_ASSIGN(FolderPage page, tree_->List(alice, b, 2, token));
    EXPECT_LE(page.folders.size() + page.objects.size(), 2u);
    for (const FolderSummary& f : page.folders) EXPECT_TRUE(seen.insert(f.folder_id).second);
    for (const ObjectSummary& o : page.objects) EXPECT_TRUE(seen.insert(o.object_id).second);
    token = page.next_page_token;
    ASSERT_LT(++pages, 20);
  } while (!token.empty());
  EXPECT_EQ(seen.size(), 9u);
  EXPECT_TRUE(seen.count(obj));
}

TEST_F(FoldersPgTest, NamesAreUniquePerFolderAcrossFoldersAndObjects) {
  Caller alice = NewAccount();
  ASSERT_OK_AND_ASSIGN(std::string a, Mkdir(alice, "", 'a'));
  EXPECT_THAT(Mkdir(alice, "", 'a').status(), StatusIs(absl::StatusCode::kAlreadyExists));
  ASSERT_OK(PutIn(alice, a, 'f').status());
  EXPECT_THAT(PutIn(alice, a, 'f').status(), StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(Mkdir(alice, a, 'f').status(), StatusIs(absl::StatusCode::kAlreadyExists));
  ASSERT_OK(Mkdir(alice, a, 'd').status());
  EXPECT_THAT(PutIn(alice, a, 'd').status(), StatusIs(absl::StatusCode::kAlreadyExists));
  // A sharded upload under way holds its name against a folder too.
  ASSERT_OK(writer_->CreateObject(alice, CreateObjectInput{"m", "h", 100, Hash('u'), "", a}).status());
  EXPECT_THAT(Mkdir(alice, a, 'u').status(), StatusIs(absl::StatusCode::kAlreadyExists));
  // The same names in another account are free.
  Caller bob = NewAccount();
  ASSERT_OK(Mkdir(bob, "", 'a').status());
  // A batch with a collision stores nothing.
  InlineObjectInput ok{"meta", "h", "p", Hash('z'), "", a};
  InlineObjectInput clash{"meta", "h", "p", Hash('f'), "", a};
  EXPECT_THAT(small_->PutInline(alice, {ok, clash}).status(),
              StatusIs(absl::StatusCode::kAlreadyExists));
  ASSERT_OK_AND_ASSIGN(ResolvedEntry e, tree_->Resolve(alice, a, Hash('z')));
  EXPECT_TRUE(e.objects.empty());
}

TEST_F(FoldersPgTest, OldRootObjectsStayInTheRootAndMayShareAName) {
  AddNodes(6);
  Caller alice = NewAccount();
  ASSERT_OK_AND_ASSIGN(std::string sharded, UploadObject(alice, 5000));  // no name hash
  ASSERT_OK_AND_ASSIGN(std::string one, PutIn(alice, "", 'r'));
  ASSERT_OK_AND_ASSIGN(std::string two, PutIn(alice, "", 'r'));  // as before folders
  ASSERT_OK_AND_ASSIGN(FolderPage root, tree_->List(alice, "", 0, ""));
  std::set<std::string> ids;
  for (const ObjectSummary& o : root.objects) ids.insert(o.object_id);
  EXPECT_EQ(ids, (std::set<std::string>{sharded, one, two}));
  ASSERT_OK_AND_ASSIGN(ResolvedEntry e, tree_->Resolve(alice, "", Hash('r')));
  EXPECT_EQ(e.objects.size(), 2u);
  // But a folder cannot take a name an object has, nor the reverse.
  EXPECT_THAT(Mkdir(alice, "", 'r').status(), StatusIs(absl::StatusCode::kAlreadyExists));
  ASSERT_OK(Mkdir(alice, "", 'd').status());
  EXPECT_THAT(PutIn(alice, "", 'd').status(), StatusIs(absl::StatusCode::kAlreadyExists));
  // An old object without a name hash moves into a folder with one.
  ASSERT_OK_AND_ASSIGN(std::string dir, Mkdir(alice, "", 'x'));
  ASSERT_OK(tree_->Move(alice, MoveInput{"", sharded, dir, Hash('s'), "new-meta"}));
  ASSERT_OK_AND_ASSIGN(e, tree_->Resolve(alice, dir, Hash('s')));
  ASSERT_EQ(e.objects.size(), 1u);
  EXPECT_EQ(e.objects[0].encrypted_metadata, "new-meta");
  ASSERT_OK_AND_ASSIGN(ObjectManifest m, catalog_->Get(&alice, sharded));
  EXPECT_EQ(m.object.parent_id, dir);
}

TEST_F(FoldersPgTest, MovesAreAtomicAndRefuseCyclesAndCollisions) {
  Caller alice = NewAccount();
  ASSERT_OK_AND_ASSIGN(std::string a, Mkdir(alice, "", 'a'));
  ASSERT_OK_AND_ASSIGN(std::string b, Mkdir(alice, a, 'b'));
  ASSERT_OK_AND_ASSIGN(std::string c, Mkdir(alice, b, 'c'));
  ASSERT_OK_AND_ASSIGN(std::string f, PutIn(alice, c, 'f'));

  EXPECT_THAT(tree_->Move(alice, MoveInput{a, "", a, Hash('a'), ""}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(tree_->Move(alice, MoveInput{a, "", c, Hash('a'), ""}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  // Collisions: with a folder, with an object, for folders and objects.
  ASSERT_OK(Mkdir(alice, "", 'b').status());
  EXPECT_THAT(tree_->Move(alice, MoveInput{b, "", "", Hash('b'), ""}),
              StatusIs(absl::StatusCode::kAlreadyExists));
  ASSERT_OK(PutIn(alice, b, 'g').status());
  EXPECT_THAT(tree_->Move(alice, MoveInput{"", f, b, Hash('g'), ""}),
              StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(tree_->Move(alice, MoveInput{"", f, b, Hash('c'), ""}),
              StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(tree_->Move(alice, MoveInput{c, "", b, Hash('g'), ""}),
              StatusIs(absl::StatusCode::kAlreadyExists));
  // A subtree moves with one row change: c (with f) to the root, renamed.
  ASSERT_OK(tree_->Move(alice, MoveInput{c, "", "", Hash('C'), "renamed"}));
  ASSERT_OK_AND_ASSIGN(ResolvedEntry e, tree_->Resolve(alice, "", Hash('C')));
  ASSERT_TRUE(e.folder.has_value());
  EXPECT_EQ(e.folder->encrypted_metadata, "renamed");
  ASSERT_OK_AND_ASSIGN(e, tree_->Resolve(alice, c, Hash('f')));
  ASSERT_EQ(e.objects.size(), 1u);
  ASSERT_OK_AND_ASSIGN(e, tree_->Resolve(alice, b, Hash('c')));
  EXPECT_FALSE(e.folder.has_value());
  // Moving back down into the former parent is fine (no cycle).
  ASSERT_OK(tree_->Move(alice, MoveInput{c, "", a, Hash('c'), ""}));
  // Nobody else moves alice's entries, nor into their folders.
  Caller bob = NewAccount();
  EXPECT_THAT(tree_->Move(bob, MoveInput{c, "", "", Hash('q'), ""}),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(tree_->Move(bob, MoveInput{"", f, "", Hash('q'), ""}),
              StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(std::string bobs, Mkdir(bob, "", 'q'));
  EXPECT_THAT(tree_->Move(alice, MoveInput{c, "", bobs, Hash('q'), ""}),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(FoldersPgTest, ConcurrentCrossMovesNeverMakeACycle) {
  Caller alice = NewAccount();
  for (int round = 0; round < 10; ++round) {
    ASSERT_OK_AND_ASSIGN(std::string x, Mkdir(alice, "", static_cast<char>('A' + 2 * round)));
    ASSERT_OK_AND_ASSIGN(std::string y, Mkdir(alice, "", static_cast<char>('B' + 2 * round)));
    absl::Status sx, sy;
    std::thread t1([&] { sx = tree_->Move(alice, MoveInput{x, "", y, Hash('x'), ""}); });
    std::thread t2([&] { sy = tree_->Move(alice, MoveInput{y, "", x, Hash('y'), ""}); });
    t1.join();
    t2.join();
    // Exactly one wins; the other sees the cycle it would make.
    EXPECT_NE(sx.ok(), sy.ok()) << sx << " / " << sy;
    EXPECT_TRUE(sx.ok() || absl::IsFailedPrecondition(sx)) << sx;
    EXPECT_TRUE(sy.ok() || absl::IsFailedPrecondition(sy)) << sy;
  }
}

TEST_F(FoldersPgTest, OnlyEmptyFoldersAreDeleted) {
  Caller alice = NewAccount();
  ASSERT_OK_AND_ASSIGN(std::string a, Mkdir(alice, "", 'a'));
  ASSERT_OK_AND_ASSIGN(std::string b, Mkdir(alice, a, 'b'));
  EXPECT_THAT(tree_->Delete(alice, a), StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_OK_AND_ASSIGN(std::string f, PutIn(alice, b, 'f'));
  EXPECT_THAT(tree_->Delete(alice, b), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(tree_->Delete(NewAccount(), b), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK(catalog_->Delete(alice, f));
  ASSERT_OK(tree_->Delete(alice, b));
  ASSERT_OK(tree_->Delete(alice, a));
  EXPECT_THAT(tree_->Delete(alice, a), StatusIs(absl::StatusCode::kNotFound));
  // An upload under way keeps its folder.
  ASSERT_OK_AND_ASSIGN(std::string c, Mkdir(alice, "", 'c'));
  ASSERT_OK(writer_->CreateObject(alice, CreateObjectInput{"m", "h", 100, Hash('u'), "", c}).status());
  EXPECT_THAT(tree_->Delete(alice, c), StatusIs(absl::StatusCode::kFailedPrecondition));
  // Deleting the account's data removes its folders too.
  ASSERT_OK(catalog_->DeleteAccountData(alice.account_id).status());
  EXPECT_THAT(tree_->List(alice, c, 0, "").status(), StatusIs(absl::StatusCode::kNotFound));
}

// Folders and the trash (docs/ARCHITECTURE.md#folders): a trashed object holds no
// name and no folder; restoring it where its name is now taken is refused (even
// with keep_both); one whose folder was deleted comes back in the root.
TEST_F(FoldersPgTest, TrashedObjectsHoldNoNameAndRestoreChecksTheFolder) {
  config_.trash_window = absl::Hours(1);
  TrashBin trash(*store_, clock_, config_, metrics_.get(), log_);
  Caller alice = NewAccount();
  ASSERT_OK_AND_ASSIGN(std::string a, Mkdir(alice, "", 'a'));
  ASSERT_OK_AND_ASSIGN(std::string first, PutIn(alice, a, 'f'));
  ASSERT_OK(catalog_->Delete(alice, first));
  // Gone from resolves and listings; its name is free again.
  ASSERT_OK_AND_ASSIGN(ResolvedEntry e, tree_->Resolve(alice, a, Hash('f')));
  EXPECT_TRUE(e.objects.empty());
  ASSERT_OK_AND_ASSIGN(FolderPage page, tree_->List(alice, a, 0, ""));
  EXPECT_TRUE(page.objects.empty());
  EXPECT_THAT(tree_->Move(alice, MoveInput{"", first, a, Hash('g'), ""}),
              StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(std::string second, PutIn(alice, a, 'f'));
  // Restoring into the taken name: refused, keep_both or not; nothing changes.
  EXPECT_THAT(trash.Restore(alice, {first}, false), StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(trash.Restore(alice, {first}, true), StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_EQ(catalog_->Get(&alice, first).status().code(), absl::StatusCode::kNotFound);
  // A folder taking the name refuses it too.
  ASSERT_OK(catalog_->Delete(alice, second));
  ASSERT_OK(Mkdir(alice, a, 'f').status());
  absl::Status refused = trash.Restore(alice, {second}, true);
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_NE(std::string(refused.message()).find(second), std::string::npos) << refused;
  // Trashed children do not keep a folder: it is deleted, they move to the root,
  // and a restore brings them back there.
  ASSERT_OK_AND_ASSIGN(std::string b, Mkdir(alice, "", 'b'));
  ASSERT_OK_AND_ASSIGN(std::string third, PutIn(alice, b, 'h'));
  ASSERT_OK(catalog_->Delete(alice, third));
  ASSERT_OK(tree_->Delete(alice, b));
  ASSERT_OK(trash.Restore(alice, {third}, false));
  ASSERT_OK_AND_ASSIGN(page, tree_->List(alice, "", 0, ""));
  bool in_root = false;
  for (const ObjectSummary& o : page.objects) in_root = in_root || o.object_id == third;
  EXPECT_TRUE(in_root);
  EXPECT_EQ(catalog_->Get(&alice, third).status().code(), absl::StatusCode::kOk);
}

TEST_F(FoldersPgTest, InputIsValidatedWithPreciseStatuses) {
  Caller alice = NewAccount();
  ASSERT_OK_AND_ASSIGN(std::string a, Mkdir(alice, "", 'a'));
  auto invalid = [](const absl::Status& s, absl::string_view field) {
    EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_NE(s.message().find(field), absl::string_view::npos) << s;
  };
  invalid(tree_->Create(alice, {"not-a-uuid", Hash('b'), "m"}).status(), "parent_id");
  invalid(tree_->Create(alice, {"", "short", "m"}).status(), "name_hash");
  invalid(tree_->Create(alice, {"", "", "m"}).status(), "name_hash");
  invalid(tree_->Create(alice, {"", Hash('b'), ""}).status(), "encrypted_metadata");
  invalid(tree_->Create(alice, {"", Hash('b'), std::string(config_.max_metadata_bytes + 1, 'm')})
              .status(),
          "encrypted_metadata");
  EXPECT_THAT(tree_->Create(alice, {NewUuid(), Hash('b'), "m"}).status(),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(tree_->Create(Caller{}, {"", Hash('b'), "m"}).status(),
              StatusIs(absl::StatusCode::kPermissionDenied));
  invalid(tree_->Resolve(alice, "x", Hash('a')).status(), "parent_id");
  invalid(tree_->Resolve(alice, "", std::string(33, 'h')).status(), "name_hash");
  invalid(tree_->List(alice, "", 0, "garbage").status(), "page_token");
  invalid(tree_->List(alice, "", 0, "f:nope").status(), "page_token");
  invalid(tree_->List(alice, "", -1, "").status(), "page_size");
  invalid(tree_->Move(alice, MoveInput{a, NewUuid(), "", Hash('z'), ""}), "exactly one");
  invalid(tree_->Move(alice, MoveInput{"", "", "", Hash('z'), ""}), "exactly one");
  invalid(tree_->Move(alice, MoveInput{"bad", "", "", Hash('z'), ""}), "folder_id");
  invalid(tree_->Move(alice, MoveInput{a, "", "bad", Hash('z'), ""}), "new_parent_id");
  invalid(tree_->Move(alice, MoveInput{a, "", "", "", ""}), "new_name_hash");
  EXPECT_THAT(tree_->Move(alice, MoveInput{a, "", NewUuid(), Hash('z'), ""}),
              StatusIs(absl::StatusCode::kNotFound));
  invalid(tree_->Delete(alice, ""), "folder_id");
  invalid(tree_->Delete(alice, "zz"), "folder_id");
  // Objects in folders need a name hash; a malformed parent is named.
  InlineObjectInput nameless{"meta", "h", "p", "", "", a};
  invalid(small_->PutInline(alice, {nameless}).status(), "objects[0].name_hash");
  InlineObjectInput bad_parent{"meta", "h", "p", Hash('q'), "", "bad"};
  invalid(small_->PutInline(alice, {bad_parent}).status(), "objects[0].parent_id");
  invalid(writer_->CreateObject(alice, CreateObjectInput{"m", "h", 10, Hash('q'), "", "bad"}).status(),
          "parent_id");
  EXPECT_THAT(
      writer_->CreateObject(alice, CreateObjectInput{"m", "h", 10, Hash('q'), "", NewUuid()}).status(),
      StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace freehold::coordinator::testing
