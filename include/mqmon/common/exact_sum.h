#pragma once
/// Exact summation of doubles, so that sums (and the regression metrics built on them) are the
/// same bit for bit however the rows are split across threads, shards or machines.

#include <array>
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

}  // namespace mqmon
