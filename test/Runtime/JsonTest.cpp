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
};

TEST(Json, ObjectsArraysScalars) {
  Doc d(" {\"a\": [1, -2, 9007199254740993, 1.5e3], \"b\": {\"c\": null},"
        " \"t\": true, \"f\": false, \"s\": \"x\"} ");
  ASSERT_EQ(d.rc, 0) << d.err;
  const bert_json_value *a = bert_json_get(&d.doc, d.root(), "a");
  ASSERT_NE(a, nullptr);
  ASSERT_EQ(a->type, BERT_JSON_ARRAY);
  ASSERT_EQ(a->count, 4);
  const bert_json_value *e = bert_json_first(&d.doc, a);
  EXPECT_EQ(e->ival, 1);
  e = bert_json_next(&d.doc, e);
  EXPECT_EQ(e->ival, -2);
  e = bert_json_next(&d.doc, e);
  EXPECT_TRUE(e->is_int);
  EXPECT_EQ(e->ival, 9007199254740993LL); // not representable as a double
  e = bert_json_next(&d.doc, e);
  EXPECT_FALSE(e->is_int);
  EXPECT_EQ(e->num, 1500.0);
  EXPECT_EQ(bert_json_next(&d.doc, e), nullptr);
  const bert_json_value *b = bert_json_get(&d.doc, d.root(), "b");
  EXPECT_EQ(bert_json_get(&d.doc, b, "c")->type, BERT_JSON_NULL);
  EXPECT_EQ(bert_json_get(&d.doc, d.root(), "t")->ival, 1);
  EXPECT_EQ(bert_json_get(&d.doc, d.root(), "f")->ival, 0);
  EXPECT_STREQ(bert_json_get(&d.doc, d.root(), "s")->str, "x");
  EXPECT_EQ(bert_json_get(&d.doc, d.root(), "zz"), nullptr);
}

TEST(Json, StringEscapes) {
  Doc d("[\"a\\\"b\\\\c\\/d\\n\\t\", \"\\u00e9\\u20ac\", \"\\ud83d\\ude00\","
        " \"nul\\u0000x\"]");
  ASSERT_EQ(d.rc, 0) << d.err;
  const bert_json_value *e = bert_json_first(&d.doc, d.root());
  EXPECT_STREQ(e->str, "a\"b\\c/d\n\t");
  e = bert_json_next(&d.doc, e);
  EXPECT_STREQ(e->str, "\xc3\xa9\xe2\x82\xac");
  e = bert_json_next(&d.doc, e);
  EXPECT_STREQ(e->str, "\xf0\x9f\x98\x80");
  e = bert_json_next(&d.doc, e);
  EXPECT_EQ(e->str_len, 5u);
  EXPECT_EQ(std::memcmp(e->str, "nul\0x", 5), 0);
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
  EXPECT_EQ(doc.nodes[0].count, 1);
  bert_json_free(&doc);
}

} // namespace
