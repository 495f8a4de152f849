// The _mqmon extension: the only translation unit that includes pybind11. Thin: it converts
// arguments, releases the GIL around the native jobs, and maps mqmon's errors onto Python
// exceptions with the same messages.

#include <fmt/format.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <type_traits>

#include "mqmon/common/closest_name.h"
#include "mqmon/common/error.h"
#include "mqmon/common/time.h"
#include "mqmon/common/version.h"
#include "mqmon/io/atomic_output.h"
#include "mqmon/io/byte_source.h"
#include "mqmon/io/s3_client.h"
#include "mqmon/io/sigv4.h"
#include "mqmon/jobs/baseline.h"
#include "mqmon/jobs/monitor.h"
#include "mqmon/jobs/partial.h"
#include "mqmon/output/statistics_writer.h"
#include "mqmon/readers/row_builder.h"
#include "mqmon/report/files.h"
#include "mqmon/schedule/describe.h"
#include "mqmon/schedule/runner.h"
#include "mqmon/schedule/store.h"

namespace py = pybind11;

namespace {

using Floats = py::array_t<double, py::array::c_style>;
using Codes = py::array_t<int32_t, py::array::c_style | py::array::forcecast>;

/// Sets `out` from o[key] when the key is there and not None (strings by str()).
template <typename T>
bool option(const py::dict& o, const char* key, T& out) {
  if (!o.contains(key) || o[key].is_none()) return false;
  if constexpr (std::is_same_v<T, std::string>)
    out = py::str(o[key]);
  else
    out = o[key].cast<T>();
  return true;
}

/// The keys evaluation_spec reads, and s3_endpoint, which every job takes.
const std::vector<std::string> kEvaluationKeys = {"dataset_format",
                                                  "problem_type",
                                                  "label_type",
                                                  "ground_truth_attribute",
                                                  "inference_attribute",
                                                  "probability_attribute",
                                                  "positive_label",
                                                  "negative_label",
                                                  "class_labels",
                                                  "probability_threshold",
                                                  "seed",
                                                  "curve_points",
                                                  "threads",
                                                  "max_bad_rows",
                                                  "unbounded_scores",
                                                  "record_preprocessor_script",
                                                  "script_workers",
                                                  "s3_endpoint"};

/// Raises TypeError for a key of `o` that `function` does not read, as Python does for an
/// unknown keyword argument, with the nearest known key: a misspelt option is never ignored.
void check_keys(const py::dict& o, const char* function, std::vector<std::string> allowed) {
  allowed.insert(allowed.end(), kEvaluationKeys.begin(), kEvaluationKeys.end());
  for (const auto& item : o) {
    const std::string key = py::str(item.first);
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
      throw py::type_error(fmt::format("{}() got an unexpected option '{}'{}", function, key,
                                       mqmon::did_you_mean(key, allowed)));
  }
}

mqmon::EvaluationSpec evaluation_spec(const py::dict& o) {
  mqmon::EvaluationSpec s;
  std::string format = R"({"csv": {"header": true}})", problem = "BinaryClassification",
              label_type = "auto", max_bad_rows;
  option(o, "dataset_format", format);
  option(o, "problem_type", problem);
  option(o, "label_type", label_type);
  s.format = mqmon::parse_dataset_format(format);
  s.problem_type = mqmon::parse_problem_type(problem);
  s.attributes.label_type = mqmon::parse_label_type(label_type);
  option(o, "ground_truth_attribute", s.attributes.ground_truth);
  option(o, "inference_attribute", s.attributes.inference);
  option(o, "probability_attribute", s.attributes.probability);
  option(o, "positive_label", s.positive_label);
  option(o, "negative_label", s.negative_label);
  option(o, "class_labels", s.attributes.class_labels);
  option(o, "unbounded_scores", s.attributes.unbounded_scores);
  option(o, "record_preprocessor_script", s.record_preprocessor_script);
  option(o, "script_workers", s.script_workers);
  option(o, "probability_threshold", s.probability_threshold);
  option(o, "seed", s.seed);
  option(o, "curve_points", s.curve_points);
  option(o, "threads", s.scan.threads);
  if (option(o, "max_bad_rows", max_bad_rows))
    s.scan.max_bad_rows = mqmon::BadRowLimit::parse(max_bad_rows);
  return s;
}

/// The constraint-suggestion options of a baseline (suggest_baseline, partial).
const std::vector<std::string> kSuggestKeys = {"threshold_method", "alpha",      "alpha_scope",
                                               "window_size",      "replicates", "strict_layout"};
mqmon::SuggestOptions suggest_options(const py::dict& o) {
  mqmon::SuggestOptions s;
  std::string method;
  if (option(o, "threshold_method", method)) s.method = mqmon::parse_threshold_method(method);
  option(o, "alpha", s.alpha);
  std::string scope;
  if (option(o, "alpha_scope", scope)) s.scope = mqmon::parse_alpha_scope(scope);
  option(o, "window_size", s.window_size);
  option(o, "replicates", s.replicates);
  option(o, "strict_layout", s.strict_layout);
  return s;
}

/// options["partial"] (a partial result, bytes, or a list of them to merge) decoded and merged,
/// or nullopt when absent.
std::optional<mqmon::PartialResult> partial_option(const py::dict& o) {
  if (!o.contains("partial") || o["partial"].is_none()) return std::nullopt;
  std::vector<std::string> parts;
  if (py::isinstance<py::bytes>(o["partial"]))
    parts.push_back(o["partial"].cast<std::string>());
  else
    for (const auto& p : o["partial"].cast<py::list>()) parts.push_back(p.cast<std::string>());
  std::vector<std::string> names;
  for (size_t i = 0; i < parts.size(); ++i)
    names.push_back(parts.size() == 1 ? "the partial result" : fmt::format("partial {}", i + 1));
  py::gil_scoped_release release;
  return mqmon::merge_encoded(names, [&](size_t i) { return parts[i]; });
}

/// Columns of NumPy arrays for the spec's problem type: label codes with their vocabularies, or
/// floats (uncopied when C-contiguous float64). `keep` holds the arrays while they are read.
mqmon::MemoryColumns memory_columns(const mqmon::EvaluationSpec& spec, py::object truth,
                                    py::object predicted, py::object probability,
                                    std::vector<py::object>& keep) {
  mqmon::MemoryColumns cols;
  auto floats = [&](py::object o) -> const double* {
    if (o.is_none()) return nullptr;
    Floats a = Floats::ensure(o);  // no copy for contiguous float64
    if (!a) throw mqmon::ConfigError("expected a one-dimensional array of numbers");
    if (a.ndim() != 1) throw mqmon::ConfigError("expected a one-dimensional array");
    if (cols.rows && static_cast<size_t>(a.shape(0)) != cols.rows)
      throw mqmon::ConfigError("the arrays differ in length");
    cols.rows = static_cast<size_t>(a.shape(0));
    keep.push_back(a);
    return a.data();
  };
  auto labels = [&](py::object o, std::vector<std::string>& vocab) -> const int32_t* {
    if (o.is_none()) return nullptr;
    auto pair = o.cast<py::tuple>();  // (codes, vocabulary)
    Codes codes = Codes::ensure(pair[0]);
    if (!codes || codes.ndim() != 1)
      throw mqmon::ConfigError("label codes must be one-dimensional");
    if (cols.rows && static_cast<size_t>(codes.shape(0)) != cols.rows)
      throw mqmon::ConfigError("the arrays differ in length");
    cols.rows = static_cast<size_t>(codes.shape(0));
    vocab = pair[1].cast<std::vector<std::string>>();
    keep.push_back(codes);
    return codes.data();
  };
  if (spec.problem_type == mqmon::ProblemType::kRegression) {
    cols.truth = floats(truth);
    cols.prediction = floats(predicted);
  } else {
    cols.truth_codes = labels(truth, cols.truth_vocab);
    cols.predicted_codes = labels(predicted, cols.predicted_vocab);
    cols.probability = floats(probability);
  }
  return cols;
}

/// Points s3:// paths at options["s3_endpoint"] (None: the environment's endpoint or AWS). The
/// client is made again for each call, so credentials changed in os.environ are seen.
void use_s3_endpoint(const py::object& endpoint) {
  mqmon::set_s3_endpoint(endpoint.is_none() ? std::string() : std::string(py::str(endpoint)));
}
void use_s3_endpoint(const py::dict& o) {
  use_s3_endpoint(o.contains("s3_endpoint") ? py::object(o["s3_endpoint"])
                                            : py::object(py::none()));
}

/// The schedule store at `state` (None: $MQMON_HOME/mqmon.db).
std::unique_ptr<mqmon::ScheduleStore> store_at(const py::object& state) {
  return std::make_unique<mqmon::ScheduleStore>(state.is_none() ? mqmon::default_state_path()
                                                                : std::string(py::str(state)));
}

/// Runs f without the GIL.
template <typename F>
auto released(F&& f) {
  py::gil_scoped_release release;
  return f();
}

}  // namespace

PYBIND11_MODULE(_mqmon, m) {
  m.doc() = "mqmon's native engine (use the mqmon package, not this module)";
  // The exception classes live in mqmon/errors.py (so that Python code raises them too); each
  // takes its exit code from the one table of error kinds, and a native error becomes the class
  // of its kind with the same message.
  const py::module_ errors = py::module_::import("mqmon.errors");
  for (const mqmon::ErrorKind kind : mqmon::kErrorKinds) {
    const auto& info = mqmon::error_kind_info(kind);
    errors.attr(info.python_class).attr("exit_code") = info.exit_code;
    m.attr(info.python_class) = errors.attr(info.python_class);
  }
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const mqmon::Error& e) {
      const py::object cls =
          py::module_::import("mqmon.errors").attr(mqmon::error_kind_info(e.kind()).python_class);
      PyErr_SetObject(cls.ptr(), cls(e.what()).ptr());
    }
  });

  m.def(
      "check_problem_type", [](const std::string& text) { mqmon::parse_problem_type(text); },
      "ConfigError (with the nearest name) unless the text names a problem type");
  m.def("closest_name", &mqmon::closest_name, py::arg("word"), py::arg("candidates"),
        "The candidate a mistyped name most likely meant, or None");
  m.def("parse_timestamp", &mqmon::parse_timestamp,
        "Milliseconds since the epoch of a UTC timestamp");
  m.def("parse_duration", &mqmon::parse_duration, "Milliseconds of an ISO-8601 duration (-PT1H)");
  m.def("now_millis", &mqmon::now_millis);
  m.def(
      "sign_v4",
      [](const std::string& method, const std::string& path,
         const std::vector<std::pair<std::string, std::string>>& query,
         const std::vector<std::pair<std::string, std::string>>& headers,
         const std::string& payload_sha256, const std::string& access_key,
         const std::string& secret_key, const std::string& token, const std::string& region,
         const std::string& service, const std::string& amz_date) {
        mqmon::SigV4Request r{method, path, query, headers, payload_sha256};
        const auto s =
            mqmon::sign_v4(r, {access_key, secret_key, token}, region, service, amz_date);
        py::dict out;
        out["canonical_request"] = s.canonical_request;
        out["string_to_sign"] = s.string_to_sign;
        out["signature"] = s.signature;
        out["authorization"] = s.authorization;
        return out;
      },
      "AWS Signature Version 4 (exposed for cross-checks against botocore)");

  m.def(
      "read_object",
      [](const std::string& path, const py::object& s3_endpoint) {
        use_s3_endpoint(s3_endpoint);
        const std::string body = released([&] { return mqmon::read_whole(path); });
        return py::bytes(body);
      },
      py::arg("path"), py::arg("s3_endpoint") = py::none(),
      "The bytes of a local file or s3:// object");
  m.def(
      "write_object",
      [](const std::string& path, const std::string& body, const py::object& s3_endpoint) {
        use_s3_endpoint(s3_endpoint);
        released([&] {
          const auto slash = path.find_last_of('/');
          mqmon::AtomicOutputSet out(slash == std::string::npos ? "." : path.substr(0, slash + 1));
          out.add(path.substr(slash == std::string::npos ? 0 : slash + 1), body);
          out.commit();
          return 0;
        });
      },
      py::arg("path"), py::arg("body"), py::arg("s3_endpoint") = py::none(),
      "Writes a local file or s3:// object whole");
  m.def(
      "exists",
      [](const std::string& path, const py::object& s3_endpoint) {
        use_s3_endpoint(s3_endpoint);
        return released([&] { return mqmon::file_exists(path); });
      },
      py::arg("path"), py::arg("s3_endpoint") = py::none());

  m.def(
      "suggest_baseline",
      [](const std::string& dataset, const std::string& output, const py::dict& options) {
        auto keys = kSuggestKeys;
        keys.insert(keys.end(),
                    {"evaluation_time", "post_analytics_processor_script", "report", "partial"});
        check_keys(options, "suggest_baseline", keys);
        use_s3_endpoint(options);
        mqmon::BaselineConfig c;
        c.dataset = dataset;
        c.output_dir = output;
        c.evaluation = evaluation_spec(options);
        c.suggest = suggest_options(options);
        // Merged partial results: their options, and their statistics instead of a dataset's.
        auto merged = partial_option(options);
        if (merged) {
          c.evaluation = merged->evaluation;
          c.suggest = merged->suggest;
          c.evaluate = [&] { return mqmon::finalize_partial(*merged); };
        }
        option(options, "evaluation_time", c.evaluation_time);
        option(options, "post_analytics_processor_script", c.post_analytics_processor_script);
        bool report = true;
        option(options, "report", report);
        if (report) c.render_report = mqmon::report::baseline_renderer(dataset, mqmon::kVersion);
        const auto r = released([&] { return mqmon::run_baseline(c); });
        py::dict out;
        out["item_count"] = r.item_count;
        out["skipped"] = r.skipped;
        out["statistics_path"] = r.statistics_path;
        out["constraints_path"] = r.constraints_path;
        return out;
      },
      py::arg("dataset"), py::arg("output"), py::arg("options"));

  m.def(
      "monitor",
      [](const py::dict& options) {
        check_keys(options, "monitor",
                   {"dataset", "capture", "ground_truth", "constraints", "output", "endpoint_name",
                    "monitoring_schedule_name", "start", "end", "execution_time", "max_lookback",
                    "evaluation_time", "ignore_undefined_metrics",
                    "post_analytics_processor_script", "report", "baseline_statistics", "partial"});
        use_s3_endpoint(options);
        mqmon::MonitorConfig c;
        c.evaluation = evaluation_spec(options);
        auto merged = partial_option(options);
        if (merged) {
          c.evaluation = merged->evaluation;
          c.evaluate = [&] { return mqmon::finalize_partial(*merged); };
        }
        option(options, "dataset", c.dataset);
        option(options, "capture", c.capture_prefix);
        option(options, "ground_truth", c.ground_truth_prefix);
        option(options, "constraints", c.constraints_path);
        option(options, "output", c.output_dir);
        option(options, "endpoint_name", c.endpoint_name);
        option(options, "monitoring_schedule_name", c.monitoring_schedule_name);
        option(options, "start", c.start);
        option(options, "end", c.end);
        c.execution_time = options["execution_time"].cast<int64_t>();
        option(options, "max_lookback", c.max_lookback);
        bool ignore_undefined = false;
        option(options, "ignore_undefined_metrics", ignore_undefined);
        option(options, "post_analytics_processor_script", c.post_analytics_processor_script);
        c.check.report_undefined = !ignore_undefined;
        option(options, "evaluation_time", c.evaluation_time);
        bool report = true;
        option(options, "report", report);
        std::string baseline_statistics;
        option(options, "baseline_statistics", baseline_statistics);
        if (report)
          c.render_report = mqmon::report::monitor_renderer(
              c.constraints_path, baseline_statistics,
              c.dataset.empty() ? c.capture_prefix : c.dataset, mqmon::kVersion);
        const auto r = released([&] { return mqmon::run_monitor(c); });
        py::dict out;
        out["status"] = mqmon::status_name(r.status);
        out["failure_reason"] = r.failure_reason;
        out["error_class"] = mqmon::error_kind_info(r.failure).python_class;
        out["item_count"] = r.item_count;
        out["violations"] = r.violations;
        return out;
      },
      py::arg("options"));

  // Schedules: the store and the runner, for the ModelQualityMonitor schedule methods. Results
  // travel as the JSON the CLI prints with --json.
  m.def(
      "report_history",
      [](const py::object& state, const std::string& schedule, const std::string& output) {
        released([&] {
          mqmon::write_whole_file(output, mqmon::report::render_history(
                                              fmt::format("{}: monitoring history", schedule),
                                              mqmon::report::schedule_history(
                                                  state.is_none() ? mqmon::default_state_path()
                                                                  : state.cast<std::string>(),
                                                  schedule),
                                              mqmon::kVersion));
          return 0;
        });
      },
      py::arg("state"), py::arg("schedule"), py::arg("output"),
      "Writes a schedule's history view (report.html of its executions over time)");
  m.def("default_state_path", &mqmon::default_state_path);
  m.def(
      "schedule_save",
      [](const py::object& state, const std::string& name, const std::string& expression,
         const std::string& definition, int64_t now, bool create) {
        mqmon::JobDefinition d = mqmon::job_definition_from_json(definition);
        d.make_paths_absolute();
        released([&] {
          d.validate_for(expression);
          auto store = store_at(state);
          if (create)
            store->create_schedule(name, expression, d, now);
          else
            store->update_schedule(name, expression, d, now);
          return 0;
        });
      },
      py::arg("state"), py::arg("name"), py::arg("expression"), py::arg("definition"),
      py::arg("now"), py::arg("create"), "Creates or updates a schedule (checked as the CLI does)");
  m.def(
      "schedule_set_status",
      [](const py::object& state, const std::string& name, const std::string& status, int64_t now) {
        store_at(state)->set_status(name, status, now);
      },
      py::arg("state"), py::arg("name"), py::arg("status"), py::arg("now"));
  m.def(
      "schedule_delete",
      [](const py::object& state, const std::string& name, bool purge) {
        mqmon::remove_local_outputs(store_at(state)->delete_schedule(name, purge));
      },
      py::arg("state"), py::arg("name"), py::arg("purge"));
  m.def(
      "schedule_describe",
      [](const py::object& state, const std::string& name, int64_t now) {
        auto store = store_at(state);
        return mqmon::describe_schedule_json(*store, store->get_schedule(name), now);
      },
      py::arg("state"), py::arg("name"), py::arg("now"));
  m.def(
      "schedule_executions",
      [](const py::object& state, const std::string& name) {
        mqmon::ExecutionFilter f;
        f.schedule = name;
        f.with_metrics = true;
        return mqmon::executions_json(store_at(state)->list_executions(f));
      },
      py::arg("state"), py::arg("name"));
  m.def(
      "execution_describe",
      [](const py::object& state, int64_t id) {
        return mqmon::describe_execution_json(store_at(state)->get_execution(id));
      },
      py::arg("state"), py::arg("id"));
  m.def(
      "run_due_executions",
      [](const py::object& state, int64_t now, const std::string& catch_up) {
        mqmon::RunnerOptions o;
        o.catch_up = mqmon::parse_catch_up(catch_up);
        o.prepare = [](mqmon::MonitorConfig& c) {
          c.render_report = mqmon::report::monitor_renderer(c.constraints_path, "",
                                                            c.capture_prefix, mqmon::kVersion);
        };
        auto store = store_at(state);
        return released([&] {
          return mqmon::executions_json(mqmon::run_due_executions(*store, now, o).finished);
        });
      },
      py::arg("state"), py::arg("now"), py::arg("catch_up") = "latest",
      "One scheduler round at `now` (each execution in a child process); the executions run");

  m.def(
      "compute_statistics",
      [](const py::dict& options, py::object truth, py::object predicted, py::object probability,
         const std::string& evaluation_time) {
        check_keys(options, "compute_statistics", {});
        const mqmon::EvaluationSpec spec = evaluation_spec(options);
        std::vector<py::object> keep;
        const auto cols = memory_columns(spec, truth, predicted, probability, keep);
        return released([&] {
          const auto ev = mqmon::evaluate_columns(cols, spec);
          return mqmon::write_statistics(
              ev, evaluation_time.empty() ? mqmon::utc_now_iso8601() : evaluation_time);
        });
      },
      py::arg("options"), py::arg("truth"), py::arg("predicted"), py::arg("probability"),
      py::arg("evaluation_time") = "");

  // Partial results (bytes), for engines that shard a job: Dask, Spark, ...
  m.def(
      "partial",
      [](const std::string& dataset, const std::string& shard, const std::string& byte_range,
         const py::dict& options) {
        check_keys(options, "partial", kSuggestKeys);
        use_s3_endpoint(options);
        const auto spec = evaluation_spec(options);
        const auto suggest = suggest_options(options);
        const auto where = byte_range.empty()
                               ? mqmon::ShardSpec::parse_shard(shard.empty() ? "0/1" : shard)
                               : mqmon::ShardSpec::parse_byte_range(byte_range);
        const std::string bytes = released([&] {
          return mqmon::encode_partial(mqmon::compute_partial(dataset, where, spec, suggest));
        });
        return py::bytes(bytes);
      },
      py::arg("dataset"), py::arg("shard"), py::arg("byte_range"), py::arg("options"));
  m.def(
      "partial_columns",
      [](const py::dict& options, py::object truth, py::object predicted, py::object probability,
         uint64_t first_row) {
        check_keys(options, "partial", kSuggestKeys);
        const auto spec = evaluation_spec(options);
        const auto suggest = suggest_options(options);
        std::vector<py::object> keep;
        auto cols = memory_columns(spec, truth, predicted, probability, keep);
        cols.first_row = first_row;
        const std::string bytes = released(
            [&] { return mqmon::encode_partial(mqmon::partial_of_columns(cols, spec, suggest)); });
        return py::bytes(bytes);
      },
      py::arg("options"), py::arg("truth"), py::arg("predicted"), py::arg("probability"),
      py::arg("first_row"));
  m.def(
      "merge_partials",
      [](const std::vector<py::bytes>& parts, const std::vector<std::string>& names) {
        std::vector<std::string> blobs(parts.begin(), parts.end());
        if (names.size() != blobs.size()) throw mqmon::ConfigError("a name for each partial");
        const std::string bytes = released([&] {
          return mqmon::encode_partial(
              mqmon::merge_encoded(names, [&](size_t i) { return blobs[i]; }));
        });
        return py::bytes(bytes);
      },
      py::arg("parts"), py::arg("names"));
  m.def(
      "finalize_partial",
      [](const py::bytes& part, const std::string& evaluation_time) {
        std::string blob = part;
        return released([&] {
          const auto p = mqmon::decode_partial(blob, "the partial result");
          return mqmon::write_statistics(mqmon::finalize_partial(p), evaluation_time.empty()
                                                                         ? mqmon::utc_now_iso8601()
                                                                         : evaluation_time);
        });
      },
      py::arg("part"), py::arg("evaluation_time") = "");
  m.def(
      "dataset_bytes",
      [](const std::string& dataset, const py::object& s3_endpoint) {
        use_s3_endpoint(s3_endpoint);
        return released([&] {
          uint64_t total = 0;
          for (const auto& f : mqmon::list_dataset_files(dataset)) total += f.size;
          return total;
        });
      },
      py::arg("dataset"), py::arg("s3_endpoint") = py::none(),
      "Bytes of a dataset's files (to choose a shard count)");
}
