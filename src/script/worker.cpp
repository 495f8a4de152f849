// libmqmon_script.so: the embedded-Python side of record_preprocessor_script and
// post_analytics_processor_script. Loaded only by script worker processes (never by mqmon's own
// process): in the CLI a forked child loads libpython and this library; from the Python module, a
// fresh interpreter loads it with ctypes. The only translation unit that includes Python.h.
#include <pybind11/eval.h>
#include <pybind11/pybind11.h>

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
    """The traceback from the user's script on (mqmon's own frames left out)."""
    etype, value, tb = sys.exc_info()
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

def wrap(path, handler, capture):
    """A function of the record's text: (0, result[, truth, id]) or (1, traceback)."""
    try:
        takes_logger = len(inspect.signature(handler).parameters) >= 2
    except (TypeError, ValueError):
        takes_logger = False
    call = (lambda r: handler(r, logger)) if takes_logger else handler
    if not capture:
        def line(text):
            try:
                return 0, call(text)
            except Exception:
                return 1, _error_text(path)
        return line
    def record(text):
        # The record's merged label and id travel with the rows (__mqmon_ keys).
        try:
            r = InferenceRecord(json.loads(text))
            truth = r.ground_truth.data if r.ground_truth is not None else None
            return 0, call(r), truth, r.event_metadata.event_id
        except Exception:
            return 1, _error_text(path)
    return record
)PY";

/// The text of a returned value, or false for None (the key is left out).
bool value_text(const py::handle& v, std::string& out) {
  if (v.is_none()) return false;
  if (PyBool_Check(v.ptr())) {
    out = v.ptr() == Py_True ? "true" : "false";
  } else if (PyFloat_Check(v.ptr())) {
    out = py::repr(v);
  } else if (PyUnicode_Check(v.ptr())) {
    out = v.cast<std::string>();
  } else {
    out = py::str(v);
  }
  return true;
}

using Extras = std::vector<std::pair<std::string, std::string>>;

void write_row(Writer& w, const py::dict& d, const Extras& extras) {
  std::vector<std::pair<std::string, std::string>> row;
  std::string value;
  for (const auto& [k, v] : d)
    if (value_text(v, value)) row.emplace_back(py::str(k), value);  // None: the key is left out
  w.u32(static_cast<uint32_t>(row.size() + extras.size()));
  for (const auto& [k, v] : row) {
    w.str(k);
    w.str(v);
  }
  for (const auto& [k, v] : extras) {
    w.str(k);
    w.str(v);
  }
}

/// "a str" / "an int": what the handler returned, for the error message.
std::string type_name(const py::handle& v) {
  const std::string n = py::str(py::type::handle_of(v).attr("__name__"));
  return (std::string("aeiou").find(n[0]) != std::string::npos ? "an " : "a ") + n;
}

void answer(Writer& w, const py::object& r, const Extras& extras) {
  if (py::isinstance<py::dict>(r)) {
    w.u8(static_cast<uint8_t>(ResultKind::kRows));
    w.u32(1);
    write_row(w, r.cast<py::dict>(), extras);
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
    for (const auto& item : s) write_row(w, item.cast<py::dict>(), extras);
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

  const py::object handler = ns["wrap"](path, loaded[0], mode == 2);
  std::string frame;
  while (read_frame(in_fd, frame)) {
    Reader in(frame);
    const uint32_t n = in.u32();
    Writer out;
    for (uint32_t i = 0; i < n; ++i) {
      const std::string_view text = in.str();
      const py::tuple r = handler(py::str(text.data(), text.size()));
      if (r[0].cast<int>() != 0) {
        out.u8(static_cast<uint8_t>(ResultKind::kError));
        out.str(r[1].cast<std::string>());
        continue;
      }
      Extras extras;
      std::string v;
      if (mode == 2) {
        if (value_text(r[2], v)) extras.emplace_back("__mqmon_ground_truth", v);
        if (value_text(r[3], v)) extras.emplace_back("__mqmon_event_id", v);
      }
      answer(out, r[1], extras);
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
    } catch (const std::exception& e) {
      Writer w;
      w.u8(0);
      w.str(std::string("the script worker failed: ") + e.what());
      write_frame(out_fd, w.buffer());
    }
  }
  return rc;
}
