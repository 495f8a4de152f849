#include "mqmon/metrics/regression.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "mqmon/common/blob.h"
#include "mqmon/common/error.h"

namespace mqmon {

namespace {
constexpr char kMagic[] = "mqmon.regression.v3";
constexpr uint64_t kSampleSalt = 0x73616d706c65ULL;  // "sample"
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// n·Σy² − (Σy)², exactly, scaled by 2^(2·kFracBits).
BigInt scaled_total_sum_of_squares(const RegressionSums& s) {
  return (BigInt::from_u64(s.n) * s.squared_truth.exact()).shifted_limbs(ExactSum::kFracBits / 32) -
         s.truth.exact() * s.truth.exact();
}
}  // namespace

const std::array<const char*, kRegressionScalarCount> kRegressionScalarNames = {"mae", "mse",
                                                                                "rmse", "r2"};

void RegressionSums::merge(const RegressionSums& o) {
  n += o.n;
  abs_error.merge(o.abs_error);
  squared_error.merge(o.squared_error);
  truth.merge(o.truth);
  squared_truth.merge(o.squared_truth);
}

RegressionSums RegressionSums::minus(const RegressionSums& o) const {
  RegressionSums r = *this;
  r.n -= o.n;
  r.abs_error.subtract(o.abs_error);
  r.squared_error.subtract(o.squared_error);
  r.truth.subtract(o.truth);
  r.squared_truth.subtract(o.squared_truth);
  return r;
}

double RegressionSums::truth_variance() const {
  if (n == 0) return kNaN;
  const double nn = static_cast<double>(n);
  return scaled_total_sum_of_squares(*this).to_double(-2 * ExactSum::kFracBits) / nn / nn;
}

std::array<double, kRegressionScalarCount> RegressionSums::metrics() const {
  std::array<double, kRegressionScalarCount> m{};
  if (n == 0) return {kNaN, kNaN, kNaN, kNaN};
  const double nn = static_cast<double>(n);
  m[kMae] = abs_error.value() / nn;
  m[kMse] = squared_error.value() / nn;
  m[kRmse] = std::sqrt(m[kMse]);
  // r2 = 1 - SSE/SST with SST = (n·Σy² − (Σy)²)/n computed exactly: no cancellation even for
  // y ~ 1e9 + noise.
  const BigInt d = scaled_total_sum_of_squares(*this);
  const double sse = squared_error.value();
  if (d.is_zero()) {
    m[kR2] = sse == 0 ? 1.0 : 0.0;
  } else {
    const double sst = d.to_double(-2 * ExactSum::kFracBits) / nn;
    m[kR2] = 1 - sse / sst;
  }
  return m;
}

void RegressionAccumulator::update(const Batch& batch, const BatchOrigin& origin) {
  const size_t n = batch.rows();
  const double* truth = batch.truth_data();
  const double* prediction = batch.prediction_data();
  const uint64_t* keys = nullptr;
  const uint8_t* masks = origin.masks(batch, seed_, &keys);
  for (size_t i = 0; i < n; ++i) {
    const double y = truth[i];
    const double e = prediction[i] - y;
    const double ae = std::fabs(e), e2 = e * e;
    const unsigned mask = masks[i];
    auto add = [&](RegressionSums& s) {
      ++s.n;
      s.abs_error.add(ae);
      s.squared_error.add_square(e);
      s.truth.add(y);
      s.squared_truth.add_square(y);
    };
    add(all_);
    fourth_power_error_.add(e2 * e2);
    for (int k = 0; k < kReplicates; ++k)
      if (!((mask >> k) & 1u)) add(dropped_[k]);
    const uint64_t hash = mix64(seed_ ^ kSampleSalt ^ keys[i]);
    if (sample_.size() < kRegressionSampleRows || hash < sample_.front().hash) offer({hash, ae, y});
  }
}

void RegressionAccumulator::offer(const SampleRow& row) {
  if (sample_.size() == kRegressionSampleRows) {
    if (!(row < sample_.front())) return;
    std::pop_heap(sample_.begin(), sample_.end());
    sample_.back() = row;
  } else {
    sample_.push_back(row);
  }
  std::push_heap(sample_.begin(), sample_.end());
}

void RegressionAccumulator::merge(const Accumulator& other_base) {
  const auto* other = dynamic_cast<const RegressionAccumulator*>(&other_base);
  if (!other) throw ConfigError("cannot merge a regression state with another kind");
  if (other->seed_ != seed_)
    throw ConfigError("cannot merge regression states with different seeds");
  all_.merge(other->all_);
  fourth_power_error_.merge(other->fourth_power_error_);
  for (int k = 0; k < kReplicates; ++k) dropped_[k].merge(other->dropped_[k]);
  for (const SampleRow& row : other->sample_) offer(row);
}

namespace {
void put_sums(std::string& out, const RegressionSums& s) {
  blob::put(out, s.n);
  for (const ExactSum* e : {&s.abs_error, &s.squared_error, &s.truth, &s.squared_truth})
    e->serialize(out);
}
void get_sums(const std::string& in, size_t& pos, RegressionSums& s) {
  s.n = blob::get<uint64_t>(in, pos);
  for (ExactSum* e : {&s.abs_error, &s.squared_error, &s.truth, &s.squared_truth})
    e->deserialize(in, pos);
}
}  // namespace

std::string RegressionAccumulator::serialize() const {
  std::string out(kMagic);
  blob::put(out, seed_);
  put_sums(out, all_);
  fourth_power_error_.serialize(out);
  for (const auto& r : dropped_) put_sums(out, r);
  blob::put(out, static_cast<uint64_t>(sample_.size()));
  for (const SampleRow& row : sample_) {
    blob::put(out, row.hash);
    blob::put(out, row.abs_error);
    blob::put(out, row.truth);
  }
  return out;
}

RegressionAccumulator RegressionAccumulator::deserialize(const std::string& in) {
  const std::string magic(kMagic);
  if (in.compare(0, magic.size(), magic) != 0) throw DataError("not a regression state");
  size_t pos = magic.size();
  RegressionAccumulator acc(blob::get<uint64_t>(in, pos));
  get_sums(in, pos, acc.all_);
  acc.fourth_power_error_.deserialize(in, pos);
  for (auto& r : acc.dropped_) get_sums(in, pos, r);
  const uint64_t rows = blob::get<uint64_t>(in, pos);
  if (rows > kRegressionSampleRows) throw DataError("regression state has too many sample rows");
  for (uint64_t i = 0; i < rows; ++i) {
    SampleRow row;
    row.hash = blob::get<uint64_t>(in, pos);
    row.abs_error = blob::get<double>(in, pos);
    row.truth = blob::get<double>(in, pos);
    acc.offer(row);
  }
  if (pos != in.size()) throw DataError("regression state has trailing bytes");
  return acc;
}

RegressionStatistics RegressionAccumulator::finalize() const {
  RegressionStatistics s;
  s.item_count = all_.n;
  if (s.item_count == 0) throw NoDataError("the dataset has no rows to evaluate");
  const auto values = all_.metrics();
  std::array<std::array<double, kReplicates>, kRegressionScalarCount> rep{};
  for (int k = 0; k < kReplicates; ++k) {
    const auto r = all_.minus(dropped_[k]).metrics();
    for (int m = 0; m < kRegressionScalarCount; ++m) rep[m][k] = r[m];
  }
  for (int m = 0; m < kRegressionScalarCount; ++m)
    s.metrics[m] = with_std(values[m], rep[m], s.item_count);
  const double n = static_cast<double>(s.item_count);
  s.mean_abs_error = values[kMae];
  s.mean_squared_error = values[kMse];
  s.mean_fourth_power_error = fourth_power_error_.value() / n;
  s.truth_variance = all_.truth_variance();
  auto rows = sample_;
  std::sort(rows.begin(), rows.end());
  for (const SampleRow& row : rows) s.sample.emplace_back(row.abs_error, row.truth);
  return s;
}

}  // namespace mqmon
