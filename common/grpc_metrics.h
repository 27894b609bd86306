// gRPC server interceptor recording per-RPC metrics (freehold_grpc_common):
//   freehold_rpc_duration_seconds{service,method}  histogram, from the first
//       interception point to sending the status
//   freehold_rpc_total{service,method,code}         counter, code = "OK", "NOT_FOUND", ...
// service is the full proto service name ("freehold.v1.Accounts"), method the bare name.
// GrpcServerOptions::metrics_registry installs it for you.
#pragma once

#include <grpcpp/support/server_interceptor.h>
#include <prometheus/registry.h>

#include <memory>

namespace freehold {

// The registry must outlive every server built with the factory. Thread-safe.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeRpcMetricsInterceptorFactory(prometheus::Registry& registry);

}  // namespace freehold
