// Test tool: serves librdkafka's in-process mock Kafka cluster on loopback, so the bridge tests
// (issue 12) run against Kafka's wire protocol without a JVM or network.
//
//   kafka_mock_cluster BROKERS [TOPIC PARTITIONS]
//
// Prints the bootstrap servers ("127.0.0.1:PORT,...") as one line on stdout once the brokers
// listen, then serves until SIGTERM or SIGINT, or until stdin reaches end of file when stdin is
// a pipe or socket: a test that holds the write end open and dies then never leaves the cluster
// behind. A /dev/null or terminal stdin says nothing about the test's life, so it is not
// watched (bash starts background jobs with stdin on /dev/null). Exits 0 after destroying the
// cluster; 1, naming what failed, on any error.
//
// Lines on a watched stdin are commands, for the failure tests; each is answered on stdout
// with "done LINE" once applied (or "refused LINE"):
//   down BROKER            the broker drops its connections and refuses new ones
//   up BROKER              it serves again
//   rtt BROKER MS          the broker answers every request MS milliseconds late (0: at once)
//   errors API ERROR COUNT the next COUNT requests of Kafka API key API (0 = Produce) fail
//                          with Kafka error code ERROR, whichever broker receives them
//   broker-errors BROKER API ERROR COUNT
//                          the same, for requests that broker BROKER receives
//   leader TOPIC PARTITION BROKER
//                          BROKER leads that partition from now on
//
// TOPIC is created with PARTITIONS partitions, each replicated on every broker; without it,
// topics are created on first use by the clients (auto-creation, one partition each).
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

int Fail(const char* what, const char* detail) {
  std::fprintf(stderr, "kafka_mock_cluster: %s: %s\n", what, detail);
  return 1;
}

bool ParsePositive(std::string_view text, int& out) {
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  return error == std::errc() && end == text.data() + text.size() && out > 0;
}

bool StdinTracksParent() {
  struct stat st;
  return fstat(STDIN_FILENO, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
}

// Applies one control command (see the top of the file); false if it is not one.
bool Control(rd_kafka_mock_cluster_t* cluster, const std::string& line) {
  std::istringstream words(line);
  std::string verb;
  words >> verb;
  if (verb == "down" || verb == "up") {
    int broker = 0;
    if (!(words >> broker)) return false;
    auto error = verb == "down" ? rd_kafka_mock_broker_set_down(cluster, broker)
                                : rd_kafka_mock_broker_set_up(cluster, broker);
    return error == RD_KAFKA_RESP_ERR_NO_ERROR;
  }
  if (verb == "rtt") {
    int broker = 0;
    int milliseconds = 0;
    if (!(words >> broker >> milliseconds) || milliseconds < 0) return false;
    return rd_kafka_mock_broker_set_rtt(cluster, broker, milliseconds) == RD_KAFKA_RESP_ERR_NO_ERROR;
  }
  if (verb == "errors") {
    int api = 0;
    int code = 0;
    int count = 0;
    if (!(words >> api >> code >> count) || count <= 0) return false;
    std::vector<rd_kafka_resp_err_t> errors(count, static_cast<rd_kafka_resp_err_t>(code));
    rd_kafka_mock_push_request_errors_array(cluster, static_cast<int16_t>(api), errors.size(), errors.data());
    return true;
  }
  if (verb == "broker-errors") {
    int broker = 0;
    int api = 0;
    int code = 0;
    int count = 0;
    if (!(words >> broker >> api >> code >> count) || count <= 0) return false;
    for (int i = 0; i < count; ++i) {  // one (error, rtt) pair per call: the stack is FIFO
      if (rd_kafka_mock_broker_push_request_error_rtts(cluster, broker, static_cast<int16_t>(api), 1,
                                                       static_cast<rd_kafka_resp_err_t>(code), 0) !=
          RD_KAFKA_RESP_ERR_NO_ERROR) {
        return false;
      }
    }
    return true;
  }
  if (verb == "leader") {
    std::string topic;
    int partition = -1;
    int broker = 0;
    if (!(words >> topic >> partition >> broker) || partition < 0) return false;
    return rd_kafka_mock_partition_set_leader(cluster, topic.c_str(), partition, broker) == RD_KAFKA_RESP_ERR_NO_ERROR;
  }
  return false;
}

// Blocks until a stop signal arrives on signal_fd or, if watch_stdin, stdin reaches end of file,
// applying the commands read from stdin meanwhile. Returns an errno value, 0 on a normal stop.
int WaitForStop(int signal_fd, bool watch_stdin, rd_kafka_mock_cluster_t* cluster) {
  std::string pending;
  pollfd fds[2] = {{signal_fd, POLLIN, 0}, {STDIN_FILENO, POLLIN, 0}};
  const nfds_t count = watch_stdin ? 2 : 1;
  for (;;) {
    if (poll(fds, count, -1) < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (fds[0].revents != 0) return 0;
    if (count == 2 && fds[1].revents != 0) {
      char buffer[4096];
      ssize_t n = read(STDIN_FILENO, buffer, sizeof buffer);
      if (n == 0) return 0;
      if (n < 0 && errno != EINTR && errno != EAGAIN) return errno;
      if (n > 0) pending.append(buffer, n);
      for (size_t end; (end = pending.find('\n')) != std::string::npos; pending.erase(0, end + 1)) {
        const std::string line = pending.substr(0, end);
        std::printf("%s %s\n", Control(cluster, line) ? "done" : "refused", line.c_str());
        std::fflush(stdout);
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  int brokers = 0;
  int partitions = 0;
  if ((argc != 2 && argc != 4) || !ParsePositive(argv[1], brokers) ||
      (argc == 4 && !ParsePositive(argv[3], partitions))) {
    std::fprintf(stderr, "usage: kafka_mock_cluster BROKERS [TOPIC PARTITIONS]\n");
    return 1;
  }

  // Blocked before librdkafka starts its threads, which inherit the mask: the stop signals
  // then reach only the signalfd, never a broker thread's default action.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  if (sigprocmask(SIG_BLOCK, &stop_signals, nullptr) != 0) return Fail("sigprocmask", std::strerror(errno));
  int signal_fd = signalfd(-1, &stop_signals, SFD_CLOEXEC);
  if (signal_fd < 0) return Fail("signalfd", std::strerror(errno));

  // The mock cluster needs a client handle to live in; this producer never produces.
  // Its notices (no bootstrap.servers, since it never connects) would only be noise; the
  // brokers' warnings and errors still reach stderr.
  char error[512];
  rd_kafka_conf_t* config = rd_kafka_conf_new();
  if (rd_kafka_conf_set(config, "log_level", "4", error, sizeof error) != RD_KAFKA_CONF_OK) {
    rd_kafka_conf_destroy(config);
    return Fail("rd_kafka_conf_set log_level", error);
  }
  rd_kafka_t* handle = rd_kafka_new(RD_KAFKA_PRODUCER, config, error, sizeof error);
  if (handle == nullptr) return Fail("rd_kafka_new", error);
  rd_kafka_mock_cluster_t* cluster = rd_kafka_mock_cluster_new(handle, brokers);
  if (cluster == nullptr) {
    rd_kafka_destroy(handle);
    return Fail("rd_kafka_mock_cluster_new", "no cluster (see librdkafka's log above)");
  }

  int status = 0;
  if (argc == 4) {
    rd_kafka_resp_err_t created = rd_kafka_mock_topic_create(cluster, argv[2], partitions, brokers);
    if (created != RD_KAFKA_RESP_ERR_NO_ERROR) status = Fail("rd_kafka_mock_topic_create", rd_kafka_err2str(created));
  }
  if (status == 0 && (std::printf("%s\n", rd_kafka_mock_cluster_bootstraps(cluster)) < 0 || std::fflush(stdout) != 0)) {
    status = Fail("writing the bootstrap servers to stdout", std::strerror(errno));
  }
  if (status == 0) {
    int wait_error = WaitForStop(signal_fd, StdinTracksParent(), cluster);
    if (wait_error != 0) status = Fail("waiting for the stop signal", std::strerror(wait_error));
  }

  rd_kafka_mock_cluster_destroy(cluster);
  rd_kafka_destroy(handle);
  close(signal_fd);
  return status;
}
