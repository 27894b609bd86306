// Command-line and environment configuration helpers over CLI11.
//
// Convention for every binary (wiring lives in main.cc):
//
//   struct StoragedConfig {
//     std::string listen = "127.0.0.1:7400";
//     absl::Duration heartbeat = absl::Seconds(5);
//     absl::Status Validate() const;   // INVALID_ARGUMENT naming the bad field/flag
//   };
//   CLI::App app{"freehold-storaged: stores encrypted shards"};
//   StoragedConfig config;
//   freehold::AddFlag(app, "--listen", &config.listen, "gRPC listen address",
//                     "FREEHOLD_STORAGED_LISTEN");
//   freehold::AddDurationFlag(app, "--heartbeat", &config.heartbeat, "heartbeat period",
//                             "FREEHOLD_STORAGED_HEARTBEAT");
//   freehold::ParseOrExit(app, argc, argv);
//   freehold::ExitIfError(config.Validate(), "freehold-storaged");
//
// Precedence: command line flag > environment variable > default in the struct.
// Every flag's env name is shown in --help. Secrets are passed as files
// (--x-file) or via ResolveSecret and never printed.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <type_traits>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace freehold {

// "FREEHOLD_" + upper-cased `flag_name` with leading dashes removed and '-' -> '_':
// DefaultEnvName("--pg-url") == "FREEHOLD_PG_URL".
std::string DefaultEnvName(const std::string& flag_name);

// Adds option `name` ("--listen") bound to *target with description `description`,
// falling back to environment variable `env_name` when the flag is absent. An empty
// env_name means DefaultEnvName(name). The current value of *target is shown as the
// default in --help. For bool targets this is a flag (`--x`, `--x=false`, env "1"/"true").
// `target` must outlive parsing. Returns the option for further CLI11 customization.
template <typename T>
CLI::Option* AddFlag(CLI::App& app, const std::string& name, T* target,
                     const std::string& description, const std::string& env_name = "") {
  const std::string env = env_name.empty() ? DefaultEnvName(name) : env_name;
  CLI::Option* opt;
  if constexpr (std::is_same_v<T, bool>) {
    opt = app.add_flag(name, *target, description);
  } else {
    opt = app.add_option(name, *target, description)->capture_default_str();
  }
  opt->envname(env);
  return opt;
}

// Like AddFlag for durations written as absl::ParseDuration accepts ("250ms", "5s",
// "1h30m"). A malformed value makes parsing fail with a message naming the flag.
CLI::Option* AddDurationFlag(CLI::App& app, const std::string& name, absl::Duration* target,
                             const std::string& description, const std::string& env_name = "");

// Parses a byte size: "67108864", "64MiB", "64M", "1.5GiB", "4k"; the units k/M/G/T (with or
// without "iB"/"B", any case) are powers of 1024. INVALID_ARGUMENT otherwise.
absl::StatusOr<uint64_t> ParseByteSize(const std::string& text);

// Like AddFlag for a byte size written as ParseByteSize accepts. A malformed value makes
// parsing fail with a message naming the flag and an example.
CLI::Option* AddByteSizeFlag(CLI::App& app, const std::string& name, uint64_t* target,
                             const std::string& description, const std::string& env_name = "");

// Like AddByteSizeFlag for a rate in bytes per second ("64KiB" = 65536 bytes/s).
CLI::Option* AddByteRateFlag(CLI::App& app, const std::string& name, double* target,
                             const std::string& description, const std::string& env_name = "");

// Secrets never travel on a command line: any local user can read /proc/PID/cmdline,
// and process listings, shell history and crash reports keep it.
enum class SecretKind {
  kSecret,       // the whole value is a secret (webhook secrets, tokens)
  kUrlPassword,  // a URL that may embed a password (postgresql://user:PASSWORD@host/db,
                 // or libpq's "password=..." keyword form)
};

// Marks `opt` (made by AddFlag) as holding a secret of `kind`. On the command line it
// then accepts only "file:/path" (or "@/path", a file read with ReadSecretFile) or, for
// kUrlPassword, a URL without a password; the literal secret is accepted only from the
// environment variable. ParseOrExit enforces it. Returns `opt`.
CLI::Option* MarkSecretFlag(CLI::Option* opt, SecretKind kind);

// AddFlag for a string secret, marked as above, whose "file:/path" or "@/path" value
// (from the command line or the environment) is replaced by the file's contents during
// parsing. --help never shows the value.
CLI::Option* AddSecretFlag(CLI::App& app, const std::string& name, std::string* target,
                           const std::string& description, SecretKind kind,
                           const std::string& env_name = "");

// True if `value` of a flag of `kind` given on a command line would expose a secret.
bool IsLiteralSecret(const std::string& value, SecretKind kind);

// INVALID_ARGUMENT naming the flag and how to pass it instead (never the value) if argv
// gives a literal secret to a flag of `app` (or its subcommands) marked by
// MarkSecretFlag.
absl::Status CheckNoSecretsOnCommandLine(const CLI::App& app, int argc,
                                         const char* const* argv);

// Parses argv. On --help prints help and exits 0; on a parse error, or a secret given
// on the command line (CheckNoSecretsOnCommandLine), prints the error and a usage hint
// to stderr and exits 2. Returns only on success.
void ParseOrExit(CLI::App& app, int argc, char** argv);

// If !status.ok(), prints "<program>: invalid configuration: <message>" to stderr and
// exits 2. Use with XConfig::Validate().
void ExitIfError(const absl::Status& status, const std::string& program);

// Reads a secret from a file, stripping trailing whitespace/newlines.
// NOT_FOUND if missing, PERMISSION_DENIED if unreadable or if the file is readable or
// writable by "other" (mode & 0006), INVALID_ARGUMENT if empty after trimming.
// Messages name the path, never the contents.
absl::StatusOr<std::string> ReadSecretFile(const std::string& path);

// Resolves a secret given on the command line or in the environment:
// "file:/path" or "@/path" -> ReadSecretFile(path); anything else -> the literal value.
// INVALID_ARGUMENT if the result is empty.
absl::StatusOr<std::string> ResolveSecret(const std::string& value_or_file);

}  // namespace freehold
