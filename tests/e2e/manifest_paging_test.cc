// End-to-end: object manifests page their segments and read grants, so that the
// largest object the coordinator accepts can be read back (a 1 TiB manifest in one
// message would pass the message limit). Here the coordinator answers at most 3
// segments per GetObject and segments are 64 KiB, so a file of 10 segments needs 4
// pages; the real CLI puts it and gets it back byte for byte.
#include <gtest/gtest.h>

#include <string>

#include "tests/e2e/e2e_fixture.h"

namespace freehold::e2e {
namespace {

class ManifestPagingTest : public ClusterTest<6, 3> {
 protected:
  static void SetUpTestSuite() {
    ClusterOptions o = Options();
    o.segment_size = "64KiB";
    o.coordinator_args = {"--manifest-page-segments", "3", "--inline-max-size", "0"};
    StartWith(o);
  }
};

TEST_F(ManifestPagingTest, AnObjectOfManyPagesIsReadBackWholeAndPagesAreBounded) {
  auto alice = SignUp("pager");
  // 620,000 bytes of payload in 64 KiB segments: 10 segments.
  const std::string data = WriteRandomFile(alice->File("big.bin"), 620000, 77);
  const std::string id = Put(*alice, alice->File("big.bin"), "big.bin");
  ASSERT_FALSE(id.empty());

  CliResult get = alice->Run({"get", "big.bin", "-o", alice->File("back.bin")});
  ASSERT_EQ(get.exit_code, 0) << get.Describe();
  EXPECT_TRUE(ReadFile(alice->File("back.bin")) == data) << "bytes differ after a paged get";

  // The pages themselves, as the API answers them.
  std::unique_ptr<v1::Coordinator::Stub> stub = CoordinatorStub();
  const std::string token = AccessToken(*alice);
  uint32_t next = 0;
  int pages = 0;
  uint32_t segments = 0;
  do {
    grpc::ClientContext ctx;
    PrepareCall(&ctx, token);
    v1::GetObjectRequest req;
    req.set_object_id(id);
    req.set_first_segment(next);
    v1::GetObjectResponse resp;
    grpc::Status st = stub->GetObject(&ctx, req, &resp);
    ASSERT_TRUE(st.ok()) << st.error_message();
    EXPECT_EQ(resp.segment_count(), 10u);
    ASSERT_GE(resp.segments_size(), 1);
    EXPECT_LE(resp.segments_size(), 3);
    EXPECT_EQ(resp.segments(0).segment(), next) << "a page starts where the last ended";
    for (const v1::SegmentManifest& s : resp.segments()) {
      for (const v1::ShardLocation& l : s.shards()) EXPECT_FALSE(l.grant().token().empty());
    }
    segments += static_cast<uint32_t>(resp.segments_size());
    next = resp.next_segment();
    ++pages;
  } while (next != 0 && pages < 20);
  EXPECT_EQ(pages, 4);
  EXPECT_EQ(segments, 10u);

  // A smaller page on request; and a page past the end is refused, naming the field.
  {
    grpc::ClientContext ctx;
    PrepareCall(&ctx, token);
    v1::GetObjectRequest req;
    req.set_object_id(id);
    req.set_max_segments(2);
    v1::GetObjectResponse resp;
    ASSERT_TRUE(stub->GetObject(&ctx, req, &resp).ok());
    EXPECT_EQ(resp.segments_size(), 2);
    EXPECT_EQ(resp.next_segment(), 2u);
  }
  {
    grpc::ClientContext ctx;
    PrepareCall(&ctx, token);
    v1::GetObjectRequest req;
    req.set_object_id(id);
    req.set_first_segment(10);
    v1::GetObjectResponse resp;
    grpc::Status st = stub->GetObject(&ctx, req, &resp);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(st.error_message().find("first_segment"), std::string::npos) << st.error_message();
  }
}

}  // namespace
}  // namespace freehold::e2e
