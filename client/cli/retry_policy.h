// Which calls the CLI repeats by itself when a service answers UNAVAILABLE (a database
// failover in progress, a replica restarting): the idempotent ones, listed here, through
// gRPC's own retry policy in the channel's service config. Calls that create or change
// state (Register, Login, CreateObject, CommitObject, ...) are not repeated: their
// UNAVAILABLE reaches the user, who may run the command again. Refresh is repeated: the
// accounts service takes a repeat within 60 s as the retry of a lost answer.
#pragma once

#include <grpcpp/support/channel_arguments.h>

#include <string>
#include <string_view>
#include <vector>

namespace freehold::cli {

// "package.Service/Method" names of the idempotent methods the CLI calls.
const std::vector<std::string_view>& IdempotentMethods();

// The service config (JSON) retrying IdempotentMethods on UNAVAILABLE: up to 5
// attempts with jittered exponential back-off (0.5 s, 1.5 s, 4.5 s, 10 s: about 17 s in
// all, which covers a Patroni switchover and most automatic failovers), all within the
// call's deadline (30 s by default).
std::string IdempotentRetryServiceConfig();

// Channel arguments of every CLI channel: 16 MiB messages (shard chunks are at most
// 4 MiB) and the retry policy above.
grpc::ChannelArguments CliChannelArguments();

// Channel arguments of the channels to storage daemons: 16 MiB messages, no retries
// (the downloader reads another shard instead; the uploader retries the same node, then
// moves the shard elsewhere) and a reconnect back-off of kStorageReconnectBackoffMs
// (jittered by 20%, at most 2 s) instead of gRPC's 1 s to 120 s, so that the uploader's
// same-node retries reach a new connection attempt (see retry_policy.cc for why a
// connect to a live daemon can fail once).
grpc::ChannelArguments StorageChannelArguments();

// Shorter than the uploader's first same-node wait plus its second (uploader.h).
inline constexpr int kStorageReconnectBackoffMs = 100;

}  // namespace freehold::cli
