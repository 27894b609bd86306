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
