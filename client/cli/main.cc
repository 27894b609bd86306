// freehold: the command line client (wiring only; see client/cli/app.h).
#include <malloc.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "client/cli/app.h"

namespace {

// Transfers stream gigabytes through segment buffers of tens of megabytes.
// Faulting those in 4 KiB at a time costs more CPU than encrypting them, so
// transfer commands run with glibc's transparent-huge-page malloc (a tunable
// read at start-up: the process re-executes itself once with it set).
void UseHugePagesForTransfers(int argc, char** argv) {
  bool transfer = false;
  for (int i = 1; i < argc && !transfer; ++i) {
    for (const char* c : {"put", "get", "export", "fetch"})
      transfer |= std::strcmp(argv[i], c) == 0;
  }
  if (!transfer || std::getenv("FREEHOLD_REEXECUTED") != nullptr) return;
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  if (tunables != nullptr && std::strstr(tunables, "glibc.malloc.hugetlb") != nullptr) return;
  std::string value = tunables != nullptr && *tunables != '\0'
                          ? std::string(tunables) + ":glibc.malloc.hugetlb=1"
                          : "glibc.malloc.hugetlb=1";
  ::setenv("GLIBC_TUNABLES", value.c_str(), 1);
  ::setenv("FREEHOLD_REEXECUTED", "1", 1);
  ::execv("/proc/self/exe", argv);  // returns only on failure: carry on as is
}

}  // namespace

int main(int argc, char** argv) {
  UseHugePagesForTransfers(argc, argv);
  // Keep freed memory in the process instead of returning it to the kernel
  // and faulting in fresh zeroed pages for the next megabyte buffer; one
  // arena, so buffers freed by one transfer thread serve the next thread
  // (measured: halves get's CPU).
  mallopt(M_ARENA_MAX, 1);
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
  // A closed pipe (freehold get X -o - | head) is a write error, not a kill.
  signal(SIGPIPE, SIG_IGN);
  return freehold::cli::RunApp(argc, argv);
}
