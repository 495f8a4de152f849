// SigV4 against the example requests of the S3 documentation ("Signature Calculations for the
// Authorization Header: Transferring Payload in a Single Chunk"), whose signatures AWS publishes.
#include "mqmon/io/sigv4.h"

#include <gtest/gtest.h>

#include <cstdio>

#include "mqmon/common/error.h"

namespace mqmon {
namespace {

const AwsCredentials kExample{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                              ""};
const std::string kEmpty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

SigV4Request get(std::string path, std::vector<std::pair<std::string, std::string>> query = {},
                 std::vector<std::pair<std::string, std::string>> extra = {}) {
  SigV4Request r;
  r.path = std::move(path);
  r.query = std::move(query);
  r.headers = {{"Host", "examplebucket.s3.amazonaws.com"},
               {"x-amz-date", "20130524T000000Z"},
               {"x-amz-content-sha256", kEmpty}};
  for (auto& h : extra) r.headers.push_back(h);
  r.payload_sha256 = kEmpty;
  return r;
}

TEST(SigV4, GetObject) {
  const auto s = sign_v4(get("/test.txt", {}, {{"Range", "bytes=0-9"}}), kExample, "us-east-1",
                         "s3", "20130524T000000Z");
  EXPECT_EQ(s.canonical_request,
            "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
            "x-amz-content-sha256:" +
                kEmpty +
                "\nx-amz-date:20130524T000000Z\n\n"
                "host;range;x-amz-content-sha256;x-amz-date\n" +
                kEmpty);
  EXPECT_EQ(s.string_to_sign,
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
  EXPECT_EQ(s.signature, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  EXPECT_EQ(s.authorization,
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(SigV4, PutObject) {
  SigV4Request r;
  r.method = "PUT";
  r.path = "/test$file.text";
  r.payload_sha256 = sha256_hex("Welcome to Amazon S3.");
  EXPECT_EQ(r.payload_sha256, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  r.headers = {{"Host", "examplebucket.s3.amazonaws.com"},
               {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
               {"x-amz-date", "20130524T000000Z"},
               {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
               {"x-amz-content-sha256", r.payload_sha256}};
  const auto s = sign_v4(r, kExample, "us-east-1", "s3", "20130524T000000Z");
  EXPECT_NE(s.canonical_request.find("PUT\n/test%24file.text\n\n"), std::string::npos);
  EXPECT_EQ(s.signature, "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

TEST(SigV4, GetBucketLifecycleAndListObjects) {
  EXPECT_EQ(sign_v4(get("/", {{"lifecycle", ""}}), kExample, "us-east-1", "s3", "20130524T000000Z")
                .signature,
            "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
  const auto s = sign_v4(get("/", {{"prefix", "J"}, {"max-keys", "2"}}), kExample, "us-east-1",
                         "s3", "20130524T000000Z");
  EXPECT_NE(s.canonical_request.find("\nmax-keys=2&prefix=J\n"), std::string::npos);  // sorted
  EXPECT_EQ(s.signature, "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

TEST(SigV4, EncodingAndSessionTokens) {
  EXPECT_EQ(uri_encode("a b/c~d*e+é", true), "a%20b/c~d%2Ae%2B%C3%A9");
  EXPECT_EQ(uri_encode("a/b", false), "a%2Fb");
  AwsCredentials temporary = kExample;
  temporary.session_token = "token/with+chars";
  const auto s = sign_v4(get("/k"), temporary, "eu-west-1", "s3", "20240101T000000Z");
  EXPECT_NE(s.canonical_request.find("x-amz-security-token:token/with+chars\n"), std::string::npos);
  EXPECT_EQ(s.signed_headers, "host;x-amz-content-sha256;x-amz-date;x-amz-security-token");
  EXPECT_THROW(sign_v4(get("/k"), kExample, "us-east-1", "s3", "2013-05-24"), std::exception);
}

TEST(Sha256, OfAFileRange) {
  const std::string path = ::testing::TempDir() + "sha256_range.bin";
  std::FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  std::fputs("xxabcyy", f);
  std::fclose(f);
  // FIPS 180-2's example: SHA-256("abc").
  EXPECT_EQ(sha256_hex_of_file(path, 2, 3),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex_of_file(path, 0, 7), sha256_hex("xxabcyy"));
  EXPECT_EQ(sha256_hex_of_file(path, 7, 0), sha256_hex(""));
  EXPECT_THROW(sha256_hex_of_file(path, 5, 10), IoError);  // the file is shorter
  EXPECT_THROW(sha256_hex_of_file(path + ".missing", 0, 1), IoError);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace mqmon
