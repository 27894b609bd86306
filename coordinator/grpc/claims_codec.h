// storage.proto GrantClaims / ReceiptClaims <-> the core's GrantSpec / Receipt
// through the shared encoding of common/shard_claims.h (what storage daemons
// verify and sign).
#pragma once

#include <google/protobuf/message_lite.h>

#include "common/shard_claims.h"
#include "coordinator/core/grants.h"

namespace freehold::coordinator {

class ProtoClaimsCodec : public ClaimsCodec {
 public:
  std::string EncodeGrant(const GrantSpec& grant) const override;
  absl::StatusOr<Receipt> DecodeReceipt(std::string_view payload) const override;
  // For tests and tools that play a daemon.
  static std::string EncodeReceipt(const Receipt& receipt);
};

// Deterministic serialization of any message (used for node-call signatures).
using ::freehold::SerializeDeterministic;

}  // namespace freehold::coordinator
