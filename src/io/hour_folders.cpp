#include "mqmon/io/hour_folders.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <optional>

#include "mqmon/common/error.h"
#include "mqmon/common/time.h"
#include "mqmon/io/s3_client.h"

namespace mqmon {

namespace fs = std::filesystem;

namespace {

bool digits(std::string_view s, size_t n) {
  return s.size() == n &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

int number(std::string_view s) {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

/// The hour of a file whose four innermost folders are yyyy/mm/dd/hh ('/'-separated path);
/// nullopt for any other file, hidden files included.
std::optional<int64_t> hour_of(std::string_view path) {
  std::string_view parts[5];  // yyyy mm dd hh name
  for (int i = 4; i >= 0; --i) {
    const size_t slash = path.rfind('/');
    if (slash == std::string_view::npos && i > 0) return std::nullopt;
    parts[i] = slash == std::string_view::npos ? path : path.substr(slash + 1);
    path = slash == std::string_view::npos ? std::string_view() : path.substr(0, slash);
  }
  const auto [yyyy, mm, dd, hh, name] = parts;
  if (name.empty() || name[0] == '.') return std::nullopt;
  if (!digits(yyyy, 4) || !digits(mm, 2) || !digits(dd, 2) || !digits(hh, 2)) return std::nullopt;
  const int hour_of_day = number(hh), month = number(mm), day = number(dd);
  if (hour_of_day > 23 || month < 1 || month > 12 || day < 1 || day > 31) return std::nullopt;
  return utc_millis(number(yyyy), month, day, hour_of_day);
}

}  // namespace

std::vector<HourFile> list_hour_files(const std::string& prefix, int64_t from, int64_t to) {
  std::vector<HourFile> out;
  auto consider = [&](std::string_view path, InputFile file) {
    const auto hour = hour_of(path);
    if (!hour || *hour + kMillisPerHour <= from || *hour >= to) return;
    out.push_back({*hour, std::move(file)});
  };
  if (is_s3_uri(prefix)) {
    S3Location loc = parse_s3_uri(prefix);
    if (!loc.key.empty() && loc.key.back() != '/') loc.key += '/';
    const auto objects = shared_s3_client()->list(loc.bucket, loc.key);
    if (objects.empty()) throw IoError(fmt::format("'{}' holds no object", loc.uri()));
    for (const auto& o : objects)
      consider(o.key, {S3Location{loc.bucket, o.key}.uri(), o.size, o.etag});
  } else {
    std::error_code ec;
    if (!fs::is_directory(prefix, ec))
      throw IoError(fmt::format("'{}' is not a directory", prefix));
    for (auto it = fs::recursive_directory_iterator(prefix, ec); !ec && it != fs::end(it);
         it.increment(ec)) {
      if (!it->is_regular_file()) continue;
      consider(it->path().generic_string(),
               {it->path().string(), static_cast<uint64_t>(it->file_size()), ""});
    }
    if (ec) throw IoError(fmt::format("cannot list '{}': {}", prefix, ec.message()));
  }
  std::sort(out.begin(), out.end(), [](const HourFile& a, const HourFile& b) {
    return a.hour != b.hour ? a.hour < b.hour : a.file.path < b.file.path;
  });
  return out;
}

}  // namespace mqmon
