#include "tests/e2e/probes.h"

#include <dirent.h>
#include <sys/stat.h>

#include <functional>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/e2e/cli_runner.h"

namespace freehold::e2e {

std::map<std::string, std::string> ShardFiles(const std::string& data_dir) {
  std::map<std::string, std::string> out;
  std::function<void(const std::string&, int)> walk = [&](const std::string& d, int depth) {
    if (depth > 3) return;
    DIR* h = ::opendir(d.c_str());
    if (h == nullptr) return;
    while (dirent* e = ::readdir(h)) {
      const std::string name = e->d_name;
      if (name == "." || name == "..") continue;
      const std::string path = d + "/" + name;
      struct stat st;
      if (::stat(path.c_str(), &st) != 0) continue;
      if (S_ISDIR(st.st_mode)) {
        walk(path, depth + 1);
      } else if (S_ISREG(st.st_mode)) {
        out[name.substr(0, name.find('.'))] = path;
      }
    }
    ::closedir(h);
  };
  walk(data_dir + "/shards", 0);
  return out;
}

double MetricSum(const std::string& address, const std::string& name,
                 const std::string& label_filter, const std::string& scratch_dir) {
  CliResult r = RunTool("/usr/bin/curl",
                        {"-sS", "--max-time", "5", absl::StrCat("http://", address, "/metrics")},
                        scratch_dir);
  if (r.exit_code != 0) return -1;
  double sum = 0;
  for (absl::string_view line : absl::StrSplit(r.out, '\n')) {
    if (!absl::StartsWith(line, name + " ") && !absl::StartsWith(line, name + "{")) continue;
    if (!label_filter.empty() && !absl::StrContains(line, label_filter)) continue;
    double v = 0;
    if (absl::SimpleAtod(line.substr(line.rfind(' ') + 1), &v)) sum += v;
  }
  return sum;
}

std::string HexOfUuid(const std::string& uuid) {
  std::string hex;
  for (char c : uuid) {
    if (c != '-') hex.push_back(c);
  }
  return hex;
}

}  // namespace freehold::e2e
