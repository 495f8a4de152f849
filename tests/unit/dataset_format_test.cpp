#include "mqmon/readers/dataset_format.h"

#include <gtest/gtest.h>

#include "mqmon/common/error.h"

namespace mqmon {

TEST(DatasetFormat, AcceptsEveryServiceSpelling) {
  auto f = parse_dataset_format(R"({"csv": {"header": true, "output_columns_position": "START"}})");
  EXPECT_EQ(f.kind, FormatKind::kCsv);
  EXPECT_TRUE(f.header);
  f = parse_dataset_format(R"({"Csv": {"Header": false}})");
  EXPECT_EQ(f.kind, FormatKind::kCsv);
  EXPECT_FALSE(f.header);
  f = parse_dataset_format(R"({"csv": {"header": "false"}})");
  EXPECT_FALSE(f.header);
  f = parse_dataset_format(R"({"csv": {"header": true, "output_columns_position": "END"}})");
  EXPECT_EQ(f.output_columns_position, "END");
  EXPECT_EQ(parse_dataset_format(R"({"json": {"lines": true}})").kind, FormatKind::kJsonLines);
  EXPECT_EQ(parse_dataset_format(R"({"Json": {"Line": true}})").kind, FormatKind::kJsonLines);
  EXPECT_EQ(parse_dataset_format(R"({"sagemakerCaptureJson": {}})").kind, FormatKind::kCaptureJson);
  EXPECT_EQ(
      parse_dataset_format(
          R"({"sagemakerCaptureJson": {"captureIndexNames": ["endpointInput","endpointOutput"]}})")
          .kind,
      FormatKind::kCaptureJson);
  EXPECT_EQ(parse_dataset_format(R"({"Parquet": {}})").kind, FormatKind::kParquet);
}

TEST(DatasetFormat, RejectsWhatItCannotRead) {
  for (const char* bad :
       {"csv", R"({"csv": {"header": 3}})", R"({"xml": {}})", R"({"csv": {}, "json": {}})",
        R"({"csv": {"delimiter": ";"}})", R"({"json": {"lines": false}})",
        R"({"csv": {"output_columns_position": "MIDDLE"}})"})
    EXPECT_THROW(parse_dataset_format(bad), ConfigError) << bad;
}

}  // namespace mqmon
