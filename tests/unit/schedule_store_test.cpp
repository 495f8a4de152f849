#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "mqmon/common/error.h"
#include "mqmon/common/time.h"
#include "mqmon/schedule/sqlite.h"
#include "mqmon/schedule/store.h"

namespace mqmon {
namespace {

namespace fs = std::filesystem;

struct TempDb {
  fs::path dir;
  TempDb() {
    static int n = 0;
    dir = fs::temp_directory_path() /
          ("mqmon_store_test_" + std::to_string(::getpid()) + "_" + std::to_string(n++));
    fs::create_directories(dir);
  }
  ~TempDb() { fs::remove_all(dir); }
  std::string path() const { return (dir / "mqmon.db").string(); }
};

int64_t at(int day, int hour, int minute = 0) { return utc_millis(2024, 5, day, hour, minute); }

JobDefinition definition() {
  JobDefinition d;
  d.capture = "capture";
  d.ground_truth = "gt";
  d.constraints = "c.json";
  d.output = "out";
  d.endpoint_name = "ep";
  d.problem_type = "BinaryClassification";
  d.probability_attribute = "0";
  return d;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(ScheduleStore, DueTimesArePlannedOnceWhoeverPlansThem) {
  TempDb db;
  ScheduleStore a(db.path()), b(db.path());
  a.create_schedule("hourly", "cron(0 * ? * * *)", definition(), at(1, 9, 30));
  EXPECT_EQ(a.plan_due(at(1, 12, 5), CatchUp::kAll, 0), 3u);
  EXPECT_EQ(b.plan_due(at(1, 12, 5), CatchUp::kAll, 0), 0u);  // the cursor moved
  const auto rows = b.list_executions({});
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].scheduled_time, at(1, 10));
  EXPECT_EQ(rows[0].window_start, at(1, 9));
  EXPECT_EQ(rows[0].window_end, at(1, 10));
  EXPECT_EQ(rows[0].output, "out/ep/hourly/2024/05/01/10/");
  EXPECT_EQ(rows[0].status, "Pending");
  // Claims go oldest first, each to one runner.
  const auto first = a.claim_next("host", 1, 60000);
  const auto second = b.claim_next("host", 2, 60000);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->scheduled_time, at(1, 10));
  EXPECT_EQ(second->scheduled_time, at(1, 11));
  EXPECT_EQ(first->status, "InProgress");
}

TEST(ScheduleStore, CatchUpPolicies) {
  TempDb db;
  ScheduleStore s(db.path());
  s.create_schedule("latest", "cron(0 * ? * * *)", definition(), at(1, 0, 30));
  s.create_schedule("none", "cron(0 * ? * * *)", definition(), at(1, 0, 30));
  s.plan_due(at(1, 5, 10), CatchUp::kLatest, 20 * 60 * 1000);
  ExecutionFilter f;
  f.schedule = "latest";
  ASSERT_EQ(s.list_executions(f).size(), 1u);
  EXPECT_EQ(s.list_executions(f)[0].scheduled_time, at(1, 5));
  TempDb db2;
  ScheduleStore n(db2.path());
  n.create_schedule("none", "cron(0 * ? * * *)", definition(), at(1, 0, 30));
  n.plan_due(at(1, 5, 30), CatchUp::kNone, 20 * 60 * 1000);  // 5:00 is 30 minutes late
  EXPECT_TRUE(n.list_executions({}).empty());
  n.plan_due(at(1, 6, 10), CatchUp::kNone, 20 * 60 * 1000);  // 6:00 is on time
  ASSERT_EQ(n.list_executions({}).size(), 1u);
  EXPECT_EQ(n.list_executions({})[0].scheduled_time, at(1, 6));
}

TEST(ScheduleStore, StopPausesAndStartResumesFromThen) {
  TempDb db;
  ScheduleStore s(db.path());
  s.create_schedule("h", "cron(0 * ? * * *)", definition(), at(1, 9, 30));
  s.plan_due(at(1, 10, 5), CatchUp::kAll, 0);
  s.set_status("h", "Stopped", at(1, 10, 6));
  // The Pending execution of a stopped schedule is not run.
  EXPECT_FALSE(s.claim_next("host", 1, 60000));
  EXPECT_EQ(s.list_executions({})[0].status, "Stopped");
  s.plan_due(at(1, 13, 5), CatchUp::kAll, 0);
  EXPECT_EQ(s.list_executions({}).size(), 1u);
  s.set_status("h", "Scheduled", at(1, 13, 30));
  s.plan_due(at(1, 15, 5), CatchUp::kAll, 0);
  const auto rows = s.list_executions({});
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[1].scheduled_time, at(1, 14));
  EXPECT_EQ(rows[2].scheduled_time, at(1, 15));
}

TEST(ScheduleStore, OrphansOfVanishedRunnersBecomeFailed) {
  TempDb db;
  ScheduleStore s(db.path());
  s.create_schedule("h", "cron(0 * ? * * *)", definition(), at(1, 9, 30));
  s.plan_due(at(1, 11, 5), CatchUp::kAll, 0);
  // A process that has exited: its pid is gone.
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ::waitpid(child, nullptr, 0);
  ASSERT_TRUE(s.claim_next("this-host", child, 3600 * 1000));
  ASSERT_TRUE(s.claim_next("other-host", 1, -1));  // a lease that has expired
  const auto orphans = s.resolve_orphans("this-host");
  ASSERT_EQ(orphans.size(), 2u);
  for (const auto& e : s.list_executions({})) {
    EXPECT_EQ(e.status, "Failed");
    EXPECT_NE(e.failure_reason.find("the runner stopped during the execution"), std::string::npos);
  }
  // A live runner's execution is left alone.
  s.plan_due(at(1, 12, 5), CatchUp::kAll, 0);
  ASSERT_TRUE(s.claim_next("this-host", ::getpid(), 3600 * 1000));
  EXPECT_TRUE(s.resolve_orphans("this-host").empty());
}

TEST(ScheduleStore, NamesAreUniqueAndDeleteKeepsTheHistory) {
  TempDb db;
  ScheduleStore s(db.path());
  s.create_schedule("h", "cron(0 * ? * * *)", definition(), at(1, 9, 30));
  EXPECT_THROW(s.create_schedule("h", "cron(0 * ? * * *)", definition(), at(1, 9, 30)),
               ConfigError);
  EXPECT_THROW(s.create_schedule("bad name", "NOW", definition(), at(1, 9, 30)), ConfigError);
  s.plan_due(at(1, 11, 5), CatchUp::kAll, 0);
  EXPECT_TRUE(s.delete_schedule("h", false).empty());
  EXPECT_FALSE(s.find_schedule("h"));
  EXPECT_EQ(s.list_executions({}).size(), 2u);
  try {
    s.get_schedule("hh");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("there is no schedule named 'hh'"), std::string::npos);
  }
  // A new schedule of the same name starts its own history; purge deletes only its own.
  s.create_schedule("h", "cron(0 * ? * * *)", definition(), at(1, 11, 30));
  s.plan_due(at(1, 12, 5), CatchUp::kAll, 0);
  EXPECT_EQ(s.delete_schedule("h", true).size(), 1u);
  EXPECT_EQ(s.list_executions({}).size(), 2u);
}

TEST(ScheduleStore, ANowScheduleRunsOnceAtItsCreation) {
  TempDb db;
  ScheduleStore s(db.path());
  JobDefinition d = definition();
  d.data_analysis_start_time = "-PT3H";
  d.data_analysis_end_time = "-PT1H";
  s.create_schedule("once", "NOW", d, at(1, 9, 30));
  EXPECT_EQ(s.plan_due(at(1, 9, 30), CatchUp::kLatest, 0), 1u);
  EXPECT_EQ(s.plan_due(at(2, 9, 30), CatchUp::kAll, 0), 0u);
  const auto rows = s.list_executions({});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].window_start, at(1, 6, 30));
  EXPECT_EQ(rows[0].window_end, at(1, 8, 30));
}

TEST(ScheduleStore, ADatabaseOfANewerSchemaOrNotSqliteIsRefusedUntouched) {
  TempDb db;
  {
    SqliteDatabase raw(db.path());
    raw.exec("PRAGMA user_version = 99");
  }
  const std::string before = slurp(db.path());
  try {
    ScheduleStore s(db.path());
    FAIL();
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("written by a newer mqmon (schema version 99"),
              std::string::npos)
        << e.what();
  }
  EXPECT_EQ(slurp(db.path()), before);
  EXPECT_FALSE(fs::exists(db.path() + "-wal"));

  const std::string text = (db.dir / "notes.txt").string();
  std::ofstream(text) << "these are my notes, not a database\n";
  try {
    ScheduleStore s(text);
    FAIL();
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("is not an mqmon state database"), std::string::npos);
  }
  EXPECT_EQ(slurp(text), "these are my notes, not a database\n");
}

}  // namespace
}  // namespace mqmon
