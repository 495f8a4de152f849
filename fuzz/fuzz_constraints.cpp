// constraints.json as users hand-edit it, for each problem type.

#include "fuzz_common.h"
#include "mqmon/constraints/check.h"

using namespace mqmon;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const fuzz::MemFile file(std::string_view(reinterpret_cast<const char*>(data), size));
  fuzz::expect_clean([&] { read_constraints(file.path()); });
  fuzz::expect_clean([&] { read_constraints(file.path(), ProblemType::kRegression); });
  return 0;
}
