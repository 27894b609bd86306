// internal::DirectWriter (the receive -> hash + write pipeline) and its buffer pool,
// on real files in a temporary directory.
#include "services/storaged/core/internal/direct_writer.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

#include "tests/storaged/storaged_test_util.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace freehold::storaged::internal {
namespace {

using namespace ::freehold::storaged::testing;  // NOLINT

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string HashString(bulk::Sha256& hasher) {
  const bulk::Sha256Hash h = hasher.Final();
  return std::string(reinterpret_cast<const char*>(h.data()), h.size());
}

class DirectWriterTest : public ::testing::Test {
 protected:
  int OpenForWriting(const std::string& path, int flags = O_WRONLY | O_CREAT | O_TRUNC) {
    const int fd = ::open(path.c_str(), flags | O_CLOEXEC, 0600);
    EXPECT_GE(fd, 0) << path;
    fds_.push_back(fd);
    return fd;
  }
  void TearDown() override {
    for (int fd : fds_) ::close(fd);
  }

  freehold::testing::TempDir dir_;
  std::vector<int> fds_;
};

// Whatever the number of buffers and the chunking, the file holds exactly the bytes
// appended and the hash is their SHA-256 (the hashing thread sees them in order).
TEST_F(DirectWriterTest, FileAndHashMatchTheBytesForEveryRingSize) {
  AlignedBufferPool pool(8192, 16);
  for (const size_t buffers : {size_t{2}, size_t{3}, size_t{4}, size_t{8}}) {
    for (const size_t size : {size_t{1}, size_t{8192}, size_t{8192 * 5}, size_t{300001}}) {
      SCOPED_TRACE(::testing::Message() << buffers << " buffers, " << size << " bytes");
      const std::string path =
          dir_.File("f-" + std::to_string(buffers) + "-" + std::to_string(size));
      const int fd = OpenForWriting(path);
      bulk::Sha256 hasher;
      std::unique_ptr<DirectWriter> writer = DirectWriter::Create(fd, path, pool, buffers, &hasher);
      if (writer == nullptr) GTEST_SKIP() << "this file system refuses O_DIRECT";
      const std::string data = PatternBytes(size, static_cast<uint32_t>(size + buffers));
      for (size_t off = 0, step = 1; off < data.size(); off += step, step = step * 2 + 7) {
        ASSERT_OK(writer->Append(std::string_view(data).substr(off, step)));
      }
      ASSERT_OK(writer->Finish(size));
      writer.reset();
      EXPECT_EQ(HashString(hasher), Sha256Of(data));
      EXPECT_EQ(ReadFile(path), data);
    }
  }
}

// A failing write (here: the descriptor is read-only) surfaces as an error from Append
// or Finish instead of a hang, however many buffers are still queued.
TEST_F(DirectWriterTest, WriteErrorsSurfaceWithoutHanging) {
  AlignedBufferPool pool(4096, 4);
  const std::string path = dir_.File("readonly");
  { std::ofstream(path) << ""; }
  const int fd = OpenForWriting(path, O_RDONLY);
  bulk::Sha256 hasher;
  std::unique_ptr<DirectWriter> writer = DirectWriter::Create(fd, path, pool, 2, &hasher);
  if (writer == nullptr) GTEST_SKIP() << "this file system refuses O_DIRECT";
  const std::string data = PatternBytes(4096 * 64);
  absl::Status status;
  for (size_t off = 0; off < data.size() && status.ok(); off += 4096) {
    status = writer->Append(std::string_view(data).substr(off, 4096));
  }
  if (status.ok()) status = writer->Finish(data.size());
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(std::string(status.message()), ::testing::HasSubstr(path));
}

// A writer dropped in the middle (a cancelled put) stops its threads and gives its
// buffers back; the next writer reuses them instead of allocating new ones.
TEST_F(DirectWriterTest, AbandonedWriterReturnsItsBuffersForReuse) {
  AlignedBufferPool pool(4096, 8);
  std::set<char*> first_buffers;
  {
    const std::string path = dir_.File("abandoned");
    bulk::Sha256 hasher;
    std::unique_ptr<DirectWriter> writer =
        DirectWriter::Create(OpenForWriting(path), path, pool, 4, &hasher);
    if (writer == nullptr) GTEST_SKIP() << "this file system refuses O_DIRECT";
    ASSERT_OK(writer->Append(PatternBytes(4096 * 10 + 5)));
  }
  for (int i = 0; i < 4; ++i) first_buffers.insert(pool.Acquire());
  EXPECT_EQ(first_buffers.size(), 4u);
  for (char* buffer : first_buffers) {
    EXPECT_EQ(reinterpret_cast<uintptr_t>(buffer) % kDirectAlignment, 0u);
    pool.Release(buffer);
  }
  // The same four come back (most recently released first), and a fifth is new.
  std::set<char*> again;
  for (int i = 0; i < 4; ++i) again.insert(pool.Acquire());
  EXPECT_EQ(again, first_buffers);
  char* fifth = pool.Acquire();
  EXPECT_EQ(first_buffers.count(fifth), 0u);
  for (char* buffer : again) pool.Release(buffer);
  pool.Release(fifth);
}

TEST(AlignedBufferPoolTest, KeepsAtMostMaxCachedBuffers) {
  AlignedBufferPool pool(4096, 1);
  char* a = pool.Acquire();
  char* b = pool.Acquire();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  pool.Release(a);
  pool.Release(b);  // freed: only one is kept
  EXPECT_EQ(pool.Acquire(), a);
  pool.Release(a);
}

}  // namespace
}  // namespace freehold::storaged::internal
