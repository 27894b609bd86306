// Channel arguments of channels that stream shards to and from storage daemons.
#pragma once

#include <grpc/impl/codegen/grpc_types.h>
#include <grpcpp/support/channel_arguments.h>

namespace freehold {

// PutShard streams MiB-sized messages. gRPC 1.51 completes a message's send only once
// all but the write buffer (64 KiB by default) of its bytes are written to the socket,
// so a put stalls between messages, and with TLS each write also waits for its
// encryption. A write buffer of two 4 MiB messages lets the caller hand over the
// next message while the previous one is still being encrypted and sent; it costs at
// most this much memory per stream beyond the message being written.
inline constexpr int kShardStreamWriteBufferBytes = 8 << 20;

inline void AddShardStreamArguments(grpc::ChannelArguments& args) {
  args.SetInt(GRPC_ARG_HTTP2_WRITE_BUFFER_SIZE, kShardStreamWriteBufferBytes);
}

}  // namespace freehold
