#include "client/cli/app.h"

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <functional>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "client/cli/commands.h"
#include "client/cli/exit_codes.h"
#include "common/client_transport.h"
#include "common/config.h"
#include "common/removed_flag.h"
#include "common/grpc_status.h"

namespace freehold::cli {
namespace {

constexpr char kDescription[] =
    "freehold: free, end-to-end encrypted cloud storage.\n"
    "Files are encrypted on this computer (age format) before they leave it; the\n"
    "servers never see a byte, a name or a key.";

std::string Footer() {
  return absl::StrCat(
      "\nPasswords: a prompt on the terminal (no echo), or FREEHOLD_PASSWORD, or\n"
      "--password-file FILE (mode 0600) for scripts.\n"
      "Session: kept in $FREEHOLD_CONFIG_DIR (default ~/.config/freehold), mode 0600:\n"
      "tokens, handle, public key and the password-wrapped identity. The identity\n"
      "secret is not stored; commands that decrypt re-derive it from the password.\n"
      "`login --remember` keeps it in a 0600 file there instead (no more prompts).\n"
      "Cluster: --accounts / FREEHOLD_ACCOUNTS_ADDR and --coordinator /\n"
      "FREEHOLD_COORDINATOR_ADDR (`source .run/env` for the local cluster).\n"
      "Transport: TLS, servers verified against the system trust store or --ca-file /\n"
      "FREEHOLD_CA_FILE (the local cluster's CA: .run/tls/ca.crt). --plaintext only to\n"
      "loopback addresses (a development cluster on this machine).\n\n",
      ExitCodeHelp());
}

bool EnvTrue(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && (std::string(v) == "1" || std::string(v) == "true");
}

int Report(const Context& ctx, const absl::Status& status) {
  const ExitCode code = ExitCodeFor(status);
  if (status.ok()) return 0;
  if (absl::IsCancelled(status)) {
    std::cerr << "freehold: cancelled: " << status.message() << "\n";
    return static_cast<int>(ExitCode::kFailure);
  }
  std::cerr << "freehold: " << status.message() << "\n";
  if (ctx.json()) {
    ctx.PrintJson({{"error",
                    {{"code", GrpcCodeName(static_cast<grpc::StatusCode>(status.code()))},
                     {"message", std::string(status.message())},
                     {"exit_code", static_cast<int>(code)}}}});
  }
  return static_cast<int>(code);
}

}  // namespace

int RunApp(int argc, char** argv) {
  CLI::App app{kDescription, "freehold"};
  app.footer(Footer());
  app.require_subcommand(1);
  app.fallthrough();

  GlobalOptions g;
  AddFlag(app, "--accounts", &g.accounts_address,
          "accounts service host:port (default: the session's, else 127.0.0.1:17101)",
          "FREEHOLD_ACCOUNTS_ADDR");
  AddFlag(app, "--coordinator", &g.coordinator_address,
          "coordinator host:port (default: the session's, else 127.0.0.1:17103)",
          "FREEHOLD_COORDINATOR_ADDR");
  AddFlag(app, "--config-dir", &g.config_dir, "session directory (default ~/.config/freehold)",
          "FREEHOLD_CONFIG_DIR");
  AddFlag(app, "--password-file", &g.password_file,
          "read the password from this file (not readable by others)", "FREEHOLD_PASSWORD_FILE");
  AddFlag(app, "--json", &g.json, "print results as JSON for scripts", "FREEHOLD_JSON");
  AddFlag(app, "-q,--quiet", &g.quiet, "no progress or notices", "FREEHOLD_QUIET");
  AddClientTransportFlags(app, &g.transport);
  AddFlag(app, "--threads", &g.threads, "encryption/coding threads for put (0 = automatic)",
          "FREEHOLD_THREADS");

  std::function<absl::Status(Context&)> run;

  SignupArgs signup;
  CLI::App* c = app.add_subcommand("signup", "create an account (asks for a new password)");
  c->add_option("--handle", signup.handle, "your handle, 3-32 characters [a-z0-9_.-]");
  c->add_option("--contact", signup.contact, "optional contact (e-mail), stored only if given");
  c->add_flag("--remember", signup.remember, "keep the identity on this device (0600 file)");
  c->callback([&] { run = [&](Context& ctx) { return RunSignup(ctx, signup); }; });

  LoginArgs login;
  c = app.add_subcommand("login", "log in on this device");
  c->add_option("--handle", login.handle, "your handle");
  c->add_flag("--remember", login.remember,
              "keep the identity on this device (0600 file) so commands stop asking for the "
              "password");
  c->callback([&] { run = [&](Context& ctx) { return RunLogin(ctx, login); }; });

  c = app.add_subcommand("logout", "end the session and forget it on this device");
  c->callback([&] { run = [](Context& ctx) { return RunLogout(ctx); }; });

  c = app.add_subcommand("whoami", "show the logged-in account");
  c->callback([&] { run = [](Context& ctx) { return RunWhoami(ctx); }; });

  PutArgs put;
  c = app.add_subcommand("put", "encrypt and store files");
  c->add_option("FILE", put.files, "the files to store (with -r: DIR [REMOTE])")->required();
  c->add_flag("-r,--recursive", put.recursive,
              "store the directory DIR as the folder REMOTE (default: /NAME-OF-DIR), with its "
              "subdirectories, permissions and modification times; symbolic links and special "
              "files are skipped with a notice");
  c->add_flag("--overwrite", put.overwrite,
              "with -r: replace files that already exist under the same name (default: refuse "
              "before storing anything)");
  c->add_option("--name", put.name,
                "name to store it under (default: the file's name; only with one FILE)");
  c->add_option("--concurrency", put.concurrency, "files in flight at once (default 4)")
      ->check(CLI::Range(1, 64));
  c->add_flag("--events", put.events,
              "print one JSON object per line on stdout for scripts: start, one per file "
              "stored, error, summary (instead of the result)");
  c->footer(
      "Progress (several files, -r): a line on a terminal (files and bytes done, rate, ETA),\n"
      "nothing in a pipe, then one summary line (files, bytes, seconds, rate).\n"
      "When the cluster slows new writes down (funding or disks running short) it says why\n"
      "and where to donate; put waits as long as the cluster asks and retries up to\n"
      "--throttle-retries times, but never waits longer than --max-throttle-wait at once:\n"
      "a longer wait, or a refusal (disks full), fails at once with the cluster's message\n"
      "and exit code 6.");
  c->add_option("--throttle-retries", put.throttle_retries,
                "retries of a throttled write before giving up (0 = fail at once)")
      ->capture_default_str()
      ->check(CLI::Range(0, 100));
  c->add_option("--shard-tries", put.shard_tries,
                "storage nodes tried per shard (the first and replacements); a shard still "
                "not stored leaves its segment to be committed with the others if the "
                "cluster's minimum is met (it rebuilds the rest)")
      ->capture_default_str()
      ->check(CLI::Range(1, 16));
  AddDurationFlag(*c, "--max-throttle-wait", &put.max_throttle_wait,
                  "longest single wait for a throttled write (e.g. 30s, 2m)",
                  "FREEHOLD_MAX_THROTTLE_WAIT");
  c->add_option("--org", put.org,
                "store the files as the organization ORG's (encrypted to its current key; "
                "owner, admin and member may write, read-only members may not)");
  c->callback([&] {
    run = [&](Context& ctx) {
      if (!put.org.empty()) ctx.SetOrg(put.org, /*write=*/true);
      return put.recursive ? RunPutTree(ctx, put) : RunPut(ctx, put);
    };
  });

  GetArgs get;
  c = app.add_subcommand("get", "fetch and decrypt files");
  c->add_option("OBJECT", get.objects, "object IDs or file names (with -r: REMOTE [DIR])")
      ->required();
  c->add_flag("-r,--recursive", get.recursive,
              "fetch the folder REMOTE into DIR (default: ./NAME), restoring permissions and "
              "modification times; existing local files are never replaced");
  c->add_option("-o,--output", get.output,
                "where to write (default: its name here; - = stdout); with several OBJECTs or "
                "an existing directory: the directory to write them into");
  c->add_option("--concurrency", get.concurrency, "files in flight at once (default 4)")
      ->check(CLI::Range(1, 64));
  c->add_option("--org", get.org, "fetch the organization ORG's files (any member)");
  c->add_flag("--events", get.events,
              "several files or -r: print one JSON object per line on stdout for scripts: start, "
              "one per file saved, error, summary (instead of the result)");
  c->callback([&] {
    run = [&](Context& ctx) {
      if (!get.org.empty()) ctx.SetOrg(get.org);
      return get.recursive ? RunGetTree(ctx, get) : RunGet(ctx, get);
    };
  });

  SyncArgs sync;
  c = app.add_subcommand("sync",
                         "one-way sync of a folder: LOCAL fh:REMOTE (up) or fh:REMOTE LOCAL (down)");
  c->add_option("SOURCE", sync.source, "the folder to copy from (fh:/path = remote)")->required();
  c->add_option("DESTINATION", sync.destination, "the folder to make like it (fh:/path = remote)")
      ->required();
  c->add_flag("--delete", sync.delete_extra,
              "also delete what the destination has and the source does not (remote files go to "
              "the trash)");
  c->add_flag("-n,--dry-run", sync.dry_run, "print the plan (with --json: one event per line); "
                                            "change nothing");
  c->add_flag("-c,--checksum", sync.checksum,
              "compare files of the same size by content hash (reads every such local file; "
              "records the hash of what it sends) instead of modification time");
  c->add_option("--concurrency", sync.concurrency, "files in flight at once (default 4)")
      ->check(CLI::Range(1, 64));
  c->add_option("--throttle-retries", sync.throttle_retries,
                "retries of a throttled write before giving up (0 = fail at once)")
      ->capture_default_str()
      ->check(CLI::Range(0, 100));
  AddDurationFlag(*c, "--max-throttle-wait", &sync.max_throttle_wait,
                  "longest single wait for a throttled write (e.g. 30s, 2m)",
                  "FREEHOLD_MAX_THROTTLE_WAIT");
  c->footer(
      "New files and files whose size or modification time differ are sent; equal ones are\n"
      "not (so an interrupted sync, run again, sends only what is missing). With\n"
      "--checksum, files of the same size are compared by content (BLAKE2b-256 of the\n"
      "plaintext, recorded in the encrypted metadata by sync --checksum; a remote file\n"
      "stored without one is sent once more to record it). A file that\n"
      "is a folder on the other side is refused unless --delete. Progress: a line on a\n"
      "terminal, nothing in a pipe, then one summary line; --json prints one JSON event\n"
      "per line (start, file, error, summary).");
  c->add_option("--org", sync.org,
                "the remote side is the organization ORG's (up: owner, admin and member; down: "
                "any member)");
  c->callback([&] {
    run = [&](Context& ctx) {
      if (!sync.org.empty()) ctx.SetOrg(sync.org, /*write=*/true);
      return RunSync(ctx, sync);
    };
  });

  LsArgs ls;
  c = app.add_subcommand("ls",
                         "list your files (names decrypted here); with PATH or -R: a folder");
  c->add_option("PATH", ls.paths,
                "folders to list (/ = the root); none: every file, shared ones included");
  c->add_flag("-R,--recursive", ls.recursive, "list subfolders too");
  c->add_option("--org", ls.org, "list the organization ORG's files (any member)");
  c->callback([&] {
    run = [&](Context& ctx) {
      if (!ls.org.empty()) ctx.SetOrg(ls.org);
      return ls.paths.empty() && !ls.recursive ? RunLs(ctx) : RunLsPath(ctx, ls);
    };
  });

  // --org on the commands that change an organization's files: owner, admin and member
  // may; read-only members may only list and read (the coordinator refuses them:
  // docs/ARCHITECTURE.md "Organizations' objects").
  constexpr char kOrgWriteHelp[] =
      "the organization ORG's files (owner, admin and member; read-only members may not)";

  MkdirArgs mkdir;
  c = app.add_subcommand("mkdir", "create folders");
  c->add_option("PATH", mkdir.paths, "folders to create, e.g. /photos/2024")->required();
  c->add_flag("-p,--parents", mkdir.parents, "create missing parents; no error if it exists");
  c->add_option("--org", mkdir.org, kOrgWriteHelp);
  c->callback([&] {
    run = [&](Context& ctx) {
      if (!mkdir.org.empty()) ctx.SetOrg(mkdir.org, /*write=*/true);
      return RunMkdir(ctx, mkdir);
    };
  });

  MvArgs mv;
  c = app.add_subcommand("mv", "move or rename a file or folder (atomic on the server)");
  c->add_option("PATHS", mv.paths,
                "SRC DST (DST an existing folder: move into it; else the new path), or "
                "SRC... FOLDER")
      ->required();
  c->add_option("--org", mv.org, kOrgWriteHelp);
  c->callback([&] {
    run = [&](Context& ctx) {
      if (!mv.org.empty()) ctx.SetOrg(mv.org, /*write=*/true);
      return RunMv(ctx, mv);
    };
  });

  FindArgs find;
  c = app.add_subcommand("find", "list every file and folder under PATH, one path per line");
  c->add_option("PATH", find.path, "the folder to walk (default: the root)");
  c->add_option("--org", find.org, "the organization ORG's files (any member)");
  c->callback([&] {
    run = [&](Context& ctx) {
      if (!find.org.empty()) ctx.SetOrg(find.org);
      return RunFind(ctx, find);
    };
  });

  RmArgs rm;
  c = app.add_subcommand("rm", "delete files (to the trash: restorable until its window ends)");
  c->add_option("OBJECT", rm.objects, "object IDs, file names or (with a /) paths")->required();
  c->add_flag("-r,--recursive", rm.recursive, "delete folders and everything in them");
  c->add_option("--org", rm.org,
                "the organization ORG's files, to its trash (owner, admin and member; "
                "read-only members may not)");
  c->callback([&] {
    run = [&](Context& ctx) {
      if (!rm.org.empty()) ctx.SetOrg(rm.org);
      bool paths = rm.recursive;
      for (const std::string& o : rm.objects) paths = paths || o.find('/') != std::string::npos;
      return paths ? RunRmTree(ctx, rm) : RunRm(ctx, rm);
    };
  });

  ShareArgs share;
  c = app.add_subcommand("share", "let another account read a file or a folder (/PATH)");
  c->add_option("OBJECT", share.object, "object ID, file name, or /PATH of a folder")->required();
  c->add_option("HANDLE", share.with, "the other account's handle (as --with)");
  c->add_option("--with", share.with, "the other account's handle");
  c->add_flag("--list", share.list,
              "show who the file is shared with (kept on the server: the same on every device)");
  c->add_option("--org", share.org,
                "an organization ORG's file or folder (the organization's key opens it; owner, "
                "admin and member may share, any member may --list)");
  c->callback([&] {
    run = [&](Context& ctx) {
      if (!share.org.empty()) ctx.SetOrg(share.org, /*write=*/!share.list);
      return RunShare(ctx, share);
    };
  });

  UnshareArgs unshare;
  c = app.add_subcommand(
      "unshare",
      "stop sharing a file with an account (removes their key from the file and their access "
      "on the server; it cannot take back a copy they already downloaded)");
  c->add_option("OBJECT", unshare.object, "object ID, file name, or /PATH of a folder")->required();
  c->add_option("HANDLE", unshare.handle, "the other account's handle")->required();
  c->add_option("--org", unshare.org, kOrgWriteHelp);
  c->callback([&] {
    run = [&](Context& ctx) {
      if (!unshare.org.empty()) ctx.SetOrg(unshare.org, /*write=*/true);
      return RunUnshare(ctx, unshare);
    };
  });

  c = app.add_subcommand("migrate-metadata",
                         "bind the encrypted names of older files to their objects (ls and get "
                         "also do it as they meet them)");
  c->callback([&] { run = [](Context& ctx) { return RunMigrateMetadata(ctx); }; });

  LinkArgs link;
  c = app.add_subcommand("link", "print a public link (anyone with it can read the file or folder)");
  c->add_option("OBJECT", link.object, "object ID, file name, or /PATH of a folder")->required();
  c->add_flag("--disable", link.disable, "turn public links to this file off");
  c->add_option("--org", link.org, kOrgWriteHelp);
  c->callback([&] {
    run = [&](Context& ctx) {
      if (!link.org.empty()) ctx.SetOrg(link.org, /*write=*/true);
      return RunLink(ctx, link);
    };
  });

  FetchArgs fetch;
  c = app.add_subcommand("fetch", "download a public link (no account needed)");
  c->add_option("LINK", fetch.link, "freehold://<object-id>#<key> (or freehold://folder/<id>#<key>)")
      ->required();
  c->add_option("-o,--output", fetch.output, "where to write (default: the object id; - = stdout)");
  c->callback([&] { run = [&](Context& ctx) { return RunFetch(ctx, fetch); }; });

  CLI::App* shared = app.add_subcommand("shared", "folders other accounts shared with you");
  shared->require_subcommand(1);
  SharedArgs shared_ls;
  c = shared->add_subcommand("ls", "list a shared folder's tree (names opened with its key)");
  c->add_option("FOLDER_ID", shared_ls.folder, "the folder id the owner gave you")->required();
  c->callback([&] { run = [&](Context& ctx) { return RunSharedLs(ctx, shared_ls); }; });
  SharedArgs shared_get;
  c = shared->add_subcommand("get", "download a shared folder's tree");
  c->add_option("FOLDER_ID", shared_get.folder, "the folder id the owner gave you")->required();
  c->add_option("-o,--output", shared_get.output, "the local directory (default: the folder id)");
  c->callback([&] { run = [&](Context& ctx) { return RunSharedGet(ctx, shared_get); }; });
  ReportArgs report;
  c = app.add_subcommand("report", "report an abusive public link to the operators (no account needed)");
  c->add_option("LINK", report.link,
                "freehold://<object-id> (the part after '#' is never sent)")->required();
  c->add_option("--category", report.category,
                "illegal_content, child_abuse, copyright, malware, phishing, harassment, "
                "terrorism or other")->required();
  c->add_option("--details", report.details, "what you saw (at most 2000 bytes)");
  c->add_option("--contact", report.contact, "how to reach you (optional)");
  c->callback([&] { run = [&](Context& ctx) { return RunReport(ctx, report); }; });

  GetArgs exp;
  c = app.add_subcommand("export",
                         "write a file as a standard age file (decrypt: age -d -i KEYFILE)");
  c->add_option("OBJECT", exp.object, "object ID or file name")->required();
  c->add_option("-o,--output", exp.output, "where to write (default: NAME.age; - = stdout)");
  c->add_option("--org", exp.org,
                "an organization ORG's file (any member; it decrypts with the organization's "
                "key of its generation)");
  c->callback([&] {
    run = [&](Context& ctx) {
      if (!exp.org.empty()) ctx.SetOrg(exp.org);
      return RunExport(ctx, exp);
    };
  });

  RecoveryKeyArgs recovery;
  c = app.add_subcommand("recovery-key",
                         "print your identity AGE-SECRET-KEY-1... (asks for the password)");
  c->add_flag("--yes", recovery.yes, "do not ask for confirmation (scripts)");
  c->callback([&] { run = [&](Context& ctx) { return RunRecoveryKey(ctx, recovery); }; });

  PasswdArgs passwd;
  c = app.add_subcommand("passwd",
                         "change your password (your files and recovery key stay the same; every "
                         "other session ends)");
  c->add_option("--new-password-file", passwd.new_password_file,
                "read the new password from this file (else FREEHOLD_NEW_PASSWORD, else asked "
                "twice)");
  c->callback([&] { run = [&](Context& ctx) { return RunPasswd(ctx, passwd); }; });

  RecoverArgs recover;
  c = app.add_subcommand("recover",
                         "forgot the password: log in with your recovery key and choose a new "
                         "password (every other session ends)");
  c->add_option("--handle", recover.handle, "your handle");
  c->add_option("--recovery-key-file", recover.recovery_key_file,
                "file holding the AGE-SECRET-KEY-1... recovery key (else FREEHOLD_RECOVERY_KEY, "
                "else asked)");
  c->add_option("--new-password-file", recover.new_password_file,
                "read the new password from this file (else FREEHOLD_NEW_PASSWORD, else asked "
                "twice)");
  c->add_flag("--remember", recover.remember, "keep the identity on this device (0600 file)");
  c->callback([&] { run = [&](Context& ctx) { return RunRecover(ctx, recover); }; });

  CLI::App* contacts = app.add_subcommand(
      "contacts", "other people's public keys: fingerprints to compare, keys pinned here");
  contacts->require_subcommand(1);
  ContactsArgs contact_show;
  c = contacts->add_subcommand("show",
                               "print HANDLE's key fingerprint (compare it with theirs) and "
                               "whether this device pinned or verified it");
  c->add_option("HANDLE", contact_show.handle, "the other account's handle")->required();
  c->callback([&] { run = [&](Context& ctx) { return RunContactsShow(ctx, contact_show); }; });
  ContactsArgs contact_verify;
  c = contacts->add_subcommand(
      "verify", "after comparing fingerprints: pin HANDLE's current key as verified");
  c->add_option("HANDLE", contact_verify.handle, "the other account's handle")->required();
  c->add_option("--fingerprint", contact_verify.fingerprint,
                "the fingerprint they read out (checked against the server's key)");
  c->add_flag("--yes", contact_verify.yes, "do not ask (scripts)");
  c->callback([&] { run = [&](Context& ctx) { return RunContactsVerify(ctx, contact_verify); }; });

  CLI::App* trash = app.add_subcommand(
      "trash", "deleted files, kept for the coordinator's window (30 days by default)");
  trash->require_subcommand(1);
  constexpr char kOrgTrashHelp[] =
      "the organization ORG's trash (shared by its owner, admins and members; not read-only "
      "members)";
  TrashArgs trash_ls;
  c = trash->add_subcommand("ls", "list the trash (names decrypted here)");
  c->add_option("--org", trash_ls.org, kOrgTrashHelp);
  c->callback([&] {
    run = [&](Context& ctx) {
      if (!trash_ls.org.empty()) ctx.SetOrg(trash_ls.org);
      return RunTrashLs(ctx);
    };
  });
  TrashArgs trash_restore;
  c = trash->add_subcommand("restore", "bring files back from the trash");
  c->add_option("OBJECT", trash_restore.objects, "object IDs or file names")->required();
  c->add_flag("--keep-both", trash_restore.keep_both,
              "restore even when a file of that name exists now (both are kept)");
  c->add_option("--org", trash_restore.org, kOrgTrashHelp);
  c->callback([&] {
    run = [&](Context& ctx) {
      if (!trash_restore.org.empty()) ctx.SetOrg(trash_restore.org);
      return RunTrashRestore(ctx, trash_restore);
    };
  });
  TrashArgs trash_empty;
  c = trash->add_subcommand("empty", "delete files in the trash for good now (all without OBJECT)");
  c->add_option("OBJECT", trash_empty.objects, "object IDs or file names (default: all)");
  c->add_option("--org", trash_empty.org, kOrgTrashHelp);
  c->callback([&] {
    run = [&](Context& ctx) {
      if (!trash_empty.org.empty()) ctx.SetOrg(trash_empty.org);
      return RunTrashEmpty(ctx, trash_empty);
    };
  });

  CLI::App* org = app.add_subcommand(
      "org", "organizations: members with roles sharing an organization key");
  org->require_subcommand(1);
  OrgArgs org_create;
  c = org->add_subcommand("create", "create organization ORG (you are its owner); its key "
                                    "is made here and wrapped to your public key");
  c->add_option("ORG", org_create.org, "3-32 characters [a-z0-9_.-]")->required();
  c->callback([&] { run = [&](Context& ctx) { return RunOrgCreate(ctx, org_create); }; });
  OrgArgs org_add;
  c = org->add_subcommand("add", "add HANDLE to ORG (owner or admin): the organization key "
                                 "is wrapped to their pinned public key");
  c->add_option("ORG", org_add.org, "the organization")->required();
  c->add_option("HANDLE", org_add.handle, "the new member")->required();
  c->add_option("--role", org_add.role, "owner, admin, member (default) or read-only");
  c->callback([&] { run = [&](Context& ctx) { return RunOrgAdd(ctx, org_add); }; });
  OrgArgs org_remove;
  c = org->add_subcommand("remove", "remove HANDLE from ORG and rotate the organization key "
                                    "(what is written afterwards uses the new key)");
  c->add_option("ORG", org_remove.org, "the organization")->required();
  c->add_option("HANDLE", org_remove.handle, "the member to remove")->required();
  c->callback([&] { run = [&](Context& ctx) { return RunOrgRemove(ctx, org_remove); }; });
  c = org->add_subcommand("ls", "the organizations you belong to, with your role");
  c->callback([&] { run = [&](Context& ctx) { return RunOrgList(ctx); }; });
  OrgArgs org_members;
  c = org->add_subcommand("members", "the members of ORG and their roles");
  c->add_option("ORG", org_members.org, "the organization")->required();
  c->callback([&] { run = [&](Context& ctx) { return RunOrgMembers(ctx, org_members); }; });

  c = app.add_subcommand("status", "cluster capacity, health and funding");
  AddRemovedFlag(*c, "--admin-token-file",
                 "there is no shared operator secret any more; node-level details are shown "
                 "to an account holding the role coordinator:operator (or use freehold-admin "
                 "status with an operator certificate)");
  c->callback([&] { run = [&](Context& ctx) { return RunStatus(ctx); }; });

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    std::cerr << "Run `freehold --help` for usage.\n";
    return static_cast<int>(ExitCode::kUsage);
  }
  g.allow_weak_kdf = EnvTrue("FREEHOLD_ALLOW_WEAK_KDF");
  if (absl::Status s = g.transport.Validate(); !s.ok()) {
    std::cerr << "freehold: " << s.message() << "\n";
    return static_cast<int>(ExitCode::kUsage);
  }
  Context ctx(g);
  if (!run) return static_cast<int>(ExitCode::kUsage);
  return Report(ctx, run(ctx));
}

}  // namespace freehold::cli
