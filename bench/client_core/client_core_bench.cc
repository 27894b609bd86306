// Client data-path throughput, every headline printed as `figure: NAME VALUE`
// beside its reference measured in the same run (raw ChaCha20-Poly1305 and
// SHA-256 from OpenSSL and libsodium, memcpy, the stock age binary).
//
//   freehold-bench-client-core                      # everything (~1-2 min)
//   freehold-bench-client-core --benchmark_filter=Stream
//   FREEHOLD_BENCH_AGE_MB=0 freehold-bench-client-core   # skip the age comparison
//
// Environment: FREEHOLD_BENCH_AGE_MB (size of the file for the age
// comparison, default 1024), FREEHOLD_BENCH_PIPELINE_MB (pipeline input,
// default 384), FREEHOLD_BENCH_TMPDIR (default /tmp).
#include <benchmark/benchmark.h>
#include <sodium.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <string>

#include "client/core/age_file.h"
#include "client/core/age_stream.h"
#include "client/core/upload_pipeline.h"
#include "common/bulk/aead.h"
#include "common/bulk/sha256.h"
#include "common/erasure/erasure.h"

namespace freehold::client {
namespace {

constexpr size_t kMicroBytes = 16 << 20;

uint64_t EnvMb(const char* name, uint64_t def) {
  const char* v = std::getenv(name);
  return v && *v ? std::strtoull(v, nullptr, 10) : def;
}

const std::vector<uint8_t>& Input(size_t n) {
  static std::map<size_t, std::vector<uint8_t>>* cache = new std::map<size_t, std::vector<uint8_t>>;
  auto& v = (*cache)[n];
  if (v.size() != n) {
    v.resize(n);
    randombytes_buf_deterministic(v.data(), n, std::array<uint8_t, 32>{1}.data());
  }
  return v;
}

class NullSink final : public ByteSink {
 public:
  absl::Status Write(std::span<const uint8_t> d) override {
    benchmark::DoNotOptimize(d.data());
    return absl::OkStatus();
  }
};

bulk::Backend BackendArg(const benchmark::State& s) {
  return s.range(0) == 0 ? bulk::Backend::kOpenSsl : bulk::Backend::kSodium;
}

void BM_Memcpy(benchmark::State& state) {
  const auto& in = Input(kMicroBytes);
  std::vector<uint8_t> out(in.size());
  for (auto _ : state) {
    std::memcpy(out.data(), in.data(), in.size());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * in.size());
}
BENCHMARK(BM_Memcpy);

// Raw AEAD sealing in 64 KiB messages, as STREAM does, into one reused buffer.
void BM_ChaChaPolyRaw(benchmark::State& state) {
  const auto& in = Input(kMicroBytes);
  std::vector<uint8_t> key(32, 7), nonce(12, 0), out(kStreamSealedChunkBytes);
  auto aead = *bulk::ChaCha20Poly1305::Create(key, BackendArg(state));
  for (auto _ : state) {
    for (size_t off = 0; off < in.size(); off += kStreamChunkBytes) {
      nonce[0]++;
      (void)aead->Seal(nonce, {}, std::span<const uint8_t>(in).subspan(off, kStreamChunkBytes),
                       out);
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(state.iterations() * in.size());
  state.SetLabel(std::string(bulk::BackendName(BackendArg(state))));
}
BENCHMARK(BM_ChaChaPolyRaw)->Arg(0)->Arg(1);

void BM_Sha256Raw(benchmark::State& state) {
  const auto& in = Input(kMicroBytes);
  for (auto _ : state) benchmark::DoNotOptimize(bulk::Sha256Digest(in, BackendArg(state)));
  state.SetBytesProcessed(state.iterations() * in.size());
  state.SetLabel(std::string(bulk::BackendName(BackendArg(state))));
}
BENCHMARK(BM_Sha256Raw)->Arg(0)->Arg(1);

void BM_StreamEncrypt(benchmark::State& state) {
  const auto& in = Input(kMicroBytes);
  SecretBytes key = SecretBytes::Random(16);
  for (auto _ : state) {
    NullSink sink;
    auto enc = *StreamEncryptor::Create(key, sink, BackendArg(state));
    for (size_t off = 0; off < in.size(); off += 1 << 20) {
      (void)enc->Write(std::span<const uint8_t>(in).subspan(off, 1 << 20));
    }
    (void)enc->Close();
  }
  state.SetBytesProcessed(state.iterations() * in.size());
  state.SetLabel(std::string(bulk::BackendName(BackendArg(state))));
}
BENCHMARK(BM_StreamEncrypt)->Arg(0)->Arg(1);

void BM_StreamDecrypt(benchmark::State& state) {
  const auto& in = Input(kMicroBytes);
  SecretBytes key = SecretBytes::Random(16);
  std::string payload;
  {
    StringSink sink(&payload);
    auto enc = *StreamEncryptor::Create(key, sink, BackendArg(state));
    (void)enc->Write(in);
    (void)enc->Close();
  }
  for (auto _ : state) {
    NullSink sink;
    auto dec = *StreamDecryptor::Create(key, sink, BackendArg(state));
    for (size_t off = 0; off < payload.size(); off += 1 << 20) {
      (void)dec->Write(AsBytes(std::string_view(payload).substr(off, 1 << 20)));
    }
    if (!dec->Close().ok()) state.SkipWithError("decrypt failed");
  }
  state.SetBytesProcessed(state.iterations() * in.size());
  state.SetLabel(std::string(bulk::BackendName(BackendArg(state))));
}
BENCHMARK(BM_StreamDecrypt)->Arg(0)->Arg(1);

// Parity computation for one segment (bytes = segment bytes).
void BM_EcEncode(benchmark::State& state) {
  const int k = static_cast<int>(state.range(0)), m = static_cast<int>(state.range(1));
  const auto& in = Input(kMicroBytes);
  erasure::ReedSolomon rs = *erasure::ReedSolomon::Create(k, m);
  const size_t shard = erasure::ReedSolomon::ShardSize(in.size(), k);
  std::vector<uint8_t> buf(shard * (k + m));
  std::memcpy(buf.data(), in.data(), in.size());
  std::vector<const uint8_t*> data;
  std::vector<uint8_t*> parity;
  for (int i = 0; i < k; ++i) data.push_back(buf.data() + i * shard);
  for (int i = 0; i < m; ++i) parity.push_back(buf.data() + (k + i) * shard);
  for (auto _ : state) {
    rs.EncodeParity(data, parity, shard);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * in.size());
}
BENCHMARK(BM_EcEncode)->Args({4, 2})->Args({10, 4});

// Decoding a segment with two data shards missing (bytes = segment bytes).
void BM_EcDecodeTwoMissing(benchmark::State& state) {
  const int k = static_cast<int>(state.range(0)), m = static_cast<int>(state.range(1));
  const auto& in = Input(kMicroBytes);
  erasure::ReedSolomon rs = *erasure::ReedSolomon::Create(k, m);
  erasure::EncodedSegment seg = *erasure::EncodeSegment(rs, in);
  std::vector<std::span<const uint8_t>> shards;
  for (int i = 0; i < k + m; ++i)
    shards.push_back(i == 0 || i == 1 ? std::span<const uint8_t>() : seg.shard(i));
  for (auto _ : state) {
    auto out = erasure::DecodeSegment(rs, in.size(), shards, {});
    benchmark::DoNotOptimize(out->data());
  }
  state.SetBytesProcessed(state.iterations() * in.size());
}
BENCHMARK(BM_EcDecodeTwoMissing)->Args({4, 2})->Args({10, 4});

// SHA-256 of all k+m shards of a segment (bytes = segment bytes).
void BM_ShardSha256(benchmark::State& state) {
  const int k = 4, m = 2;
  const auto& in = Input(kMicroBytes);
  erasure::ReedSolomon rs = *erasure::ReedSolomon::Create(k, m);
  erasure::EncodedSegment seg = *erasure::EncodeSegment(rs, in);
  for (auto _ : state) {
    for (int i = 0; i < k + m; ++i)
      benchmark::DoNotOptimize(bulk::Sha256Digest(seg.shard(i), BackendArg(state)));
  }
  state.SetBytesProcessed(state.iterations() * in.size());
  state.SetLabel(std::string(bulk::BackendName(BackendArg(state))) + " 4+2");
}
BENCHMARK(BM_ShardSha256)->Arg(0)->Arg(1);

// Whole upload pipeline per input byte: encrypt -> 64 MiB segments -> 4+2 -> hash.
// Arg = threads (0 = all on the calling thread).
void BM_UploadPipeline(benchmark::State& state) {
  const auto& in = Input(EnvMb("FREEHOLD_BENCH_PIPELINE_MB", 384) << 20);
  SecretBytes key = SecretBytes::Random(16);
  UploadOptions o;
  o.k = 4;
  o.m = 2;
  o.threads = static_cast<int>(state.range(0));
  uint64_t segments = 0;
  // One pipeline for all iterations: buffers are reused as they are across
  // the segments of a long file (steady state, no fresh-memory page faults).
  auto pipeline = *UploadPipeline::Create(o);
  {
    SpanSource warm(in);
    (void)pipeline->Run(key, warm, [](UploadSegment&) { return absl::OkStatus(); });
  }
  for (auto _ : state) {
    SpanSource src(in);
    auto r = pipeline->Run(key, src, [&](UploadSegment& s) {
      benchmark::DoNotOptimize(s.encoded.hashes.data());
      ++segments;
      return absl::OkStatus();
    });
    if (!r.ok()) state.SkipWithError("pipeline failed");
  }
  state.SetBytesProcessed(state.iterations() * in.size());
  state.SetLabel(o.threads == 0 ? "inline" : std::to_string(o.threads) + " worker threads");
}
BENCHMARK(BM_UploadPipeline)
    ->Arg(0)
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime()
    ->MeasureProcessCPUTime()  // CPU time of all threads, for the efficiency figures
    ->MinTime(2.0)
    ->Unit(benchmark::kMillisecond);

// Collects bytes/s per run name for the figures.
class FigureReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& r : runs) {
      auto it = r.counters.find("bytes_per_second");
      if (it == r.counters.end()) continue;
      // Key without the /min_time:... and /real_time decorations.
      std::string name = r.benchmark_name();
      for (const char* deco : {"/min_time:2.000", "/process_time", "/real_time"}) {
        if (size_t p = name.find(deco); p != std::string::npos) name.erase(p, std::strlen(deco));
      }
      gbps[name] = it->second.value / 1e9;
      // bytes/s over CPU time (the pipelines measure all threads' CPU time):
      // comparable with the micro benchmarks' CPU-time rates on a busy machine.
      if (r.cpu_accumulated_time > 0 && r.real_accumulated_time > 0) {
        cpu_gbps[name] = it->second.value / 1e9 * r.real_accumulated_time / r.cpu_accumulated_time;
      }
    }
    ConsoleReporter::ReportRuns(runs);
  }
  std::map<std::string, double> gbps;      // real time for UseRealTime runs, else CPU time
  std::map<std::string, double> cpu_gbps;  // always over CPU time
};

void Figure(const std::string& name, double v) {
  std::printf("figure: %s %.3f\n", name.c_str(), v);
}

// Times `age` and our EncryptFile on the same file (page cache warm).
void AgeComparison(uint64_t mb) {
  if (mb == 0) return;
  if (std::system("command -v age >/dev/null 2>&1") != 0) {
    std::printf("age comparison skipped: age binary not found\n");
    return;
  }
  const char* tmp = std::getenv("FREEHOLD_BENCH_TMPDIR");
  std::string path = std::string(tmp && *tmp ? tmp : "/tmp") + "/freehold-bench-age-input.bin";
  {
    std::ofstream f(path, std::ios::binary);
    const auto& chunk = Input(kMicroBytes);
    for (uint64_t done = 0; done < (mb << 20); done += chunk.size()) {
      f.write(reinterpret_cast<const char*>(chunk.data()),
              static_cast<std::streamsize>(chunk.size()));
    }
  }
  X25519Identity id = GenerateIdentity();
  const std::string cmd = "age -r " + id.Recipient() + " -o /dev/null " + path;
  auto time = [](auto fn) {
    double best = 1e100;
    for (int i = 0; i < 2; ++i) {
      auto t0 = std::chrono::steady_clock::now();
      fn();
      best = std::min(best,
                      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    return best;
  };
  const double bytes = static_cast<double>(mb << 20);
  double t_age = time([&] {
    if (std::system(cmd.c_str()) != 0) std::printf("age failed\n");
  });
  X25519Recipient r(id.public_key());
  const AgeRecipient* rp[] = {&r};
  double t_ours = time([&] {
    std::ifstream f(path, std::ios::binary);
    IstreamSource src(f);
    NullSink sink;
    if (!EncryptFile(rp, src, sink).ok()) std::printf("EncryptFile failed\n");
  });
  std::remove(path.c_str());
  Figure("age_binary_encrypt_" + std::to_string(mb) + "MiB_GBps", bytes / t_age / 1e9);
  Figure("ours_encrypt_file_" + std::to_string(mb) + "MiB_GBps", bytes / t_ours / 1e9);
  Figure("ours_vs_age_encrypt_ratio", t_age / t_ours);
}

}  // namespace
}  // namespace freehold::client

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--help" || std::string(argv[i]) == "-h") {
      std::printf(
          "freehold-bench-client-core: client data-path throughput (prints `figure:` lines).\n"
          "Environment: FREEHOLD_BENCH_AGE_MB (age comparison file size, default 1024, 0 = skip),\n"
          "  FREEHOLD_BENCH_PIPELINE_MB (pipeline input, default 384), FREEHOLD_BENCH_TMPDIR.\n"
          "Google Benchmark flags follow.\n\n");
    }
  }
  if (sodium_init() < 0) return 1;
  benchmark::Initialize(&argc, argv);
  freehold::client::FigureReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  auto& g = reporter.gbps;
  using freehold::client::Figure;
  auto get = [&](const std::string& n) { return g.count(n) ? g[n] : 0.0; };
  const double chacha_ossl = get("BM_ChaChaPolyRaw/0"), chacha_sod = get("BM_ChaChaPolyRaw/1");
  const double fastest_chacha = std::max(chacha_ossl, chacha_sod);
  std::printf("\n");
  Figure("memcpy_GBps", get("BM_Memcpy"));
  Figure("chacha20poly1305_openssl_GBps", chacha_ossl);
  Figure("chacha20poly1305_libsodium_GBps", chacha_sod);
  Figure("sha256_openssl_GBps", get("BM_Sha256Raw/0"));
  Figure("sha256_libsodium_GBps", get("BM_Sha256Raw/1"));
  Figure("stream_encrypt_GBps", get("BM_StreamEncrypt/0"));
  Figure("stream_decrypt_GBps", get("BM_StreamDecrypt/0"));
  if (fastest_chacha > 0) {
    Figure("stream_encrypt_vs_fastest_raw_chacha20poly1305",
           get("BM_StreamEncrypt/0") / fastest_chacha);
    Figure("stream_decrypt_vs_fastest_raw_chacha20poly1305",
           get("BM_StreamDecrypt/0") / fastest_chacha);
  }
  Figure("ec_encode_4p2_GBps", get("BM_EcEncode/4/2"));
  Figure("ec_encode_10p4_GBps", get("BM_EcEncode/10/4"));
  Figure("ec_decode_4p2_2missing_GBps", get("BM_EcDecodeTwoMissing/4/2"));
  Figure("ec_decode_10p4_2missing_GBps", get("BM_EcDecodeTwoMissing/10/4"));
  Figure("shard_sha256_4p2_per_segment_byte_GBps", get("BM_ShardSha256/0"));
  const double p0 = get("BM_UploadPipeline/0"), p1 = get("BM_UploadPipeline/1"),
               p2 = get("BM_UploadPipeline/2");
  const double p0_cpu = reporter.cpu_gbps.count("BM_UploadPipeline/0")
                            ? reporter.cpu_gbps["BM_UploadPipeline/0"]
                            : 0.0;
  Figure("upload_pipeline_1core_GBps", p0);
  Figure("upload_pipeline_1core_cpu_time_GBps", p0_cpu);
  if (chacha_sod > 0) {
    Figure("upload_pipeline_1core_vs_libsodium_chacha20poly1305", p0 / chacha_sod);
    Figure("upload_pipeline_1core_cpu_time_vs_libsodium_chacha20poly1305", p0_cpu / chacha_sod);
  }
  // Bytes per CPU-second of all threads: equal to the inline figure when the
  // threaded pipeline adds no work, i.e. when it would scale with free cores.
  for (const char* t : {"1", "2"}) {
    const std::string key = std::string("BM_UploadPipeline/") + t;
    if (reporter.cpu_gbps.count(key) && p0_cpu > 0) {
      Figure(std::string("upload_pipeline_threads") + t + "_process_cpu_time_GBps",
             reporter.cpu_gbps[key]);
      Figure(std::string("upload_pipeline_threads") + t + "_cpu_efficiency_vs_1core",
             reporter.cpu_gbps[key] / p0_cpu);
    }
  }
  Figure("upload_pipeline_threads1_GBps", p1);
  Figure("upload_pipeline_threads2_GBps", p2);
  if (p0 > 0) Figure("upload_pipeline_threads2_vs_1core", p2 / p0);
  if (chacha_sod > 0) {
    Figure("upload_pipeline_threads2_vs_libsodium_chacha20poly1305", p2 / chacha_sod);
  }
  std::printf(
      "note: micro benchmarks are rates over CPU time; pipelines over wall time "
      "(_cpu_time figures use the CPU time of all threads). On a shared, busy "
      "machine wall-time figures understate throughput.\n");
  freehold::client::AgeComparison(freehold::client::EnvMb("FREEHOLD_BENCH_AGE_MB", 1024));
  benchmark::Shutdown();
  return 0;
}
