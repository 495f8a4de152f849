#include "mqmon/common/closest_name.h"

#include <gtest/gtest.h>

namespace mqmon {
namespace {

const std::vector<std::string> kOptions = {"--output", "--alpha",          "--window-size",
                                           "--seed",   "--positive-label", "--problem-type"};

TEST(ClosestName, TyposAndSwapsFindTheIntendedName) {
  EXPECT_EQ(closest_name("--ouput", kOptions), "--output");  // a letter missing
  EXPECT_EQ(closest_name("--aplha", kOptions), "--alpha");   // two letters swapped
  EXPECT_EQ(closest_name("--window-sise", kOptions), "--window-size");
  EXPECT_EQ(closest_name("--Seed", kOptions), "--seed");  // case is ignored
  EXPECT_EQ(closest_name("window_sise", {"window_size", "alpha"}), "window_size");
}

TEST(ClosestName, ShortenedAndLengthenedNames) {
  EXPECT_EQ(closest_name("probability_threshold", {"probability_threshold_attribute", "alpha"}),
            "probability_threshold_attribute");
  EXPECT_EQ(closest_name("--prob", {"--probability-attribute", "--problem-type"}), std::nullopt);
  EXPECT_EQ(closest_name("--probability", {"--probability-attribute", "--problem-type"}),
            "--probability-attribute");
  EXPECT_EQ(closest_name("--output-directory", kOptions), "--output");
}

TEST(ClosestName, FarWordsGetNoSuggestion) {
  EXPECT_EQ(closest_name("--foo", kOptions), std::nullopt);
  EXPECT_EQ(closest_name("xyz", {"abc"}), std::nullopt);  // 3 edits in a 3-letter word
  EXPECT_EQ(closest_name("ab", {"abcd"}), std::nullopt);  // 2 edits in a 2-letter word
  EXPECT_EQ(closest_name("abc", {}), std::nullopt);
}

TEST(ClosestName, DidYouMeanPhrase) {
  EXPECT_EQ(did_you_mean("--ouput", kOptions, ""), " (did you mean --output?)");
  EXPECT_EQ(did_you_mean("foo", {"bar"}), "");
  EXPECT_EQ(did_you_mean("aplha", {"alpha"}), " (did you mean 'alpha'?)");
}

}  // namespace
}  // namespace mqmon
