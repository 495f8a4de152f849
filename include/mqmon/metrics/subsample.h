#pragma once
/// The five ~80 % subsamples behind every `standard_deviation`. A row belongs to replicate k
/// when a counter-based hash of (seed, key, k) falls below 0.8·2^64, where the row's key comes
/// from its file's name and its record's byte offset in that file (BatchOrigin::row_key). So
/// membership depends only on where the record is — never on threads, blocks, shards or
/// machines — and the replicates ride along in the single pass.

#include <cstdint>

namespace mqmon {

constexpr int kReplicates = 5;
constexpr uint64_t kDefaultSeed = 0x6d716d6f6e;  // "mqmon"

/// SplitMix64's finalizer (Steele, Lea, Flood 2014): a bijective 64-bit mixer that passes
/// BigCrush when applied to a counter.
constexpr uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/// Bit k set when row `row` is kept in replicate k.
inline unsigned subsample_mask(uint64_t seed, uint64_t key) {
  constexpr uint64_t kKeepBelow = 14757395258967641292ULL;  // floor(0.8 * 2^64)
  const uint64_t base = mix64(seed ^ 0x9e3779b97f4a7c15ULL) ^ (key * kReplicates);
  unsigned mask = 0;
  for (int k = 0; k < kReplicates; ++k)
    mask |= static_cast<unsigned>(mix64(mix64(base + static_cast<uint64_t>(k))) < kKeepBelow) << k;
  return mask;
}

}  // namespace mqmon
