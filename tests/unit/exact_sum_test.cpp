#include "mqmon/common/exact_sum.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

namespace mqmon {
namespace {

__extension__ typedef __int128 i128;

TEST(ExactSum, TwoTermsRoundLikeOneAddition) {
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> u(-1, 1);
  std::uniform_int_distribution<int> e(-60, 60);
  for (int i = 0; i < 100000; ++i) {
    const double a = std::ldexp(u(rng), e(rng)), b = std::ldexp(u(rng), e(rng));
    ExactSum s;
    s.add(a);
    s.add(b);
    ASSERT_EQ(s.value(), a + b) << a << " + " << b;  // IEEE addition is correctly rounded
  }
}

TEST(ExactSum, CancellationLosesNothing) {
  ExactSum s;
  s.add(1e100);
  s.add(1.0);
  s.add(-1e100);
  EXPECT_EQ(s.value(), 1.0);
  ExactSum t;
  for (double x : {1e308, 1e308, -1e308, -1e308, 5e-324, 3.0}) t.add(x);
  EXPECT_EQ(t.value(), 3.0 + 5e-324);
  EXPECT_EQ(ExactSum().value(), 0.0);
}

TEST(ExactSum, MatchesIntegerArithmeticOnScaledIntegers) {
  std::mt19937_64 rng(2);
  std::uniform_int_distribution<int64_t> d(-(int64_t{1} << 52), int64_t{1} << 52);
  for (int trial = 0; trial < 50; ++trial) {
    ExactSum s;
    i128 exact = 0;
    for (int i = 0; i < 1000; ++i) {
      const int64_t k = d(rng);
      exact += k;
      s.add(std::ldexp(static_cast<double>(k), -40));
    }
    EXPECT_EQ(s.value(), std::ldexp(static_cast<double>(exact), -40));
  }
}

TEST(ExactSum, AnyOrderAndSplitGiveTheSameBits) {
  std::mt19937_64 rng(3);
  std::lognormal_distribution<double> ln(0, 20);
  std::vector<double> xs;
  for (int i = 0; i < 20000; ++i) xs.push_back((i % 2 ? -1 : 1) * ln(rng));
  ExactSum whole;
  for (double x : xs) whole.add(x);
  for (int trial = 0; trial < 10; ++trial) {
    std::shuffle(xs.begin(), xs.end(), rng);
    ExactSum a, b, c;
    for (size_t i = 0; i < xs.size(); ++i) (i % 3 == 0 ? a : i % 3 == 1 ? b : c).add(xs[i]);
    std::string blob;
    c.serialize(blob);
    ExactSum c2;
    size_t pos = 0;
    c2.deserialize(blob, pos);
    b.merge(c2);
    a.merge(b);
    EXPECT_EQ(a.value(), whole.value());
  }
}

TEST(ExactSum, SquaresAreExactAndBigIntGivesTheTotalSumOfSquares) {
  // y = 1e9 + {1, 2, 3, 4}: SST = 5 exactly, though y² ~ 1e18 has no room for it in a double.
  ExactSum s1, s2;
  for (double y : {1e9 + 1, 1e9 + 2, 1e9 + 3, 1e9 + 4}) {
    s1.add(y);
    s2.add_square(y);
  }
  const BigInt n = BigInt::from_u64(4);
  const BigInt d =
      (n * s2.exact()).shifted_limbs(ExactSum::kFracBits / 32) - s1.exact() * s1.exact();
  EXPECT_EQ(d.to_double(-2 * ExactSum::kFracBits) / 4, 5.0);
  // Negative results keep their sign.
  const BigInt neg = BigInt::from_u64(3) - BigInt::from_u64(10);
  EXPECT_EQ(neg.to_double(0), -7.0);
  EXPECT_EQ((neg * neg).to_double(-1), 24.5);
}

}  // namespace
}  // namespace mqmon
