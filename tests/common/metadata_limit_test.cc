// One oversized request header must not break the other calls multiplexed on the
// same connection. gRPC 1.51 (Debian 12) has a single metadata limit
// (GRPC_ARG_MAX_METADATA_SIZE, advertised as SETTINGS_MAX_HEADER_LIST_SIZE): a header
// block over it received by the server is an HPACK error that shuts down the whole
// connection, failing every call in flight on it; it has no soft limit and the client
// does not check the peer's advertised limit before sending. MakeChannel therefore
// refuses, on the client, to send request metadata larger than
// kMaxRequestMetadataBytes (RESOURCE_EXHAUSTED, nothing is sent).
#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "absl/time/clock.h"
#include "common/grpc_server.h"

namespace freehold {
namespace {

// "/test.Slow/Sleep" answers OK after 1.5 s; any other method answers OK at once.
class SlowService : public grpc::CallbackGenericService {
 public:
  grpc::ServerGenericBidiReactor* CreateReactor(grpc::GenericCallbackServerContext* ctx) override {
    class Reactor : public grpc::ServerGenericBidiReactor {
     public:
      explicit Reactor(bool slow) : slow_(slow) { StartRead(&request_); }
      void OnReadDone(bool ok) override {
        if (!ok) {
          Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "no request"));
          return;
        }
        if (!slow_) {
          StartWrite(&request_);
          return;
        }
        std::thread([this] {
          absl::SleepFor(absl::Milliseconds(1500));
          StartWrite(&request_);
        }).detach();
      }
      void OnWriteDone(bool) override { Finish(grpc::Status::OK); }
      void OnDone() override { delete this; }

     private:
      const bool slow_;
      grpc::ByteBuffer request_;
    };
    return new Reactor(ctx->method() == "/test.Slow/Sleep");
  }
};

class MetadataLimitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    GrpcServerOptions options;  // max_metadata_bytes 64 KiB
    options.configure = [this](grpc::ServerBuilder& b) { b.RegisterCallbackGenericService(&slow_); };
    absl::StatusOr<std::unique_ptr<GrpcServer>> server = GrpcServer::Start(options, {});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }

  // Starts a call of `method` on `channel` carrying a header of `header_bytes`.
  std::future<grpc::Status> Call(grpc::Channel& channel, const std::string& method,
                                 size_t header_bytes) {
    auto ctx = std::make_shared<grpc::ClientContext>();
    ctx->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    if (header_bytes > 0) ctx->AddMetadata("x-big", std::string(header_bytes, 'b'));
    auto request = std::make_shared<grpc::ByteBuffer>();
    grpc::Slice slice(std::string("hi"));
    *request = grpc::ByteBuffer(&slice, 1);
    auto response = std::make_shared<grpc::ByteBuffer>();
    auto done = std::make_shared<std::promise<grpc::Status>>();
    auto stub = std::make_shared<grpc::GenericStub>(channel.shared_from_this());
    stub->UnaryCall(ctx.get(), method, grpc::StubOptions(), request.get(), response.get(),
                    [ctx, request, response, done, stub](grpc::Status s) {
                      done->set_value(std::move(s));
                    });
    return done->get_future();
  }

  SlowService slow_;
  std::unique_ptr<GrpcServer> server_;
};

// The limitation, kept as evidence: on a plain gRPC 1.51 channel the oversized call
// takes its neighbour down with it.
TEST_F(MetadataLimitTest, OnAPlainChannelTheOversizedHeaderFailsItsNeighbourToo) {
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials());
  std::future<grpc::Status> slow = Call(*channel, "/test.Slow/Sleep", 0);
  absl::SleepFor(absl::Milliseconds(300));  // the slow call is in flight
  grpc::Status big = Call(*channel, "/test.Slow/Fast", 100 << 10).get();
  grpc::Status neighbour = slow.get();
  EXPECT_FALSE(big.ok());
  std::cerr << "oversized: " << big.error_code() << " " << big.error_message() << "\n"
            << "neighbour: " << neighbour.error_code() << " " << neighbour.error_message()
            << "\n";
  EXPECT_FALSE(neighbour.ok()) << "gRPC now keeps the neighbour: drop the client-side check?";
}

TEST_F(MetadataLimitTest, MakeChannelRefusesTheOversizedHeaderAndTheNeighbourCompletes) {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = MakeChannel(server_->address());
  ASSERT_TRUE(channel.ok()) << channel.status();
  std::future<grpc::Status> slow = Call(**channel, "/test.Slow/Sleep", 0);
  absl::SleepFor(absl::Milliseconds(300));
  grpc::Status big = Call(**channel, "/test.Slow/Fast", 100 << 10).get();
  EXPECT_EQ(big.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << big.error_message();
  EXPECT_LT(big.error_message().size(), 300u);
  grpc::Status neighbour = slow.get();
  EXPECT_TRUE(neighbour.ok()) << neighbour.error_code() << " " << neighbour.error_message();
  // Headers within the limit still go through on the same channel.
  EXPECT_TRUE(Call(**channel, "/test.Slow/Fast", 8 << 10).get().ok());
}

}  // namespace
}  // namespace freehold
