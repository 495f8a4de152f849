#pragma once
/// A small RAII layer over SQLite for the schedule store. libsqlite3 is loaded with dlopen the
/// first time a database is opened, so runs that use no schedule never map it (the mqmon binary
/// and the Python module do not link it).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

struct sqlite3;
struct sqlite3_stmt;

namespace mqmon {

class SqliteStatement;

/// One connection. Errors are IoError naming the database file and SQLite's message.
class SqliteDatabase {
 public:
  /// Opens (creating) `path`. A file that exists and does not start with SQLite's header is
  /// refused before SQLite touches it.
  explicit SqliteDatabase(const std::string& path);
  ~SqliteDatabase();
  SqliteDatabase(const SqliteDatabase&) = delete;
  SqliteDatabase& operator=(const SqliteDatabase&) = delete;

  void exec(const char* sql);
  /// exec, retrying while the database is busy for up to the busy timeout: for statements
  /// SQLite answers SQLITE_BUSY without calling its busy handler (a journal-mode change while
  /// another connection opens or recovers the write-ahead log).
  void exec_when_free(const char* sql);
  SqliteStatement prepare(const char* sql);
  int64_t changes() const;
  int64_t last_insert_rowid() const;
  const std::string& path() const { return path_; }

  /// Runs `f` inside BEGIN IMMEDIATE ... COMMIT (ROLLBACK when it throws): writers are serialized
  /// by SQLite's lock, waiting up to the busy timeout.
  template <typename F>
  auto transaction(F&& f) {
    exec("BEGIN IMMEDIATE");
    try {
      if constexpr (std::is_void_v<decltype(f())>) {
        f();
        exec("COMMIT");
      } else {
        auto r = f();
        exec("COMMIT");
        return r;
      }
    } catch (...) {
      exec_noexcept("ROLLBACK");
      throw;
    }
  }

 private:
  friend class SqliteStatement;
  [[noreturn]] void fail(int code, std::string_view what) const;
  void exec_noexcept(const char* sql) noexcept;

  std::string path_;
  sqlite3* db_ = nullptr;
};

/// A prepared statement; bind() takes 1-based indices, column() 0-based ones.
class SqliteStatement {
 public:
  SqliteStatement(SqliteStatement&& other) noexcept;
  ~SqliteStatement();

  SqliteStatement& bind(int i, int64_t v);
  SqliteStatement& bind(int i, double v);  ///< NaN is stored as NULL
  SqliteStatement& bind(int i, std::string_view v);
  SqliteStatement& bind(int i, const char* v) { return bind(i, std::string_view(v)); }
  SqliteStatement& bind(int i, const std::string& v) { return bind(i, std::string_view(v)); }
  SqliteStatement& bind_null(int i);
  SqliteStatement& bind(int i, const std::optional<int64_t>& v) {
    return v ? bind(i, *v) : bind_null(i);
  }
  /// Advances to the next row; false when done.
  bool step();
  /// Runs a statement that returns no rows.
  void run();
  void reset();

  bool is_null(int col) const;
  int64_t integer(int col) const;
  double real(int col) const;  ///< NULL reads as NaN
  std::string text(int col) const;
  std::optional<int64_t> optional_integer(int col) const;

 private:
  friend class SqliteDatabase;
  SqliteStatement(const SqliteDatabase* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  const SqliteDatabase* db_;
  sqlite3_stmt* stmt_;
};

}  // namespace mqmon
