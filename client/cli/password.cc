#include "client/cli/password.h"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/config.h"

namespace freehold::cli {

PasswordSource PasswordSource::FromEnvironment(std::string password_file) {
  std::optional<std::string> env;
  if (const char* p = std::getenv("FREEHOLD_PASSWORD"); p != nullptr) env = std::string(p);
  return PasswordSource(std::move(password_file), std::move(env));
}

bool PasswordSource::HaveTerminal() {
  int fd = ::open("/dev/tty", O_RDWR | O_CLOEXEC);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

absl::StatusOr<client::SecretBytes> PromptTerminal(absl::string_view prompt, bool echo) {
  int fd = ::open("/dev/tty", O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    return absl::UnauthenticatedError(
        "no terminal to ask for the password: set FREEHOLD_PASSWORD or use --password-file");
  }
  (void)!::write(fd, prompt.data(), prompt.size());
  termios old_mode{};
  const bool have_mode = ::tcgetattr(fd, &old_mode) == 0;
  if (have_mode && !echo) {
    termios quiet = old_mode;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    quiet.c_lflag |= ECHONL;
    ::tcsetattr(fd, TCSAFLUSH, &quiet);
  }
  client::SecretBytes buf(4096);
  size_t len = 0;
  bool ok = true;
  while (len < buf.size()) {
    char c;
    ssize_t n = ::read(fd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ok = len > 0;
      break;
    }
    if (c == '\n' || c == '\r') break;
    buf.data()[len++] = static_cast<uint8_t>(c);
  }
  if (have_mode && !echo) ::tcsetattr(fd, TCSAFLUSH, &old_mode);
  ::close(fd);
  if (!ok) return absl::CancelledError("no input on the terminal");
  return client::SecretBytes::CopyOf(buf.span().first(len));
}

absl::StatusOr<client::SecretBytes> PasswordSource::Get(absl::string_view prompt,
                                                        bool confirm) const {
  client::SecretBytes password;
  if (!file_.empty()) {
    absl::StatusOr<std::string> text = ReadSecretFile(file_);
    if (!text.ok()) {
      return absl::Status(text.status().code(),
                          absl::StrCat("--password-file: ", text.status().message()));
    }
    password = client::SecretBytes::CopyOf(*text);
    std::fill(text->begin(), text->end(), '\0');
  } else if (env_.has_value()) {
    password = client::SecretBytes::CopyOf(*env_);
  } else {
    absl::StatusOr<client::SecretBytes> typed = PromptTerminal(prompt, /*echo=*/false);
    if (!typed.ok()) return typed.status();
    if (confirm) {
      absl::StatusOr<client::SecretBytes> again = PromptTerminal("Repeat the password: ", false);
      if (!again.ok()) return again.status();
      if (!typed->Equals(*again)) {
        return absl::InvalidArgumentError("the two passwords differ; nothing was changed");
      }
    }
    password = *std::move(typed);
  }
  if (password.empty()) return absl::InvalidArgumentError("the password is empty");
  return password;
}

}  // namespace freehold::cli
