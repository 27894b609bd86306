// ReadPutShardMessage: data messages are read from gRPC's slices without a copy, and
// every other shape means what protobuf says it means.
#include "services/storaged/grpc/put_shard_messages.h"

#include <gmock/gmock.h>
#include <grpcpp/support/slice.h>
#include <gtest/gtest.h>

#include <vector>

#include "tests/storaged/storaged_test_util.h"
#include "tests/support/status_matchers.h"

namespace freehold::storaged {
namespace {

using ::freehold::testing::StatusIs;
using ::testing::HasSubstr;
using namespace ::freehold::storaged::testing;  // NOLINT

// A ByteBuffer holding `bytes` cut into slices at `cuts` (offsets).
grpc::ByteBuffer Buffer(const std::string& bytes, std::vector<size_t> cuts = {}) {
  std::vector<grpc::Slice> slices;
  size_t from = 0;
  cuts.push_back(bytes.size());
  for (size_t to : cuts) {
    slices.emplace_back(bytes.data() + from, to - from);
    from = to;
  }
  return grpc::ByteBuffer(slices.data(), slices.size());
}

std::string DataMessage(const std::string& data) {
  v1::PutShardRequest request;
  request.set_data(data);
  return request.SerializeAsString();
}

struct Read {
  absl::StatusOr<PutShardPart> part;
  std::string sunk;
  int pieces = 0;
  v1::PutShardRequest request;
};

Read ReadOne(grpc::ByteBuffer buffer) {
  Read read;
  read.part = ReadPutShardMessage(
      buffer, 7,
      [&read](std::string_view piece) {
        read.sunk.append(piece);
        ++read.pieces;
        return absl::OkStatus();
      },
      &read.request);
  return read;
}

TEST(PutShardMessagesTest, DataMessageBytesGoToTheSinkWhereverTheSlicesAreCut) {
  const std::string data = PatternBytes(300000);
  const std::string message = DataMessage(data);
  // Cuts inside the tag/length header, and inside the data.
  for (const std::vector<size_t>& cuts :
       std::vector<std::vector<size_t>>{{}, {1}, {2}, {3, 100}, {4, 70000, 200000}}) {
    Read read = ReadOne(Buffer(message, cuts));
    ASSERT_OK(read.part);
    EXPECT_EQ(*read.part, PutShardPart::kData);
    EXPECT_EQ(read.sunk, data);
    EXPECT_EQ(read.request.part_case(), v1::PutShardRequest::PART_NOT_SET);  // untouched
  }
}

TEST(PutShardMessagesTest, EmptyDataIsADataMessageWithNoBytes) {
  Read read = ReadOne(Buffer(DataMessage("")));
  ASSERT_OK(read.part);
  EXPECT_EQ(*read.part, PutShardPart::kData);
  EXPECT_EQ(read.pieces, 0);
}

TEST(PutShardMessagesTest, OtherShapesAreParsedWithProtobufMeaning) {
  // The data field twice: the last one wins.
  Read twice = ReadOne(Buffer(DataMessage("first") + DataMessage("second")));
  ASSERT_OK(twice.part);
  EXPECT_EQ(*twice.part, PutShardPart::kParsed);
  EXPECT_EQ(twice.request.data(), "second");
  EXPECT_TRUE(twice.sunk.empty());
  // An unknown field after the data.
  std::string unknown = DataMessage("payload");
  unknown += std::string("\x18\x05", 2);  // field 3, varint 5
  Read with_unknown = ReadOne(Buffer(unknown));
  ASSERT_OK(with_unknown.part);
  EXPECT_EQ(*with_unknown.part, PutShardPart::kParsed);
  EXPECT_EQ(with_unknown.request.data(), "payload");
  // A grant.
  v1::PutShardRequest grant;
  grant.mutable_grant()->set_token("token");
  Read granted = ReadOne(Buffer(grant.SerializeAsString()));
  ASSERT_OK(granted.part);
  EXPECT_EQ(*granted.part, PutShardPart::kParsed);
  EXPECT_EQ(granted.request.grant().token(), "token");
}

TEST(PutShardMessagesTest, BytesThatAreNotAPutShardRequestAreInvalidArgument) {
  std::string truncated = DataMessage(PatternBytes(1000));
  truncated.resize(500);
  EXPECT_THAT(ReadOne(Buffer(truncated)).part,
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("message 7")));
  EXPECT_THAT(ReadOne(Buffer(std::string("\xff\xff\xff", 3))).part,
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a PutShardRequest")));
}

TEST(PutShardMessagesTest, TheSinksErrorIsReturned) {
  grpc::ByteBuffer buffer = Buffer(DataMessage("abc"));
  v1::PutShardRequest request;
  EXPECT_THAT(
      ReadPutShardMessage(
          buffer, 2, [](std::string_view) { return absl::ResourceExhaustedError("disk full"); },
          &request),
      StatusIs(absl::StatusCode::kResourceExhausted, "disk full"));
}

}  // namespace
}  // namespace freehold::storaged
