// The CSV structural index (include/mqmon/readers/csv_scan.h), compiled once per instruction set
// by Highway's foreach_target.h and dispatched at run time.

#include <atomic>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif
#include <cstring>
#include <vector>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "src/readers/csv_scan.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include "mqmon/readers/csv_scan.h"

HWY_BEFORE_NAMESPACE();
namespace mqmon {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

struct ChunkBits {
  uint64_t quote, comma, newline, cr;
};

/// Bitmaps of the 64 bytes at p (bit i: byte i).
HWY_INLINE ChunkBits Classify(const uint8_t* HWY_RESTRICT p) {
  ChunkBits b{0, 0, 0, 0};
#if HWY_TARGET == HWY_SCALAR
  for (int i = 0; i < 64; ++i) {
    const uint64_t bit = uint64_t{1} << i;
    b.quote |= p[i] == '"' ? bit : 0;
    b.comma |= p[i] == ',' ? bit : 0;
    b.newline |= p[i] == '\n' ? bit : 0;
    b.cr |= p[i] == '\r' ? bit : 0;
  }
#else
  const hn::ScalableTag<uint8_t> d;
  const size_t lanes = hn::Lanes(d);  // 16, 32 or 64: a whole number of bytes of mask bits
  const auto quote = hn::Set(d, '"'), comma = hn::Set(d, ','), newline = hn::Set(d, '\n'),
             cr = hn::Set(d, '\r');
  uint8_t bits[4][8] = {};
  for (size_t i = 0; i < 64; i += lanes) {
    const auto v = hn::LoadU(d, p + i);
    hn::StoreMaskBits(d, hn::Eq(v, quote), bits[0] + i / 8);
    hn::StoreMaskBits(d, hn::Eq(v, comma), bits[1] + i / 8);
    hn::StoreMaskBits(d, hn::Eq(v, newline), bits[2] + i / 8);
    hn::StoreMaskBits(d, hn::Eq(v, cr), bits[3] + i / 8);
  }
  std::memcpy(&b.quote, bits[0], 8);
  std::memcpy(&b.comma, bits[1], 8);
  std::memcpy(&b.newline, bits[2], 8);
  std::memcpy(&b.cr, bits[3], 8);
#endif
  return b;
}

/// Bit i: the XOR of bits 0..i (inside a quoted region, counting its opening quote).
HWY_INLINE uint64_t PrefixXor(uint64_t x) {
  x ^= x << 1;
  x ^= x << 2;
  x ^= x << 4;
  x ^= x << 8;
  x ^= x << 16;
  x ^= x << 32;
  return x;
}

/// Appends base + the position of every set bit.
HWY_INLINE void Flatten(uint64_t bits, uint32_t base, std::vector<uint32_t>& out) {
  if (bits == 0) return;
  const size_t count = static_cast<size_t>(hwy::PopCount(bits));
  const size_t at = out.size();
  out.resize(at + count);
  uint32_t* o = out.data() + at;
  while (bits) {
    *o++ = base + static_cast<uint32_t>(hwy::Num0BitsBelowLS1Bit_Nonzero64(bits));
    bits &= bits - 1;
  }
}

void IndexCsv(const char* text, size_t n, CsvIndex* index) {
  index->separators.clear();
  index->specials.clear();
  index->separators.reserve(n / 8);
  const auto* p = reinterpret_cast<const uint8_t*>(text);
  uint64_t in_quotes = 0;  // all ones when the previous chunk ended inside quotes
  alignas(64) uint8_t tail[64];
  for (size_t at = 0; at < n; at += 64) {
    const uint8_t* chunk = p + at;
    const size_t len = n - at < 64 ? n - at : 64;
    if (len < 64) {
      std::memset(tail, 0, sizeof tail);
      std::memcpy(tail, chunk, len);
      chunk = tail;
    }
    const ChunkBits b = Classify(chunk);
    const uint64_t quoted = PrefixXor(b.quote) ^ in_quotes;
    in_quotes = static_cast<uint64_t>(static_cast<int64_t>(quoted) >> 63);
    // A '\r' directly before a '\n' ends a CRLF line; any other '\r' is special. The byte after
    // the chunk decides its last bit.
    const uint64_t next_newline = at + 64 < n && p[at + 64] == '\n' ? uint64_t{1} << 63 : 0;
    const uint64_t lone_cr = b.cr & ~((b.newline >> 1) | next_newline);
    const auto base = static_cast<uint32_t>(at);
    Flatten((b.comma | b.newline) & ~quoted, base, index->separators);
    Flatten(b.quote | lone_cr, base, index->specials);
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace mqmon
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace mqmon {

// Dispatch by this CPU's features rather than by libhwy's: Highway is used from its headers only,
// since loading libhwy.so costs every process ~2 ms (its timer calibration at load), a fifth of a
// short run's start. Each target's function needs the features Highway compiles it with
// (HWY_TARGET_STR_* in hwy/ops/set_macros-inl.h); the portable path is the static target.
namespace {

using IndexFn = void (*)(const char*, size_t, CsvIndex*);

struct Target {
  int64_t bit;
  IndexFn index;
  bool supported;
};

bool has_sse4() {
  return __builtin_cpu_supports("sse2") && __builtin_cpu_supports("ssse3") &&
         __builtin_cpu_supports("sse4.1") && __builtin_cpu_supports("sse4.2") &&
         __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("aes");
}
bool has_f16c() {  // not a feature name clang's __builtin_cpu_supports knows: CPUID leaf 1
#if HWY_ARCH_X86
  unsigned a = 0, b = 0, c = 0, d = 0;
  return __get_cpuid(1, &a, &b, &c, &d) && (c & bit_F16C);
#else
  return false;
#endif
}
bool has_avx2() {
  return has_sse4() && __builtin_cpu_supports("avx") && __builtin_cpu_supports("avx2") &&
         __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2") &&
         __builtin_cpu_supports("fma") && has_f16c();
}
bool has_avx3() {
  return has_avx2() && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
         __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw");
}

/// The compiled targets, best first.
const std::vector<Target>& targets() {
  static const std::vector<Target> all = [] {
    std::vector<Target> v;
#if HWY_ARCH_X86
#if HWY_TARGETS & HWY_AVX3
    v.push_back({HWY_AVX3, &N_AVX3::IndexCsv, has_avx3()});
#endif
#if HWY_TARGETS & HWY_AVX2
    v.push_back({HWY_AVX2, &N_AVX2::IndexCsv, has_avx2()});
#endif
#if HWY_TARGETS & HWY_SSE4
    v.push_back({HWY_SSE4, &N_SSE4::IndexCsv, has_sse4()});
#endif
#endif
    v.push_back({HWY_STATIC_TARGET, &HWY_STATIC_DISPATCH(IndexCsv), true});
    return v;
  }();
  return all;
}

std::atomic<int64_t> g_forced{0};

const Target& chosen() {
  const int64_t forced = g_forced.load(std::memory_order_relaxed);
  for (const Target& t : targets())
    if (t.supported && (forced == 0 || t.bit == forced)) return t;
  return targets().back();
}

}  // namespace

void index_csv(const char* p, size_t n, CsvIndex& index) { chosen().index(p, n, &index); }

void index_csv_scalar(const char* p, size_t n, CsvIndex& index) {
  index.separators.clear();
  index.specials.clear();
  bool quoted = false;
  for (size_t i = 0; i < n; ++i) {
    const char c = p[i];
    if (c == '"') {
      quoted = !quoted;
      index.specials.push_back(static_cast<uint32_t>(i));
    } else if ((c == ',' || c == '\n') && !quoted) {
      index.separators.push_back(static_cast<uint32_t>(i));
    } else if (c == '\r' && !(i + 1 < n && p[i + 1] == '\n')) {
      index.specials.push_back(static_cast<uint32_t>(i));
    }
  }
}

const char* csv_scan_target() { return hwy::TargetName(chosen().bit); }

std::vector<int64_t> csv_scan_targets() {
  std::vector<int64_t> out;
  for (const Target& t : targets())
    if (t.supported) out.push_back(t.bit);
  return out;
}

void force_csv_scan_target(int64_t target) { g_forced = target; }

const char* csv_scan_target_name(int64_t target) { return hwy::TargetName(target); }

}  // namespace mqmon
#endif  // HWY_ONCE
