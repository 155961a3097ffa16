#include "tests/kafka/mock_cluster.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>

#include "tests/testing/subprocess.h"

namespace provtrace::testing {
namespace {

std::string ReadLine(FILE* in) {
  std::string line;
  int c;
  while ((c = fgetc(in)) != EOF && c != '\n') line += static_cast<char>(c);
  return line;
}

}  // namespace

MockCluster::MockCluster(int brokers, const std::vector<std::string>& topics) : brokers_(brokers) {
  int to_child[2], from_child[2];
  if (pipe(to_child) != 0 || pipe(from_child) != 0) return;
  std::vector<std::string> argv = {Runfile("tests/kafka/mock_cluster"), std::to_string(brokers)};
  argv.insert(argv.end(), topics.begin(), topics.end());
  pid_ = fork();
  if (pid_ == 0) {
    dup2(to_child[0], STDIN_FILENO);
    dup2(from_child[1], STDOUT_FILENO);
    close(to_child[0]);
    close(to_child[1]);
    close(from_child[0]);
    close(from_child[1]);
    std::vector<char*> args;
    for (std::string& a : argv) args.push_back(&a[0]);
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  close(to_child[0]);
  close(from_child[1]);
  to_ = fdopen(to_child[1], "w");
  from_ = fdopen(from_child[0], "r");
  std::string line = ReadLine(from_);
  const std::string prefix = "bootstraps ";
  if (line.compare(0, prefix.size(), prefix) == 0) bootstraps_ = line.substr(prefix.size());
}

MockCluster::~MockCluster() {
  if (to_ != nullptr) {
    fputs("quit\n", to_);
    fclose(to_);
  }
  if (from_ != nullptr) fclose(from_);
  if (pid_ > 0) {
    int status;
    waitpid(pid_, &status, 0);
  }
}

std::string MockCluster::Url(const std::string& topic) const {
  return "kafka://" + bootstraps_ + "/" + topic;
}

std::string MockCluster::Command(const std::string& line) {
  if (to_ == nullptr) return "error: no cluster";
  fputs((line + "\n").c_str(), to_);
  fflush(to_);
  return ReadLine(from_);
}

std::string MockCluster::Down(int broker) {
  std::string answer = Command("down " + std::to_string(broker));
  return answer == "ok" ? "" : answer;
}

std::string MockCluster::Up(int broker) {
  std::string answer = Command("up " + std::to_string(broker));
  return answer == "ok" ? "" : answer;
}

std::string MockCluster::CreateTopic(const std::string& name, int partitions) {
  std::string answer = Command("topic " + name + " " + std::to_string(partitions));
  return answer == "ok" ? "" : answer;
}

int MockCluster::Leader(const std::string& topic, int partition) {
  std::string answer = Command("leader " + topic + " " + std::to_string(partition));
  if (answer.compare(0, 7, "leader ") != 0) return -1;
  return atoi(answer.c_str() + 7);
}

std::vector<KcatMessage> KcatConsume(const std::string& bootstraps, const std::string& topic,
                                     std::string* error) {
  // Length-prefixed fields, so that any byte of a key or a value survives.
  RunResult r = RunProgram(
      {"/usr/bin/kcat", "-C", "-b", bootstraps, "-t", topic, "-e", "-q", "-f", "%p %o %K %S %k%s"});
  std::vector<KcatMessage> messages;
  if (r.exit_code != 0) {
    *error = "kcat exited " + std::to_string(r.exit_code) + ": " + r.err;
    return messages;
  }
  size_t at = 0;
  const std::string& out = r.out;
  while (at < out.size()) {
    KcatMessage m;
    long long offset = 0;
    long key_size = 0, value_size = 0;
    int used = 0;
    if (sscanf(out.c_str() + at, "%d %lld %ld %ld%n", &m.partition, &offset, &key_size, &value_size,
               &used) != 4 ||
        at + used >= out.size() || out[at + used] != ' ') {
      *error = "unreadable kcat output at byte " + std::to_string(at);
      return messages;
    }
    at += static_cast<size_t>(used) + 1;
    m.offset = offset;
    // kcat prints -1 for a missing key or value.
    size_t k = key_size > 0 ? static_cast<size_t>(key_size) : 0;
    size_t v = value_size > 0 ? static_cast<size_t>(value_size) : 0;
    if (at + k + v > out.size()) {
      *error = "truncated kcat output";
      return messages;
    }
    m.key = out.substr(at, k);
    m.value = out.substr(at + k, v);
    at += k + v;
    messages.push_back(std::move(m));
  }
  std::stable_sort(
      messages.begin(), messages.end(), [](const KcatMessage& a, const KcatMessage& b) {
        return a.partition != b.partition ? a.partition < b.partition : a.offset < b.offset;
      });
  return messages;
}

}  // namespace provtrace::testing
