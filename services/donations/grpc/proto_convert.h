// Conversions shared by the donations gRPC adapter's files.
#pragma once

#include <google/protobuf/timestamp.pb.h>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "freehold/v1/donations.pb.h"
#include "services/donations/core/read_store.h"

namespace freehold::donations {

inline void ToProto(absl::Time t, google::protobuf::Timestamp* out) {
  const int64_t micros = absl::ToUnixMicros(t);
  int64_t secs = micros / 1000000;
  int64_t rem = micros % 1000000;
  if (rem < 0) {
    rem += 1000000;
    --secs;
  }
  out->set_seconds(secs);
  out->set_nanos(static_cast<int32_t>(rem * 1000));
}

inline void PledgeToProto(const Pledge& p, v1::Pledge* out) {
  out->set_pledge_id(p.info.pledge_id);
  out->mutable_amount()->set_amount_minor(p.info.amount_minor);
  out->mutable_amount()->set_currency(p.info.currency);
  out->set_interval(p.info.interval_count == 1
                        ? p.info.interval
                        : absl::StrCat(p.info.interval_count, " ", p.info.interval, "s"));
  out->set_active(p.active);
  ToProto(p.info.created_at, out->mutable_created_at());
  if (p.info.cancelled_at) ToProto(*p.info.cancelled_at, out->mutable_cancelled_at());
}

}  // namespace freehold::donations
