// Encrypted metadata blobs.
#include "client/core/metadata.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "client/core/byte_io.h"
#include "tests/client_core/test_util.h"
#include "tests/support/status_matchers.h"

namespace freehold::client {
namespace {

using ::freehold::testing::StatusIs;

TEST(MetadataTest, SealOpenRoundTripBoundToObject) {
  X25519Identity id = GenerateIdentity();
  SecretBytes key = MetadataKey(id);
  FileMetadata m{"holiday photos/été 2024.jpg", 123456789, 1700000000123456789, -5};
  std::string object = "0f8fad5b-d9cb-469f-a165-70867728950e";
  ASSERT_OK_AND_ASSIGN(auto blob, SealMetadata(key, m, AsBytes(object)));
  EXPECT_EQ(std::string(blob.begin(), blob.end()).find("holiday"), std::string::npos);
  ASSERT_OK_AND_ASSIGN(FileMetadata back, OpenMetadata(key, blob, AsBytes(object)));
  EXPECT_EQ(back, m);
  // Same identity, re-derived key.
  ASSERT_OK_AND_ASSIGN(X25519Identity again, ParseIdentity(id.Encode().view()));
  EXPECT_OK(OpenMetadata(MetadataKey(again), blob, AsBytes(object)).status());
  // Another object's id, another identity, or any flipped byte fail.
  EXPECT_THAT(OpenMetadata(key, blob, AsBytes("other")),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(OpenMetadata(MetadataKey(GenerateIdentity()), blob, AsBytes(object)),
              StatusIs(absl::StatusCode::kPermissionDenied));
  for (size_t i = 1; i < blob.size(); ++i) {
    auto bad = blob;
    bad[i] ^= 1;
    EXPECT_FALSE(OpenMetadata(key, bad, AsBytes(object)).ok()) << i;
  }
  auto bad_version = blob;
  bad_version[0] = 9;
  EXPECT_THAT(OpenMetadata(key, bad_version, AsBytes(object)),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(MetadataTest, BlobSizeHidesExactNameLength) {
  SecretBytes key = MetadataKey(GenerateIdentity());
  ASSERT_OK_AND_ASSIGN(auto a, SealMetadata(key, {"a.txt", 1, 0, 0}));
  ASSERT_OK_AND_ASSIGN(auto b, SealMetadata(key, {"abcdefghijklmnopqrst.txt", 1, 0, 0}));
  EXPECT_EQ(a.size(), b.size());
  ASSERT_OK_AND_ASSIGN(auto c, SealMetadata(key, {"a.txt", 1, 0, 0}));
  EXPECT_NE(a, c);  // fresh nonce each time
}

TEST(MetadataTest, RejectsOverlongNamesAndBadKeys) {
  SecretBytes key = MetadataKey(GenerateIdentity());
  EXPECT_THAT(SealMetadata(key, {std::string(5000, 'x'), 0, 0, 0}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(SealMetadata(SecretBytes(16), {"x", 0, 0, 0}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  std::vector<uint8_t> tiny(10);
  EXPECT_THAT(OpenMetadata(key, tiny), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace freehold::client

// Version 2 (issue 21): bound to the object id, version 1 still read.
namespace freehold::client {
namespace {

using ::freehold::testing::StatusIs;

TEST(ObjectMetadataTest, BoundToItsObjectAndOldFormatStillReads) {
  X25519Identity id = GenerateIdentity();
  SecretBytes key = MetadataKey(id);
  FileMetadata m{"a.txt", 5, 1, 2};
  const std::string a = NewObjectId();
  const std::string b = NewObjectId();
  ASSERT_NE(a, b);
  ASSERT_OK_AND_ASSIGN(auto blob_a, SealObjectMetadata(key, m, a));
  EXPECT_EQ(blob_a[0], kMetadataVersionBound);
  ASSERT_OK_AND_ASSIGN(OpenedMetadata back, OpenObjectMetadata(key, blob_a, a));
  EXPECT_EQ(back.metadata, m);
  EXPECT_EQ(back.version, kMetadataVersionBound);
  // The blob of object a served for object b (a swap) does not open.
  EXPECT_THAT(OpenObjectMetadata(key, blob_a, b), StatusIs(absl::StatusCode::kPermissionDenied));
  // Version 1 (unbound) still opens through the same call and says so.
  ASSERT_OK_AND_ASSIGN(auto old, SealMetadata(key, m));
  ASSERT_OK_AND_ASSIGN(OpenedMetadata legacy, OpenObjectMetadata(key, old, b));
  EXPECT_EQ(legacy.version, kMetadataVersionLegacy);
  EXPECT_EQ(legacy.metadata, m);
  // A version 2 blob re-labelled as version 1 (downgrade) does not open.
  auto relabelled = blob_a;
  relabelled[0] = kMetadataVersionLegacy;
  EXPECT_FALSE(OpenObjectMetadata(key, relabelled, a).ok());
  // Ids must be canonical.
  EXPECT_THAT(SealObjectMetadata(key, m, "A" + a.substr(1)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(OpenObjectMetadata(key, blob_a, a.substr(1)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(OpenObjectMetadata(key, {}, a), StatusIs(absl::StatusCode::kInvalidArgument));
  // NewObjectId is a version 4 UUID.
  EXPECT_EQ(a.size(), 36u);
  EXPECT_EQ(a[14], '4');
  EXPECT_NE(std::string("89ab").find(a[19]), std::string::npos);
}

TEST(MetadataTest, ContentHashRoundTripsWithAndWithoutMode) {
  X25519Identity id = GenerateIdentity();
  SecretBytes key = MetadataKey(id);
  const std::string object = "0f8fad5b-d9cb-469f-a165-70867728950e";
  // The hash of a stream equals that of the whole, and differs for one byte.
  const std::string text = "the same size, another byte";
  ContentHasher whole;
  whole.Update(AsBytes(text));
  const std::string h = whole.Final();
  ASSERT_EQ(h.size(), kContentHashBytes);
  ContentHasher parts;
  parts.Update(AsBytes(text.substr(0, 5)));
  parts.Update(AsBytes(text.substr(5)));
  EXPECT_EQ(parts.Final(), h);
  std::string edited = text;
  edited[3] ^= 1;
  ContentHasher other;
  other.Update(AsBytes(edited));
  EXPECT_NE(other.Final(), h);
  for (uint32_t mode : {0u, 0640u}) {
    FileMetadata m{"a.txt", text.size(), 1, 2, mode, h};
    ASSERT_OK_AND_ASSIGN(auto blob, SealObjectMetadata(key, m, object));
    ASSERT_OK_AND_ASSIGN(OpenedMetadata back, OpenObjectMetadata(key, blob, object));
    EXPECT_EQ(back.metadata, m) << mode;
    // Without a hash the field stays empty (blobs of older clients).
    m.content_hash.clear();
    ASSERT_OK_AND_ASSIGN(blob, SealObjectMetadata(key, m, object));
    ASSERT_OK_AND_ASSIGN(back, OpenObjectMetadata(key, blob, object));
    EXPECT_EQ(back.metadata, m) << mode;
  }
  FileMetadata bad{"a.txt", 1, 1, 2, 0, "short"};
  EXPECT_THAT(SealObjectMetadata(key, bad, object), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace freehold::client
