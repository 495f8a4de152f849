// The only translation unit that includes sqlite3.h. Every SQLite function is called through a
// table filled by dlsym from libsqlite3.so.0, loaded on first use.
#include "mqmon/schedule/sqlite.h"

#include <dlfcn.h>
#include <fmt/format.h>
#include <sqlite3.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <mutex>
#include <thread>

#include "mqmon/common/error.h"

namespace mqmon {

namespace {

constexpr int kBusyTimeoutMs = 30000;  // how long a connection waits for a lock

struct Api {
#define MQMON_SQLITE_FUNCTIONS(X)                                                                  \
  X(sqlite3_open_v2)                                                                               \
  X(sqlite3_close_v2)                                                                              \
  X(sqlite3_errmsg)                                                                                \
  X(sqlite3_errstr) X(sqlite3_exec) X(sqlite3_free) X(sqlite3_prepare_v2) X(sqlite3_step)          \
      X(sqlite3_reset) X(sqlite3_finalize) X(sqlite3_bind_int64) X(sqlite3_bind_double)            \
          X(sqlite3_bind_text) X(sqlite3_bind_null) X(sqlite3_column_type) X(sqlite3_column_int64) \
              X(sqlite3_column_double) X(sqlite3_column_text) X(sqlite3_column_bytes)              \
                  X(sqlite3_changes) X(sqlite3_last_insert_rowid) X(sqlite3_busy_timeout)
#define MQMON_DECLARE(name) decltype(&::name) name = nullptr;
  MQMON_SQLITE_FUNCTIONS(MQMON_DECLARE)
#undef MQMON_DECLARE
};

const Api& api() {
  static Api a;
  static std::once_flag once;
  static std::string failure;
  std::call_once(once, [] {
    void* lib = ::dlopen("libsqlite3.so.0", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
      failure = fmt::format(
          "schedules need SQLite, which cannot be loaded ({}): install it with apt-get install "
          "libsqlite3-0",
          ::dlerror());
      return;
    }
#define MQMON_LOAD(name)                                                        \
  a.name = reinterpret_cast<decltype(a.name)>(::dlsym(lib, #name));             \
  if (!a.name) {                                                                \
    failure = fmt::format("the SQLite library lacks {}: it is too old", #name); \
    return;                                                                     \
  }
    MQMON_SQLITE_FUNCTIONS(MQMON_LOAD)
#undef MQMON_LOAD
  });
  if (!failure.empty()) throw IoError(failure);
  return a;
}

}  // namespace

SqliteDatabase::SqliteDatabase(const std::string& path) : path_(path) {
  const Api& s = api();
  {
    std::ifstream in(path, std::ios::binary);
    char header[16] = {};
    if (in && in.read(header, sizeof header).gcount() > 0 &&
        std::memcmp(header, "SQLite format 3", 16) != 0)
      throw IoError(fmt::format(
          "{} is not an mqmon state database (not an SQLite file); it was left untouched: give "
          "another --state path",
          path));
  }
  const int rc =
      s.sqlite3_open_v2(path.c_str(), &db_,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    const std::string message = db_ ? s.sqlite3_errmsg(db_) : s.sqlite3_errstr(rc);
    if (db_) s.sqlite3_close_v2(db_);
    db_ = nullptr;
    throw IoError(fmt::format("cannot open the state database {}: {}", path, message));
  }
  s.sqlite3_busy_timeout(db_, kBusyTimeoutMs);
}

SqliteDatabase::~SqliteDatabase() {
  if (db_) api().sqlite3_close_v2(db_);
}

void SqliteDatabase::fail(int code, std::string_view what) const {
  const std::string message = api().sqlite3_errmsg(db_);
  if (code == SQLITE_NOTADB)
    throw IoError(fmt::format("{} is not an mqmon state database ({})", path_, message));
  throw IoError(fmt::format("state database {}: {}: {}", path_, what, message));
}

void SqliteDatabase::exec(const char* sql) {
  char* err = nullptr;
  const int rc = api().sqlite3_exec(db_, sql, nullptr, nullptr, &err);
  if (err) api().sqlite3_free(err);
  if (rc != SQLITE_OK) fail(rc, sql);
}

void SqliteDatabase::exec_when_free(const char* sql) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(kBusyTimeoutMs);
  for (;;) {
    const int rc = api().sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
    if (rc == SQLITE_OK) return;
    if ((rc != SQLITE_BUSY && rc != SQLITE_LOCKED) || std::chrono::steady_clock::now() > deadline)
      fail(rc, sql);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void SqliteDatabase::exec_noexcept(const char* sql) noexcept {
  api().sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
}

SqliteStatement SqliteDatabase::prepare(const char* sql) {
  sqlite3_stmt* stmt = nullptr;
  const int rc = api().sqlite3_prepare_v2(db_, sql, -1, &stmt, nullptr);
  if (rc != SQLITE_OK) fail(rc, sql);
  return SqliteStatement(this, stmt);
}

int64_t SqliteDatabase::changes() const { return api().sqlite3_changes(db_); }
int64_t SqliteDatabase::last_insert_rowid() const { return api().sqlite3_last_insert_rowid(db_); }

SqliteStatement::SqliteStatement(SqliteStatement&& other) noexcept
    : db_(other.db_), stmt_(other.stmt_) {
  other.stmt_ = nullptr;
}

SqliteStatement::~SqliteStatement() {
  if (stmt_) api().sqlite3_finalize(stmt_);
}

SqliteStatement& SqliteStatement::bind(int i, int64_t v) {
  if (int rc = api().sqlite3_bind_int64(stmt_, i, v)) db_->fail(rc, "bind");
  return *this;
}

SqliteStatement& SqliteStatement::bind(int i, double v) {
  if (std::isnan(v)) return bind_null(i);
  if (int rc = api().sqlite3_bind_double(stmt_, i, v)) db_->fail(rc, "bind");
  return *this;
}

SqliteStatement& SqliteStatement::bind(int i, std::string_view v) {
  if (int rc =
          api().sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT))
    db_->fail(rc, "bind");
  return *this;
}

SqliteStatement& SqliteStatement::bind_null(int i) {
  if (int rc = api().sqlite3_bind_null(stmt_, i)) db_->fail(rc, "bind");
  return *this;
}

bool SqliteStatement::step() {
  const int rc = api().sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  db_->fail(rc, "step");
}

void SqliteStatement::run() {
  while (step()) {
  }
}

void SqliteStatement::reset() { api().sqlite3_reset(stmt_); }

bool SqliteStatement::is_null(int col) const {
  return api().sqlite3_column_type(stmt_, col) == SQLITE_NULL;
}

int64_t SqliteStatement::integer(int col) const { return api().sqlite3_column_int64(stmt_, col); }

double SqliteStatement::real(int col) const {
  return is_null(col) ? std::nan("") : api().sqlite3_column_double(stmt_, col);
}

std::string SqliteStatement::text(int col) const {
  const auto* p = api().sqlite3_column_text(stmt_, col);
  return p ? std::string(reinterpret_cast<const char*>(p),
                         static_cast<size_t>(api().sqlite3_column_bytes(stmt_, col)))
           : std::string();
}

std::optional<int64_t> SqliteStatement::optional_integer(int col) const {
  if (is_null(col)) return std::nullopt;
  return integer(col);
}

}  // namespace mqmon
