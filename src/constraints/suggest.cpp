#include "mqmon/constraints/suggest.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <functional>
#include <random>
#include <thread>
#include <type_traits>
#include <variant>

#include "mqmon/common/closest_name.h"
#include "mqmon/common/error.h"
#include "mqmon/output/json_writer.h"

namespace mqmon {

const char* operator_name(ComparisonOperator op) {
  switch (op) {
    case ComparisonOperator::kLessThan:
      return "LessThanThreshold";
    case ComparisonOperator::kLessThanOrEqualTo:
      return "LessThanOrEqualToThreshold";
    case ComparisonOperator::kGreaterThan:
      return "GreaterThanThreshold";
    case ComparisonOperator::kGreaterThanOrEqualTo:
      return "GreaterThanOrEqualToThreshold";
  }
  return "?";
}

bool lower_is_alarm(ComparisonOperator op) {
  return op == ComparisonOperator::kLessThan || op == ComparisonOperator::kLessThanOrEqualTo;
}

bool violates(ComparisonOperator op, double value, double threshold) {
  switch (op) {
    case ComparisonOperator::kLessThan:
      return value < threshold;
    case ComparisonOperator::kLessThanOrEqualTo:
      return value <= threshold;
    case ComparisonOperator::kGreaterThan:
      return value > threshold;
    case ComparisonOperator::kGreaterThanOrEqualTo:
      return value >= threshold;
  }
  return false;
}

ThresholdMethod parse_threshold_method(const std::string& text) {
  if (text == "window") return ThresholdMethod::kWindow;
  if (text == "baseline") return ThresholdMethod::kBaseline;
  throw ConfigError(not_one_of("threshold method", text, {"window", "baseline"}));
}

AlphaScope parse_alpha_scope(const std::string& text) {
  if (text == "metric") return AlphaScope::kMetric;
  if (text == "execution") return AlphaScope::kExecution;
  throw ConfigError(not_one_of("alpha scope", text, {"metric", "execution"}));
}

const char* scope_name(AlphaScope s) { return s == AlphaScope::kMetric ? "metric" : "execution"; }

const char* method_name(ThresholdMethod m) {
  return m == ThresholdMethod::kWindow ? "window" : "baseline";
}

namespace {
double normal_cdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }
}  // namespace

double normal_quantile(double p) {
  if (p <= 0) return -INFINITY;
  if (p >= 1) return INFINITY;
  // P. J. Acklam, "An algorithm for computing the inverse normal cumulative distribution function".
  static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,  -2.759285104469687e+02,
                             1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
  static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                             6.680131188771972e+01, -1.328068155288572e+01};
  static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                             -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
  static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                             3.754408661907416e+00};
  constexpr double kLow = 0.02425;
  double x;
  if (p < kLow) {
    const double q = std::sqrt(-2 * std::log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p <= 1 - kLow) {
    const double q = p - 0.5, r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  } else {
    const double q = std::sqrt(-2 * std::log(1 - p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  // One Halley step against the exact CDF.
  const double e = normal_cdf(x) - p;
  const double u = e * std::sqrt(2 * M_PI) * std::exp(x * x / 2);
  return x - u / (1 + x * u / 2);
}

namespace {

struct ConstrainedMetric {
  BinaryScalar metric;
  ComparisonOperator op;
};
constexpr ConstrainedMetric kBinaryConstrained[] = {
    {kRecall, ComparisonOperator::kLessThan},
    {kPrecision, ComparisonOperator::kLessThan},
    {kAccuracy, ComparisonOperator::kLessThan},
    {kTruePositiveRate, ComparisonOperator::kLessThan},
    {kTrueNegativeRate, ComparisonOperator::kLessThan},
    {kFalsePositiveRate, ComparisonOperator::kGreaterThan},
    {kFalseNegativeRate, ComparisonOperator::kGreaterThan},
    {kAuc, ComparisonOperator::kLessThan},
    {kF0_5, ComparisonOperator::kLessThan},
    {kF1, ComparisonOperator::kLessThan},
    {kF2, ComparisonOperator::kLessThan},
};
constexpr MulticlassScalar kMulticlassConstrained[] = {
    kMcAccuracy, kWeightedRecall, kWeightedPrecision, kWeightedF0_5, kWeightedF1, kWeightedF2};

/// The Dirichlet prior of each cell of a confusion matrix over `labels` labels.
double prior_per_cell(size_t labels) {
  return kDirichletPriorMass / static_cast<double>(labels * labels);
}

/// Pseudo-rows of each class in the AUC's prior.
constexpr double kAucPriorRows = 0.2;

/// Type-7 (linear interpolation) quantile of sorted values, as numpy's default.
double quantile_sorted(const std::vector<double>& v, double q) {
  const double h = (static_cast<double>(v.size()) - 1) * q;
  const size_t lo = static_cast<size_t>(std::floor(h));
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (h - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

double uniform01(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }
size_t uniform_index(std::mt19937_64& rng, size_t n) {
  return static_cast<size_t>((static_cast<uint128>(rng()) * n) >> 64);
}
/// Gamma(shape)/shape at the standard normal deviate z, by Wilson & Hilferty's cube
/// (1 - c + z·√c)³ with c = 1/(9·shape); 0 where the cube's base goes negative.
double gamma_ratio_quantile(double shape, double z) {
  const double c = 1 / (9 * shape), base = 1 - c + z * std::sqrt(c);
  return base > 0 ? base * base * base : 0.0;
}

double standard_normal(std::mt19937_64& rng) {
  std::normal_distribution<double> normal;
  return normal(rng);
}

/// One draw of n rows from a multinomial over cells with the given proportions (sequential
/// conditional binomials; std::binomial_distribution is deterministic for a given libstdc++).
void multinomial_draw(const std::vector<double>& p, uint64_t n, std::mt19937_64& rng,
                      std::vector<uint64_t>& cells) {
  cells.assign(p.size(), 0);
  int64_t remaining = static_cast<int64_t>(n);
  double rest = 1.0;
  for (size_t k = 0; k + 1 < p.size() && remaining > 0; ++k) {
    const double pk = rest > 0 ? std::clamp(p[k] / rest, 0.0, 1.0) : 0.0;
    std::binomial_distribution<int64_t> binom(remaining, pk);
    const int64_t x = binom(rng);
    cells[k] = static_cast<uint64_t>(x);
    remaining -= x;
    rest -= p[k];
  }
  if (!cells.empty()) cells.back() += static_cast<uint64_t>(remaining);
}

/// Proportions drawn from the Dirichlet with the given parameters (normalized gamma variates).
void dirichlet_draw(const std::vector<double>& a, std::mt19937_64& rng, std::vector<double>& p) {
  p.resize(a.size());
  double total = 0;
  for (size_t k = 0; k < a.size(); ++k) {
    if (a[k] == 1) {
      p[k] = -std::log1p(-uniform01(rng));  // Gamma(1) = Exponential(1)
    } else if (a[k] > 0) {
      p[k] = std::gamma_distribution<double>(a[k])(rng);
    } else {
      p[k] = 0;  // no empty cells to lump together
    }
    total += p[k];
  }
  for (double& x : p) x /= total;
}

/// The window's counts over the cells of a confusion matrix drawn from the posterior predictive:
/// cell probabilities from Dirichlet(counts + prior), then n rows. The cells the baseline never
/// saw share one Dirichlet component (their prior mass together), and the rows that land there are
/// spread over them by a Pólya urn with the per-cell prior as weights, which is the same law as
/// drawing every empty cell on its own at a cost independent of their number.
class ConfusionPredictive {
 public:
  /// `seen`: the baseline's non-zero counts; `empty_cells`: how many cells it never saw.
  ConfusionPredictive(const std::vector<uint64_t>& seen, uint64_t empty_cells, double per_cell)
      : empty_(empty_cells), per_cell_(per_cell) {
    for (uint64_t c : seen) a_.push_back(static_cast<double>(c) + per_cell);
    a_.push_back(static_cast<double>(empty_cells) * per_cell);  // the empty cells together
  }
  /// One window of n rows: counts[k] for the seen cells; `empty`, (cell number among the empty
  /// ones, count) for the empty cells that got rows.
  std::vector<uint64_t> counts;
  std::vector<std::pair<uint64_t, uint64_t>> empty;
  void draw(uint64_t n, std::mt19937_64& rng) {
    dirichlet_draw(a_, rng, p_);
    multinomial_draw(p_, n, rng, counts);
    const uint64_t in_empty = counts.back();
    counts.pop_back();
    empty.clear();
    for (uint64_t k = 0; k < in_empty; ++k) {
      // Urn: a new empty cell with probability (cells · prior) / (that + rows placed so far).
      const double fresh = static_cast<double>(empty_) * per_cell_;
      if (uniform01(rng) * (fresh + static_cast<double>(k)) < fresh) {
        empty.emplace_back(uniform_index(rng, empty_), 1);
      } else {
        uint64_t pick = uniform_index(rng, k);  // one of the k rows placed, by its cell
        for (auto& [cell, count] : empty) {
          if (pick < count) {
            ++count;
            break;
          }
          pick -= count;
        }
      }
    }
  }

 private:
  std::vector<double> a_, p_;
  uint64_t empty_;
  double per_cell_;
};

/// Calls draw(rng, b) for every replicate b, on every core: the replicates are cut into chunks
/// of 64, each with its own generator seeded by (seed, chunk), so the draws do not depend on the
/// number of threads. draw must only write what belongs to replicate b. `make_state` gives each
/// thread its scratch space.
template <typename MakeState, typename Draw>
void for_each_replicate(int replicates, uint64_t seed, MakeState&& make_state, Draw&& draw) {
  constexpr int kChunk = 64;
  const int chunks = (replicates + kChunk - 1) / kChunk;
  std::atomic<int> next{0};
  auto work = [&] {
    auto state = make_state();
    for (int c; (c = next++) < chunks;) {
      std::mt19937_64 rng(mix64(seed ^ 0x636f6e737472ULL) + static_cast<uint64_t>(c));
      for (int b = c * kChunk; b < std::min(replicates, (c + 1) * kChunk); ++b) draw(state, rng, b);
    }
  };
  const unsigned threads =
      std::min<unsigned>(std::max(1u, std::thread::hardware_concurrency()), chunks);
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
}

void validate(const SuggestOptions& o) {
  if (!(o.alpha > 0 && o.alpha < 0.5)) throw ConfigError("--alpha must be in (0, 0.5)");
  if (o.replicates < 10) throw ConfigError("the number of replicates must be at least 10");
}

/// One constrained metric of the window method: its joint draws (a column of `Draws`), and
/// optionally a closed formula giving its threshold at a tail probability instead of the draws'
/// quantile.
struct Planned {
  const char* name;
  ComparisonOperator op;
  double value;  // the baseline's
  std::string method;
  std::function<double(double level)> formula;  // empty: the draws' quantile
  bool bounded = true;                          // a rate in [0, 1]
};

/// Replicate-major draws: row b holds every planned metric of replicate b.
struct Draws {
  size_t metrics = 0;
  std::vector<double> values;
  double at(int b, size_t m) const { return values[static_cast<size_t>(b) * metrics + m]; }
};

/// Thresholds of the planned metrics: each at tail probability alpha (metric scope), or all at
/// the one level that gives a healthy window probability alpha of violating any of them
/// (execution scope), found from the joint draws.
std::vector<Constraint> choose(const std::vector<Planned>& plan, const Draws& draws,
                               const SuggestOptions& o) {
  const int replicates = o.replicates;
  std::vector<std::vector<double>> sorted(plan.size());
  if (draws.metrics)
    for (size_t m = 0; m < plan.size(); ++m) {
      for (int b = 0; b < replicates; ++b) sorted[m].push_back(draws.at(b, m));
      std::sort(sorted[m].begin(), sorted[m].end());
    }
  auto from_draws = [&](size_t m, double level) {
    return quantile_sorted(sorted[m], lower_is_alarm(plan[m].op) ? level : 1 - level);
  };
  double level = o.alpha;
  if (o.scope == AlphaScope::kExecution && plan.size() > 1) {
    // The share of replicates violating any threshold grows with the level: bisect for the
    // largest level whose share is at most alpha (between alpha/metrics, the union bound, and
    // alpha).
    auto any_share = [&](double l) {
      std::vector<double> t(plan.size());
      for (size_t m = 0; m < plan.size(); ++m) t[m] = from_draws(m, l);
      int violating = 0;
      for (int b = 0; b < replicates; ++b)
        for (size_t m = 0; m < plan.size(); ++m) {
          if (violates(plan[m].op, draws.at(b, m), t[m])) {
            ++violating;
            break;
          }
        }
      return static_cast<double>(violating) / replicates;
    };
    double lo = o.alpha / static_cast<double>(plan.size()), hi = o.alpha;
    if (any_share(hi) > o.alpha) {
      for (int i = 0; i < 40; ++i) {
        const double mid = (lo + hi) / 2;
        (any_share(mid) <= o.alpha ? lo : hi) = mid;
      }
      level = lo;
    }
  }
  std::vector<Constraint> out;
  for (size_t m = 0; m < plan.size(); ++m) {
    double t = plan[m].formula ? plan[m].formula(level) : from_draws(m, level);
    if (plan[m].bounded) t = std::clamp(t, 0.0, 1.0);
    out.push_back({plan[m].name, t, plan[m].op, plan[m].method, level});
  }
  return out;
}

std::vector<Constraint> baseline_values(const std::vector<Planned>& plan) {
  std::vector<Constraint> out;
  for (const auto& p : plan) out.push_back({p.name, p.value, p.op, "baseline", 0});
  return out;
}

uint64_t window_of(const SuggestOptions& o, uint64_t item_count) {
  return o.window_size ? o.window_size : item_count;
}

/// The AUC of a window of n rows from a model consistent with the baseline, as the baseline's AUC
/// plus the pivot (window's AUC - baseline's AUC). Each AUC's misordered share 1 - AUC is a gamma
/// variable about its mean (skewed the way small windows are; its 1 % quantile matches a
/// simulated window's to 1e-3), with DeLong's variance: the window's at the expected 1/n_pos and
/// 1/n_neg of a window with the baseline's prevalence, the baseline's at its own class sizes. The
/// baseline's part enters negated: a baseline that ranked unusually well makes the window look
/// worse. Both are scaled by √(df/χ²_df), the allowance for a variance estimated from the
/// baseline's placements, whose degrees of freedom come from the placements' kurtosis
/// (Satterthwaite's combination of the two classes). The pivot's quantiles are those of a fixed
/// sample of 2^14 draws.
struct AucPredictive {
  double auc = NAN;
  std::vector<double> pivot;  // sorted
  AucPredictive(const BinaryStatistics& s, uint64_t n_window, uint64_t seed) {
    const double a = s.metrics[kAuc].value;
    const double pos = static_cast<double>(s.counts.tp + s.counts.fn);
    const double neg = static_cast<double>(s.counts.tn + s.counts.fp);
    if (std::isnan(a) || pos == 0 || neg == 0) return;
    // The prior: kAucPriorRows pseudo-positives and pseudo-negatives whose placements are uniform
    // on [0, 1] (a Dirichlet-process prior on each class's placements, centred on a useless
    // score), so a small baseline that ranked (almost) every pair right does not promise a window
    // that will.
    const double m = kAucPriorRows;
    auc = (a * pos * neg + m * (pos + neg + m) / 2) / ((pos + m) * (neg + m));
    // Each class's placements with the prior's: central moments 2, 3, 4 about `auc`.
    const double d = a - auc;
    auto uniform = [&](int k) {  // E[(U - auc)^k], U uniform on [0, 1]
      return (std::pow(1 - auc, k + 1) - std::pow(-auc, k + 1)) / (k + 1);
    };
    struct ClassPlacements {
      double m2, m4, rows;
    };
    auto with_prior = [&](double v, double t, double f, double rows) {
      const double w = rows / (rows + m);
      return ClassPlacements{
          w * (v + d * d) + (1 - w) * uniform(2),
          w * (f + 4 * d * t + 6 * d * d * v + d * d * d * d) + (1 - w) * uniform(4), rows + m};
    };
    const ClassPlacements p10 =
        with_prior(s.auc_placement_variance_positives, s.auc_placement_third_moment_positives,
                   s.auc_placement_fourth_moment_positives, pos);
    const ClassPlacements p01 =
        with_prior(s.auc_placement_variance_negatives, s.auc_placement_third_moment_negatives,
                   s.auc_placement_fourth_moment_negatives, neg);
    const double n = static_cast<double>(n_window);
    const double pi = pos / (pos + neg);
    // E[1/X] for X ~ Binomial(n, p), to second order.
    auto inverse = [&](double p) { return 1 / (n * p) * (1 + (1 - p) / (n * p)); };
    const double var_window = p10.m2 * inverse(pi) + p01.m2 * inverse(1 - pi);
    const double var_baseline = p10.m2 / p10.rows + p01.m2 / p01.rows;
    // A variance estimated from rows with kurtosis k has 2·rows/(k - 1) degrees of freedom.
    auto df_of = [](const ClassPlacements& x) {
      const double k = x.m2 > 0 ? x.m4 / (x.m2 * x.m2) : 0;
      return k > 1 ? 2 * x.rows / (k - 1) : INFINITY;
    };
    const double c10 = p10.m2 * (inverse(pi) + 1 / p10.rows);
    const double c01 = p01.m2 * (inverse(1 - pi) + 1 / p01.rows);
    const double df = std::clamp(
        (c10 + c01) * (c10 + c01) / (c10 * c10 / df_of(p10) + c01 * c01 / df_of(p01)), 5.0, 1e6);
    const double miss = 1 - auc;
    const double k_window = miss * miss / var_window, k_baseline = miss * miss / var_baseline;
    std::mt19937_64 rng(seed ^ 0x617563ULL);
    std::gamma_distribution<double> window(k_window, 1 / k_window),
        baseline(k_baseline, 1 / k_baseline), chi2(df / 2, 2 / df);
    pivot.resize(1 << 14);
    for (double& x : pivot) x = miss * (baseline(rng) - window(rng)) / std::sqrt(chi2(rng));
    std::sort(pivot.begin(), pivot.end());
  }
  /// The value at standard normal deviate z.
  double at(double z) const {
    if (pivot.empty()) return auc;
    return std::clamp(auc + quantile_sorted(pivot, normal_cdf(z)), 0.0, 1.0);
  }
};

}  // namespace

std::vector<Constraint> suggest_binary_constraints(const BinaryStatistics& stats,
                                                   const SuggestOptions& o) {
  validate(o);
  std::vector<Planned> plan;
  const uint64_t n = window_of(o, stats.item_count);
  const AucPredictive auc(stats, n, o.seed);
  for (const auto& [metric, op] : kBinaryConstrained) {
    const double value = stats.metrics[metric].value;
    if (std::isnan(value)) continue;
    Planned p{kBinaryScalarNames[metric], op, value, "dirichlet_multinomial", {}};
    if (metric == kAuc) {
      p.method = "delong_gamma_pivot";
      p.formula = [auc](double level) { return auc.at(normal_quantile(level)); };
    }
    plan.push_back(std::move(p));
  }
  if (o.method == ThresholdMethod::kBaseline) return baseline_values(plan);
  // Confusion cells drawn from their posterior (Jeffreys' 1/2 per cell), then the window's rows.
  const auto& c = stats.counts;
  const std::array<uint64_t, 4> cells = {c.tn, c.fp, c.fn, c.tp};
  std::vector<uint64_t> seen;
  std::vector<int> seen_cell;
  for (int k = 0; k < 4; ++k)
    if (cells[k]) {
      seen.push_back(cells[k]);
      seen_cell.push_back(k);
    }
  const uint64_t empty = 4 - seen.size();
  const double per_cell = prior_per_cell(2);
  Draws draws{plan.size(), std::vector<double>(plan.size() * static_cast<size_t>(o.replicates))};
  std::vector<int> empty_cell;
  for (int k = 0; k < 4; ++k)
    if (!cells[k]) empty_cell.push_back(k);
  for_each_replicate(
      o.replicates, o.seed, [&] { return ConfusionPredictive(seen, empty, per_cell); },
      [&](ConfusionPredictive& s, std::mt19937_64& rng, int b) {
        s.draw(n, rng);
        std::array<uint64_t, 4> d{};
        for (size_t k = 0; k < s.counts.size(); ++k) d[seen_cell[k]] = s.counts[k];
        for (const auto& [cell, count] : s.empty) d[empty_cell[cell]] += count;
        // The AUC's deviate is drawn on its own: independent of the confusion cells, which makes
        // the execution scope's level slightly conservative for it.
        const double z = standard_normal(rng);
        const auto m = binary_scalars({d[0], d[1], d[2], d[3]}, auc.at(z));
        size_t j = 0;
        for (const auto& [metric, op] : kBinaryConstrained) {
          if (std::isnan(stats.metrics[metric].value)) continue;
          draws.values[static_cast<size_t>(b) * plan.size() + j++] = m[metric];
        }
      });
  return choose(plan, draws, o);
}

std::vector<Constraint> suggest_multiclass_constraints(const MulticlassStatistics& stats,
                                                       const SuggestOptions& o) {
  validate(o);
  std::vector<Planned> plan;
  for (MulticlassScalar k : kMulticlassConstrained)
    plan.push_back({kMulticlassScalarNames[k],
                    ComparisonOperator::kLessThan,
                    stats.metrics[k].value,
                    "dirichlet_multinomial",
                    {}});
  if (o.method == ThresholdMethod::kBaseline) return baseline_values(plan);
  const uint64_t n = window_of(o, stats.item_count);
  const uint64_t labels = stats.labels.size();
  std::vector<std::pair<uint32_t, uint32_t>> cells;
  std::vector<uint64_t> counts;
  for (const auto& [cell, count] : stats.confusion) {
    cells.push_back(cell);
    counts.push_back(count);
  }
  const uint64_t empty = labels * labels - cells.size();
  const double per_cell = prior_per_cell(labels);
  // The k-th empty cell, in row-major order of the label indices.
  auto empty_cell = [&](uint64_t k) {
    size_t i = 0;
    for (uint64_t flat = 0;; ++flat) {
      const std::pair<uint32_t, uint32_t> cell{static_cast<uint32_t>(flat / labels),
                                               static_cast<uint32_t>(flat % labels)};
      if (i < cells.size() && cells[i] == cell) {
        ++i;
      } else if (k-- == 0) {
        return cell;
      }
    }
  };
  Draws draws{plan.size(), std::vector<double>(plan.size() * static_cast<size_t>(o.replicates))};
  for_each_replicate(
      o.replicates, o.seed, [&] { return ConfusionPredictive(counts, empty, per_cell); },
      [&](ConfusionPredictive& s, std::mt19937_64& rng, int b) {
        s.draw(n, rng);
        SparseConfusion draw;
        for (size_t i = 0; i < cells.size(); ++i)
          if (s.counts[i]) draw[cells[i]] = s.counts[i];
        for (const auto& [k, count] : s.empty) draw[empty_cell(k)] += count;
        const auto m = multiclass_scalars(draw, labels);
        for (size_t j = 0; j < plan.size(); ++j)
          draws.values[static_cast<size_t>(b) * plan.size() + j] = m[kMulticlassConstrained[j]];
      });
  return choose(plan, draws, o);
}

namespace {

/// Mean and central moments 2..4 of values.
struct Moments {
  double mean = 0, m2 = 0, m3 = 0, m4 = 0;
  template <typename Get>
  static Moments of(size_t n, Get&& get) {
    Moments r;
    for (size_t i = 0; i < n; ++i) r.mean += get(i);
    r.mean /= static_cast<double>(n);
    for (size_t i = 0; i < n; ++i) {
      const double d = get(i) - r.mean, d2 = d * d;
      r.m2 += d2;
      r.m3 += d2 * d;
      r.m4 += d2 * d2;
    }
    r.m2 /= static_cast<double>(n);
    r.m3 /= static_cast<double>(n);
    r.m4 /= static_cast<double>(n);
    return r;
  }
};

/// How far the Cornish-Fisher expansion (skewness and kurtosis terms) moves the tail-`level`
/// quantile of a mean of a window of n rows, drawn from a model consistent with N baseline rows
/// (the Bayesian bootstrap's posterior spread plus the window's own), from the normal one: the
/// cumulants of such a mean, for per-row central moments m2..m4, are
///   κ2 = m2(1/n + 1/N), κ3 = m3(1/n² + 2/N²), κ4 = (m4 - 3m2²)/n³ + 6 m4/N³.
double cornish_fisher_shift(const Moments& x, double n, double N, double z) {
  const double k2 = x.m2 * (1 / n + 1 / N);
  if (!(k2 > 0)) return 0;
  const double k3 = x.m3 * (1 / (n * n) + 2 / (N * N));
  const double k4 = (x.m4 - 3 * x.m2 * x.m2) / (n * n * n) + 6 * x.m4 / (N * N * N);
  const double g = k3 / std::pow(k2, 1.5), k = k4 / (k2 * k2);
  const double dz =
      (z * z - 1) * g / 6 + (z * z * z - 3 * z) * k / 24 - (2 * z * z * z - 5 * z) * g * g / 36;
  return std::fabs(dz) * std::sqrt(k2);
}

/// Student's t quantile at the normal quantile z and df degrees of freedom (the Cornish-Fisher
/// expansion in 1/df, Abramowitz & Stegun 26.7.5; within 1e-4 of the exact value from 5 df on).
double t_quantile(double z, double df) {
  if (!std::isfinite(df)) return z;
  const double z2 = z * z, z3 = z2 * z, z5 = z3 * z2, z7 = z5 * z2, z9 = z7 * z2;
  const double g1 = (z3 + z) / 4, g2 = (5 * z5 + 16 * z3 + 3 * z) / 96,
               g3 = (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / 384,
               g4 = (79 * z9 + 776 * z7 + 1482 * z5 - 1920 * z3 - 945 * z) / 92160;
  return z + g1 / df + g2 / (df * df) + g3 / (df * df * df) + g4 / (df * df * df * df);
}

/// The effective degrees of freedom of a spread estimated from N rows of a quantity with
/// kurtosis k (Satterthwaite: Var(s²)/σ⁴ ≈ (k - 1)/N), at least 5.
double spread_df(const Moments& x, double N) {
  const double k = x.m2 > 0 ? x.m4 / (x.m2 * x.m2) : 0;
  return k > 1 ? std::max(5.0, 2 * N / (k - 1)) : INFINITY;
}

/// The largest errors as a Pareto tail: the S sampled |e| sorted, their top k = max(10, √S)
/// replaced by a Pareto tail above u = the (k+1)-th largest, whose index is Hill's estimate taken
/// at its lower kTailIndexQuantile quantile given k (Hill's k/Σlog is alpha·k/Gamma(k), so a few
/// large errors of a small sample do not promise a light tail) and at least kMinTailIndex (the
/// errors' fourth moment is assumed finite). A sample's own variance misses the rare large errors
/// a heavy-tailed model makes; this one extrapolates them.
constexpr double kMinTailIndex = 4.5, kTailIndexQuantile = 0.22;

class ParetoTail {
 public:
  explicit ParetoTail(std::vector<double> abs_errors) : sorted_(std::move(abs_errors)) {
    const size_t S = sorted_.size();
    k_ = std::max<size_t>(10, static_cast<size_t>(std::sqrt(static_cast<double>(S))));
    if (S < 2 * k_) return;
    std::sort(sorted_.begin(), sorted_.end(), std::greater<>());
    u_ = sorted_[k_];
    if (!(u_ > 0)) return;
    double hill = 0;
    for (size_t i = 0; i < k_; ++i) hill += std::log(sorted_[i] / u_);
    const double k = static_cast<double>(k_);
    index_ = std::max(kMinTailIndex,
                      k / hill * gamma_ratio_quantile(k, normal_quantile(kTailIndexQuantile)));
  }
  /// The variance of |e|^p (p = 1 or 2) with the tail; 0 when the sample is too small to fit one.
  double variance(int p) const {
    if (index_ == 0) return 0;
    double m1 = 0, m2 = 0;  // of |e|^p
    for (size_t i = k_; i < sorted_.size(); ++i) {
      const double x = p == 1 ? sorted_[i] : sorted_[i] * sorted_[i];
      m1 += x;
      m2 += x * x;
    }
    const double up = p == 1 ? u_ : u_ * u_, k = static_cast<double>(k_);
    m1 += k * up * index_ / (index_ - p);
    m2 += k * up * up * index_ / (index_ - 2 * p);
    const double S = static_cast<double>(sorted_.size());
    return m2 / S - (m1 / S) * (m1 / S);
  }

 private:
  std::vector<double> sorted_;
  size_t k_ = 0;
  double u_ = 0, index_ = 0;  // index_ 0: no tail fitted
};

/// df/χ²(df) for the standard normal deviate z (χ²(df)/df is Gamma(df/2)/(df/2)): the factor
/// by which a replicate's variance is scaled so that its spread carries the uncertainty of the
/// estimate (1000 far in the tail, where the cube is below 0.1).
double inverse_chi2_factor(double df, double z) {
  if (!std::isfinite(df)) return 1;
  const double ratio = gamma_ratio_quantile(df / 2, z);
  return ratio > 0.1 ? 1 / ratio : 1000;
}

}  // namespace

std::vector<Constraint> suggest_regression_constraints(const RegressionStatistics& s,
                                                       const SuggestOptions& o) {
  validate(o);
  std::vector<Planned> plan;
  for (int m = 0; m < kRegressionScalarCount; ++m)
    plan.push_back({kRegressionScalarNames[m],
                    m == kR2 ? ComparisonOperator::kLessThan : ComparisonOperator::kGreaterThan,
                    s.metrics[m].value,
                    "bayesian_bootstrap",
                    {},
                    false});
  if (o.method == ThresholdMethod::kBaseline) return baseline_values(plan);
  const auto& rows = s.sample;
  if (rows.empty()) throw ConfigError("the regression statistics carry no sample of rows");
  const double n = static_cast<double>(window_of(o, s.item_count));
  const double N = static_cast<double>(s.item_count);
  const size_t S = rows.size();

  // Per-row quantities of the sample: |e|, e², and the truth about the sample's mean.
  const Moments abs_e = Moments::of(S, [&](size_t i) { return rows[i].first; });
  const Moments sq_e = Moments::of(S, [&](size_t i) { return rows[i].first * rows[i].first; });
  const Moments y = Moments::of(S, [&](size_t i) { return rows[i].second; });
  const Moments dy2 = Moments::of(S, [&](size_t i) {
    const double d = rows[i].second - y.mean;
    return d * d;
  });
  // All rows' exact values; the sample gives the shapes, in units of its own means.
  const double m1 = s.mean_abs_error, m2 = s.mean_squared_error, var_y = s.truth_variance;
  auto relative = [](Moments x) {
    if (x.mean > 0) {
      x.m2 /= x.mean * x.mean;
      x.m3 /= x.mean * x.mean * x.mean;
      x.m4 /= x.mean * x.mean * x.mean * x.mean;
      x.mean = 1;
    }
    return x;
  };

  // The cheaper formula: normal quantiles with the pivot's spread, cv·√(1/n + 1/N) in units of
  // the baseline's value, used where the sample's skewness and kurtosis move the quantile by at
  // most 1e-3 of it (judged at the smallest level the execution scope can choose, so the choice
  // holds for both scopes).
  const double f = 1 / n + 1 / N;
  const double z_min = normal_quantile(1 - o.alpha / static_cast<double>(kRegressionScalarCount));
  auto shift = [&](const Moments& x) {  // in units of the mean
    return o.cheaper_formula && n >= 30 && N >= 30 ? cornish_fisher_shift(relative(x), n, N, z_min)
                                                   : INFINITY;
  };
  // The sample's spreads are estimates: their uncertainty is carried as Student's t would carry
  // it, with the effective degrees of freedom of each spread.
  const double df_abs = spread_df(abs_e, N), df_sq = spread_df(sq_e, N);
  const double df_y = spread_df(dy2, N);
  // All rows' exact spreads of |e| and e² where the sample is a subsample.
  const bool subsample = s.item_count > S;
  double cv1 = subsample && m1 > 0 ? std::sqrt(std::max(0.0, m2 - m1 * m1)) / m1
                                   : std::sqrt(relative(abs_e).m2);
  double cv2 = subsample && m2 > 0
                   ? std::sqrt(std::max(0.0, s.mean_fourth_power_error - m2 * m2)) / m2
                   : std::sqrt(relative(sq_e).m2);
  std::vector<double> abs_errors;
  for (const auto& r : rows) abs_errors.push_back(r.first);
  const ParetoTail tail(std::move(abs_errors));
  auto tail_widening = [&](const Moments& x, int p) {
    return x.m2 > 0 ? std::sqrt(std::max(1.0, tail.variance(p) / x.m2)) : 1.0;
  };
  const double tail_abs = tail_widening(abs_e, 1), tail_sq = tail_widening(sq_e, 2);
  const double widen_abs =
      tail_abs * (subsample && abs_e.m2 > 0 ? cv1 / std::sqrt(relative(abs_e).m2) : 1);
  const double widen_sq =
      tail_sq * (subsample && sq_e.m2 > 0 ? cv2 / std::sqrt(relative(sq_e).m2) : 1);
  cv1 *= tail_abs;
  cv2 *= tail_sq;
  const double shift_sq = shift(sq_e);
  if (shift(abs_e) <= 1e-3) {
    plan[kMae].method = "normal";
    plan[kMae].formula = [=](double level) {
      return m1 * (1 + t_quantile(normal_quantile(1 - level), df_abs) * cv1 * std::sqrt(f));
    };
  }
  if (shift_sq <= 1e-3) {
    plan[kMse].method = plan[kRmse].method = "normal";
    plan[kMse].formula = [=](double level) {
      return m2 * (1 + t_quantile(normal_quantile(1 - level), df_sq) * cv2 * std::sqrt(f));
    };
    plan[kRmse].formula = [=](double level) {
      return std::sqrt(std::max(
          0.0, m2 * (1 + t_quantile(normal_quantile(1 - level), df_sq) * cv2 * std::sqrt(f))));
    };
  }
  if (!(var_y > 0)) {
    plan[kR2].method = "baseline";  // a constant truth: r2 is 1 or 0, kept as the baseline's
    plan[kR2].formula = [v = s.metrics[kR2].value](double) { return v; };
  } else if (plan[kMse].formula && (m2 / var_y) * (shift_sq + shift(dy2)) <= 1e-3) {
    // r2 = 1 - mse/var(y) by the delta method, with the sample's relative covariance of e² and
    // (y - ȳ)².
    double cov = 0;
    for (size_t i = 0; i < S; ++i) {
      const double d = rows[i].second - y.mean;
      cov += (rows[i].first * rows[i].first / sq_e.mean - 1) * (d * d / dy2.mean - 1);
    }
    cov /= static_cast<double>(S);
    const double var_r2 =
        (m2 / var_y) * (m2 / var_y) * (cv2 * cv2 + relative(dy2).m2 - 2 * cov) * f;
    plan[kR2].method = "normal";
    plan[kR2].formula = [r2 = s.metrics[kR2].value, sd = std::sqrt(std::max(0.0, var_r2)),
                         df = std::min(df_sq, df_y)](double level) {
      return r2 - t_quantile(normal_quantile(1 - level), df) * sd;
    };
  }
  const bool need_draws =
      o.scope == AlphaScope::kExecution ||
      std::any_of(plan.begin(), plan.end(), [](const Planned& p) { return !p.formula; });
  Draws draws;
  if (need_draws) {
    draws = {plan.size(), std::vector<double>(plan.size() * static_cast<size_t>(o.replicates))};
    const uint64_t n_rows = window_of(o, s.item_count);
    // The scale pivot. A window's mean of a per-row quantity (|e|, e², (y - ȳ)²) is the
    // baseline's mean times (window mean / true mean) / (baseline mean / true mean). The first
    // ratio's law is the window's resampled from the baseline's rows; the second's, the Bayesian
    // bootstrap's law of the true mean over the baseline's mean: Dirichlet(N/S, ..., N/S)
    // weights on the S sample rows, each standing for N/S baseline rows. Both are scale-free, so
    // a baseline that came out low gets the wider threshold it needs (for normal errors the mse
    // pivot is the exact F ratio).
    // The window's rows one by one up to 20·S of them; beyond, independent Poisson(n/S) counts of
    // the S rows, the window's means taken as ratios to the counts' total: the multinomial's law
    // to O(1/n), at O(S) cost with one distribution object per thread.
    const bool iid = n_rows <= 20 * S;
    const double share = static_cast<double>(n_rows) / static_cast<double>(S);
    const double weight = N / static_cast<double>(S);  // baseline rows per sample row
    struct Scratch {
      std::gamma_distribution<double> gamma;
      std::poisson_distribution<int64_t> poisson;
    };
    for_each_replicate(
        o.replicates, o.seed ^ 0x72656772ULL,
        [&] {
          return Scratch{std::gamma_distribution<double>(weight),
                         std::poisson_distribution<int64_t>(iid ? 1.0 : share)};
        },
        [&](Scratch& sc, std::mt19937_64& rng, int b) {
          struct Sums {
            double abs = 0, sq = 0, y = 0, y2 = 0, total = 0;
            void add(const std::pair<double, double>& row, double centre, double times) {
              const double d = row.second - centre;
              abs += times * row.first;
              sq += times * row.first * row.first;
              y += times * d;
              y2 += times * d * d;
              total += times;
            }
            double var_y() const { return std::max(0.0, y2 / total - (y / total) * (y / total)); }
          } posterior, window;
          // Dirichlet(N/S, ..., N/S) weights as normalized gamma variates (exponential for 1).
          for (size_t i = 0; i < S; ++i)
            posterior.add(rows[i], y.mean,
                          weight == 1 ? -std::log1p(-uniform01(rng)) : sc.gamma(rng));
          if (iid) {
            for (uint64_t k = 0; k < n_rows; ++k)
              window.add(rows[uniform_index(rng, S)], y.mean, 1);
          } else {
            for (size_t i = 0; i < S; ++i)
              if (const int64_t c = sc.poisson(rng))
                window.add(rows[i], y.mean, static_cast<double>(c));
          }
          if (!(window.total > 0)) window.total = 1;  // no row drawn: every sum is 0
          auto pivot = [](double baseline, double in_window, double in_posterior) {
            return in_posterior > 0 ? baseline * in_window / in_posterior : 0.0;
          };
          // One deviate scales every spread of the replicate (they are estimated together).
          const double z = standard_normal(rng);
          auto spread = [&](double centre, double value, double df, double widen) {
            return centre + (value - centre) * widen * std::sqrt(inverse_chi2_factor(df, z));
          };
          const double mae =
              spread(m1, pivot(m1, window.abs / window.total, posterior.abs / posterior.total),
                     df_abs, widen_abs);
          const double mse = std::max(
              0.0, spread(m2, pivot(m2, window.sq / window.total, posterior.sq / posterior.total),
                          df_sq, widen_sq));
          const double vy = std::max(
              0.0, spread(var_y, pivot(var_y, window.var_y(), posterior.var_y()), df_y, 1));
          double* row = &draws.values[static_cast<size_t>(b) * plan.size()];
          row[kMae] = mae;
          row[kMse] = mse;
          row[kRmse] = std::sqrt(mse);
          row[kR2] = vy > 0 ? 1 - mse / vy : (mse == 0 ? 1.0 : 0.0);
        });
  }
  auto out = choose(plan, draws, o);
  out[kR2].threshold = std::min(out[kR2].threshold, 1.0);
  return out;
}

namespace {

/// constraints.json: the constraints, then (unless strict) the "mqmon" block whose "baseline"
/// member `baseline` writes.
template <typename BaselineWriter>
std::string write_constraints(const char* block, const std::vector<Constraint>& constraints,
                              const SuggestOptions& o, uint64_t item_count, double prior_per_cell,
                              BaselineWriter&& baseline) {
  JsonWriter w;
  w.begin_object();
  w.key("version").value(0.0);
  w.key(block).begin_object();
  for (const auto& c : constraints) {
    w.key(c.metric).begin_object();
    w.key("threshold").value(c.threshold);
    w.key("comparison_operator").value(operator_name(c.op));
    w.end_object();
  }
  w.end_object();
  if (!o.strict_layout) {
    // What a monitor run needs to recompute every threshold at the size of the window it checks.
    w.key("mqmon").begin_object();
    w.key("threshold_method").value(method_name(o.method));
    w.key("alpha").value(o.alpha);
    w.key("alpha_scope").value(scope_name(o.scope));
    w.key("window_size").value(o.window_size ? o.window_size : item_count);
    w.key("replicates").value(static_cast<int64_t>(o.replicates));
    w.key("seed").value(o.seed);
    if (prior_per_cell > 0) {
      w.key("prior").begin_object();
      w.key("confusion_cells").value("dirichlet");
      w.key("per_cell").value(prior_per_cell);
      w.end_object();
    }
    if (o.method == ThresholdMethod::kWindow) {
      // How each threshold was made at window_size, and at which tail probability.
      w.key("thresholds").begin_object();
      for (const auto& c : constraints) {
        w.key(c.metric).begin_object();
        w.key("method").value(c.method);
        w.key("level").value(c.level);
        w.end_object();
      }
      w.end_object();
    }
    w.key("baseline").begin_object();
    w.key("item_count").value(item_count);
    baseline(w);
    w.end_object();
    w.end_object();
  }
  w.end_object();
  return w.finish();
}

}  // namespace

std::string write_binary_constraints(const std::vector<Constraint>& constraints,
                                     const BinaryStatistics& stats, const SuggestOptions& o) {
  return write_constraints(
      "binary_classification_constraints", constraints, o, stats.item_count, prior_per_cell(2),
      [&](JsonWriter& w) {
        const auto& c = stats.counts;
        w.key("confusion_counts").begin_object();
        w.key("true_negatives").value(c.tn);
        w.key("false_positives").value(c.fp);
        w.key("false_negatives").value(c.fn);
        w.key("true_positives").value(c.tp);
        w.end_object();
        w.key("auc").value(stats.metrics[kAuc].value);
        w.key("prevalence")
            .value(static_cast<double>(c.tp + c.fn) / static_cast<double>(c.total()));
        for (const auto& m : kAucPlacementMoments) {
          w.key(m.key).begin_object();
          w.key("positives").value(stats.*m.positives);
          w.key("negatives").value(stats.*m.negatives);
          w.end_object();
        }
      });
}

std::string write_multiclass_constraints(const std::vector<Constraint>& constraints,
                                         const MulticlassStatistics& stats,
                                         const SuggestOptions& o) {
  return write_constraints("multiclass_classification_constraints", constraints, o,
                           stats.item_count, prior_per_cell(stats.labels.size()),
                           [&](JsonWriter& w) {
                             // The non-zero cells: confusion_counts[actual][predicted].
                             w.key("confusion_counts").begin_object();
                             uint32_t row = UINT32_MAX;
                             for (const auto& [cell, count] : stats.confusion) {
                               if (cell.first != row) {
                                 if (row != UINT32_MAX) w.end_object();
                                 row = cell.first;
                                 w.key(stats.labels[row]).begin_object();
                               }
                               w.key(stats.labels[cell.second]).value(count);
                             }
                             if (row != UINT32_MAX) w.end_object();
                             w.end_object();
                           });
}

std::string write_regression_constraints(const std::vector<Constraint>& constraints,
                                         const RegressionStatistics& s, const SuggestOptions& o) {
  return write_constraints("regression_constraints", constraints, o, s.item_count, 0,
                           [&](JsonWriter& w) {
                             w.key("mean_absolute_error").value(s.mean_abs_error);
                             w.key("mean_squared_error").value(s.mean_squared_error);
                             w.key("mean_fourth_power_error").value(s.mean_fourth_power_error);
                             w.key("truth_variance").value(s.truth_variance);
                             // The sample the Bayesian bootstrap draws from.
                             w.key("sample").begin_object();
                             w.key("absolute_error").begin_array();
                             for (const auto& r : s.sample) w.value(r.first);
                             w.end_array();
                             w.key("truth").begin_array();
                             for (const auto& r : s.sample) w.value(r.second);
                             w.end_array();
                             w.end_object();
                           });
}

std::vector<Constraint> suggest_constraints(const AnyStatistics& stats, const SuggestOptions& o) {
  return std::visit(
      [&](const auto& s) {
        using S = std::decay_t<decltype(s)>;
        if constexpr (std::is_same_v<S, BinaryStatistics>)
          return suggest_binary_constraints(s, o);
        else if constexpr (std::is_same_v<S, MulticlassStatistics>)
          return suggest_multiclass_constraints(s, o);
        else
          return suggest_regression_constraints(s, o);
      },
      stats);
}

std::string write_constraints(const AnyStatistics& stats,
                              const std::vector<Constraint>& constraints, const SuggestOptions& o) {
  return std::visit(
      [&](const auto& s) {
        using S = std::decay_t<decltype(s)>;
        if constexpr (std::is_same_v<S, BinaryStatistics>)
          return write_binary_constraints(constraints, s, o);
        else if constexpr (std::is_same_v<S, MulticlassStatistics>)
          return write_multiclass_constraints(constraints, s, o);
        else
          return write_regression_constraints(constraints, s, o);
      },
      stats);
}

}  // namespace mqmon
