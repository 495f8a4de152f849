// The partial-result format (.mqp). A partial that decodes must encode back to the same bytes,
// merging it with itself must be refused (the same pieces twice), and finalizing it may only
// fail with a located error.

#include <cstdlib>

#include "fuzz_common.h"
#include "mqmon/jobs/partial.h"

using namespace mqmon;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  fuzz::expect_clean([&] {
    PartialResult p = decode_partial(bytes, "fuzz.mqp");
    const std::string again = encode_partial(p);
    PartialResult q = decode_partial(again, "again.mqp");
    if (encode_partial(q) != again) {
      std::fprintf(stderr, "encode(decode(x)) is not stable\n");
      std::abort();
    }
    fuzz::expect_clean([&] { finalize_partial(p); });
    if (!p.pieces.empty()) {
      bool refused = false;
      try {
        merge_partial(q, decode_partial(again, "twice.mqp"), "twice.mqp");
      } catch (const Error&) {
        refused = true;
      }
      if (!refused) {
        std::fprintf(stderr, "a partial merged with itself was accepted\n");
        std::abort();
      }
    }
  });
  return 0;
}
