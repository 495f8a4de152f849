#pragma once
/// Exact summation of doubles, so that sums (and the regression metrics built on them) are the
/// same bit for bit however the rows are split across threads, shards or machines.

#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace mqmon {

/// A signed integer of any size (little-endian 32-bit limbs), for the few exact products the
/// regression metrics need (the total sum of squares).
struct BigInt {
  bool negative = false;
  std::vector<uint32_t> magnitude;  ///< no trailing zero limbs; empty for zero

  bool is_zero() const { return magnitude.empty(); }
  static BigInt from_u64(uint64_t v);
  friend BigInt operator*(const BigInt& a, const BigInt& b);
  friend BigInt operator-(const BigInt& a, const BigInt& b);
  /// a · 2^(32·limbs)
  BigInt shifted_limbs(size_t limbs) const;
  /// The value times 2^exp2, correctly rounded to a double (round to nearest even).
  double to_double(int exp2) const;
};

/// Exact sum of doubles: a fixed-point superaccumulator covering the whole double range, in the
/// style of Kulisch's long accumulator (see R. Neal, "Fast exact summation using small and large
/// superaccumulators", 2015). Each add touches three 32-bit-aligned limbs held in 64-bit words;
/// carries are propagated every 2^30 additions. The state is exact, so merging in any order
/// gives the same state, and value() is a function of the state alone.
class ExactSum {
 public:
  void add(double x);
  /// Adds x² exactly (as the two parts of an error-free product).
  void add_square(double x);
  void merge(const ExactSum& other);
  /// Subtracts another sum, exactly.
  void subtract(const ExactSum& other);
  /// The sum correctly rounded to a double.
  double value() const;
  /// The sum times 2^kFracBits, exactly.
  BigInt exact() const;

  void serialize(std::string& out) const;
  void deserialize(const std::string& in, size_t& pos);

  static constexpr int kFracBits = 1152;  ///< limb i weighs 2^(32·i - kFracBits)

 private:
  static constexpr int kLimbs = 72;
  void propagate();
  std::array<int64_t, kLimbs> limbs_{};
  uint32_t pending_ = 0;
};

// Inline: the regression accumulator adds about ten values per row.
__extension__ typedef __int128 exact_sum_i128;

inline void ExactSum::add(double x) {
  // x = m · 2^e with an integer m < 2^53, read straight from the bits (no frexp/ldexp calls).
  const uint64_t bits = std::bit_cast<uint64_t>(x);
  const unsigned field = static_cast<unsigned>((bits >> 52) & 0x7ff);
  const uint64_t m = field ? (bits & ((uint64_t{1} << 52) - 1)) | (uint64_t{1} << 52)
                           : bits & ((uint64_t{1} << 52) - 1);  // subnormal
  if (m == 0) return;
  const int e = field ? static_cast<int>(field) - 1075 : -1074;
  const int p = e + kFracBits;  // >= 78 for every finite double
  const int i = p >> 5, r = p & 31;
  // Signed without a branch (error signs are random): v = P0 + P1·2^32 + P2·2^64 with P0, P1 in
  // [0, 2^32) and P2 signed, the two's complement split of the shifted mantissa.
  const int64_t sign = static_cast<int64_t>(bits >> 63);
  const int64_t sm = (static_cast<int64_t>(m) ^ -sign) + sign;
  const exact_sum_i128 v =
      static_cast<exact_sum_i128>(sm) * (exact_sum_i128{1} << r);  // |v| < 2^85
  limbs_[i] += static_cast<int64_t>(static_cast<uint32_t>(v));
  limbs_[i + 1] += static_cast<int64_t>(static_cast<uint32_t>(v >> 32));
  limbs_[i + 2] += static_cast<int64_t>(v >> 64);
  if (++pending_ == (1u << 30)) propagate();
}

inline void ExactSum::add_square(double x) {
  const double hi = x * x;
  add(hi);
  add(std::fma(x, x, -hi));  // the rounding error of hi, exactly (barring underflow)
}

}  // namespace mqmon
