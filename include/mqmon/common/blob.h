#pragma once
/// Little helpers for the accumulators' binary state format (native byte order: states move
/// between processes of one build, e.g. MPI ranks, not between architectures).

#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>

#include "mqmon/common/error.h"

namespace mqmon::blob {

template <typename T>
void put(std::string& out, const T& v) {
  static_assert(std::is_trivially_copyable_v<T>);
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}
inline void put_string(std::string& out, const std::string& s) {
  put<uint64_t>(out, s.size());
  out += s;
}

template <typename T>
T get(const std::string& in, size_t& pos) {
  T v;
  if (in.size() < pos || in.size() - pos < sizeof v)
    throw DataError("accumulator state is truncated");
  std::memcpy(&v, in.data() + pos, sizeof v);
  pos += sizeof v;
  return v;
}
/// LEB128: 7 bits per byte, low first (small counts take one byte).
inline void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}
inline uint64_t get_varint(const std::string& in, size_t& pos) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (pos >= in.size()) throw DataError("accumulator state is truncated");
    const auto b = static_cast<unsigned char>(in[pos++]);
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return v;
  }
  throw DataError("accumulator state is corrupt (a number longer than 64 bits)");
}

inline std::string get_string(const std::string& in, size_t& pos) {
  const auto n = get<uint64_t>(in, pos);
  if (in.size() - pos < n) throw DataError("accumulator state is truncated");
  std::string s = in.substr(pos, n);
  pos += n;
  return s;
}

}  // namespace mqmon::blob
