#pragma once
/// The statistics of any problem type, in the order of ProblemType.

#include <variant>

#include "mqmon/metrics/binary.h"
#include "mqmon/metrics/multiclass.h"
#include "mqmon/metrics/regression.h"

namespace mqmon {

using AnyStatistics = std::variant<BinaryStatistics, MulticlassStatistics, RegressionStatistics>;

}  // namespace mqmon
