#include "mqmon/output/json_writer.h"

#include <gtest/gtest.h>

#include <cmath>

namespace mqmon {

TEST(JsonWriter, WritesTheServiceLayout) {
  JsonWriter w;
  w.begin_object();
  w.key("version").value(0.0);
  w.key("m").begin_object();
  w.key("value").value(0.3333333333333333);
  w.key("standard_deviation").value(std::nan(""));
  w.end_object();
  w.key("curve").value(std::vector<double>{0.0, 0.25, 1.0});
  w.key("empty").value(std::vector<double>{});
  w.key("obj").begin_object().end_object();
  w.key("count").value(uint64_t{627});
  w.key("tiny").value(1.234e-5);
  w.key("text").value("a \"q\"\n");
  w.end_object();
  EXPECT_EQ(w.finish(),
            "{\n"
            "  \"version\" : 0.0,\n"
            "  \"m\" : {\n"
            "    \"value\" : 0.3333333333333333,\n"
            "    \"standard_deviation\" : \"NaN\"\n"
            "  },\n"
            "  \"curve\" : [ 0.0, 0.25, 1.0 ],\n"
            "  \"empty\" : [ ],\n"
            "  \"obj\" : { },\n"
            "  \"count\" : 627,\n"
            "  \"tiny\" : 0.00001234,\n"
            "  \"text\" : \"a \\\"q\\\"\\n\"\n"
            "}\n");
}

TEST(JsonWriter, ArraysOfObjectsAsJacksonWritesThem) {
  JsonWriter w;
  w.begin_object();
  w.key("violations").begin_array();
  for (const char* m : {"f2", "auc"}) {
    w.begin_object();
    w.key("metric_name").value(m);
    w.end_object();
  }
  w.end_array();
  w.key("none").begin_array().end_array();
  w.end_object();
  EXPECT_EQ(w.finish(),
            "{\n"
            "  \"violations\" : [ {\n"
            "    \"metric_name\" : \"f2\"\n"
            "  }, {\n"
            "    \"metric_name\" : \"auc\"\n"
            "  } ],\n"
            "  \"none\" : [ ]\n"
            "}\n");
}

}  // namespace mqmon
