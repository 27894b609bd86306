// Result type conventions for all of Freehold: absl::Status / absl::StatusOr<T>.
//
// Expected failures are returned, never thrown. Codes follow gRPC semantics
// (docs/ARCHITECTURE.md#15-wire-conventions): INVALID_ARGUMENT names the field, UNAVAILABLE means
// "safe to retry", never a bare UNKNOWN. Use the macros below to propagate.
#pragma once

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace freehold {

namespace status_internal {
inline const absl::Status& AsStatus(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& AsStatus(const absl::StatusOr<T>& s) {
  return s.status();
}
}  // namespace status_internal

// Returns a copy of `status` whose message is prefixed with `context` ("context: message").
// OK stays OK.
inline absl::Status Annotate(const absl::Status& status, absl::string_view context) {
  if (status.ok()) return status;
  return absl::Status(status.code(), absl::StrCat(context, ": ", status.message()));
}

}  // namespace freehold

#define FH_STATUS_CONCAT_INNER_(a, b) a##b
#define FH_STATUS_CONCAT_(a, b) FH_STATUS_CONCAT_INNER_(a, b)

// Evaluates `expr` (an absl::Status or absl::StatusOr<T>); if not OK, returns its status
// from the enclosing function (which must return absl::Status or absl::StatusOr<U>).
#define FH_RETURN_IF_ERROR(expr)                                                     \
  do {                                                                               \
    const ::absl::Status fh_status_ = ::freehold::status_internal::AsStatus((expr)); \
    if (!fh_status_.ok()) return fh_status_;                                         \
  } while (0)

// `FH_ASSIGN_OR_RETURN(auto value, FunctionReturningStatusOr());`
// Evaluates `expr` (an absl::StatusOr<T>); on error returns the status, otherwise
// moves the value into `lhs` (a declaration or an assignable expression). `lhs` must not
// contain unparenthesized commas.
#define FH_ASSIGN_OR_RETURN(lhs, expr) \
  FH_ASSIGN_OR_RETURN_IMPL_(FH_STATUS_CONCAT_(fh_statusor_, __LINE__), lhs, expr)
#define FH_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return std::move(tmp).status();  \
  lhs = std::move(tmp).value()
