// NamingKeys: one set of naming keys per key generation, the newest first, duplicates
// dropped; a blob or hash of one generation matches that generation only.
#include "client/core/naming_keys.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "client/core/metadata.h"
#include "client/core/share_record.h"
#include "tests/support/status_matchers.h"

namespace freehold::client {
namespace {

TEST(NamingKeysTest, NewestFirstDuplicatesDroppedEachGenerationItsOwnKeys) {
  X25519Identity g1 = GenerateIdentity(), g2 = GenerateIdentity();
  // Every generation passed as `older`, the newest among them: it is not repeated.
  NamingKeys keys(g2, {&g2, &g1, nullptr, &g1});
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys.metadata_key(0).view(), MetadataKey(g2).view());
  EXPECT_EQ(keys.metadata_key(1).view(), MetadataKey(g1).view());
  EXPECT_EQ(keys.name_key(1).view(), NameHashKey(g1).view());
  EXPECT_EQ(keys.share_key(0).view(), ShareRecordKey(g2).view());
  const std::string parent = "0f8fad5b-d9cb-469f-a165-70867728950e";
  EXPECT_EQ(keys.EntryHash(parent, "a.txt"), EntryNameHash(NameHashKey(g2), parent, "a.txt"));
  EXPECT_EQ(keys.EntryHash(parent, "a.txt", 1), EntryNameHash(NameHashKey(g1), parent, "a.txt"));
  EXPECT_NE(keys.EntryHash(parent, "a.txt", 0), keys.EntryHash(parent, "a.txt", 1));
  EXPECT_EQ(keys.RootHash("a.txt", 1), NameHash(NameHashKey(g1), "a.txt"));
  EXPECT_NE(keys.RootHash("a.txt", 0), keys.RootHash("a.txt", 1));

  // A blob of the newest generation does not open with the older one's key.
  FileMetadata m{"report.pdf", 10, 1, 2};
  ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> blob,
                       SealObjectMetadata(keys.metadata_key(0), m, parent));
  EXPECT_OK(OpenObjectMetadata(keys.metadata_key(0), blob, parent).status());
  EXPECT_FALSE(OpenObjectMetadata(keys.metadata_key(1), blob, parent).ok());

  NamingKeys one(g1);
  EXPECT_EQ(one.size(), 1u);
}

}  // namespace
}  // namespace freehold::client
