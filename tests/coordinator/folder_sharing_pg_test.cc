// Folder sharing over real PostgreSQL (core/folders.h, folder_sharing.cc):
// keys for many entries in one SetEntryKeys transaction, a shared subtree
// readable by its recipient (listing, manifests) and nothing outside it, the
// compare-and-swap of UpdateSharing, unshare and the public link, moves clearing
// wraps, and every bad input with its precise status.
#include <gtest/gtest.h>

#include "coordinator/core/folders.h"
#include "coordinator/core/ids.h"
#include "coordinator/core/small_objects.h"
#include "tests/coordinator/coordinator_fixture.h"
#include "tests/support/status_matchers.h"

namespace freehold::coordinator::testing {
namespace {

using ::freehold::testing::StatusIs;

std::string Hash(char c) { return std::string(kNameHashBytes, c); }

class FolderSharingPgTest : public CoordinatorPgTest {
 protected:
  void SetUp() override {
    CoordinatorPgTest::SetUp();
    tree_ = std::make_unique<FolderTree>(*store_, clock_, config_, log_);
    small_ = std::make_unique<SmallObjects>(*store_, clock_, config_, admission_, log_);
  }

  std::string Mkdir(const Caller& who, const std::string& parent, char name) {
    absl::StatusOr<FolderSummary> f =
        tree_->Create(who, CreateFolderInput{parent, Hash(name), "sealed-name"});
    EXPECT_TRUE(f.ok()) << f.status();
    return f.ok() ? f->folder_id : "";
  }

  std::string PutIn(const Caller& who, const std::string& parent, char name) {
    InlineObjectInput in{"meta", "age-header", "payload", Hash(name), /*object_id=*/"", parent};
    absl::StatusOr<InlineCommit> done = small_->PutInline(who, {in});
    EXPECT_TRUE(done.ok()) << done.status();
    return done.ok() ? done->object_ids.front() : "";
  }

  EntryKeyInput FolderKey(const std::string& id, const std::string& header,
                          const std::string& wrap = "") {
    return EntryKeyInput{id, "", header, wrap};
  }
  EntryKeyInput ObjectWrap(const std::string& id, const std::string& wrap) {
    return EntryKeyInput{"", id, "", wrap};
  }

  std::unique_ptr<FolderTree> tree_;
  std::unique_ptr<SmallObjects> small_;
};

TEST_F(FolderSharingPgTest, SharedSubtreeIsReadableAndNothingElse) {
  Caller alice = NewAccount();
  Caller bob = NewAccount();
  const std::string docs = Mkdir(alice, "", 'd');
  const std::string sub = Mkdir(alice, docs, 's');
  const std::string other = Mkdir(alice, "", 'o');
  const std::string in_docs = PutIn(alice, docs, 'a');
  const std::string in_sub = PutIn(alice, sub, 'b');
  const std::string outside = PutIn(alice, other, 'c');

  // Keys for the whole subtree in one call, parents before children.
  ASSERT_OK(tree_->SetEntryKeys(alice, {FolderKey(docs, "docs-header"),
                                        FolderKey(sub, "sub-header", "sub-wrap"),
                                        ObjectWrap(in_docs, "a-wrap"), ObjectWrap(in_sub, "b-wrap")}));
  // Before sharing, bob reads nothing.
  EXPECT_THAT(tree_->Get(&bob, docs).status(), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(tree_->List(bob, docs, 0, "").status(), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(catalog_->Get(&bob, in_sub).status(), StatusIs(absl::StatusCode::kNotFound));

  ASSERT_OK_AND_ASSIGN(FolderSummary owner_view, tree_->Get(&alice, docs));
  EXPECT_EQ(owner_view.age_header, "docs-header");
  ASSERT_OK_AND_ASSIGN(const uint64_t v,
                       tree_->UpdateSharing(alice, FolderSharingInput{docs, "docs-header+bob",
                                                                      "record", {bob.account_id},
                                                                      false,
                                                                      owner_view.header_version}));
  EXPECT_GT(v, owner_view.header_version);
  ASSERT_OK_AND_ASSIGN(owner_view, tree_->Get(&alice, docs));
  EXPECT_EQ(owner_view.shared_with, std::vector<std::string>{bob.account_id});
  EXPECT_EQ(owner_view.share_record, "record");

  // Bob: the folder (no owner-only fields), its subtree listed with wraps, manifests.
  ASSERT_OK_AND_ASSIGN(FolderSummary seen, tree_->Get(&bob, docs));
  EXPECT_EQ(seen.age_header, "docs-header+bob");
  EXPECT_TRUE(seen.shared_with_me);
  EXPECT_TRUE(seen.share_record.empty());
  EXPECT_EQ(seen.header_version, 0u);
  ASSERT_OK_AND_ASSIGN(FolderPage page, tree_->List(bob, docs, 0, ""));
  ASSERT_EQ(page.folders.size(), 1u);
  EXPECT_EQ(page.folders[0].entry_wrap, "sub-wrap");
  ASSERT_EQ(page.objects.size(), 1u);
  EXPECT_EQ(page.objects[0].folder_wrap, "a-wrap");
  EXPECT_TRUE(page.objects[0].parent_id.empty());  // the owner's tree stays hidden
  ASSERT_OK_AND_ASSIGN(page, tree_->List(bob, sub, 0, ""));
  ASSERT_EQ(page.objects.size(), 1u);
  EXPECT_EQ(page.objects[0].folder_wrap, "b-wrap");
  ASSERT_OK_AND_ASSIGN(ObjectManifest m, catalog_->Get(&bob, in_sub));
  EXPECT_TRUE(m.object.shared_with_me);
  // Outside the shared folder: nothing.
  EXPECT_THAT(catalog_->Get(&bob, outside).status(), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(tree_->List(bob, other, 0, "").status(), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(tree_->List(bob, "", 0, "").status(), StatusIs(absl::StatusCode::kOk));  // bob's own root
  // Nobody without an account, no link.
  EXPECT_THAT(tree_->Get(nullptr, docs).status(), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(catalog_->Get(nullptr, in_docs).status(), StatusIs(absl::StatusCode::kNotFound));
  // A reader may not change the sharing.
  EXPECT_THAT(tree_->UpdateSharing(bob, FolderSharingInput{docs, "h", "", {}, false, 0}).status(),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(tree_->SetEntryKeys(bob, {ObjectWrap(in_docs, "x")}),
              StatusIs(absl::StatusCode::kNotFound));

  // Moving a file out of the shared folder takes it out of bob's reach, and
  // its wrap (bound to the old folder) is cleared.
  ASSERT_OK(tree_->Move(alice, MoveInput{"", in_sub, other, Hash('m'), ""}));
  EXPECT_THAT(catalog_->Get(&bob, in_sub).status(), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(page, tree_->List(alice, other, 0, ""));
  for (const ObjectSummary& o : page.objects) EXPECT_TRUE(o.folder_wrap.empty());

  // Stale version: ABORTED, nothing written.
  EXPECT_THAT(tree_->UpdateSharing(alice, FolderSharingInput{docs, "h2", "", {}, false,
                                                             owner_view.header_version - 1})
                  .status(),
              StatusIs(absl::StatusCode::kAborted));
  ASSERT_OK_AND_ASSIGN(seen, tree_->Get(&bob, docs));
  EXPECT_EQ(seen.age_header, "docs-header+bob");  // nothing written
  // Unshare, then a public link: bob is refused, anyone reads.
  ASSERT_OK_AND_ASSIGN(owner_view, tree_->Get(&alice, docs));
  ASSERT_OK(tree_->UpdateSharing(alice, FolderSharingInput{docs, "docs-header", "", {}, false,
                                                           owner_view.header_version})
                .status());
  EXPECT_THAT(tree_->List(bob, docs, 0, "").status(), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(catalog_->Get(&bob, in_docs).status(), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK(tree_->UpdateSharing(alice, FolderSharingInput{docs, "docs-header+link", "", {}, true, 0})
                .status());
  ASSERT_OK(tree_->List(nullptr, sub, 0, "").status());
  ASSERT_OK(catalog_->Get(nullptr, in_docs).status());
  EXPECT_THAT(tree_->List(nullptr, other, 0, "").status(), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(tree_->List(nullptr, "", 0, "").status(),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(FolderSharingPgTest, BadInputsHavePreciseStatuses) {
  Caller alice = NewAccount();
  Caller bob = NewAccount();
  const std::string docs = Mkdir(alice, "", 'd');
  const std::string sub = Mkdir(alice, docs, 's');
  const std::string file = PutIn(alice, docs, 'f');
  const std::string bobs = Mkdir(bob, "", 'b');
  using C = absl::StatusCode;

  EXPECT_THAT(tree_->SetEntryKeys(alice, {}), StatusIs(C::kInvalidArgument));
  std::vector<EntryKeyInput> many(FolderTree::kMaxEntryKeys + 1, ObjectWrap(file, "w"));
  EXPECT_THAT(tree_->SetEntryKeys(alice, many), StatusIs(C::kInvalidArgument));
  EXPECT_THAT(tree_->SetEntryKeys(alice, {EntryKeyInput{docs, file, "h", ""}}),
              StatusIs(C::kInvalidArgument));
  EXPECT_THAT(tree_->SetEntryKeys(alice, {EntryKeyInput{"", "", "h", ""}}),
              StatusIs(C::kInvalidArgument));
  EXPECT_THAT(tree_->SetEntryKeys(alice, {FolderKey("not-a-uuid", "h")}),
              StatusIs(C::kInvalidArgument));
  EXPECT_THAT(tree_->SetEntryKeys(alice, {EntryKeyInput{"", file, "h", "w"}}),
              StatusIs(C::kInvalidArgument));  // objects get no header here
  EXPECT_THAT(tree_->SetEntryKeys(alice, {FolderKey(docs, "")}), StatusIs(C::kInvalidArgument));
  EXPECT_THAT(tree_->SetEntryKeys(alice, {ObjectWrap(file, std::string(FolderTree::kMaxWrapBytes + 1, 'w'))}),
              StatusIs(C::kInvalidArgument));
  // Someone else's folder, an unknown object.
  EXPECT_THAT(tree_->SetEntryKeys(alice, {FolderKey(bobs, "h")}), StatusIs(C::kNotFound));
  EXPECT_THAT(tree_->SetEntryKeys(alice, {ObjectWrap(NewUuid(), "w")}), StatusIs(C::kNotFound));
  // A wrap under a folder without a key; all or nothing: the first entry is not kept.
  EXPECT_THAT(tree_->SetEntryKeys(alice, {FolderKey(sub, "sub-h"), ObjectWrap(file, "w")}),
              StatusIs(C::kFailedPrecondition));
  ASSERT_OK_AND_ASSIGN(FolderSummary s, tree_->Get(&alice, sub));
  EXPECT_TRUE(s.age_header.empty());
  // A second key for a keyed folder: ABORTED (another device keyed it).
  ASSERT_OK(tree_->SetEntryKeys(alice, {FolderKey(docs, "h1")}));
  EXPECT_THAT(tree_->SetEntryKeys(alice, {FolderKey(docs, "h2")}), StatusIs(C::kAborted));

  // UpdateSharing.
  EXPECT_THAT(tree_->UpdateSharing(alice, FolderSharingInput{"", "h", "", {}, false, 0}).status(),
              StatusIs(C::kInvalidArgument));
  EXPECT_THAT(tree_->UpdateSharing(alice, FolderSharingInput{docs, "", "", {}, false, 0}).status(),
              StatusIs(C::kInvalidArgument));
  EXPECT_THAT(
      tree_->UpdateSharing(alice, FolderSharingInput{docs, "h", "", {"nope"}, false, 0}).status(),
      StatusIs(C::kInvalidArgument));
  std::vector<std::string> crowd;
  for (int i = 0; i <= config_.max_share_accounts; ++i) crowd.push_back(NewUuid());
  EXPECT_THAT(tree_->UpdateSharing(alice, FolderSharingInput{docs, "h", "", crowd, false, 0}).status(),
              StatusIs(C::kInvalidArgument));
  EXPECT_THAT(
      tree_->UpdateSharing(alice, FolderSharingInput{docs, "h", std::string(config_.max_metadata_bytes + 1, 'r'), {}, false, 0})
          .status(),
      StatusIs(C::kInvalidArgument));
  EXPECT_THAT(tree_->UpdateSharing(alice, FolderSharingInput{sub, "h", "", {}, false, 0}).status(),
              StatusIs(C::kFailedPrecondition));
  EXPECT_THAT(tree_->UpdateSharing(alice, FolderSharingInput{bobs, "h", "", {}, false, 0}).status(),
              StatusIs(C::kNotFound));
  EXPECT_THAT(tree_->UpdateSharing(alice, FolderSharingInput{docs, "h", "", {}, false, 999}).status(),
              StatusIs(C::kAborted));
  // Get.
  EXPECT_THAT(tree_->Get(&alice, "").status(), StatusIs(C::kInvalidArgument));
  EXPECT_THAT(tree_->Get(&alice, "zz").status(), StatusIs(C::kInvalidArgument));
  EXPECT_THAT(tree_->Get(&alice, NewUuid()).status(), StatusIs(C::kNotFound));
  EXPECT_THAT(tree_->Get(&alice, bobs).status(), StatusIs(C::kNotFound));
}

}  // namespace
}  // namespace freehold::coordinator::testing
