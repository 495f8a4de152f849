#include "mqmon/io/hour_folders.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <optional>
#include <set>

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

/// The objects of the S3 folder `folder` (ending in '/') that may lie in hour folders of [from,
/// to), without listing the rest: folders are walked one level at a time (delimiter '/') until year
/// folders appear; below those, each day of the range is listed ("yyyy/mm/dd/"), or, for ranges
/// longer than kMaxDays, each year. Returns false when the folder holds nothing at all.
bool list_s3_hours(const S3Client& client, const std::string& bucket, const std::string& folder,
                   int64_t from, int64_t to, std::vector<S3Object>& out) {
  constexpr int64_t kMaxDays = 62;
  const ListPage level = client.list_folder(bucket, folder);
  if (level.objects.empty() && level.folders.empty()) return false;
  for (const auto& o : level.objects) out.push_back(o);  // the prefix may itself be an hour folder
  std::set<std::string> years;
  for (const auto& sub : level.folders) {
    const std::string_view name =
        std::string_view(sub).substr(folder.size(), sub.size() - folder.size() - 1);
    if (name.empty() || name[0] == '.') continue;
    if (digits(name, 4))
      years.insert(std::string(name));
    else
      list_s3_hours(client, bucket, sub, from, to, out);  // endpoints, variants, ...
  }
  if (years.empty() || to <= from) return true;
  using namespace std::chrono;
  const sys_days first = floor<days>(sys_time<milliseconds>(milliseconds(from)));
  const sys_days last = floor<days>(sys_time<milliseconds>(milliseconds(to - 1)));
  const auto year_of = [](sys_days d) { return static_cast<int>(year_month_day(d).year()); };
  if ((last - first).count() + 1 > kMaxDays) {
    for (int y = year_of(first); y <= year_of(last); ++y)
      if (years.count(fmt::format("{:04d}", y))) {
        auto objects = client.list(bucket, fmt::format("{}{:04d}/", folder, y));
        out.insert(out.end(), objects.begin(), objects.end());
      }
    return true;
  }
  for (sys_days d = first; d <= last; d += days(1)) {
    const year_month_day ymd(d);
    if (!years.count(fmt::format("{:04d}", static_cast<int>(ymd.year())))) continue;
    auto objects = client.list(
        bucket, fmt::format("{}{:04d}/{:02d}/{:02d}/", folder, static_cast<int>(ymd.year()),
                            static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day())));
    out.insert(out.end(), objects.begin(), objects.end());
  }
  return true;
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
    std::vector<S3Object> objects;
    if (!list_s3_hours(*shared_s3_client(), loc.bucket, loc.key, from, to, objects))
      throw IoError(fmt::format("'{}' holds no object", loc.uri()));
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
