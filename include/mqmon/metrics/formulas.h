#pragma once
/// The elementary formulas shared by the classification metrics.

namespace mqmon {

/// num / den, or 0.0 when den is 0 (a ratio with a zero denominator is 0.0, as the
/// service's Spark code computes it).
inline double ratio(double num, double den) { return den == 0 ? 0.0 : num / den; }

/// F-beta = (1 + b²)·P·R / (b²·P + R), 0.0 when the denominator is 0.
inline double fbeta(double precision, double recall, double beta) {
  const double b2 = beta * beta;
  const double den = b2 * precision + recall;
  return den == 0 ? 0.0 : (1 + b2) * precision * recall / den;
}

}  // namespace mqmon
