// crushtool driver for the placement benchmark (see crushtool_runner.h).
#include "bench/placement/crushtool_runner.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

extern char** environ;

namespace freehold::placement::bench {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

absl::Status WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

constexpr char kRule[] =
    "# rules\n"
    "rule freehold_bench {\n"
    "\tid 0\n"
    "\ttype replicated\n"
    "\tmin_size 1\n"
    "\tmax_size 10\n"
    "\tstep take root\n"
    "\tstep chooseleaf firstn 0 type host\n"
    "\tstep emit\n"
    "}\n"
    "\n# end crush map\n";

}  // namespace

absl::StatusOr<ChildRun> RunChild(const std::vector<std::string>& argv,
                                  const std::string& stdout_path, const std::string& stderr_path) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  const std::string out = stdout_path.empty() ? "/dev/null" : stdout_path;
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const auto start = std::chrono::steady_clock::now();
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    return absl::InternalError(absl::StrCat("cannot start ", argv[0], ": ", std::strerror(rc)));
  }
  int status = 0;
  struct rusage usage {};
  if (wait4(pid, &status, 0, &usage) < 0) {
    return absl::InternalError(absl::StrCat("wait for ", argv[0], " failed"));
  }
  ChildRun run;
  run.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  run.cpu_seconds = usage.ru_utime.tv_sec + usage.ru_utime.tv_usec * 1e-6 + usage.ru_stime.tv_sec +
                    usage.ru_stime.tv_usec * 1e-6;
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return run;
}

absl::Status Crushtool::Run(const std::vector<std::string>& args, const std::string& stdout_path) {
  std::vector<std::string> argv = {binary_};
  argv.insert(argv.end(), args.begin(), args.end());
  const std::string err = absl::StrCat(dir_, "/crushtool.err");
  absl::StatusOr<ChildRun> run = RunChild(argv, stdout_path, err);
  if (!run.ok()) return run.status();
  if (run->exit_code != 0) {
    std::string cmd;
    for (const std::string& a : argv) absl::StrAppend(&cmd, a, " ");
    return absl::InternalError(
        absl::StrCat("`", cmd, "` exited with ", run->exit_code, ": ", ReadFile(err).value_or("")));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> Crushtool::AddRuleAndCompile(const std::string& name,
                                                         std::string text) {
  const size_t rules = text.find("# rules");
  if (rules == std::string::npos) {
    return absl::InternalError("decompiled crush map has no '# rules' section");
  }
  text.resize(rules);
  text += kRule;
  const std::string src = absl::StrCat(dir_, "/", name, ".txt");
  const std::string bin = absl::StrCat(dir_, "/", name, ".bin");
  if (absl::Status s = WriteFile(src, text); !s.ok()) return s;
  if (absl::Status s = Run({"-c", src, "-o", bin}); !s.ok()) return s;
  return bin;
}

absl::StatusOr<std::string> Crushtool::BuildEqualMap(const std::string& name, int num_osds,
                                                     int per_host) {
  const std::string built = absl::StrCat(dir_, "/", name, ".built");
  const std::string text = absl::StrCat(dir_, "/", name, ".built.txt");
  if (absl::Status s = Run({"-o", built, "--build", "--num_osds", absl::StrCat(num_osds), "host",
                            "straw2", absl::StrCat(per_host), "root", "straw2", "0"});
      !s.ok()) {
    return s;
  }
  if (absl::Status s = Run({"-d", built, "-o", text}); !s.ok()) return s;
  absl::StatusOr<std::string> decompiled = ReadFile(text);
  if (!decompiled.ok()) return decompiled.status();
  return AddRuleAndCompile(name, *decompiled);
}

absl::StatusOr<std::string> Crushtool::CompileMap(const std::string& name,
                                                  const std::vector<CrushHost>& hosts) {
  // Take the tunables crushtool uses for new maps from a built map.
  int osds = 0;
  for (const CrushHost& h : hosts) osds += static_cast<int>(h.osds.size());
  absl::StatusOr<std::string> probe = BuildEqualMap(absl::StrCat(name, ".probe"), osds, 1);
  if (!probe.ok()) return probe.status();
  absl::StatusOr<std::string> probe_text = ReadFile(absl::StrCat(dir_, "/", name, ".probe.txt"));
  if (!probe_text.ok()) return probe_text.status();
  std::string text = probe_text->substr(0, probe_text->find("# devices"));
  absl::StrAppend(&text, "# devices\n");
  std::vector<int> all;
  for (const CrushHost& h : hosts) all.insert(all.end(), h.osds.begin(), h.osds.end());
  std::sort(all.begin(), all.end());
  for (int id : all) absl::StrAppend(&text, "device ", id, " osd.", id, "\n");
  absl::StrAppend(&text, "\n# types\ntype 0 osd\ntype 1 host\ntype 2 root\n\n# buckets\n");
  std::string root = absl::StrFormat("root root {\n\tid %d\n\talg straw2\n\thash 0\n",
                                     -static_cast<int>(hosts.size()) - 1);
  for (size_t h = 0; h < hosts.size(); ++h) {
    double total = 0;
    absl::StrAppendFormat(&text, "host host%d {\n\tid %d\n\talg straw2\n\thash 0\n", h,
                          -static_cast<int>(h) - 1);
    for (size_t i = 0; i < hosts[h].osds.size(); ++i) {
      absl::StrAppendFormat(&text, "\titem osd.%d weight %.5f\n", hosts[h].osds[i],
                            hosts[h].weights[i]);
      total += hosts[h].weights[i];
    }
    absl::StrAppend(&text, "}\n");
    absl::StrAppendFormat(&root, "\titem host%d weight %.5f\n", h, total);
  }
  absl::StrAppend(&text, root, "}\n\n# rules\n");
  return AddRuleAndCompile(name, text);
}

absl::StatusOr<ChildRun> Crushtool::TimeMappings(const std::string& map, int replicas,
                                                 int64_t count) {
  auto run = [&](int64_t n) -> absl::StatusOr<ChildRun> {
    const std::vector<std::string> argv = {binary_,   "-i", map,         "--test",
                                           "--rule",  "0",  "--num-rep", absl::StrCat(replicas),
                                           "--min-x", "0",  "--max-x",   absl::StrCat(n - 1)};
    absl::StatusOr<ChildRun> r = RunChild(argv, "", absl::StrCat(dir_, "/crushtool.err"));
    if (r.ok() && r->exit_code != 0) {
      return absl::InternalError(absl::StrCat("crushtool --test exited with ", r->exit_code));
    }
    return r;
  };
  absl::StatusOr<ChildRun> startup = run(1);
  if (!startup.ok()) return startup.status();
  absl::StatusOr<ChildRun> full = run(count);
  if (!full.ok()) return full.status();
  full->wall_seconds -= startup->wall_seconds;
  full->cpu_seconds -= startup->cpu_seconds;
  return full;
}

absl::StatusOr<std::vector<int>> Crushtool::Mappings(const std::string& map, int replicas,
                                                     int64_t count) {
  const std::string out = absl::StrCat(dir_, "/mappings.out");
  if (absl::Status s = Run({"-i", map, "--test", "--rule", "0", "--num-rep", absl::StrCat(replicas),
                            "--min-x", "0", "--max-x", absl::StrCat(count - 1), "--show-mappings"},
                           out);
      !s.ok()) {
    return s;
  }
  std::FILE* f = std::fopen(out.c_str(), "r");
  if (f == nullptr) return absl::InternalError(absl::StrCat("cannot read ", out));
  std::vector<int> mappings(static_cast<size_t>(count) * replicas, -1);
  std::vector<int> seen(count, 0);
  char line[512];
  absl::Status status;
  while (std::fgets(line, sizeof(line), f) != nullptr) {
    // "CRUSH rule 0 x 17 [13,45,59,33,1,29]"
    const char* x = std::strstr(line, " x ");
    const char* open = std::strchr(line, '[');
    if (x == nullptr || open == nullptr) continue;
    const long input = std::strtol(x + 3, nullptr, 10);
    if (input < 0 || input >= count) continue;
    int n = 0;
    for (const char* p = open + 1; *p != ']' && *p != '\0' && n < replicas;) {
      char* end = nullptr;
      const long osd = std::strtol(p, &end, 10);
      if (end == p) break;
      mappings[input * replicas + n++] = static_cast<int>(osd);
      p = (*end == ',') ? end + 1 : end;
    }
    if (n < replicas && status.ok()) {
      status = absl::FailedPreconditionError(
          absl::StrCat("crushtool mapped x=", input, " to only ", n, " of ", replicas, " OSDs"));
    }
    seen[input] = 1;
  }
  std::fclose(f);
  std::remove(out.c_str());
  if (!status.ok()) return status;
  for (int64_t i = 0; i < count; ++i) {
    if (!seen[i])
      return absl::InternalError(absl::StrCat("crushtool printed no mapping for x=", i));
  }
  return mappings;
}

}  // namespace freehold::placement::bench
