// The scale-out manifests under scripts/k8s/ agree with each other and with tierkv-sim: the
// Indexed Job runs one shard per completion index (completions == SHARDS, so the merge sees
// every shard), each pod writes its report where the merge pod reads it, and violations
// (exit 1) do not make Kubernetes retry a shard while bad input (exit 2) fails the Job.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>

#include "tests/reports/report_fixture.h"

namespace tierkv::reports {
namespace {

std::string repo_file(const std::string& relative) {
  const std::filesystem::path here(__FILE__);  // tests/reports/k8s_manifest_test.cc
  const std::filesystem::path path = here.parent_path().parent_path().parent_path() / relative;
  EXPECT_TRUE(std::filesystem::exists(path)) << path;
  return testing::read_text_file(path.string());
}

std::string first_match(const std::string& text, const std::string& pattern) {
  std::smatch match;
  if (!std::regex_search(text, match, std::regex(pattern))) return "";
  return match[1].str();
}

TEST(K8sManifest, IndexedJobRunsOneShardPerIndexAndTheMergeReadsThem) {
  const std::string job = repo_file("scripts/k8s/sweep-job.yaml");
  EXPECT_NE(job.find("completionMode: Indexed"), std::string::npos);
  const std::string completions = first_match(job, R"(\bcompletions:\s*(\d+))");
  const std::string shards = first_match(job, R"(name: SHARDS\s+value:\s*"(\d+)\")");
  ASSERT_FALSE(completions.empty());
  EXPECT_EQ(completions, shards) << "completions and SHARDS must be the same N";
  EXPECT_FALSE(first_match(job, R"(\bparallelism:\s*(\d+))").empty());
  EXPECT_NE(job.find("tierkv-sim sweep --seeds \"${SEEDS}\" --shard "
                     "\"${JOB_COMPLETION_INDEX}/${SHARDS}\""),
            std::string::npos);
  EXPECT_NE(job.find("out=\"/out/shard-${JOB_COMPLETION_INDEX}\""), std::string::npos);
  EXPECT_NE(job.find("--report \"${out}\""), std::string::npos);
  EXPECT_NE(job.find("if [ \"${code}\" -le 1 ]; then exit 0; fi"), std::string::npos);
  EXPECT_TRUE(std::regex_search(job, std::regex(R"(action: FailJob[\s\S]*values: \[2\])")));

  const std::string merge = repo_file("scripts/k8s/merge-pod.yaml");
  EXPECT_NE(merge.find("tierkv-sim report --merge /out/merged /out/shard-*"), std::string::npos);
  const std::string claim = first_match(job, R"(claimName:\s*(\S+))");
  ASSERT_FALSE(claim.empty());
  EXPECT_EQ(first_match(merge, R"(claimName:\s*(\S+))"), claim);
}

}  // namespace
}  // namespace tierkv::reports
