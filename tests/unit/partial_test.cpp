#include "mqmon/jobs/partial.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>

#include "mqmon/common/error.h"

namespace mqmon {
namespace {

namespace fs = std::filesystem;

std::string temp_dir() {
  static int n = 0;
  const auto dir = fs::temp_directory_path() /
                   ("mqmon_partial_test_" + std::to_string(::getpid()) + "_" + std::to_string(n++));
  fs::create_directories(dir);
  return dir.string();
}

void write(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

std::string gzip(const std::string& text) {
  std::string out(compressBound(text.size()) + 64, '\0');
  z_stream z{};
  deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

std::string lines(int n, int seed) {
  std::mt19937 rng(seed);
  std::string s;
  for (int i = 0; i < n; ++i) s += std::to_string(rng() % 100000) + "\n";
  return s;
}

TEST(Partial, AnyShardCountCoversEveryByteOnceAndCompressedFilesWhole) {
  const std::string dir = temp_dir();
  write(dir + "/a.csv", lines(300, 1));
  write(dir + "/b.csv.gz", gzip(lines(500, 2)));
  write(dir + "/c.csv", "");
  write(dir + "/d.csv", lines(40, 3));
  write(dir + "/e.csv", lines(1000, 4));
  const auto listing = list_dataset_files(dir);
  for (uint32_t n : {1u, 2u, 3u, 7u, 50u, 1000u}) {
    // file -> the bytes each shard asked for, and the aligned ranges it reads
    std::map<uint32_t, std::vector<std::pair<uint64_t, uint64_t>>> asked, read;
    for (uint32_t i = 0; i < n; ++i) {
      ShardSpec s;
      s.index = i;
      s.count = n;
      const auto plan = plan_shard(listing, s);
      for (const auto& p : plan.pieces) asked[p.file].emplace_back(p.begin, p.end);
      for (const auto& f : plan.files) {
        const auto it = std::find_if(listing.begin(), listing.end(),
                                     [&](const InputFile& l) { return l.path == f.path; });
        read[static_cast<uint32_t>(it - listing.begin())].emplace_back(f.begin,
                                                                       std::min(f.end, f.size));
        if (f.path.ends_with(".gz")) EXPECT_FALSE(f.ranged()) << n;
      }
    }
    ASSERT_EQ(asked.size(), listing.size()) << n;
    for (auto* m : {&asked, &read}) {
      for (auto& [file, ranges] : *m) {
        if (m == &read && listing[file].size == 0) continue;
        std::sort(ranges.begin(), ranges.end());
        uint64_t at = 0;
        for (const auto& [b, e] : ranges) {
          EXPECT_EQ(b, at) << "file " << file << ", " << n << " shards";
          at = e;
        }
        EXPECT_EQ(at, listing[file].size) << "file " << file << ", " << n << " shards";
      }
    }
    // The ranges read start at line starts.
    for (auto& [file, ranges] : read) {
      if (listing[file].path.ends_with(".gz")) continue;
      std::ifstream in(listing[file].path, std::ios::binary);
      const std::string text((std::istreambuf_iterator<char>(in)), {});
      for (const auto& [b, e] : ranges) EXPECT_TRUE(b == 0 || text[b - 1] == '\n');
    }
  }
  fs::remove_all(dir);
}

TEST(Partial, ShardAndByteRangeOptionsAreChecked) {
  EXPECT_EQ(ShardSpec::parse_shard("3/7").index, 3u);
  EXPECT_THROW(ShardSpec::parse_shard("7/7"), ConfigError);
  EXPECT_THROW(ShardSpec::parse_shard("1/0"), ConfigError);
  EXPECT_THROW(ShardSpec::parse_shard("x/2"), ConfigError);
  EXPECT_THROW(ShardSpec::parse_shard("2"), ConfigError);
  EXPECT_EQ(ShardSpec::parse_byte_range("10:").end, UINT64_MAX);
  EXPECT_EQ(ShardSpec::parse_byte_range("10:20").end, 20u);
  EXPECT_THROW(ShardSpec::parse_byte_range("20:10"), ConfigError);
  EXPECT_THROW(ShardSpec::parse_byte_range("20"), ConfigError);
}

TEST(Partial, AlignmentPutsARecordInTheRangeHoldingItsFirstByte) {
  const std::string dir = temp_dir();
  write(dir + "/x.csv", "ab\ncd\n\nef");
  const auto f = list_dataset_files(dir + "/x.csv")[0];
  EXPECT_EQ(align_to_record(f, 0), 0u);
  EXPECT_EQ(align_to_record(f, 1), 3u);  // "ab" starts in [0, 1)
  EXPECT_EQ(align_to_record(f, 3), 3u);  // byte 2 is a line break: "cd" starts at 3
  EXPECT_EQ(align_to_record(f, 4), 6u);
  EXPECT_EQ(align_to_record(f, 8), 9u);  // no line break after: the end
  EXPECT_EQ(align_to_record(f, 100), 9u);
  EXPECT_EQ(count_line_breaks(f, 6), 2u);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace mqmon
