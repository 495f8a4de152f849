#include "mqmon/readers/csv_reader.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>

#include "mqmon/common/error.h"
#include "mqmon/readers/csv_scan.h"

namespace mqmon {
namespace {

struct Row {
  std::string actual, predicted;
  double score;
  uint64_t offset;  ///< of the record in the file
  bool operator==(const Row&) const = default;
};

struct ReadResult {
  std::vector<Row> rows;
  std::vector<std::string> errors;  // "line:column:attribute:reason:text", global lines
  uint64_t records = 0;
};

std::string write_temp(const std::string& content, const std::string& suffix = ".csv") {
  static int n = 0;
  const auto path =
      std::filesystem::temp_directory_path() /
      ("mqmon_csv_test_" + std::to_string(::getpid()) + "_" + std::to_string(n++) + suffix);
  std::ofstream(path, std::ios::binary) << content;
  return path.string();
}

/// Reads a file serially through the block interface, as the parallel driver does.
ReadResult read_all(const std::string& path, bool header, const AttributeSpec& attrs,
                    size_t block_size, bool skip = false, bool simd = true) {
  CsvOptions o;
  o.simd = simd;
  o.header = header;
  o.block_size = block_size;
  o.skip_bad_rows = skip;
  CsvReader reader({{path, std::filesystem::file_size(path)}}, o, attrs);
  ReadResult r;
  Block block;
  Batch batch;
  uint64_t line = 1;
  while (reader.next_block(block)) {
    if (block.first_in_file) line = block.first_line;
    reader.parse_block(block, batch);
    const auto& e = batch.labels.entries();
    for (size_t i = 0; i < batch.rows(); ++i)
      r.rows.push_back({e[batch.actual[i]].canonical,
                        batch.predicted.empty() ? "" : e[batch.predicted[i]].canonical,
                        batch.score.empty() ? -1 : batch.score[i], block.offset + batch.record[i]});
    auto describe = [&](const RowProblem& p) {
      return std::to_string(line + p.line) + ":" + std::to_string(p.column) + ":" + p.attribute +
             ":" + p.reason + ":" + p.text;
    };
    for (const auto& p : batch.skipped) r.errors.push_back(describe(p));
    r.records += batch.records;  // with a fatal error: up to the bad record
    if (batch.error) {
      r.errors.push_back(describe(*batch.error));
      break;
    }
    line += batch.lines;
  }
  return r;
}

AttributeSpec attrs(std::string truth, std::string inference, std::string probability) {
  AttributeSpec a;
  a.ground_truth = std::move(truth);
  a.inference = std::move(inference);
  a.probability = std::move(probability);
  return a;
}

const AttributeSpec kNamed = attrs("label", "prediction", "probability");

TEST(CsvReader, Rfc4180QuotingCrlfBomSpacesAndNoFinalNewline) {
  const std::string text =
      "\xEF\xBB\xBFprobability,\"prediction\",label,comment\r\n"
      "0.9,1,1,\"plain\"\r\n"
      " 1.2E-5 , 0 ,0,\"with, comma\"\r\n"
      "\r\n"
      "\"0.5\",\"1\",\"0\",\"doubled \"\"quotes\"\" and\nline break\"\r\n"
      "2.5e-1,1.0,1,last";
  const auto path = write_temp(text);
  const auto r = read_all(path, true, kNamed, 1 << 20);
  ASSERT_TRUE(r.errors.empty()) << r.errors[0];
  // Offsets in the file, the byte-order mark included.
  const std::vector<Row> want = {{"1", "1", 0.9, text.find("0.9,")},
                                 {"0", "0", 1.2e-5, text.find(" 1.2E-5")},
                                 {"0", "1", 0.5, text.find("\"0.5\"")},
                                 {"1", "1", 0.25, text.find("2.5e-1")}};
  EXPECT_EQ(r.rows, want);
}

TEST(CsvReader, AnyBlockSizeGivesTheSameRows) {
  std::mt19937 rng(3);
  std::string text = "label,junk,probability,prediction\n";
  for (int i = 0; i < 500; ++i) {
    const int l = static_cast<int>(rng() % 2);
    text += std::to_string(l) + (i % 7 == 0 ? ",\"multi\nline, \"\"x\"\"\"" : ",j") + "," +
            std::to_string((rng() % 1000) / 1000.0) + "," +
            std::to_string(static_cast<int>(rng() % 2)) + (i % 3 ? "\r\n" : "\n");
    if (i % 50 == 0) text += "\n";
  }
  const auto path = write_temp(text);
  const auto whole = read_all(path, true, kNamed, 1 << 22);
  ASSERT_EQ(whole.rows.size(), 500u);
  for (size_t bs : {1, 2, 7, 64, 333, 4096}) {
    const auto split = read_all(path, true, kNamed, bs);
    EXPECT_TRUE(split.errors.empty());
    EXPECT_EQ(split.rows, whole.rows) << "block size " << bs;
  }
}

TEST(CsvReader, ColumnIndicesWithoutHeader) {
  const auto path = write_temp("0.1,0,1\n0.8,1,0\n");
  const auto r = read_all(path, false, attrs("2", "1", "0"), 1 << 20);
  ASSERT_EQ(r.rows.size(), 2u);
  EXPECT_EQ(r.rows[1], (Row{"0", "1", 0.8, 8}));
  EXPECT_THROW(read_all(path, false, attrs("label", "1", "0"), 1 << 20), ConfigError);
}

TEST(CsvReader, OneColumnMayServeSeveralAttributes) {
  const auto path = write_temp("Churn,p\n1,0.5\n0,0.25\n");
  const auto r = read_all(path, true, attrs("Churn", "Churn", "p"), 1 << 20);
  ASSERT_EQ(r.rows.size(), 2u);
  EXPECT_EQ(r.rows[0], (Row{"1", "1", 0.5, 8}));
}

TEST(CsvReader, UnknownAttributeListsTheHeaderColumns) {
  const auto path = write_temp("prob,pred,truth\n0.5,1,1\n");
  try {
    read_all(path, true, kNamed, 1 << 20);
    FAIL();
  } catch (const ConfigError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find(path + ":1:"), std::string::npos) << m;
    EXPECT_NE(m.find("'label' is not a column"), std::string::npos) << m;
    EXPECT_NE(m.find("'prob', 'pred', 'truth'"), std::string::npos) << m;
  }
}

TEST(CsvReader, BadValuesAreLocated) {
  const auto path = write_temp("probability,prediction,label\n0.5,1,1\n\n0.x,1,0\n");
  auto r = read_all(path, true, kNamed, 1 << 20);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0], "4:1:probability:not a finite number:0.x");

  r = read_all(write_temp("probability,prediction,label\n0.5,1\n"), true, kNamed, 1 << 20);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0], "2:3:label:missing value: the record has 2 fields, the header has 3:");

  r = read_all(write_temp("probability,prediction,label\n0.5,,1\n"), true, kNamed, 1 << 20);
  EXPECT_EQ(r.errors.at(0), "2:2:prediction:empty value:");

  r = read_all(write_temp("probability,prediction,label\n0.5,1,1\n0.5,\"1,0\n0.1,1,1\n"), true,
               kNamed, 1 << 20);
  EXPECT_EQ(r.errors.at(0).substr(0, 42), "3:2:prediction:quoted field is not closed:");

  r = read_all(write_temp("probability,prediction,label\n0.5,\"1\"x,1\n"), true, kNamed, 1 << 20);
  EXPECT_EQ(r.errors.at(0), "2:2:prediction:unexpected text after a closing quote:x,1");

  r = read_all(write_temp("probability,prediction,label\nnan,1,1\n"), true, kNamed, 1 << 20);
  EXPECT_EQ(r.errors.at(0), "2:1:probability:not a finite number:nan");
}

TEST(CsvReader, EveryRecordHasTheHeadersFieldCount) {
  // One field too many: an unquoted comma in the comment would shift nothing we read here, but
  // the same comma before the label would, so the record is refused either way.
  const std::string header = "probability,prediction,label,comment\n";
  for (size_t bs : {1, 5, 1 << 20}) {
    auto r = read_all(write_temp(header + "0.5,1,1,ok\n0.5,1,1,one, two\n"), true, kNamed, bs);
    ASSERT_EQ(r.errors.size(), 1u) << bs;
    EXPECT_EQ(r.errors[0],
              "3:0::the record has 5 fields, the header has 4 (a value with an unquoted comma? "
              "quote it); from field 5 on: two")
        << bs;
    // The same with a quote in the rest of the record (the field-by-field path).
    r = read_all(write_temp(header + "0.5,1,1,\"a\",b\n"), true, kNamed, bs);
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_EQ(r.errors[0].substr(0, 49), "2:0::the record has 5 fields, the header has 4 (a") << bs;
    // Quoted commas and line breaks are one field; fewer fields than the header are refused too.
    r = read_all(write_temp(header + "0.5,1,1,\"one, two\nthree\"\n0.5,1,0\n"), true, kNamed, bs);
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_EQ(r.errors[0], "4:0::the record has 3 fields, the header has 4:") << bs;
    EXPECT_EQ(r.rows.size(), 1u);
  }
  // Skipped when allowed, like any bad record.
  const std::string text = header + "0.5,1,1,x,y\n0.25,0,0,z\n";
  const auto r = read_all(write_temp(text), true, kNamed, 1 << 20, true);
  EXPECT_EQ(r.errors.size(), 1u);
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(r.rows[0], (Row{"0", "0", 0.25, text.find("0.25")}));
}

TEST(CsvReader, WithoutHeaderTheFirstRecordSetsTheFieldCount) {
  for (size_t bs : {1, 1 << 20}) {
    auto r = read_all(write_temp("\n0.1,0,1\n0.8,1,0,7\n"), false, attrs("2", "1", "0"), bs);
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_EQ(r.errors[0],
              "3:0::the record has 4 fields, the file's first record has 3 (a value with an "
              "unquoted comma? quote it); from field 4 on:7");
  }
}

TEST(CsvReader, RowsAfterASkippedOneKeepTheirOffsets) {
  const std::string text = "probability,prediction,label\n0.5,1,1\nbad,1,1\n0.25,0,0\n";
  const auto path = write_temp(text);
  const auto r = read_all(path, true, kNamed, 1 << 20, /*skip=*/true);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0], "3:1:probability:not a finite number:bad");
  ASSERT_EQ(r.rows.size(), 2u);
  EXPECT_EQ(r.rows[1].offset, text.find("0.25"));
}

TEST(CsvReader, CompressedFilesAreReadTransparently) {
  const std::string text = "probability,prediction,label\n0.5,1,1\n0.25,0,0\n";
  const auto plain = write_temp(text);
  ASSERT_EQ(std::system(("gzip -c " + plain + " > " + plain + ".gz").c_str()), 0);
  ASSERT_EQ(std::system(("zstd -q -c " + plain + " > " + plain + ".zst").c_str()), 0);
  const auto want = read_all(plain, true, kNamed, 1 << 20).rows;
  EXPECT_EQ(read_all(plain + ".gz", true, kNamed, 8).rows, want);
  EXPECT_EQ(read_all(plain + ".zst", true, kNamed, 8).rows, want);
}

// ---- the vector structural index against the scalar reader ----

/// Random text over the bytes that matter to CSV, with plain runs between them.
std::string random_csv_bytes(std::mt19937& rng, size_t n) {
  static const char kBytes[] = {',', '"', '\n', '\r', ' ', 'a', '1', '.', '\t'};
  std::string out;
  while (out.size() < n) {
    const auto r = rng() % 16;
    if (r < 9)
      out += kBytes[r];
    else
      out.append(rng() % 70, 'x');  // crosses 64-byte chunks
  }
  out.resize(n);
  return out;
}

TEST(CsvScan, EveryInstructionSetGivesTheScalarIndex) {
  std::mt19937 rng(11);
  const auto targets = csv_scan_targets();
  ASSERT_FALSE(targets.empty());
  for (const int64_t target : targets) {
    force_csv_scan_target(target);
    SCOPED_TRACE(csv_scan_target_name(target));
    for (int trial = 0; trial < 2000; ++trial) {
      const std::string text = random_csv_bytes(rng, rng() % 300);
      CsvIndex fast, reference;
      index_csv(text.data(), text.size(), fast);
      index_csv_scalar(text.data(), text.size(), reference);
      ASSERT_EQ(fast.separators, reference.separators) << testing::PrintToString(text);
      ASSERT_EQ(fast.specials, reference.specials) << testing::PrintToString(text);
    }
  }
  force_csv_scan_target(0);
  EXPECT_STRNE(csv_scan_target(), "");
}

/// A CSV file of `rows` records over label,prediction,probability,note with every feature the
/// reader handles: quoted fields with separators, line breaks and doubled quotes, spaces, empty
/// fields, CRLF, blank lines, a BOM; and (when `bad`) records the reader refuses.
std::string random_csv_file(std::mt19937& rng, int rows, bool bad) {
  auto pick = [&](std::initializer_list<const char*> v) { return *(v.begin() + rng() % v.size()); };
  std::string out = rng() % 4 == 0 ? "\xEF\xBB\xBF" : "";
  const char* eol = rng() % 3 == 0 ? "\r\n" : "\n";
  // The columns in a random order, so that each is sometimes the last of the line.
  std::vector<size_t> order = {0, 1, 2, 3};
  std::shuffle(order.begin(), order.end(), rng);
  const char* names[] = {"label", "prediction", "probability", "note"};
  for (size_t i = 0; i < 4; ++i) out += std::string(i ? "," : "") + names[order[i]];
  out += eol;
  for (int r = 0; r < rows; ++r) {
    if (rng() % 25 == 0) out += pick({"\n", "  \n", "\r\n"});
    std::vector<std::string> f = {
        pick({"1", "0", " 1", "0 ", "\"1\"", "\"0\"", "1.0"}),
        pick({"1", "0", "\"1\"", " 0 ", "0\t"}),
        pick({"0.25", "0.5", " 0.75 ", "\"0.125\"", "1e-3", "0.3333333333333333"}),
        pick({"x", "", "\"a,b\"", "\"two\nlines\"", "\"say \"\"hi\"\"\"", " spaced ", "\"\"",
              "\"crlf\r\ninside\""})};
    size_t count = 4;  // fields written
    if (bad) {
      switch (rng() % 30) {
        case 0:
          count = 5;
          break;
        case 1:
          count = 3;
          break;
        case 2:
          f[2] = "high";
          break;
        case 3:
          f[3] = "ab\"c";
          break;  // a literal quote inside an unquoted field
        case 4:
          f[3] = "\"a\"b";
          break;  // text after a closing quote
        case 5:
          f[0] = "";
          break;
        case 6:
          f[3] = "a\rb";
          break;  // a stray carriage return
        case 7:
          f[2] = "2.5";
          break;
        default:
          break;
      }
    }
    std::vector<std::string> shuffled;
    for (size_t i = 0; i < 4; ++i) shuffled.push_back(f[order[i]]);
    shuffled.resize(count, "extra");
    for (size_t i = 0; i < shuffled.size(); ++i) out += (i ? "," : "") + shuffled[i];
    if (r + 1 < rows || rng() % 2) out += eol;
  }
  return out;
}

TEST(CsvScan, FastPathReadsWhatTheScalarReaderReadsAtEveryBlockBoundary) {
  std::mt19937 rng(5);
  for (const int64_t target : csv_scan_targets()) {
    force_csv_scan_target(target);
    SCOPED_TRACE(csv_scan_target_name(target));
    for (int trial = 0; trial < 40; ++trial) {
      const bool bad = trial % 2 == 1;
      const std::string content = random_csv_file(rng, 30 + static_cast<int>(rng() % 40), bad);
      const std::string path = write_temp(content);
      for (const bool skip : {true, false}) {
        const ReadResult reference = read_all(path, true, kNamed, 1 << 20, skip, false);
        ASSERT_TRUE(!reference.rows.empty() || !reference.errors.empty());
        // Every block size up to the file's: each record boundary falls on a block edge.
        for (size_t block = 1; block <= content.size() + 1; block += 1 + block / 16) {
          const ReadResult fast = read_all(path, true, kNamed, block, skip, true);
          ASSERT_EQ(fast.rows, reference.rows) << "block " << block << "\n" << content;
          ASSERT_EQ(fast.errors, reference.errors) << "block " << block << "\n" << content;
          ASSERT_EQ(fast.records, reference.records) << "block " << block;
        }
      }
      std::filesystem::remove(path);
    }
  }
  force_csv_scan_target(0);
}

TEST(CsvScan, IrregularQuotesOnEveryRecordStillReadRight) {
  // Literal quotes inside unquoted fields throw the index's quote parity off on every record:
  // the reader re-indexes, then gives up on the index for the block, with the same rows.
  std::string content = "label,prediction,probability,note\n";
  for (int i = 0; i < 200; ++i) content += fmt::format("1,0,0.{},it\"s {}\n", i % 10, i);
  const std::string path = write_temp(content);
  const ReadResult reference = read_all(path, true, kNamed, 1 << 20, false, false);
  const ReadResult fast = read_all(path, true, kNamed, 1 << 20, false, true);
  EXPECT_EQ(reference.rows.size(), 200u);
  EXPECT_EQ(fast.rows, reference.rows);
  EXPECT_EQ(fast.errors, reference.errors);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace mqmon
