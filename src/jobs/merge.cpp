// simdjson's second translation unit (after json_reader.cpp): the merge reads whole records.
#include "mqmon/jobs/merge.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <charconv>
#include <cstdio>
#include <memory>
#include <unordered_map>

#include "mqmon/common/error.h"
#include "mqmon/common/time.h"
#include "mqmon/io/byte_source.h"
#include "mqmon/io/hour_folders.h"

namespace mqmon {

namespace {

/// Calls f(file, line_number, text) for every non-blank line of the hour files, in order (small
/// S3 objects are fetched ahead).
template <typename F>
void for_each_line(const std::vector<HourFile>& hour_files, F&& f) {
  std::vector<InputFile> files;
  for (const auto& hf : hour_files) files.push_back(hf.file);
  SequentialOpener opener(std::move(files));
  std::string text;
  char buf[1 << 16];
  for (size_t i = 0; i < opener.files().size(); ++i) {
    auto stream = opener.open(i);
    text.clear();
    for (size_t k; (k = stream->read(buf, sizeof buf)) > 0;) text.append(buf, k);
    size_t pos = 0;
    for (uint64_t line = 1; pos < text.size(); ++line) {
      size_t nl = text.find('\n', pos);
      if (nl == std::string::npos) nl = text.size();
      std::string_view l(text.data() + pos, nl - pos);
      pos = nl + 1;
      if (l.find_first_not_of(" \t\r") != std::string_view::npos) f(opener.files()[i], line, l);
    }
  }
}

[[noreturn]] void bad_record(const std::string& path, uint64_t line, const std::string& reason,
                             std::string_view text) {
  throw ParseError({path, line, 0, ""}, reason, std::string(text));
}

struct Label {
  std::string ground_truth;  // minified groundTruthData object
  bool used = false;
  std::string data;  // its data, kept only for MergeConfig::labels_path
};

}  // namespace

MergeCounts merge_window(const MergeConfig& config, const std::string& output_path) {
  MergeCounts counts;
  simdjson::dom::parser parser;

  // Labels are filed by the hour they were collected, which may be days after the inference.
  int64_t labels_from = config.start;
  if (config.max_lookback > 0)
    labels_from = std::max(labels_from, config.execution_time - config.max_lookback);
  std::unordered_map<std::string, Label> labels;
  const auto truth_files =
      list_hour_files(config.ground_truth_prefix, labels_from, config.execution_time + 1);
  counts.ground_truth_files = truth_files.size();
  for_each_line(truth_files, [&](const InputFile& file, uint64_t line, std::string_view text) {
    simdjson::dom::element rec, truth;
    std::string_view id;
    if (auto err = parser.parse(text.data(), text.size()).get(rec))
      bad_record(file.path, line, fmt::format("invalid JSON ({})", simdjson::error_message(err)),
                 text);
    if (rec["groundTruthData"].get(truth) != simdjson::SUCCESS || !truth.is_object())
      bad_record(file.path, line, "not a ground-truth record: no groundTruthData object", text);
    if (rec.at_pointer("/eventMetadata/eventId").get(id) != simdjson::SUCCESS)
      bad_record(file.path, line, "ground-truth record without a string eventMetadata.eventId",
                 text);
    ++counts.labels;
    std::string data = simdjson::minify(truth);
    std::string_view label_data;
    if (!config.labels_path.empty() && truth["data"].get(label_data) != simdjson::SUCCESS)
      label_data = {};
    auto [it, inserted] =
        labels.try_emplace(std::string(id), Label{data, false, std::string(label_data)});
    if (!inserted) {  // files are read in collection order: the latest label wins
      ++counts.duplicate_labels;
      if (it->second.ground_truth != data) ++counts.conflicting_duplicates;
      it->second.ground_truth = std::move(data);
      it->second.data = label_data;
    }
  });

  std::unique_ptr<FILE, int (*)(FILE*)> out(std::fopen(output_path.c_str(), "w"), &std::fclose);
  if (!out) throw IoError(fmt::format("cannot write '{}'", output_path));
  const auto capture_files = list_hour_files(config.capture_prefix, config.start, config.end);
  counts.capture_files = capture_files.size();
  std::string merged;
  for_each_line(capture_files, [&](const InputFile& file, uint64_t line, std::string_view text) {
    simdjson::dom::element rec;
    if (auto err = parser.parse(text.data(), text.size()).get(rec))
      bad_record(file.path, line, fmt::format("invalid JSON ({})", simdjson::error_message(err)),
                 text);
    if (!rec.is_object() || rec["captureData"].error() != simdjson::SUCCESS)
      bad_record(file.path, line, "not a data-capture record: no captureData", text);
    // Hour folders are coarse: a record timed outside the window does not belong to it.
    std::string_view when;
    if (rec.at_pointer("/eventMetadata/inferenceTime").get(when) == simdjson::SUCCESS) {
      int64_t t = 0;
      try {
        t = parse_timestamp(when);
      } catch (const ConfigError&) {
        bad_record(file.path, line,
                   fmt::format("eventMetadata.inferenceTime '{}' is not a UTC timestamp", when),
                   text);
      }
      if (t < config.start || t >= config.end) {
        ++counts.outside_window;
        return;
      }
    }
    std::string_view id;
    if (rec.at_pointer("/eventMetadata/inferenceId").get(id) != simdjson::SUCCESS || id.empty()) {
      if (rec.at_pointer("/eventMetadata/eventId").get(id) != simdjson::SUCCESS)
        bad_record(file.path, line, "capture record without eventMetadata.inferenceId or eventId",
                   text);
    }
    ++counts.inferences;
    const auto it = labels.find(std::string(id));
    if (it == labels.end()) {
      ++counts.unmatched_inferences;
      if (!config.labels_path.empty()) {  // the preprocessor may find labels by its rows' ids
        merged.assign(text);
        merged += '\n';
        if (std::fwrite(merged.data(), 1, merged.size(), out.get()) != merged.size())
          throw IoError(fmt::format("cannot write '{}'", output_path));
      }
      return;
    }
    it->second.used = true;
    ++counts.matched;
    // The capture record as written, with the label added as a top-level member.
    const size_t close = text.find_last_of('}');
    merged.assign(text.substr(0, close));
    merged += ",\"groundTruthData\":";
    merged += it->second.ground_truth;
    merged += "}\n";
    if (std::fwrite(merged.data(), 1, merged.size(), out.get()) != merged.size())
      throw IoError(fmt::format("cannot write '{}'", output_path));
  });
  if (std::fflush(out.get()) != 0) throw IoError(fmt::format("cannot write '{}'", output_path));
  for (const auto& [id, label] : labels)
    if (!label.used) ++counts.labels_without_inference;
  if (!config.labels_path.empty()) {
    std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(config.labels_path.c_str(), "w"),
                                               &std::fclose);
    if (!file) throw IoError(fmt::format("cannot write '{}'", config.labels_path));
    // Records "<id size> <data size>\n<id><data>\n": any bytes in ids and labels.
    for (const auto& [id, label] : labels) {
      const std::string line =
          fmt::format("{} {}\n{}{}\n", id.size(), label.data.size(), id, label.data);
      if (std::fwrite(line.data(), 1, line.size(), file.get()) != line.size())
        throw IoError(fmt::format("cannot write '{}'", config.labels_path));
    }
  }
  return counts;
}

std::unordered_map<std::string, std::string> read_label_file(const std::string& path) {
  const std::string text = read_whole(path);
  std::unordered_map<std::string, std::string> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t id_size = 0, data_size = 0;
    const char* p = text.data() + pos;
    const auto [a, e1] = std::from_chars(p, text.data() + text.size(), id_size);
    const auto [b, e2] = std::from_chars(a + 1, text.data() + text.size(), data_size);
    pos = static_cast<size_t>(b - text.data()) + 1;
    if (e1 != std::errc() || e2 != std::errc() || pos + id_size + data_size + 1 > text.size())
      throw IoError(fmt::format("'{}' is damaged", path));
    out[text.substr(pos, id_size)] = text.substr(pos + id_size, data_size);
    pos += id_size + data_size + 1;
  }
  return out;
}

void write_merge_counts(JsonWriter& w, const MergeCounts& c) {
  w.key("capture_files").value(c.capture_files);
  w.key("ground_truth_files").value(c.ground_truth_files);
  w.key("inferences").value(c.inferences);
  w.key("inferences_outside_window").value(c.outside_window);
  w.key("labels").value(c.labels);
  w.key("matched").value(c.matched);
  w.key("unmatched_inferences").value(c.unmatched_inferences);
  w.key("label_coverage").value(c.label_coverage());
  w.key("labels_without_inference").value(c.labels_without_inference);
  w.key("duplicate_labels").value(c.duplicate_labels);
  w.key("conflicting_duplicate_labels").value(c.conflicting_duplicates);
  w.key("duplicate_resolution").value("the label collected last wins");
}

}  // namespace mqmon
