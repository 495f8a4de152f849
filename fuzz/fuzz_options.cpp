// The small parsers of options: --dataset-format JSON, timestamps, durations, schedule
// expressions and their windows, --max-bad-rows, --label-type, --shard and --byte-range, s3://
// URIs. The first byte chooses the parser.

#include "fuzz_common.h"
#include "mqmon/common/time.h"
#include "mqmon/io/s3_client.h"
#include "mqmon/jobs/partial.h"
#include "mqmon/jobs/scan.h"
#include "mqmon/readers/dataset_format.h"
#include "mqmon/readers/row_builder.h"
#include "mqmon/schedule/expression.h"

using namespace mqmon;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  fuzz::expect_clean([&] {
    switch (data[0] % 9) {
      case 0:
        parse_dataset_format(text);
        break;
      case 1:
        format_timestamp(parse_timestamp(text));
        break;
      case 2:
        parse_duration(text);
        break;
      case 3: {
        const auto e = parse_schedule_expression(text);
        next_due_time(e, utc_millis(2024, 1, 1, 0));
        due_times(e, utc_millis(2024, 1, 1, 0), utc_millis(2024, 1, 8, 0), 100);
        break;
      }
      case 4: {
        const size_t sep = text.find(' ');
        check_data_analysis_window(text.substr(0, sep),
                                   sep == std::string::npos ? "" : text.substr(sep + 1));
        break;
      }
      case 5:
        BadRowLimit::parse(text);
        break;
      case 6:
        parse_label_type(text);
        break;
      case 7:
        ShardSpec::parse_shard(text);
        ShardSpec::parse_byte_range(text);
        break;
      default:
        parse_s3_uri(text);
        break;
    }
  });
  return 0;
}
