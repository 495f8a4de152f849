// libmqmon_script.so: the embedded-Python side of record_preprocessor_script and
// post_analytics_processor_script. Loaded only by script worker processes (never by mqmon's own
// process): in the CLI a forked child loads libpython and this library; from the Python module, a
// fresh interpreter loads it with ctypes. The only translation unit that includes Python.h.
#include <pybind11/eval.h>
#include <pybind11/pybind11.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "mqmon/script/protocol.h"

namespace py = pybind11;
using namespace mqmon::script;

namespace {

/// Loads the script, wraps the handler (str lines or capture records), and builds the records
/// the service's documentation describes (and the spelling AWS's samples use).
constexpr const char* kPrelude = R"PY(
import base64, importlib.util, inspect, json, logging, sys, traceback

class _Data:
    def __init__(self, d):
        d = d or {}
        self.encoding = d.get("encoding")
        self.observedContentType = self.observed_content_type = d.get("observedContentType")
        self.mode = d.get("mode")
        data = d.get("data")
        if self.encoding == "BASE64" and isinstance(data, str):
            data = base64.b64decode(data).decode("utf-8")
        self.data = data

class _Metadata:
    def __init__(self, m):
        self.event_id = self.eventId = m.get("eventId")
        self.inference_id = self.inferenceId = m.get("inferenceId")
        self.event_time = self.inferenceTime = m.get("inferenceTime")
        self.custom_attribute = self.customAttributes = m.get("customAttributes")

class _EventData:
    def __init__(self, r):
        self.endpointInput, self.endpointOutput, self.groundTruthData = (
            r.endpoint_input, r.endpoint_output, r.ground_truth)

class InferenceRecord:
    """A captured inference (merged with its ground truth in monitoring runs)."""
    def __init__(self, rec):
        cap = rec.get("captureData") or {}
        self.endpoint_input = _Data(cap.get("endpointInput"))
        self.endpoint_output = _Data(cap.get("endpointOutput"))
        truth = rec.get("groundTruthData") or cap.get("groundTruthData")
        self.ground_truth = _Data(truth) if truth is not None else None
        self.batch_transform_output = None
        self.event_metadata = _Metadata(rec.get("eventMetadata") or {})
        self.event_version = rec.get("eventVersion")
        self.event_data = _EventData(self)

logger = logging.getLogger("mqmon.script")
if not logger.handlers:
    _h = logging.StreamHandler(sys.stderr)
    _h.setFormatter(logging.Formatter("mqmon: script: %(levelname)s: %(message)s"))
    logger.addHandler(_h)
    logger.setLevel(logging.INFO)
    logger.propagate = False

def _error_text(path):
    """The traceback of the exception being handled, from the user's script on."""
    return format_error(path, *sys.exc_info())

def format_error(path, etype, value, tb):
    """A traceback from the user's script on (mqmon's own frames left out)."""
    keep = [f for f in traceback.extract_tb(tb) if f.filename == path]
    lines = traceback.format_list(keep) + traceback.format_exception_only(etype, value)
    return ("Traceback (most recent call last):\n" if keep else "") + "".join(lines)

def load(path, name):
    """(handler, "") or (None, why it cannot run)."""
    try:
        spec = importlib.util.spec_from_file_location("mqmon_user_script", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    except BaseException:
        return None, _error_text(path)
    handler = getattr(module, name, None)
    if not callable(handler):
        return None, f"{path} defines no {name}() function"
    return handler, ""

def run_once(path, handler):
    """postprocess_handler(): "" or its traceback."""
    try:
        handler()
        return ""
    except BaseException:
        return _error_text(path)
    finally:
        sys.stdout.flush()

def takes_logger(handler):
    try:
        return len(inspect.signature(handler).parameters) >= 2
    except (TypeError, ValueError):
        return False

def wrap(path, handler):
    """For captured records: a function of the record's text, (0, result, truth, id) or
    (1, traceback)."""
    call = (lambda r: handler(r, logger)) if takes_logger(handler) else handler
    def record(text):
        # The record's merged label and id travel with the rows (__mqmon_ keys).
        r = None
        try:
            r = InferenceRecord(json.loads(text))
            truth = r.ground_truth.data if r.ground_truth is not None else None
            return 0, call(r), truth, r.event_metadata.event_id
        except Exception:
            # The merged file is mqmon's own: the event id is what finds the record.
            where = (f"(event {r.event_metadata.event_id!r}, inference "
                     f"{r.event_metadata.inference_id!r})\n" if r is not None else "")
            return 1, where + _error_text(path)
    return record
)PY";

/// The text of a returned value: str as is, float as repr (shortest round trip), bool as
/// true/false, anything else as str(). `keep` holds a string made here while the view is in use.
/// None is never passed here (its key is left out).
std::string_view text_of(PyObject* v, std::vector<py::object>& keep) {
  if (!PyUnicode_CheckExact(v)) {
    if (PyBool_Check(v)) return v == Py_True ? "true" : "false";
    if (!PyUnicode_Check(v)) {
      keep.push_back(
          py::reinterpret_steal<py::object>(PyFloat_Check(v) ? PyObject_Repr(v) : PyObject_Str(v)));
      if (!keep.back()) throw py::error_already_set();
      v = keep.back().ptr();
    }
  }
  Py_ssize_t n = 0;
  const char* p = PyUnicode_AsUTF8AndSize(v, &n);
  if (!p) throw py::error_already_set();
  return {p, static_cast<size_t>(n)};
}

using Extras = std::vector<std::pair<std::string, std::string>>;

/// A row's keys and values as text, gathered so that the row is framed in one piece; its
/// buffers are reused from row to row.
struct RowTexts {
  struct Pair {
    std::string_view key, value;
    bool same_key;  ///< the key at this position in the previous row: sent as kSameKey
  };
  std::vector<Pair> pairs;
  std::vector<py::object> keep;       ///< texts made here (int keys, float values, ...)
  std::vector<std::string> previous;  ///< the previous row's keys in this batch, by position
};

void write_row(Writer& w, PyObject* d, const Extras& extras, RowTexts& t) {
  t.pairs.clear();
  size_t bytes = 4;
  Py_ssize_t pos = 0;
  PyObject *k, *v;
  while (PyDict_Next(d, &pos, &k, &v)) {
    if (v == Py_None) continue;  // None: the key is left out
    const size_t position = t.pairs.size();
    const std::string_view key = text_of(k, t.keep);  // an int key (0, 1, ...): its text
    const std::string_view value = text_of(v, t.keep);
    if (position >= t.previous.size()) t.previous.resize(position + 1);
    const bool same = t.previous[position] == key;
    if (!same) t.previous[position].assign(key);
    t.pairs.push_back({key, value, same});
    bytes += 8 + (same ? 0 : key.size()) + value.size();
  }
  for (const auto& [key, value] : extras) bytes += 8 + key.size() + value.size();
  char* p = w.grow(bytes);
  auto put = [&p](std::string_view s) {
    const auto n = static_cast<uint32_t>(s.size());
    std::memcpy(p, &n, 4);
    std::memcpy(p + 4, s.data(), s.size());
    p += 4 + s.size();
  };
  const auto n = static_cast<uint32_t>(t.pairs.size() + extras.size());
  std::memcpy(p, &n, 4);
  p += 4;
  for (const auto& pair : t.pairs) {
    if (pair.same_key) {
      std::memcpy(p, &kSameKey, 4);
      p += 4;
    } else {
      put(pair.key);
    }
    put(pair.value);
  }
  for (const auto& [key, value] : extras) {
    put(key);
    put(value);
  }
  t.keep.clear();
}

/// "a str" / "an int": what the handler returned, for the error message.
std::string type_name(const py::handle& v) {
  const std::string n = py::str(py::type::handle_of(v).attr("__name__"));
  return (std::string("aeiou").find(n[0]) != std::string::npos ? "an " : "a ") + n;
}

void answer(Writer& w, const py::object& r, const Extras& extras, RowTexts& t) {
  if (py::isinstance<py::dict>(r)) {
    w.u8(static_cast<uint8_t>(ResultKind::kRows));
    w.u32(1);
    write_row(w, r.ptr(), extras, t);
    return;
  }
  if (py::isinstance<py::list>(r) || py::isinstance<py::tuple>(r)) {
    const py::sequence s = r.cast<py::sequence>();
    if (py::len(s) == 0) {
      w.u8(static_cast<uint8_t>(ResultKind::kDropped));
      return;
    }
    for (const auto& item : s)
      if (!py::isinstance<py::dict>(item)) {
        w.u8(static_cast<uint8_t>(ResultKind::kError));
        w.str("preprocess_handler returned a list holding " + type_name(item) +
              "; it must return a dict, a list of dicts, or [] to drop the record");
        return;
      }
    w.u8(static_cast<uint8_t>(ResultKind::kRows));
    w.u32(static_cast<uint32_t>(py::len(s)));
    for (const auto& item : s) write_row(w, item.ptr(), extras, t);
    return;
  }
  w.u8(static_cast<uint8_t>(ResultKind::kError));
  w.str("preprocess_handler returned " + type_name(r) +
        "; it must return a dict, a list of dicts, or [] to drop the record");
}

int serve(int in_fd, int out_fd, const std::string& path, int mode) {
  py::dict ns;
  ns["__builtins__"] = py::module_::import("builtins");
  py::exec(kPrelude, ns);
  const bool post = mode == 1;
  const py::tuple loaded = ns["load"](path, post ? "postprocess_handler" : "preprocess_handler");
  std::string why = loaded[1].cast<std::string>();
  if (why.empty() && post) why = ns["run_once"](path, loaded[0]).cast<std::string>();
  Writer hello;
  hello.u8(why.empty() ? 1 : 0);
  hello.str(why);
  if (!write_frame(out_fd, hello.buffer()) || post || !why.empty()) return 0;

  // Lines: the handler is called straight from here; captured records go through the prelude,
  // which builds the inference_record.
  const py::object user = loaded[0];
  const bool takes_logger = ns["takes_logger"](user).cast<bool>();
  const py::object logger = ns["logger"];
  const py::object handler = mode == 2 ? ns["wrap"](path, user) : py::object();
  const py::object format_error = ns["format_error"];
  std::string frame;
  Writer out;
  RowTexts texts;
  while (read_frame(in_fd, frame)) {
    Reader in(frame);
    const uint32_t n = in.u32();
    // One buffer for every batch's results, kept at its size: no fresh pages (and page faults)
    // per batch.
    out.clear();
    out.reserve(frame.size() * 5);
    texts.previous.clear();
    for (uint32_t i = 0; i < n; ++i) {
      const std::string_view text = in.str();
      const py::str arg(text.data(), text.size());
      if (mode != 2) {
        // Vectorcall, without pybind11's argument tuple: this call is the hot path.
        PyObject* args[2] = {arg.ptr(), logger.ptr()};
        const py::object r = py::reinterpret_steal<py::object>(
            PyObject_Vectorcall(user.ptr(), args, takes_logger ? 2 : 1, nullptr));
        if (r) {
          answer(out, r, {}, texts);
        } else {
          const py::error_already_set e;
          out.u8(static_cast<uint8_t>(ResultKind::kError));
          out.str(format_error(path, e.type(), e.value(), e.trace()).cast<std::string>());
        }
        continue;
      }
      const py::tuple r = handler(arg);
      if (r[0].cast<int>() != 0) {
        out.u8(static_cast<uint8_t>(ResultKind::kError));
        out.str(r[1].cast<std::string>());
        continue;
      }
      Extras extras;
      for (const auto& [key, index] :
           {std::pair{"__mqmon_ground_truth", 2}, {"__mqmon_event_id", 3}})
        if (!r[index].is_none()) extras.emplace_back(key, text_of(r[index].ptr(), texts.keep));
      answer(out, r[1], extras, texts);
    }
    if (!write_frame(out_fd, out.buffer())) return 1;
  }
  py::module_::import("sys").attr("stdout").attr("flush")();
  return 0;
}

}  // namespace

extern "C" __attribute__((visibility("default"))) int mqmon_script_worker_main(
    int in_fd, int out_fd, const char* script_path, int mode) {
  const bool own = !Py_IsInitialized();
  if (own) Py_InitializeEx(0);  // no signal handlers: mqmon's stay
  int rc = 1;
  {
    py::gil_scoped_acquire gil;
    try {
      rc = serve(in_fd, out_fd, script_path, mode);
      if (mode != 1) {
        // A record worker ends without tearing down its interpreter (its objects, its modules):
        // mqmon waits for it before writing the outputs. Python's and C's streams are flushed.
        py::module_::import("sys").attr("stderr").attr("flush")();
        std::fflush(nullptr);
        ::_exit(rc);
      }
    } catch (const std::exception& e) {
      Writer w;
      w.u8(0);
      w.str(std::string("the script worker failed: ") + e.what());
      write_frame(out_fd, w.buffer());
    }
  }
  return rc;
}
