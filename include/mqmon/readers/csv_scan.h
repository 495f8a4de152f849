#pragma once
/// The structural index of a CSV block, found with vector instructions (Google Highway, chosen at
/// run time among AVX-512, AVX2, SSE4 and a portable path): where the field and record separators
/// outside quoted fields are, and where the bytes are that the fast path leaves to the scalar
/// reader. As simdjson does for JSON, each 64-byte chunk becomes bitmaps of its quotes, commas,
/// line feeds and carriage returns; the quoted regions are the prefix XOR of the quote bitmap.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace mqmon {

struct CsvIndex {
  /// Offsets of every ',' and '\n' outside quotes, ascending. Quotes are counted as RFC 4180
  /// reads them (a quote opens or closes a quoted region wherever it stands); a record whose quotes
  /// are not well formed is read by the scalar reader, which also says where the index went wrong.
  std::vector<uint32_t> separators;
  /// Offsets of every '"' and of every '\r' not directly before a '\n', ascending: a record holding
  /// one goes to the scalar reader.
  std::vector<uint32_t> specials;
};

/// Indexes [p, p + n) (n < 2^32), which starts outside quotes. Uses the best instruction set of
/// this CPU.
void index_csv(const char* p, size_t n, CsvIndex& index);

/// The same with one byte at a time: the reference the vector paths are tested against.
void index_csv_scalar(const char* p, size_t n, CsvIndex& index);

/// The instruction set index_csv uses on this CPU ("AVX2", "AVX3", "SSE4", "EMU128", ...).
const char* csv_scan_target();

/// The instruction sets compiled in and supported by this CPU (Highway target bits), and a way to
/// make index_csv use only `target` (0: back to the best), for tests.
std::vector<int64_t> csv_scan_targets();
void force_csv_scan_target(int64_t target);
const char* csv_scan_target_name(int64_t target);

}  // namespace mqmon
