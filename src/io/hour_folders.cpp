#include "mqmon/io/hour_folders.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "mqmon/common/error.h"
#include "mqmon/common/time.h"

namespace mqmon {

namespace fs = std::filesystem;

namespace {
bool digits(const std::string& s, size_t n) {
  return s.size() == n &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}
}  // namespace

std::vector<HourFile> list_hour_files(const std::string& prefix, int64_t from, int64_t to) {
  std::error_code ec;
  if (!fs::is_directory(prefix, ec)) throw IoError(fmt::format("'{}' is not a directory", prefix));
  std::vector<HourFile> out;
  for (auto it = fs::recursive_directory_iterator(prefix, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    const std::string name = it->path().filename().string();
    if (!name.empty() && name[0] == '.') continue;
    const fs::path hh = it->path().parent_path(), dd = hh.parent_path(), mm = dd.parent_path(),
                   yyyy = mm.parent_path();
    const std::string h = hh.filename().string(), d = dd.filename().string(),
                      m = mm.filename().string(), y = yyyy.filename().string();
    if (!digits(y, 4) || !digits(m, 2) || !digits(d, 2) || !digits(h, 2)) continue;
    const int hour_of_day = std::stoi(h), month = std::stoi(m), day = std::stoi(d);
    if (hour_of_day > 23 || month < 1 || month > 12 || day < 1 || day > 31) continue;
    const int64_t hour = utc_millis(std::stoi(y), month, day, hour_of_day);
    if (hour + kMillisPerHour <= from || hour >= to) continue;
    out.push_back({hour, {it->path().string(), static_cast<uint64_t>(it->file_size())}});
  }
  if (ec) throw IoError(fmt::format("cannot list '{}': {}", prefix, ec.message()));
  std::sort(out.begin(), out.end(), [](const HourFile& a, const HourFile& b) {
    return a.hour != b.hour ? a.hour < b.hour : a.file.path < b.file.path;
  });
  return out;
}

}  // namespace mqmon
