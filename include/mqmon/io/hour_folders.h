#pragma once
/// Data capture and ground truth live in UTC hour folders: `PREFIX/.../yyyy/mm/dd/hh/file`.

#include <cstdint>
#include <string>
#include <vector>

#include "mqmon/io/byte_source.h"

namespace mqmon {

struct HourFile {
  int64_t hour = 0;  ///< start of the file's hour folder, milliseconds since the epoch
  InputFile file;
};

/// Every file below `prefix` whose four innermost folders are yyyy/mm/dd/hh and whose hour
/// overlaps [from, to) (milliseconds), sorted by hour then path. Other files are ignored; a
/// missing prefix is an IoError.
std::vector<HourFile> list_hour_files(const std::string& prefix, int64_t from, int64_t to);

}  // namespace mqmon
