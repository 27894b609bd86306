// Server interceptor recording freehold_rpc_duration_seconds and freehold_rpc_total.
#include "common/grpc_metrics.h"

#include <grpcpp/support/interceptor.h>
#include <prometheus/counter.h>
#include <prometheus/histogram.h>

#include <chrono>
#include <string>

#include "common/grpc_status.h"

namespace freehold {
namespace {

struct RpcFamilies {
  prometheus::Family<prometheus::Histogram>* duration;
  prometheus::Family<prometheus::Counter>* total;
};

class RpcMetricsInterceptor : public grpc::experimental::Interceptor {
 public:
  RpcMetricsInterceptor(const RpcFamilies& families, const char* full_method)
      : families_(families), start_(std::chrono::steady_clock::now()) {
    // "/freehold.v1.Accounts/Login" -> service "freehold.v1.Accounts", method "Login".
    std::string name = full_method ? full_method : "";
    if (!name.empty() && name.front() == '/') name.erase(0, 1);
    const size_t slash = name.find('/');
    if (slash == std::string::npos) {
      service_ = "unknown";
      method_ = name.empty() ? "unknown" : name;
    } else {
      service_ = name.substr(0, slash);
      method_ = name.substr(slash + 1);
    }
  }

  ~RpcMetricsInterceptor() override {
    // A call that ended without sending a status (client cancelled, deadline) still counts.
    if (!recorded_) Record("CANCELLED");
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_STATUS)) {
      Record(GrpcCodeName(methods->GetSendStatus().error_code()));
    }
    methods->Proceed();
  }

 private:
  void Record(const std::string& code) {
    recorded_ = true;
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    families_.duration
        ->Add({{"service", service_}, {"method", method_}},
              prometheus::Histogram::BucketBoundaries{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60})
        .Observe(seconds);
    families_.total->Add({{"service", service_}, {"method", method_}, {"code", code}}).Increment();
  }

  const RpcFamilies families_;
  const std::chrono::steady_clock::time_point start_;
  std::string service_;
  std::string method_;
  bool recorded_ = false;
};

class RpcMetricsInterceptorFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit RpcMetricsInterceptorFactory(prometheus::Registry& registry)
      : families_{&prometheus::BuildHistogram()
                       .Name("freehold_rpc_duration_seconds")
                       .Help("Server-side duration of gRPC calls, by service and method.")
                       .Register(registry),
                  &prometheus::BuildCounter()
                       .Name("freehold_rpc_total")
                       .Help("gRPC calls handled, by service, method and status code.")
                       .Register(registry)} {}

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new RpcMetricsInterceptor(families_, info->method());
  }

 private:
  const RpcFamilies families_;
};

}  // namespace

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeRpcMetricsInterceptorFactory(prometheus::Registry& registry) {
  return std::make_unique<RpcMetricsInterceptorFactory>(registry);
}

}  // namespace freehold
