#include "tests/support/storaged_identity.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/signed_token.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace freehold::testing {

absl::StatusOr<StoragedIdentity> PrintStoragedIdentity(const std::string& data_dir) {
  TempDir out_dir("storaged-identity-");
  ProcessOptions options;
  options.binary = BinaryPath("freehold-storaged");
  options.args = {"--print-identity", "--data-dir", data_dir};
  options.stdout_path = out_dir.File("stdout");
  absl::StatusOr<std::unique_ptr<Process>> process = Process::Start(options);
  if (!process.ok()) return process.status();
  absl::StatusOr<int> code = (*process)->Wait(absl::Seconds(30));
  if (!code.ok()) return code.status();
  if (*code != 0) {
    return absl::InternalError(absl::StrCat("freehold-storaged --print-identity exited ", *code,
                                            ": ", (*process)->ReadStderr()));
  }
  std::ifstream in(options.stdout_path);
  std::stringstream text;
  text << in.rdbuf();
  StoragedIdentity identity;
  for (absl::string_view line : absl::StrSplit(text.str(), '\n', absl::SkipEmpty())) {
    std::pair<std::string, std::string> kv = absl::StrSplit(line, absl::MaxSplits(' ', 1));
    if (kv.first == "node_id") identity.node_id = kv.second;
    if (kv.first == "public_key") identity.public_key_line = kv.second;
  }
  absl::StatusOr<PublicKey> key = ParsePublicKey(identity.public_key_line);
  if (!key.ok()) return key.status();
  if (identity.node_id.empty() || key->key_id != identity.node_id) {
    return absl::InternalError(absl::StrCat("unexpected --print-identity output: ", text.str()));
  }
  identity.public_key.assign(reinterpret_cast<const char*>(key->key.data()), key->key.size());
  return identity;
}

}  // namespace freehold::testing
