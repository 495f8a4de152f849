#include "mqmon/common/numbers.h"

#include <gtest/gtest.h>

#include <random>

namespace mqmon {

TEST(ParseDouble, AcceptsPlainAndScientificNotation) {
  EXPECT_EQ(parse_double("0.5"), 0.5);
  EXPECT_EQ(parse_double("1.2E-5"), 1.2e-5);
  EXPECT_EQ(parse_double("+3"), 3.0);
  EXPECT_EQ(parse_double("-7e2"), -700.0);
  EXPECT_EQ(parse_double(".25"), 0.25);
  EXPECT_EQ(parse_double("4.9e-324"), 4.9e-324);
}

TEST(ParseDouble, RejectsWhatIsNotAFiniteNumber) {
  for (const char* bad :
       {"", "abc", "1.5x", "nan", "inf", "-inf", "1e400", "0x10", "+-1", " 1", "1,5"})
    EXPECT_FALSE(parse_double(bad).has_value()) << bad;
}

TEST(FormatDouble, NeverUsesScientificNotation) {
  EXPECT_EQ(format_plain_double(1e-5), "0.00001");
  EXPECT_EQ(format_plain_double(1.234e-5), "0.00001234");
  EXPECT_EQ(format_plain_double(1.5e20), "150000000000000000000");
  EXPECT_EQ(format_plain_double(-2.5e-7), "-0.00000025");
  EXPECT_EQ(format_plain_double(0.1), "0.1");
  EXPECT_EQ(format_plain_double(-0.0), "0");
  EXPECT_EQ(format_json_double(1.0), "1.0");
  EXPECT_EQ(format_json_double(0.0), "0.0");
  EXPECT_EQ(format_json_double(0.33333333333333337), "0.33333333333333337");
  EXPECT_EQ(format_json_double(1e22), "10000000000000000000000.0");
}

TEST(FormatDouble, RoundTripsRandomDoubles) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> mant(-10, 10);
  std::uniform_int_distribution<int> exp(-300, 300);
  for (int i = 0; i < 20000; ++i) {
    const double v = std::ldexp(mant(rng), exp(rng) / 3);
    const std::string s = format_plain_double(v);
    ASSERT_EQ(s.find('e'), std::string::npos) << s;
    ASSERT_EQ(parse_double(s), v) << s;
  }
}

TEST(CanonicalLabel, NumbersInShortestFormStringsVerbatim) {
  EXPECT_EQ(canonical_label("1"), "1");
  EXPECT_EQ(canonical_label("1.0"), "1");
  EXPECT_EQ(canonical_label("1.00"), "1");
  EXPECT_EQ(canonical_label("1e0"), "1");
  EXPECT_EQ(canonical_label("+1"), "1");
  EXPECT_EQ(canonical_label("01"), "1");
  EXPECT_EQ(canonical_label("0.50"), "0.5");
  EXPECT_EQ(canonical_label("-0"), "0");
  EXPECT_EQ(canonical_label("-0.0"), "0");
  EXPECT_EQ(canonical_label("2.5E-3"), "0.0025");
  EXPECT_EQ(canonical_label("true"), "true");
  EXPECT_EQ(canonical_label("yes"), "yes");
  EXPECT_EQ(canonical_label("A1"), "A1");
  // Integers keep every digit: no collapse through a double.
  EXPECT_EQ(canonical_label("12345678901234567891"), "12345678901234567891");
  EXPECT_NE(canonical_label("12345678901234567891"), canonical_label("12345678901234567890"));
}

}  // namespace mqmon
