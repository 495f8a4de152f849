#include "mqmon/common/exact_sum.h"

#include <algorithm>
#include <bit>
#include <cmath>

#include "mqmon/common/blob.h"

namespace mqmon {

__extension__ typedef unsigned __int128 u128;
__extension__ typedef __int128 i128;

// ---- BigInt ----

namespace {
void trim(std::vector<uint32_t>& m) {
  while (!m.empty() && m.back() == 0) m.pop_back();
}
int compare_magnitude(const std::vector<uint32_t>& a, const std::vector<uint32_t>& b) {
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  for (size_t i = a.size(); i-- > 0;)
    if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
  return 0;
}
std::vector<uint32_t> add_magnitude(const std::vector<uint32_t>& a,
                                    const std::vector<uint32_t>& b) {
  std::vector<uint32_t> r(std::max(a.size(), b.size()) + 1, 0);
  uint64_t carry = 0;
  for (size_t i = 0; i < r.size(); ++i) {
    const uint64_t s = carry + (i < a.size() ? a[i] : 0) + (i < b.size() ? b[i] : 0);
    r[i] = static_cast<uint32_t>(s);
    carry = s >> 32;
  }
  trim(r);
  return r;
}
/// a - b for |a| >= |b|.
std::vector<uint32_t> sub_magnitude(const std::vector<uint32_t>& a,
                                    const std::vector<uint32_t>& b) {
  std::vector<uint32_t> r(a.size(), 0);
  int64_t borrow = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    int64_t d = static_cast<int64_t>(a[i]) - (i < b.size() ? b[i] : 0) - borrow;
    borrow = d < 0;
    if (d < 0) d += int64_t{1} << 32;
    r[i] = static_cast<uint32_t>(d);
  }
  trim(r);
  return r;
}
}  // namespace

BigInt BigInt::from_u64(uint64_t v) {
  BigInt b;
  b.magnitude = {static_cast<uint32_t>(v), static_cast<uint32_t>(v >> 32)};
  trim(b.magnitude);
  return b;
}

BigInt operator*(const BigInt& a, const BigInt& b) {
  BigInt r;
  if (a.is_zero() || b.is_zero()) return r;
  r.magnitude.assign(a.magnitude.size() + b.magnitude.size(), 0);
  for (size_t i = 0; i < a.magnitude.size(); ++i) {
    uint64_t carry = 0;
    for (size_t j = 0; j < b.magnitude.size(); ++j) {
      const uint64_t t =
          static_cast<uint64_t>(a.magnitude[i]) * b.magnitude[j] + r.magnitude[i + j] + carry;
      r.magnitude[i + j] = static_cast<uint32_t>(t);
      carry = t >> 32;
    }
    r.magnitude[i + b.magnitude.size()] = static_cast<uint32_t>(carry);
  }
  trim(r.magnitude);
  r.negative = a.negative != b.negative;
  return r;
}

BigInt operator-(const BigInt& a, const BigInt& b) {
  BigInt r;
  if (a.negative != b.negative) {  // a - (-|b|) = a + |b|, and the mirror case
    r.magnitude = add_magnitude(a.magnitude, b.magnitude);
    r.negative = a.negative;
  } else if (compare_magnitude(a.magnitude, b.magnitude) >= 0) {
    r.magnitude = sub_magnitude(a.magnitude, b.magnitude);
    r.negative = a.negative;
  } else {
    r.magnitude = sub_magnitude(b.magnitude, a.magnitude);
    r.negative = !a.negative;
  }
  if (r.is_zero()) r.negative = false;
  return r;
}

BigInt BigInt::shifted_limbs(size_t limbs) const {
  BigInt r = *this;
  if (!r.is_zero()) r.magnitude.insert(r.magnitude.begin(), limbs, 0);
  return r;
}

double BigInt::to_double(int exp2) const {
  if (is_zero()) return negative ? -0.0 : 0.0;
  const size_t t = magnitude.size() - 1;
  const int lz = std::countl_zero(magnitude[t]);
  // The 96 bits of the three top limbs, then the top 64 significant bits with a sticky bit
  // for everything below: converting that to double rounds exactly once, correctly.
  u128 top = u128{magnitude[t]} << 64;
  if (t >= 1) top |= u128{magnitude[t - 1]} << 32;
  if (t >= 2) top |= magnitude[t - 2];
  const int drop = 32 - lz;  // bits of `top` below the 64 we keep
  uint64_t sig = static_cast<uint64_t>(top >> drop);
  bool sticky = (top & ((u128{1} << drop) - 1)) != 0;
  for (size_t i = 0; i + 2 < t && !sticky; ++i) sticky = magnitude[i] != 0;
  sig |= sticky ? 1 : 0;
  const int low_bit = 32 * (static_cast<int>(t) - 2) + drop;  // weight of bit 0 of `sig`
  const double v = std::ldexp(static_cast<double>(sig), low_bit + exp2);
  return negative ? -v : v;
}

// ---- ExactSum ----

void ExactSum::propagate() {
  for (int i = 0; i + 1 < kLimbs; ++i) {
    const int64_t carry = limbs_[i] >> 32;  // floor division by 2^32
    limbs_[i] -= carry * (int64_t{1} << 32);
    limbs_[i + 1] += carry;
  }
  pending_ = 0;
}

void ExactSum::merge(const ExactSum& other) {
  ExactSum o = other;
  o.propagate();
  propagate();
  for (int i = 0; i < kLimbs; ++i) limbs_[i] += o.limbs_[i];
  propagate();
}

void ExactSum::subtract(const ExactSum& other) {
  ExactSum negated = other;
  for (auto& l : negated.limbs_) l = -l;
  merge(negated);
}

BigInt ExactSum::exact() const {
  ExactSum c = *this;
  c.propagate();
  BigInt b;
  if (c.limbs_[kLimbs - 1] < 0) {  // two's complement: negate to get the magnitude
    b.negative = true;
    for (auto& l : c.limbs_) l = -l;
    c.propagate();
  }
  b.magnitude.resize(kLimbs);
  for (int i = 0; i < kLimbs; ++i) b.magnitude[i] = static_cast<uint32_t>(c.limbs_[i]);
  trim(b.magnitude);
  if (b.is_zero()) b.negative = false;
  return b;
}

double ExactSum::value() const { return exact().to_double(-kFracBits); }

void ExactSum::serialize(std::string& out) const {
  ExactSum c = *this;
  c.propagate();
  blob::put(out, c.limbs_);
}

void ExactSum::deserialize(const std::string& in, size_t& pos) {
  limbs_ = blob::get<std::array<int64_t, kLimbs>>(in, pos);
  pending_ = 1;  // a foreign state may be unnormalized; the next propagate settles it
  propagate();
}

}  // namespace mqmon
