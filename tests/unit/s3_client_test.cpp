#include "mqmon/io/s3_client.h"

#include <gtest/gtest.h>

#include "mqmon/common/error.h"

namespace mqmon {
namespace {

TEST(S3Uri, SplitsBucketAndKey) {
  EXPECT_TRUE(is_s3_uri("s3://bucket/key"));
  EXPECT_TRUE(is_s3_uri("S3://bucket"));
  EXPECT_FALSE(is_s3_uri("/tmp/s3://x"));
  EXPECT_FALSE(is_s3_uri("s3:/x"));
  auto a = parse_s3_uri("s3://my-bucket/data/2024/part 1.csv");
  EXPECT_EQ(a.bucket, "my-bucket");
  EXPECT_EQ(a.key, "data/2024/part 1.csv");
  EXPECT_EQ(a.uri(), "s3://my-bucket/data/2024/part 1.csv");
  auto b = parse_s3_uri("s3://my.bucket.example");
  EXPECT_EQ(b.bucket, "my.bucket.example");
  EXPECT_EQ(b.key, "");
  EXPECT_EQ(parse_s3_uri("s3://abc/").key, "");
  EXPECT_EQ(parse_s3_uri("s3://abc/dir/").key, "dir/");
}

TEST(S3Uri, RejectsBadBucketNames) {
  for (const char* uri : {"s3://", "s3:///key", "s3://ab/key", "s3://-abc/key", "s3://abc-/key",
                          "s3://a b c/key", "/local/path"}) {
    try {
      parse_s3_uri(uri);
      ADD_FAILURE() << uri;
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find(std::string("'") + uri + "'"), std::string::npos)
          << e.what();
    }
  }
}

// The response of the S3 API reference's ListObjectsV2 example, with a second object whose key
// was URL-encoded by encoding-type=url ('/' as %2F, space as '+', '+' as %2B).
constexpr const char* kListPage = R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>bucket</Name>
  <Prefix>data%2F</Prefix>
  <KeyCount>2</KeyCount>
  <MaxKeys>1000</MaxKeys>
  <EncodingType>url</EncodingType>
  <IsTruncated>true</IsTruncated>
  <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>
  <Contents>
    <Key>data%2Fmy-image.jpg</Key>
    <LastModified>2009-10-12T17:50:30.000Z</LastModified>
    <ETag>"fba9dede5f27731c9771645a39863328"</ETag>
    <Size>434234</Size>
    <StorageClass>STANDARD</StorageClass>
  </Contents>
  <Contents>
    <Key>data%2Fa+b%2Bc%25.csv</Key>
    <ETag>"0cc175b9c0f1b6a831c399e269772661"</ETag>
    <Size>12884901888</Size>
  </Contents>
</ListBucketResult>)";

TEST(S3List, ParsesAPageWithUrlEncodedKeys) {
  const ListPage page = parse_list_objects_v2(kListPage);
  ASSERT_EQ(page.objects.size(), 2u);
  EXPECT_EQ(page.objects[0].key, "data/my-image.jpg");
  EXPECT_EQ(page.objects[0].size, 434234u);
  EXPECT_EQ(page.objects[0].etag, "\"fba9dede5f27731c9771645a39863328\"");
  EXPECT_EQ(page.objects[1].key, "data/a b+c%.csv");
  EXPECT_EQ(page.objects[1].size, 12884901888u);  // beyond 32 bits
  EXPECT_TRUE(page.truncated);
  EXPECT_EQ(page.next_token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
}

TEST(S3List, PlainKeysAndTheLastPage) {
  const ListPage page = parse_list_objects_v2(
      "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>a+b.csv</Key>"
      "<Size>3</Size></Contents></ListBucketResult>");
  ASSERT_EQ(page.objects.size(), 1u);
  EXPECT_EQ(page.objects[0].key, "a+b.csv");  // not encoded: '+' is a plus
  EXPECT_FALSE(page.truncated);
  EXPECT_TRUE(parse_list_objects_v2("<ListBucketResult/>").objects.empty());
}

TEST(S3List, MalformedAnswersAreErrors) {
  EXPECT_THROW(parse_list_objects_v2("not xml <"), IoError);
  EXPECT_THROW(parse_list_objects_v2("<Other/>"), IoError);
  EXPECT_THROW(
      parse_list_objects_v2("<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>"),
      IoError);  // a truncated page must say where to go on
}

TEST(S3Errors, BodyAndRetryRules) {
  const auto e = parse_s3_error(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchKey</Code><Message>The "
      "resource you requested does not exist</Message><Resource>/mybucket/myfoto.jpg</Resource>"
      "<RequestId>4442587FB7D0A2F9</RequestId></Error>");
  EXPECT_EQ(e.code, "NoSuchKey");
  EXPECT_EQ(e.message, "The resource you requested does not exist");
  EXPECT_EQ(parse_s3_error("").code, "");
  EXPECT_EQ(parse_s3_error("<html>proxy error</html>").code, "");

  for (long s : {500L, 502L, 503L, 504L, 429L}) EXPECT_TRUE(is_retryable_status(s, "")) << s;
  for (long s : {400L, 403L, 404L, 409L, 412L}) EXPECT_FALSE(is_retryable_status(s, "")) << s;
  EXPECT_TRUE(is_retryable_status(400, "RequestTimeout"));
  EXPECT_TRUE(is_retryable_status(503, "SlowDown"));
  EXPECT_FALSE(is_retryable_status(403, "SignatureDoesNotMatch"));
}

TEST(S3Retry, AttemptsFromTheEnvironment) {
  EXPECT_EQ(S3Options::from_environment({}).max_attempts, 5);
  EXPECT_EQ(S3Options::from_environment({{"AWS_MAX_ATTEMPTS", "2"}}).max_attempts, 2);
  EXPECT_THROW(S3Options::from_environment({{"AWS_MAX_ATTEMPTS", "many"}}), ConfigError);
  EXPECT_THROW(S3Options::from_environment({{"AWS_MAX_ATTEMPTS", "0"}}), ConfigError);
  EXPECT_EQ(S3Options::from_environment({}).stall_timeout_seconds, 30);
  EXPECT_EQ(S3Options::from_environment({{"MQMON_S3_READ_TIMEOUT", "5"}}).stall_timeout_seconds, 5);
  EXPECT_THROW(S3Options::from_environment({{"MQMON_S3_READ_TIMEOUT", "0"}}), ConfigError);
  EXPECT_THROW(S3Options::from_environment({{"MQMON_S3_READ_TIMEOUT", "soon"}}), ConfigError);
}

TEST(S3Options, MultipartChunkSizeAsTheAwsCliWritesIt) {
  const auto chunk = [](const char* text) {
    return S3Options::from_environment({{"MQMON_S3_MULTIPART_CHUNKSIZE", text}}).multipart_chunk;
  };
  EXPECT_EQ(S3Options::from_environment({}).multipart_chunk, 64ULL << 20);
  EXPECT_EQ(chunk("8MB"), 8ULL << 20);
  EXPECT_EQ(chunk("8mib"), 8ULL << 20);
  EXPECT_EQ(chunk("1GB"), 1ULL << 30);
  EXPECT_EQ(chunk("5242880"), 5ULL << 20);
  EXPECT_EQ(chunk("5120KB"), 5ULL << 20);
  for (const char* bad : {"4MB", "6GB", "8 parsecs", "MB"})
    EXPECT_THROW(chunk(bad), ConfigError) << bad;
}

}  // namespace
}  // namespace mqmon

namespace mqmon {
namespace {

TEST(S3Addressing, VirtualHostedOnAwsPathStyleElsewhere) {
  AwsSettings aws;
  aws.region = "eu-west-1";
  auto a = s3_address(aws, "my-bucket", "data/part 1.csv");
  EXPECT_EQ(a.scheme, "https");
  EXPECT_EQ(a.host, "my-bucket.s3.eu-west-1.amazonaws.com");
  EXPECT_EQ(a.path, "/data/part 1.csv");
  // Dots in a bucket name break the wildcard certificate: path style on AWS too.
  a = s3_address(aws, "my.bucket", "k");
  EXPECT_EQ(a.host, "s3.eu-west-1.amazonaws.com");
  EXPECT_EQ(a.path, "/my.bucket/k");

  AwsSettings local = aws;
  local.endpoint = "http://127.0.0.1:9000";
  a = s3_address(local, "my-bucket", "a/b");
  EXPECT_EQ(a.scheme, "http");
  EXPECT_EQ(a.host, "127.0.0.1:9000");
  EXPECT_EQ(a.path, "/my-bucket/a/b");
  local.endpoint = "HTTPS://minio.example.com:443/storage/";
  a = s3_address(local, "bkt", "");
  EXPECT_EQ(a.scheme, "https");
  EXPECT_EQ(a.host, "minio.example.com");  // the default port is not sent in Host
  EXPECT_EQ(a.path, "/storage/bkt/");
  for (const char* bad : {"127.0.0.1:9000", "ftp://host", "http://"}) {
    local.endpoint = bad;
    EXPECT_THROW(s3_address(local, "bkt", "k"), ConfigError) << bad;
  }
}

}  // namespace
}  // namespace mqmon
