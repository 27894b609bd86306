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
  absl::Duration max_throttle_wait = absl::Minutes(2);
};
struct GetArgs {
  std::string object;                // export
  std::vector<std::string> objects;  // get: one or more
  std::string output;
  int concurrency = 4;  // get: files in flight at once
  bool recursive = false;  // get -r REMOTE [DIR] (objects holds them)
};
struct RmArgs {
  std::vector<std::string> objects;
  bool recursive = false;  // rm -r PATH: a folder and everything in it
};
// Folders (docs/ARCHITECTURE.md#folders).
struct LsArgs {
  std::vector<std::string> paths;  // none: every file (as before folders)
  bool recursive = false;
};
struct MkdirArgs {
  std::vector<std::string> paths;
  bool parents = false;
};
struct MvArgs {
  std::vector<std::string> paths;  // SRC... DST
};
struct FindArgs {
  std::string path;  // default: the root
};
struct TrashArgs {
  std::vector<std::string> objects;  // ids or names in the trash; empty: the whole trash (empty)
  bool keep_both = false;            // restore: even if a live file has the name
};
struct ShareArgs {
  std::string object;
  std::string with;
  bool list = false;  // --list: who the object is shared with
};
struct UnshareArgs {
  std::string object;
  std::string handle;
};
struct LinkArgs {
  std::string object;
  bool disable = false;
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
struct StatusArgs {
  std::string admin_token_file;
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
absl::Status RunRm(Context& ctx, const RmArgs& args);
absl::Status RunTrashLs(Context& ctx);
absl::Status RunTrashRestore(Context& ctx, const TrashArgs& args);
absl::Status RunTrashEmpty(Context& ctx, const TrashArgs& args);

absl::Status RunShare(Context& ctx, const ShareArgs& args);
absl::Status RunLink(Context& ctx, const LinkArgs& args);
absl::Status RunUnshare(Context& ctx, const UnshareArgs& args);
absl::Status RunMigrateMetadata(Context& ctx);
absl::Status RunFetch(Context& ctx, const FetchArgs& args);
// cmd_report.cc
absl::Status RunReport(Context& ctx, const ReportArgs& args);

absl::Status RunContactsShow(Context& ctx, const ContactsArgs& args);
absl::Status RunContactsVerify(Context& ctx, const ContactsArgs& args);

absl::Status RunStatus(Context& ctx, const StatusArgs& args);

}  // namespace freehold::cli
