#pragma once
/// Reading constraints.json (written by mqmon, by the service or by hand) and checking a
/// monitoring window's statistics against it.

#include <optional>
#include <string>
#include <vector>

#include "mqmon/constraints/suggest.h"
#include "mqmon/jobs/evaluate.h"

namespace mqmon {

/// A constraints file. `window` is set when the file carries mqmon's window information, so the
/// thresholds can be recomputed at the size of the window being checked.
struct ConstraintSet {
  ProblemType problem_type = ProblemType::kBinaryClassification;
  std::vector<Constraint> constraints;
  struct Window {
    SuggestOptions options;  ///< method, alpha, window size, replicates, seed
    /// The baseline quantities, as statistics the suggestion functions take.
    AnyStatistics baseline;
  };
  std::optional<Window> window;
};

/// The operator named `s` (LessThanThreshold, ...); ConfigError naming `where` and the nearest
/// name otherwise.
ComparisonOperator parse_comparison_operator(const std::string& s, const std::string& where);

/// Parses constraints.json (numbers in any JSON notation). Throws ConfigError naming the file and
/// the offending member, IoError when it cannot be read.
ConstraintSet read_constraints(const std::string& path);
/// ... and a ConfigError when they are constraints of another problem type than `expected`.
ConstraintSet read_constraints(const std::string& path, ProblemType expected);

struct Violation {
  std::string metric_name;
  std::string constraint_check_type;
  std::string description;
};

struct CheckOptions {
  bool report_undefined = true;  ///< a constrained metric undefined on the window is a violation
};

/// The constraints as they apply to a window of `rows` rows: thresholds the window method made and
/// nobody edited are recomputed at that size; the others are kept as written.
std::vector<Constraint> thresholds_for_window(const ConstraintSet& set, uint64_t rows);

/// Checks the evaluation against the constraints. Throws ConfigError when a constraint names a
/// metric the problem type does not have or the problem types differ.
std::vector<Violation> check_constraints(const std::vector<Constraint>& constraints,
                                         ProblemType problem, const Evaluation& evaluation,
                                         const CheckOptions& options);

/// constraint_violations.json.
std::string write_violations(const std::vector<Violation>& violations);

}  // namespace mqmon
