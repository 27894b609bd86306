// The `freehold` commands. Each returns OK or a status whose message is shown
// to the user and whose code selects the exit code (exit_codes.h). Results go
// to stdout (human text, or one JSON document with --json); progress, notices
// and warnings go to stderr.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "client/cli/context.h"
#include "client/cli/coordinator_api.h"
#include "client/core/keys.h"

namespace freehold::cli {

struct SignupArgs {
  std::string handle;
  std::string contact;
  bool remember = false;
};
struct LoginArgs {
  std::string handle;
  bool remember = false;
};
struct PutArgs {
  std::vector<std::string> files;  // with recursive: DIR [REMOTE]
  bool recursive = false;          // put -r DIR [REMOTE] (cmd_folders.cc)
  bool overwrite = false;          // put -r: replace files of the same name
  std::string name;      // only with one file
  int concurrency = 4;   // files in flight at once
  int throttle_retries = 6;                            // see UploadConfig
  int shard_tries = 4;  // nodes tried per shard (UploadConfig::attempts_per_shard)
  absl::Duration max_throttle_wait = absl::Minutes(2);
  std::string org;  // --org: the organization's files (client/cli/org_session.h)
  bool events = false;  // --events: one JSON event per line (client/cli/progress.h TreeProgress)
};
struct GetArgs {
  std::string object;                // export
  std::vector<std::string> objects;  // get: one or more
  std::string output;
  int concurrency = 4;  // get: files in flight at once
  bool recursive = false;  // get -r REMOTE [DIR] (objects holds them)
  std::string org;         // --org: the organization's files
  bool events = false;     // --events: one JSON event per line (TreeProgress)
};
struct RmArgs {
  std::vector<std::string> objects;
  bool recursive = false;  // rm -r PATH: a folder and everything in it
  std::string org;         // --org: the organization's files
};
// Folders (docs/ARCHITECTURE.md#folders).
struct LsArgs {
  std::vector<std::string> paths;  // none: every file (as before folders)
  bool recursive = false;
  std::string org;  // --org: the organization's files
};
struct MkdirArgs {
  std::vector<std::string> paths;
  bool parents = false;
  std::string org;  // --org: the organization's folders
};
struct MvArgs {
  std::vector<std::string> paths;  // SRC... DST
  std::string org;                 // --org: the organization's files
};
struct FindArgs {
  std::string path;  // default: the root
  std::string org;   // --org: the organization's files
};
// sync (cmd_sync.cc): one side is fh:REMOTE.
struct SyncArgs {
  std::string source;
  std::string destination;
  bool delete_extra = false;  // --delete
  bool dry_run = false;
  bool checksum = false;  // --checksum: compare same-sized files by content hash
  int concurrency = 4;
  int throttle_retries = 6;
  absl::Duration max_throttle_wait = absl::Minutes(2);
  std::string org;  // --org: the organization's folder (up: writers only)
};
struct TrashArgs {
  std::vector<std::string> objects;  // ids or names in the trash; empty: the whole trash (empty)
  bool keep_both = false;            // restore: even if a live file has the name
  std::string org;                   // --org: the organization's trash (its writers')
};
// share / unshare / link with --org: an organization's file or folder; the
// organization's key opens the file key, which is wrapped to the other account.
struct ShareArgs {
  std::string object;
  std::string with;
  bool list = false;  // --list: who the object is shared with
  std::string org;
};
struct UnshareArgs {
  std::string object;
  std::string handle;
  std::string org;
};
struct LinkArgs {
  std::string object;
  bool disable = false;
  std::string org;
};
// shared ls/get FOLDER_ID: a folder another account shared with me (cmd_shared.cc).
struct SharedArgs {
  std::string folder;
  std::string output;  // get: the local directory (default: the folder id)
};
struct FetchArgs {
  std::string link;
  std::string output;
};
struct ReportArgs {
  std::string link;  // the part after '#' is cut off before anything is sent
  std::string category;
  std::string details;
  std::string contact;
};
struct RecoveryKeyArgs {
  bool yes = false;
};
struct PasswdArgs {
  std::string new_password_file;  // else FREEHOLD_NEW_PASSWORD, else the terminal
};
struct RecoverArgs {
  std::string handle;
  std::string recovery_key_file;  // else FREEHOLD_RECOVERY_KEY, else the terminal
  std::string new_password_file;  // else FREEHOLD_NEW_PASSWORD, else the terminal
  bool remember = false;
};
struct ContactsArgs {
  std::string handle;
  std::string fingerprint;  // verify: the digits the other person read out
  bool yes = false;         // verify: no prompt (scripts)
};
struct OrgArgs {
  std::string org;
  std::string handle;
  std::string role = "member";
};

absl::Status RunSignup(Context& ctx, const SignupArgs& args);
// Organizations (cmd_orgs.cc).
absl::Status RunOrgCreate(Context& ctx, const OrgArgs& args);
absl::Status RunOrgAdd(Context& ctx, const OrgArgs& args);
absl::Status RunOrgRemove(Context& ctx, const OrgArgs& args);
absl::Status RunOrgList(Context& ctx);
absl::Status RunOrgMembers(Context& ctx, const OrgArgs& args);
absl::Status RunLogin(Context& ctx, const LoginArgs& args);
absl::Status RunLogout(Context& ctx);
absl::Status RunWhoami(Context& ctx);
absl::Status RunRecoveryKey(Context& ctx, const RecoveryKeyArgs& args);
absl::Status RunPasswd(Context& ctx, const PasswdArgs& args);
absl::Status RunRecover(Context& ctx, const RecoverArgs& args);

absl::Status RunPut(Context& ctx, const PutArgs& args);
// The rotation due after a member's account was deleted (cmd_orgs.cc): a new identity
// wrapped to every member (keys checked against this device's pins). Returns the new
// generation.
absl::StatusOr<int> RotateDueOrgKey(Context& ctx, const std::string& org);
absl::Status RunGet(Context& ctx, const GetArgs& args);
absl::Status RunExport(Context& ctx, const GetArgs& args);
absl::Status RunLs(Context& ctx);
// cmd_folders.cc
absl::Status RunPutTree(Context& ctx, const PutArgs& args);
absl::Status RunGetTree(Context& ctx, const GetArgs& args);
absl::Status RunLsPath(Context& ctx, const LsArgs& args);
absl::Status RunMkdir(Context& ctx, const MkdirArgs& args);
absl::Status RunMv(Context& ctx, const MvArgs& args);
absl::Status RunRmTree(Context& ctx, const RmArgs& args);
absl::Status RunFind(Context& ctx, const FindArgs& args);
absl::Status RunSync(Context& ctx, const SyncArgs& args);  // cmd_sync.cc
absl::Status RunRm(Context& ctx, const RmArgs& args);
absl::Status RunTrashLs(Context& ctx);
absl::Status RunTrashRestore(Context& ctx, const TrashArgs& args);
absl::Status RunTrashEmpty(Context& ctx, const TrashArgs& args);

absl::Status RunShare(Context& ctx, const ShareArgs& args);
absl::Status RunLink(Context& ctx, const LinkArgs& args);
absl::Status RunUnshare(Context& ctx, const UnshareArgs& args);
absl::Status RunMigrateMetadata(Context& ctx);
absl::Status RunFetch(Context& ctx, const FetchArgs& args);
absl::Status RunSharedLs(Context& ctx, const SharedArgs& args);
absl::Status RunSharedGet(Context& ctx, const SharedArgs& args);
// Downloads the subtree of a shared or linked folder into `dir` (cmd_shared.cc).
absl::Status FetchSharedFolder(Context& ctx, CoordinatorApi& coordinator,
                               const std::string& folder_id,
                               const client::X25519Identity& identity, const std::string& dir,
                               bool from_link);
// cmd_report.cc
absl::Status RunReport(Context& ctx, const ReportArgs& args);

absl::Status RunContactsShow(Context& ctx, const ContactsArgs& args);
absl::Status RunContactsVerify(Context& ctx, const ContactsArgs& args);

// Node-level details only for an account holding the role coordinator:operator.
absl::Status RunStatus(Context& ctx);

}  // namespace freehold::cli
