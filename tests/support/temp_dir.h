// A temporary directory removed (recursively) when the object is destroyed.
#pragma once

#include <string>

namespace freehold::testing {

class TempDir {
 public:
  // Creates a fresh directory under $TEST_TMPDIR or $TMPDIR or /tmp named
  // "<prefix>XXXXXX". Aborts the test process with a message if that fails.
  explicit TempDir(const std::string& prefix = "freehold-test-");
  ~TempDir();
  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&& other) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // path() + "/" + name (not created).
  std::string File(const std::string& name) const;
  // Writes `contents` to File(name) with `mode`; returns the path. Aborts on failure.
  std::string WriteFile(const std::string& name, const std::string& contents,
                        int mode = 0600) const;
  // Keeps the directory on destruction (for debugging a failure).
  void Keep() { keep_ = true; }

 private:
  std::string path_;
  bool keep_ = false;
};

// Reads a whole file; empty string if it cannot be read.
std::string ReadFileOrEmpty(const std::string& path);

}  // namespace freehold::testing
