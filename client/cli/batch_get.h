// `freehold get NAME... -o DIR`: many objects in one command, on one session
// and one set of connections, `concurrency` at a time. Inline objects arrive
// with their manifest (one GetObject each); sharded ones are read from the
// storage daemons. Each file appears under its name only when complete.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "client/cli/context.h"
#include "client/cli/coordinator_api.h"
#include "client/core/keys.h"

namespace freehold::cli {

struct GetOutcome {
  std::string object_id;
  std::string name;    // decrypted name (the id if it does not decrypt)
  std::string output;  // local path written
  uint64_t size = 0;   // plaintext bytes
  bool is_inline = false;
};

struct BatchGetOptions {
  int concurrency = 4;
  // get -r: the local path of each object (same order as object_ids), used
  // as is instead of `dir` + its name; empty = not used.
  std::vector<std::string> outputs;
  // Set each file's modification time and (when recorded) permission bits
  // from its metadata.
  bool restore_attributes = false;
  // Replace an existing file (sync; the new content takes the name only when
  // complete). Default: refuse.
  bool replace_existing = false;
  // Called (serialized) as each file is saved; may be empty.
  std::function<void(const GetOutcome&)> on_saved;
};

// Saves each object of `object_ids` into `dir` under the last component of its
// decrypted name (the id when it has none). Refuses (usage error) to replace an
// existing file. Stops at the first failure; files saved before it stay.
absl::Status GetFiles(Context& ctx, CoordinatorApi& coordinator,
                      const client::X25519Identity& identity,
                      const std::vector<std::string>& object_ids, const std::string& dir,
                      const BatchGetOptions& options);

}  // namespace freehold::cli
