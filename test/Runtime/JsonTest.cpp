//===- JsonTest.cpp - The runtime's JSON parser ---------------------------===//
//
// What the safetensors loader relies on: exact int64 integers, decoded
// escapes, object lookup, and byte offsets in error messages.
//
//===----------------------------------------------------------------------===//

#include "runtime/src/json.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

namespace {

struct Doc {
  bert_json_doc doc{};
  char err[160] = "";
  int rc;
  explicit Doc(const std::string &s)
      : rc(bert_json_parse(s.data(), s.size(), &doc, err, sizeof(err))) {}
  ~Doc() { bert_json_free(&doc); }
  const bert_json_value *root() const { return &doc.nodes[0]; }
  const char *str(const bert_json_value *v) const {
    return bert_json_string(&doc, v, nullptr);
  }
};

TEST(Json, ObjectsArraysScalars) {
  Doc d(" {\"a\": [1, -2, 9007199254740993, 1.5e3], \"b\": {\"c\": null},"
        " \"t\": true, \"f\": false, \"s\": \"x\"} ");
  ASSERT_EQ(d.rc, 0) << d.err;
  const bert_json_value *a = bert_json_get(&d.doc, d.root(), "a");
  ASSERT_NE(a, nullptr);
  ASSERT_EQ(bert_json_type_of(a), BERT_JSON_ARRAY);
  ASSERT_EQ(bert_json_count(a), 4);
  const bert_json_value *e = bert_json_first(&d.doc, a);
  EXPECT_EQ(bert_json_int(e), 1);
  e = bert_json_next(&d.doc, e);
  EXPECT_EQ(bert_json_int(e), -2);
  e = bert_json_next(&d.doc, e);
  EXPECT_TRUE(bert_json_is_int(e));
  EXPECT_EQ(bert_json_int(e),
            9007199254740993LL); // not representable as a double
  e = bert_json_next(&d.doc, e);
  EXPECT_FALSE(bert_json_is_int(e));
  EXPECT_EQ(bert_json_number(e), 1500.0);
  EXPECT_EQ(bert_json_next(&d.doc, e), nullptr);
  const bert_json_value *b = bert_json_get(&d.doc, d.root(), "b");
  EXPECT_EQ(bert_json_type_of(bert_json_get(&d.doc, b, "c")), BERT_JSON_NULL);
  EXPECT_EQ(bert_json_int(bert_json_get(&d.doc, d.root(), "t")), 1);
  EXPECT_EQ(bert_json_int(bert_json_get(&d.doc, d.root(), "f")), 0);
  EXPECT_STREQ(d.str(bert_json_get(&d.doc, d.root(), "s")), "x");
  EXPECT_EQ(bert_json_get(&d.doc, d.root(), "zz"), nullptr);
}

TEST(Json, StringEscapes) {
  Doc d("[\"a\\\"b\\\\c\\/d\\n\\t\", \"\\u00e9\\u20ac\", \"\\ud83d\\ude00\","
        " \"nul\\u0000x\"]");
  ASSERT_EQ(d.rc, 0) << d.err;
  const bert_json_value *e = bert_json_first(&d.doc, d.root());
  EXPECT_STREQ(d.str(e), "a\"b\\c/d\n\t");
  e = bert_json_next(&d.doc, e);
  EXPECT_STREQ(d.str(e), "\xc3\xa9\xe2\x82\xac");
  e = bert_json_next(&d.doc, e);
  EXPECT_STREQ(d.str(e), "\xf0\x9f\x98\x80");
  e = bert_json_next(&d.doc, e);
  size_t len = 0;
  const char *s = bert_json_string(&d.doc, e, &len);
  EXPECT_EQ(len, 5u);
  EXPECT_EQ(std::memcmp(s, "nul\0x", 5), 0);
}

TEST(Json, ErrorsCarryByteOffset) {
  Doc d("{\"key\" 1}");
  EXPECT_EQ(d.rc, -1);
  EXPECT_STREQ(d.err, "at byte 7: expected ':' after object key");
  EXPECT_EQ(d.doc.nodes, nullptr); // freed on failure
}

TEST(Json, RejectsInvalid) {
  const char *bad[] = {"",    "{",     "[1,]",  "{\"a\":1,}",  "01",
                       "1.",  "-",     "1e",    "\"\t\"",      "\"\\x\"",
                       "nul", "[1 2]", "{1:2}", "\"\\ud800\"", "\"\\udc00\"",
                       "1 1", "\"abc"};
  for (const char *s : bad) {
    Doc d(s);
    EXPECT_EQ(d.rc, -1) << "accepted: " << s;
  }
  std::string deep(100, '[');
  deep += std::string(100, ']');
  Doc d(deep);
  EXPECT_EQ(d.rc, -1);
  EXPECT_NE(std::string(d.err).find("nesting too deep"), std::string::npos);
}

TEST(Json, NotNulTerminated) {
  // The parser must honour the length, not look for a NUL.
  const char buf[] = {'[', '1', ']', '9', '9'};
  bert_json_doc doc;
  char err[100];
  ASSERT_EQ(bert_json_parse(buf, 3, &doc, err, sizeof(err)), 0);
  EXPECT_EQ(bert_json_count(&doc.nodes[0]), 1);
  bert_json_free(&doc);
}

} // namespace
