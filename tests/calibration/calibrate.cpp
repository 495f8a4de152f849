// The window thresholds' promise, measured: baselines AND windows drawn from a known process (a
// fresh sample of the same model on the same population, which is what "healthy" means in
// production), never windows from the baseline's own rows.
//
// For each process, baseline size N and window size n: R baselines go through the real
// accumulators and the real suggestion; each baseline's thresholds are checked against a pool of
// W healthy windows, and the false-alarm rate of each metric (and of "any metric", for the
// execution scope) is averaged over the baselines. Power: the same thresholds against windows of
// a degraded process, next to the thresholds computed from the true process (the healthy pool's
// own quantiles), the best any method can do.
//
//   calibrate [--baselines R] [--regression-baselines R] [--windows W] [--grid N:n,...] [--alpha A]
//   [--replicates B] [--seed S]
//   [--check] [--only NAME]
//
// With --check the exit status is 1 when a rate leaves [alpha/3, 1.5·alpha] or a power falls
// below 80 % of the true process's.

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "mqmon/constraints/suggest.h"
#include "mqmon/metrics/binary.h"
#include "mqmon/metrics/multiclass.h"
#include "mqmon/metrics/regression.h"

using namespace mqmon;

namespace {

struct Args {
  int baselines = 400, regression_baselines = 150, windows = 3000, replicates = 2000;
  uint64_t seed = 1;
  bool check = false;
  std::string only, grid;
  double alpha = 0;
};

/// A window's (or a baseline's) rows: what each problem type needs.
struct Rows {
  std::vector<int> actual, predicted;  // classification
  std::vector<double> score;           // binary
  std::vector<double> truth, prediction;
};

/// A data-generating process; `degraded` selects one of its degradations (0: healthy).
struct Process {
  std::string name;
  std::string kind;  // binary, multiclass, regression
  std::vector<std::string> degradations;
  std::function<Rows(size_t n, int degraded, std::mt19937_64& rng)> draw;
};

double expit(double x) { return 1 / (1 + std::exp(-x)); }

/// Binary: 15 % positives; scores expit(z) with z ~ N(-1.448, 1) for negatives and
/// N(mu, 1.2) for positives; predicted positive at score >= 0.8. False positives are rare:
/// P(z >= logit 0.8) = 0.23 % of negatives. Healthy recall 0.60 (mu = 1.69).
Process binary_process() {
  const double cut = std::log(4.0);  // logit(0.8)
  // recall r <=> mu = cut - 1.2·Φ⁻¹(1 - r)
  auto mu_for = [&](double recall) { return cut + 1.2 * normal_quantile(recall); };
  const std::vector<double> mu = {mu_for(0.60), mu_for(0.40), mu_for(0.52)};
  return {"binary",
          "binary",
          {"recall 0.60 -> 0.40 (down a third)", "recall 0.60 -> 0.52"},
          [=](size_t n, int d, std::mt19937_64& rng) {
            Rows r;
            std::normal_distribution<double> z;
            std::uniform_real_distribution<double> u;
            for (size_t i = 0; i < n; ++i) {
              const bool pos = u(rng) < 0.15;
              const double logit = pos ? mu[d] + 1.2 * z(rng) : -1.448 + z(rng);
              r.actual.push_back(pos);
              r.predicted.push_back(logit >= cut);
              r.score.push_back(expit(logit));
            }
            return r;
          }};
}

/// Multiclass: five classes with priors 50/30/12/5/3 % (the last two seen a handful of times in
/// a baseline of 200); class k predicted right with probability c_k, else another class in
/// proportion to the priors.
Process multiclass_process() {
  const std::vector<double> prior = {0.50, 0.30, 0.12, 0.05, 0.03};
  const std::vector<std::vector<double>> right = {{0.92, 0.85, 0.80, 0.70, 0.60},
                                                  {0.80, 0.70, 0.60, 0.50, 0.40},
                                                  {0.88, 0.80, 0.75, 0.65, 0.55}};
  return {"multiclass",
          "multiclass",
          {"every class's recall down 0.10-0.20", "down 0.04-0.05"},
          [=](size_t n, int d, std::mt19937_64& rng) {
            Rows r;
            std::discrete_distribution<int> cls(prior.begin(), prior.end());
            std::uniform_real_distribution<double> u;
            for (size_t i = 0; i < n; ++i) {
              const int a = cls(rng);
              int p = a;
              if (u(rng) >= right[d][a]) {
                std::vector<double> w = prior;
                w[a] = 0;
                p = std::discrete_distribution<int>(w.begin(), w.end())(rng);
              }
              r.actual.push_back(a);
              r.predicted.push_back(p);
            }
            return r;
          }};
}

/// Regression: truth ~ N(10, 2²), prediction = truth + s·e with e of unit variance, normal or
/// Student t with 5 degrees of freedom (heavy tails, finite fourth moment).
Process regression_process(bool heavy) {
  const std::vector<double> scale = {1.0, 1.3, 1.1};
  return {heavy ? "regression-t5" : "regression-normal",
          "regression",
          {"error scale x1.3", "error scale x1.1"},
          [=](size_t n, int d, std::mt19937_64& rng) {
            Rows r;
            std::normal_distribution<double> z;
            std::student_t_distribution<double> t(5);
            const double t_sd = std::sqrt(5.0 / 3.0);
            for (size_t i = 0; i < n; ++i) {
              const double y = 10 + 2 * z(rng);
              const double e = heavy ? t(rng) / t_sd : z(rng);
              r.truth.push_back(y);
              r.prediction.push_back(y + scale[d] * e);
            }
            return r;
          }};
}

Batch batch_of(const Rows& rows, const std::string& kind) {
  Batch b;
  const size_t n = kind == "regression" ? rows.truth.size() : rows.actual.size();
  for (size_t i = 0; i < n; ++i) {
    if (kind == "regression") {
      b.truth.push_back(rows.truth[i]);
      b.prediction.push_back(rows.prediction[i]);
    } else {
      b.actual.push_back(
          b.labels.intern(std::to_string(rows.actual[i]), i, i, LabelRole::kGroundTruth));
      b.predicted.push_back(
          b.labels.intern(std::to_string(rows.predicted[i]), i, i, LabelRole::kInference));
      if (kind == "binary") b.score.push_back(rows.score[i]);
    }
    b.record.push_back(static_cast<uint32_t>(i));
  }
  b.records = b.lines = n;
  return b;
}

/// The baseline job's statistics, through the real accumulators.
AnyStatistics statistics_of(const Rows& rows, const std::string& kind, uint64_t key) {
  const Batch b = batch_of(rows, kind);
  const BatchOrigin origin{nullptr, key, 0, 1};
  if (kind == "binary") {
    BinaryOptions o;
    o.has_inference = o.has_probability = true;
    BinaryAccumulator acc(o);
    acc.update(b, origin);
    acc.finish_updates();
    return acc.finalize(0, {});
  }
  if (kind == "multiclass") {
    MulticlassAccumulator acc(kDefaultSeed);
    acc.update(b, origin);
    return acc.finalize();
  }
  RegressionAccumulator acc(kDefaultSeed);
  acc.update(b, origin);
  return acc.finalize();
}

/// A window's scalar metrics by name, computed directly (AUC by sorting).
std::map<std::string, double> window_metrics(const Rows& r, const std::string& kind) {
  std::map<std::string, double> out;
  if (kind == "binary") {
    ConfusionCounts c;
    std::vector<std::pair<double, int>> by_score;
    for (size_t i = 0; i < r.actual.size(); ++i) {
      (r.actual[i] ? (r.predicted[i] ? c.tp : c.fn) : (r.predicted[i] ? c.fp : c.tn)) += 1;
      by_score.emplace_back(r.score[i], r.actual[i]);
    }
    std::sort(by_score.begin(), by_score.end());
    double neg_below = 0, pairs = 0;
    for (const auto& [s, pos] : by_score) (pos ? pairs += neg_below : neg_below += 1);
    const double p = static_cast<double>(c.tp + c.fn), q = static_cast<double>(c.tn + c.fp);
    const auto m = binary_scalars(c, p > 0 && q > 0 ? pairs / (p * q) : NAN);
    for (int k = 0; k < kBinaryScalarCount; ++k) out[kBinaryScalarNames[k]] = m[k];
  } else if (kind == "multiclass") {
    SparseConfusion cells;
    for (size_t i = 0; i < r.actual.size(); ++i)
      ++cells[{static_cast<uint32_t>(r.actual[i]), static_cast<uint32_t>(r.predicted[i])}];
    const auto m = multiclass_scalars(cells, 5);
    for (int k = 0; k < kMulticlassScalarCount; ++k) out[kMulticlassScalarNames[k]] = m[k];
  } else {
    double ae = 0, se = 0, sy = 0, sy2 = 0;
    const double n = static_cast<double>(r.truth.size());
    for (size_t i = 0; i < r.truth.size(); ++i) {
      const double e = r.prediction[i] - r.truth[i];
      ae += std::fabs(e);
      se += e * e;
      sy += r.truth[i];
    }
    for (double y : r.truth) sy2 += (y - sy / n) * (y - sy / n);
    out["mae"] = ae / n;
    out["mse"] = se / n;
    out["rmse"] = std::sqrt(se / n);
    out["r2"] = 1 - se / sy2;
  }
  return out;
}

bool violates(const Constraint& c, double v) { return mqmon::violates(c.op, v, c.threshold); }

/// A pool of windows' metrics: metric name -> values.
using Pool = std::map<std::string, std::vector<double>>;

Pool pool_of(const Process& p, size_t n, int degraded, int windows, uint64_t seed) {
  Pool pool;
  std::mt19937_64 rng(seed);
  for (int w = 0; w < windows; ++w)
    for (const auto& [name, v] : window_metrics(p.draw(n, degraded, rng), p.kind))
      pool[name].push_back(v);
  return pool;
}

/// Fraction of the pool's windows violating each constraint, and any of them.
std::map<std::string, double> rates(const std::vector<Constraint>& cs, const Pool& pool) {
  std::map<std::string, double> out;
  const size_t windows = pool.begin()->second.size();
  size_t any = 0;
  for (size_t w = 0; w < windows; ++w) {
    bool hit = false;
    for (const auto& c : cs) {
      const bool v = violates(c, pool.at(c.metric)[w]);
      out[c.metric] += v;
      hit |= v;
    }
    any += hit;
  }
  for (auto& [k, v] : out) v /= static_cast<double>(windows);
  out["any"] = static_cast<double>(any) / static_cast<double>(windows);
  return out;
}

/// The true process's thresholds: each metric's alpha quantile over the healthy pool.
std::vector<Constraint> true_thresholds(const std::vector<Constraint>& like, const Pool& healthy,
                                        double alpha) {
  std::vector<Constraint> out = like;
  for (auto& c : out) {
    auto v = healthy.at(c.metric);
    std::sort(v.begin(), v.end());
    const double q = lower_is_alarm(c.op) ? alpha : 1 - alpha;
    const double h = (static_cast<double>(v.size()) - 1) * q;
    const size_t lo = static_cast<size_t>(h);
    c.threshold =
        v[lo] + (h - static_cast<double>(lo)) * (v[std::min(lo + 1, v.size() - 1)] - v[lo]);
  }
  return out;
}

/// The power of the best threshold of the form "the baseline's value + an offset" that keeps the
/// promise: the offset is the alpha quantile of (window - baseline) over pairs of healthy windows
/// of n rows and healthy baselines of N rows, so it is calibrated by construction; it knows the
/// process's spread but, like any method, only the baseline's estimate of its centre. Its power
/// is what a calibrated method can reach; thresholds that know the true centre (true_thresholds)
/// can do better than any method that has only a baseline.
std::map<std::string, double> two_sample_power(const std::vector<Constraint>& like,
                                               const Pool& healthy, const Pool& baselines,
                                               const Pool& degraded, double alpha) {
  std::map<std::string, double> out;
  for (const auto& c : like) {
    const auto &w = healthy.at(c.metric), &b = baselines.at(c.metric), &d = degraded.at(c.metric);
    std::vector<double> diff;
    auto pairs = [&](const std::vector<double>& x, auto&& f) {
      for (size_t shift = 0; shift < 200; ++shift)
        for (size_t i = 0; i < x.size(); ++i) {
          const double v = x[i] - b[(i * 7 + shift * 13) % b.size()];
          if (!std::isnan(v)) f(v);
        }
    };
    pairs(w, [&](double v) { diff.push_back(v); });
    std::sort(diff.begin(), diff.end());
    const double q = lower_is_alarm(c.op) ? alpha : 1 - alpha;
    const double offset = diff[static_cast<size_t>(q * static_cast<double>(diff.size() - 1))];
    double hits = 0, all = 0;
    pairs(d, [&](double v) {
      hits += mqmon::violates(c.op, v, offset);
      all += 1;
    });
    out[c.metric] = hits / all;
  }
  return out;
}

}  // namespace

/// Cases measured outside the band, with the reason; --check reports them but does not fail on
/// them (docs/constraints.md). Keyed "process N n metric".
const std::map<std::string, std::string> kKnownGaps = {
    // A cell seen 0.4 times per baseline: the window's false positives are counts of 0, 1, 2, 3,
    // and only "alarm from exactly 3 on" lands in the band; the Jeffreys prior puts the alarm at
    // 4 or 5 for most baselines of 200 rows, so these alarms are rarer than promised. Every rule
    // in the band here leaves it at a rate 1.5 times larger (bench/thresholds/limits).
    {"binary 200 200 precision", "rare cell, discrete counts"},
    {"binary 200 200 false_positive_rate", "rare cell, discrete counts"},
    {"binary 200 200 true_negative_rate", "rare cell, discrete counts"},
    {"binary 200 1000 precision", "rare cell, discrete counts"},
    {"binary 200 1000 false_positive_rate", "rare cell, discrete counts"},
    {"binary 200 1000 true_negative_rate", "rare cell, discrete counts"},
    {"binary 200 200 f0_5", "rare cell, discrete counts"},
    {"binary 200 1000 f0_5", "rare cell, discrete counts"},
    {"binary 200 1000 any", "the rare cell's conservative thresholds"},
    // The same allowance on normal errors at 200 rows: the tail index from 14 errors cannot tell
    // normal from Student-t tails, so normal errors get the wider thresholds too (measured
    // 0.0015-0.0035 at alpha 0.01, 0.010-0.015 at 0.05: conservative).
    {"regression-normal 200 200 mse", "tail allowance, 200 rows"},
    {"regression-normal 200 200 rmse", "tail allowance, 200 rows"},
    {"regression-normal 200 200 r2", "tail allowance, 200 rows"},
    {"regression-normal 200 1000 mse", "tail allowance, 200 rows"},
    {"regression-normal 200 1000 rmse", "tail allowance, 200 rows"},
    {"regression-normal 200 1000 r2", "tail allowance, 200 rows"},
    // Heavy tails in 200 rows: the tail index from the top 14 errors is too uncertain; measured
    // at 0.0151-0.0159 for alpha 0.01 (band up to 0.015).
    {"regression-t5 200 200 mse", "heavy tails, 200 rows"},
    {"regression-t5 200 200 rmse", "heavy tails, 200 rows"},
    {"regression-t5 200 200 any", "heavy tails, 200 rows"},
    // Power below 80 % of the true process's: accuracy moves little when recall drops (15 %
    // positives), and the baseline's own uncertainty widens its threshold (the two-sample
    // bound printed beside it; a rule calibrated at every error rate reaches 0.80 of the true
    // process's, bench/thresholds/limits); precision barely moves at all.
    {"binary power accuracy", "small effect, baseline uncertainty"},
    {"binary power precision", "small effect, baseline uncertainty"},
};

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    auto next = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (k == "--baselines")
      a.baselines = std::stoi(next());
    else if (k == "--regression-baselines")
      a.regression_baselines = std::stoi(next());
    else if (k == "--windows")
      a.windows = std::stoi(next());
    else if (k == "--replicates")
      a.replicates = std::stoi(next());
    else if (k == "--seed")
      a.seed = std::stoull(next());
    else if (k == "--check")
      a.check = true;
    else if (k == "--only")
      a.only = next();
    else if (k == "--grid")
      a.grid = next();
    else if (k == "--alpha")
      a.alpha = std::stod(next());
    else {
      fmt::print(stderr, "unknown option {}\n", k);
      return 2;
    }
  }
  const std::vector<Process> processes = {binary_process(), multiclass_process(),
                                          regression_process(false), regression_process(true)};
  std::vector<size_t> baseline_sizes = {200, 2000}, window_sizes = {200, 1000};
  std::vector<double> alphas = {0.01, 0.05};
  if (!a.grid.empty()) {  // "N:n,N:n": these baseline and window sizes, each with each
    baseline_sizes.clear();
    window_sizes.clear();
    for (size_t pos = 0; pos < a.grid.size();) {
      const size_t comma = std::min(a.grid.find(',', pos), a.grid.size());
      const std::string pair = a.grid.substr(pos, comma - pos);
      baseline_sizes.push_back(std::stoul(pair.substr(0, pair.find(':'))));
      window_sizes.push_back(std::stoul(pair.substr(pair.find(':') + 1)));
      pos = comma + 1;
    }
    std::sort(baseline_sizes.begin(), baseline_sizes.end());
    baseline_sizes.erase(std::unique(baseline_sizes.begin(), baseline_sizes.end()),
                         baseline_sizes.end());
    std::sort(window_sizes.begin(), window_sizes.end());
    window_sizes.erase(std::unique(window_sizes.begin(), window_sizes.end()), window_sizes.end());
  }
  if (a.alpha > 0) alphas = {a.alpha};
  int failures = 0, gaps = 0;
  fmt::print("{} windows per pool, {} replicates\n\n", a.windows, a.replicates);
  for (const Process& p : processes) {
    if (!a.only.empty() && p.name != a.only) continue;
    std::map<size_t, Pool> healthy;
    std::map<std::pair<size_t, int>, Pool> degraded;
    // Baselines of 2000 rows' own values, for the two-sample bound on power.
    const Pool baseline_pool = std::count(baseline_sizes.begin(), baseline_sizes.end(), 2000)
                                   ? pool_of(p, 2000, 0, a.windows, a.seed * 6007)
                                   : Pool{};
    for (size_t n : window_sizes) {
      healthy[n] = pool_of(p, n, 0, a.windows, a.seed * 7919 + n);
      for (int d = 1; d <= static_cast<int>(p.degradations.size()); ++d)
        degraded[{n, d}] = pool_of(p, n, d, a.windows, a.seed * 104729 + n * 31 + d);
    }
    const int baselines = p.kind == "regression" ? a.regression_baselines : a.baselines;
    fmt::print("## {} ({} baselines)\n\n", p.name, baselines);
    fmt::print(
        "| N | n | alpha | scope | false-alarm rate per metric (averaged over baselines) | any "
        "|\n");
    fmt::print("|---|---|---|---|---|---|\n");
    for (size_t N : baseline_sizes) {
      // rate[(n, alpha, scope)][metric], power[(alpha, degradation)][metric]
      std::map<std::tuple<size_t, double, int>, std::map<std::string, double>> rate, squares;
      std::map<std::tuple<double, int, int>, std::map<std::string, double>> power;
      std::map<std::tuple<double, int>, std::vector<Constraint>> like;
      std::mt19937_64 rng(a.seed * 1000003 + N);
      for (int b = 0; b < baselines; ++b) {
        const Rows rows = p.draw(N, 0, rng);
        const AnyStatistics stats = statistics_of(rows, p.kind, rng());
        for (size_t n : window_sizes)
          for (double alpha : alphas)
            for (int scope = 0; scope < 2; ++scope) {
              SuggestOptions o;
              o.alpha = alpha;
              o.window_size = n;
              o.replicates = a.replicates;
              o.seed = rng();
              o.scope = scope ? AlphaScope::kExecution : AlphaScope::kMetric;
              const auto cs = suggest_constraints(stats, o);
              for (const auto& [k, v] : rates(cs, healthy[n])) {
                rate[{n, alpha, scope}][k] += v;
                squares[{n, alpha, scope}][k] += v * v;
              }
              if (N == 2000 && n == 1000) {
                like[{alpha, scope}] = cs;
                for (int d = 1; d <= static_cast<int>(p.degradations.size()); ++d)
                  for (const auto& [k, v] : rates(cs, degraded[{n, d}]))
                    power[{alpha, scope, d}][k] += v;
              }
            }
      }
      for (const auto& [key, by_metric] : rate) {
        const auto& [n, alpha, scope] = key;
        std::string cells;
        // The standard error of the average over baselines: the rates of single baselines are
        // skewed (a baseline that came out lucky alarms often), so small runs are noisy.
        auto standard_error = [&](const std::string& metric, double mean) {
          const double b = baselines;
          return std::sqrt(std::max(0.0, squares[key][metric] / b - mean * mean) / b);
        };
        for (const auto& [metric, sum] : by_metric) {
          const double r = sum / baselines;
          const bool counts = metric == "any" ? scope == 1 : scope == 0;
          const bool bad = counts && (r < alpha / 3 || r > 1.5 * alpha);
          const bool known = kKnownGaps.count(fmt::format("{} {} {} {}", p.name, N, n, metric));
          failures += bad && !known;
          gaps += bad && known;
          if (metric != "any")
            cells += fmt::format("{}{} {:.4f} ±{:.4f}{}", cells.empty() ? "" : ", ", metric, r,
                                 standard_error(metric, r), bad ? " **OUT**" : "");
        }
        const double any = by_metric.at("any") / baselines;
        const bool any_bad = scope == 1 && (any < alpha / 3 || any > 1.5 * alpha);
        fmt::print("| {} | {} | {} | {} | {} | {:.4f} ±{:.4f}{} |\n", N, n, alpha,
                   scope ? "execution" : "metric", scope ? std::string("-") : cells, any,
                   standard_error("any", any), any_bad ? " **OUT**" : "");
      }
      if (N != 2000 || !healthy.count(1000)) continue;
      fmt::print(
          "\nPower at N = 2000, n = 1000 (fraction of degraded windows flagged: these "
          "thresholds / the best calibrated baseline + offset / the true process's):\n\n");
      for (const auto& [key, by_metric] : power) {
        const auto& [alpha, scope, d] = key;
        auto best = true_thresholds(like[{alpha, scope}], healthy[1000], alpha);
        auto best_rates = rates(best, degraded[{1000, d}]);
        std::string cells;
        if (scope == 1) {
          // The true joint thresholds: the largest common level with "any" at most alpha on the
          // healthy pool.
          double lo = alpha / static_cast<double>(best.size()), hi = alpha;
          for (int i = 0; i < 40; ++i) {
            const double mid = (lo + hi) / 2;
            (rates(true_thresholds(best, healthy[1000], mid), healthy[1000]).at("any") <= alpha
                 ? lo
                 : hi) = mid;
          }
          best_rates = rates(true_thresholds(best, healthy[1000], lo), degraded[{1000, d}]);
        }
        const auto bound = scope == 1 ? std::map<std::string, double>{}
                                      : two_sample_power(best, healthy[1000], baseline_pool,
                                                         degraded[{1000, d}], alpha);
        for (const auto& [metric, sum] : by_metric) {
          if ((metric == "any") != (scope == 1)) continue;
          const double got = sum / baselines, want = best_rates.at(metric);
          // Only where the degradation moves the metric: a power the true process itself
          // barely has is a false-alarm rate, checked above.
          // Checked on the first degradation (a third of recall, 30 % more error, ...); the
          // second, subtler one is reported: no method that must allow for the baseline's own
          // uncertainty can reach 80 % of thresholds that know the truth there.
          const bool bad = want >= 0.2 && got < 0.8 * want && d == 1;
          const bool known = kKnownGaps.count(fmt::format("{} power {}", p.name, metric));
          failures += bad && !known;
          gaps += bad && known;
          cells += fmt::format("{}{} {:.3f}/{}/{:.3f}{}", cells.empty() ? "" : ", ", metric, got,
                               bound.count(metric) ? fmt::format("{:.3f}", bound.at(metric)) : "-",
                               want, bad ? " **LOW**" : "");
        }
        fmt::print("- alpha {}, {} scope, {}: {}\n", alpha, scope ? "execution" : "metric",
                   p.degradations[d - 1], cells);
      }
      fmt::print("\n");
    }
  }
  fmt::print("{} out of band, {} known gaps (listed in kKnownGaps)\n", failures, gaps);
  return a.check && failures ? 1 : 0;
}
