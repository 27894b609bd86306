// CLI11 helpers with FREEHOLD_* environment fallbacks, and secret resolution.
#include "common/config.h"

#include <sys/stat.h>

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"

namespace freehold {

std::string DefaultEnvName(const std::string& flag_name) {
  std::string_view name = flag_name;
  // CLI11 names may list aliases ("-l,--listen"): use the last long name.
  if (auto comma = name.rfind(','); comma != std::string_view::npos) name = name.substr(comma + 1);
  while (!name.empty() && name.front() == '-') name.remove_prefix(1);
  std::string out = "FREEHOLD_";
  for (char c : name) {
    out.push_back(c == '-' || c == '.' ? '_' : absl::ascii_toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

absl::StatusOr<uint64_t> ParseByteSize(const std::string& raw) {
  const std::string text(absl::StripAsciiWhitespace(raw));
  size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) {
    ++i;
  }
  double number = 0;
  if (i == 0 || !absl::SimpleAtod(text.substr(0, i), &number) || number < 0) {
    return absl::InvalidArgumentError("malformed size");
  }
  const std::string unit = absl::AsciiStrToLower(absl::StripAsciiWhitespace(text.substr(i)));
  static constexpr struct {
    const char* names[3];
    double multiplier;
  } kUnits[] = {{{"", "b", "b"}, 1.0},
                {{"k", "kib", "kb"}, 1024.0},
                {{"m", "mib", "mb"}, 1024.0 * 1024},
                {{"g", "gib", "gb"}, 1024.0 * 1024 * 1024},
                {{"t", "tib", "tb"}, 1024.0 * 1024 * 1024 * 1024}};
  for (const auto& u : kUnits) {
    if (unit == u.names[0] || unit == u.names[1] || unit == u.names[2]) {
      const double bytes = std::round(number * u.multiplier);
      if (bytes > 9.0e18) return absl::InvalidArgumentError("size too large");
      return static_cast<uint64_t>(bytes);
    }
  }
  return absl::InvalidArgumentError("unknown size unit");
}

namespace {

// One option whose text goes through ParseByteSize into *target (uint64_t or double).
template <typename T>
CLI::Option* AddParsedSizeFlag(CLI::App& app, const std::string& name, T* target,
                               const std::string& description, const std::string& env_name,
                               const std::string& type_name, const std::string& example) {
  CLI::Option* opt = app.add_option_function<std::string>(
      name,
      [target, name, example](const std::string& text) {
        absl::StatusOr<uint64_t> v = ParseByteSize(text);
        if (!v.ok()) {
          throw CLI::ValidationError(name, "invalid value '" + text + "' (" + example + ")");
        }
        *target = static_cast<T>(*v);
      },
      description);
  opt->envname(env_name.empty() ? DefaultEnvName(name) : env_name);
  opt->default_str(std::to_string(static_cast<uint64_t>(*target)));
  opt->type_name(type_name);
  return opt;
}

}  // namespace

CLI::Option* AddByteSizeFlag(CLI::App& app, const std::string& name, uint64_t* target,
                             const std::string& description, const std::string& env_name) {
  return AddParsedSizeFlag(app, name, target, description, env_name, "BYTES",
                           "a size; examples: 64MiB, 4096");
}

CLI::Option* AddByteRateFlag(CLI::App& app, const std::string& name, double* target,
                             const std::string& description, const std::string& env_name) {
  return AddParsedSizeFlag(app, name, target, description, env_name, "BYTES/S",
                           "bytes per second; examples: 64KiB, 1024");
}

CLI::Option* AddDurationFlag(CLI::App& app, const std::string& name, absl::Duration* target,
                             const std::string& description, const std::string& env_name) {
  const std::string env = env_name.empty() ? DefaultEnvName(name) : env_name;
  CLI::Option* opt = app.add_option_function<std::string>(
      name,
      [target, name](const std::string& text) {
        absl::Duration d;
        if (!absl::ParseDuration(text, &d)) {
          throw CLI::ValidationError(
              name, "invalid duration '" + text + "' (examples: 250ms, 5s, 1h30m)");
        }
        *target = d;
      },
      description);
  opt->envname(env);
  opt->default_str(absl::FormatDuration(*target));
  opt->type_name("DURATION");
  return opt;
}

namespace {

absl::Mutex secret_flags_mu(absl::kConstInit);
std::map<const CLI::Option*, SecretKind>& SecretFlags() {
  static auto* flags = new std::map<const CLI::Option*, SecretKind>();
  return *flags;
}

bool IsFileReference(const std::string& value) {
  return absl::StartsWith(value, "file:") || absl::StartsWith(value, "@");
}

void CollectSecretFlags(const CLI::App& app,
                        std::vector<std::pair<const CLI::Option*, SecretKind>>* out)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(secret_flags_mu) {
  for (const CLI::Option* opt : app.get_options()) {
    auto it = SecretFlags().find(opt);
    if (it != SecretFlags().end()) out->emplace_back(opt, it->second);
  }
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    CollectSecretFlags(*sub, out);
  }
}

}  // namespace

CLI::Option* MarkSecretFlag(CLI::Option* opt, SecretKind kind) {
  absl::MutexLock lock(&secret_flags_mu);
  SecretFlags()[opt] = kind;
  return opt;
}

CLI::Option* AddSecretFlag(CLI::App& app, const std::string& name, std::string* target,
                           const std::string& description, SecretKind kind,
                           const std::string& env_name) {
  const std::string env = env_name.empty() ? DefaultEnvName(name) : env_name;
  CLI::Option* opt = app.add_option(name, *target, description);  // no default shown
  opt->envname(env);
  opt->transform(CLI::Validator(
      [name](std::string& value) -> std::string {
        if (!IsFileReference(value)) return "";
        absl::StatusOr<std::string> secret = ResolveSecret(value);
        if (!secret.ok()) return std::string(secret.status().message());
        value = *std::move(secret);
        return "";
      },
      "", "secret-file"));
  return MarkSecretFlag(opt, kind);
}

bool IsLiteralSecret(const std::string& value, SecretKind kind) {
  if (kind == SecretKind::kSecret) {
    // Repeatable flags may take comma-separated values: each must be a file reference.
    for (absl::string_view part : absl::StrSplit(value, ',')) {
      if (!part.empty() && !IsFileReference(std::string(part))) return true;
    }
    return false;
  }
  if (value.empty() || IsFileReference(value)) return false;
  // URI form: scheme://[user[:password]@]host...; keyword form: ... password=... ...
  const size_t scheme = value.find("://");
  if (scheme != std::string::npos) {
    const size_t start = scheme + 3;
    const size_t end = value.find_first_of("/?#", start);
    const std::string authority =
        value.substr(start, end == std::string::npos ? std::string::npos : end - start);
    const size_t at = authority.rfind('@');
    if (at != std::string::npos && authority.substr(0, at).find(':') != std::string::npos) {
      return true;
    }
  }
  return absl::StrContains(absl::AsciiStrToLower(value), "password=");
}

absl::Status CheckNoSecretsOnCommandLine(const CLI::App& app, int argc,
                                         const char* const* argv) {
  std::vector<std::pair<const CLI::Option*, SecretKind>> flags;
  {
    absl::MutexLock lock(&secret_flags_mu);
    CollectSecretFlags(app, &flags);
  }
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--") break;
    for (const auto& [opt, kind] : flags) {
      for (const std::string& lname : opt->get_lnames()) {
        const std::string flag = "--" + lname;
        std::optional<std::string> value;
        if (arg == flag && i + 1 < argc) {
          value = argv[i + 1];
        } else if (absl::StartsWith(arg, flag + "=")) {
          value = arg.substr(flag.size() + 1);
        }
        if (!value.has_value() || !IsLiteralSecret(*value, kind)) continue;
        const std::string env = opt->get_envname();
        return absl::InvalidArgumentError(absl::StrCat(
            flag, ": ",
            kind == SecretKind::kSecret ? "a secret" : "a URL with a password",
            " must not be given on the command line (any local user can read it in "
            "/proc/PID/cmdline); give file:/path to a file (mode 0600) holding it",
            env.empty() ? "" : absl::StrCat(", or set ", env, " in the environment"),
            kind == SecretKind::kUrlPassword
                ? ", or keep the password in ~/.pgpass (PGPASSFILE) and leave it out of the URL"
                : ""));
      }
    }
  }
  return absl::OkStatus();
}

void ParseOrExit(CLI::App& app, int argc, char** argv) {
  if (absl::Status s = CheckNoSecretsOnCommandLine(app, argc, argv); !s.ok()) {
    std::cerr << app.get_name() << ": " << s.message() << "\n";
    std::exit(2);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    std::exit(app.exit(e));
  } catch (const CLI::CallForAllHelp& e) {
    std::exit(app.exit(e));
  } catch (const CLI::CallForVersion& e) {
    std::exit(app.exit(e));
  } catch (const CLI::ParseError& e) {
    std::cerr << app.get_name() << ": " << e.what() << "\n"
              << "Run with --help for the list of flags.\n";
    std::exit(2);
  }
}

void ExitIfError(const absl::Status& status, const std::string& program) {
  if (status.ok()) return;
  std::cerr << program << ": invalid configuration: " << status.message() << "\n";
  std::exit(2);
}

absl::StatusOr<std::string> ReadSecretFile(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT)
      return absl::NotFoundError(absl::StrCat("secret file ", path, " not found"));
    return absl::PermissionDeniedError(
        absl::StrCat("cannot stat secret file ", path, ": ", std::strerror(errno)));
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat("secret file ", path, " is not a regular file"));
  }
  if ((st.st_mode & 0006) != 0) {
    return absl::PermissionDeniedError(
        absl::StrCat("secret file ", path, " is accessible by other users; run: chmod 600 ", path));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::PermissionDeniedError(absl::StrCat("cannot read secret file ", path));
  }
  if (st.st_size > (1 << 20)) {
    return absl::InvalidArgumentError(absl::StrCat("secret file ", path, " is larger than 1 MiB"));
  }
  // Read straight into the result so no other buffer holds a copy of the secret.
  std::string contents(static_cast<size_t>(st.st_size), '\0');
  in.read(contents.data(), static_cast<std::streamsize>(contents.size()));
  contents.resize(static_cast<size_t>(in.gcount()));
  while (!contents.empty() && std::isspace(static_cast<unsigned char>(contents.back()))) {
    contents.pop_back();
  }
  if (contents.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("secret file ", path, " is empty"));
  }
  return contents;
}

absl::StatusOr<std::string> ResolveSecret(const std::string& value_or_file) {
  if (absl::StartsWith(value_or_file, "file:")) return ReadSecretFile(value_or_file.substr(5));
  if (absl::StartsWith(value_or_file, "@")) return ReadSecretFile(value_or_file.substr(1));
  if (value_or_file.empty()) return absl::InvalidArgumentError("secret is empty");
  return value_or_file;
}

}  // namespace freehold
