#pragma once
/// mqmon's version, from the CMake project (one place): `mqmon --version` and the reports say it.

#ifndef MQMON_VERSION
#error "MQMON_VERSION comes from CMake (a public compile definition of mqmon_core)"
#endif

namespace mqmon {
inline constexpr const char* kVersion = "mqmon " MQMON_VERSION;
}
