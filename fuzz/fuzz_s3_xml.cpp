// The XML answers of S3 servers: ListObjectsV2 pages, error bodies, the UploadId of a multipart
// upload's start (the first byte chooses).

#include "fuzz_common.h"
#include "mqmon/io/s3_client.h"

using namespace mqmon;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string_view xml(reinterpret_cast<const char*>(data + 1), size - 1);
  fuzz::expect_clean([&] {
    switch (data[0] % 3) {
      case 0:
        parse_s3_error(xml);
        break;
      case 1:
        parse_list_objects_v2(xml);
        break;
      default:
        parse_xml_child(xml, "InitiateMultipartUploadResult", "UploadId");
        break;
    }
  });
  return 0;
}
