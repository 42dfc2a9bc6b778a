#include "replay/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>

namespace evlog {
namespace {

using Clock = std::chrono::steady_clock;
using eventlog::Status;

Status Errno(const std::string& what, int err = errno) {
  return Status::IOError(what + ": " + std::strerror(err));
}

std::vector<char*> CStrings(const std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (const std::string& s : strings) pointers.push_back(const_cast<char*>(s.c_str()));
  pointers.push_back(nullptr);
  return pointers;
}

struct ChildFds {
  int stdin_read;
  int error_write;  // receives errno if exec fails; closed by a successful exec (O_CLOEXEC)
};

// In the child after vfork(): only system calls, on this stack, from here to exec; nothing
// the parent reads is written (see Spawn).
[[noreturn]] void ExecChild(char* const* argv, char* const* envp, ChildFds fds, pid_t parent) {
  SignalPipe::ResetInChild();
  setpgid(0, 0);
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(127);  // the parent died before prctl took effect
  if (dup2(fds.stdin_read, STDIN_FILENO) == STDIN_FILENO) execvpe(argv[0], argv, envp);
  int err = errno;
  [[maybe_unused]] ssize_t n = write(fds.error_write, &err, sizeof err);
  _exit(127);
}

// Reads the exec error reported by the child, or 0 once exec closed the pipe.
int ReadExecError(int fd) {
  int err = 0;
  ssize_t n;
  do {
    n = read(fd, &err, sizeof err);
  } while (n < 0 && errno == EINTR);
  return n == static_cast<ssize_t>(sizeof err) ? err : 0;
}

struct Spawned {
  pid_t pid;
  int stdin_fd;  // non-blocking write end of the child's stdin
};

eventlog::Result<Spawned> Spawn(const ChildSpec& spec) {
  int in[2], errors[2];
  if (pipe2(in, O_CLOEXEC) != 0) return Errno("pipe");
  if (pipe2(errors, O_CLOEXEC) != 0) {
    Status status = Errno("pipe");
    close(in[0]);
    close(in[1]);
    return status;
  }
  std::vector<char*> argv = CStrings(spec.argv);
  std::vector<char*> envp = CStrings(spec.environment);
  const pid_t parent = getpid();
  sigset_t all, old;
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, &old);
  // vfork: the child shares this process's memory until it execs, so nothing is copied.
  // fork() copied the page tables of every mapping (libraries, the log's and LMDB's maps),
  // which was a third of replay's own CPU per event. ExecChild makes only system calls on
  // its own stack and changes no memory the parent reads (the child has its own signal
  // dispositions: vfork shares memory, not handlers); `errno` may be changed by the child's
  // failed PATH lookups, so it is read below only when vfork itself failed.
  const pid_t pid = vfork();
  if (pid == 0) ExecChild(argv.data(), envp.data(), {in[0], errors[1]}, parent);
  const int fork_errno = pid < 0 ? errno : 0;
  sigprocmask(SIG_SETMASK, &old, nullptr);
  close(in[0]);
  close(errors[1]);
  // Also set here, so the group exists before the parent signals it.
  if (pid > 0) setpgid(pid, pid);
  const int exec_errno = pid > 0 ? ReadExecError(errors[0]) : 0;
  close(errors[0]);
  if (pid < 0 || exec_errno != 0) {
    close(in[1]);
    if (pid > 0) waitpid(pid, nullptr, 0);
    // E2BIG is the only failure that depends on the event (its environment): say so by code.
    if (exec_errno == E2BIG) return Status::InvalidArgument("cannot run " + spec.argv[0] + ": " + std::strerror(E2BIG));
    return Errno("cannot run " + spec.argv[0], pid < 0 ? fork_errno : exec_errno);
  }
  fcntl(in[1], F_SETFL, O_NONBLOCK);
  return Spawned{pid, in[1]};
}

// Waits for a spawned child in one poll loop over the signal pipe and its stdin.
class Supervision {
 public:
  Supervision(Spawned child, std::string_view input, const ChildLimits& limits,
              const SignalPipe& signals)
      : child_(child), input_(input), limits_(limits), signals_(signals) {
    if (limits.timeout) deadline_ = Clock::now() + *limits.timeout;
    if (input_.empty()) CloseInput();
  }
  ~Supervision() { CloseInput(); }

  eventlog::Result<ChildResult> Run();

 private:
  void CloseInput();
  void WriteInput();
  void Signal(int signo, Clock::time_point now);
  void CheckSignalsAndTime(Clock::time_point now);
  int PollTimeoutMs(Clock::time_point now) const;
  eventlog::Result<ChildResult> Reap();
  ChildResult ResultOf(int wait_status) const;

  Spawned child_;
  std::string_view input_;  // what is still to be written
  const ChildLimits& limits_;
  const SignalPipe& signals_;
  static constexpr Clock::time_point kNever = Clock::time_point::max();
  Clock::time_point deadline_ = kNever;  // the time limit
  Clock::time_point kill_at_ = kNever;   // SIGKILL, once SIGTERM was sent
  bool timed_out_ = false;
  bool killed_ = false;
  int interrupted_by_ = 0;
};

eventlog::Result<ChildResult> Supervision::Run() {
  while (true) {
    siginfo_t info{};
    // WNOWAIT: an exited command stays a zombie, so its process group cannot vanish and its
    // number cannot be reused before the group is cleaned up.
    if (waitid(P_PID, child_.pid, &info, WEXITED | WNOHANG | WNOWAIT) != 0 && errno != EINTR) {
      return Errno("waitid");
    }
    if (info.si_pid == child_.pid) return Reap();
    CheckSignalsAndTime(Clock::now());
    struct pollfd fds[2] = {{signals_.fd(), POLLIN, 0}, {child_.stdin_fd, POLLOUT, 0}};
    int ready = poll(fds, child_.stdin_fd >= 0 ? 2 : 1, PollTimeoutMs(Clock::now()));
    if (ready < 0 && errno != EINTR) return Errno("poll");
    if (ready <= 0) continue;
    if (fds[0].revents != 0) signals_.Drain();
    if (child_.stdin_fd >= 0 && fds[1].revents != 0) WriteInput();
  }
}

void Supervision::CloseInput() {
  if (child_.stdin_fd >= 0) close(child_.stdin_fd);
  child_.stdin_fd = -1;
}

void Supervision::WriteInput() {
  constexpr size_t kChunk = 64 << 10;
  ssize_t n = write(child_.stdin_fd, input_.data(), std::min(input_.size(), kChunk));
  if (n > 0) input_.remove_prefix(static_cast<size_t>(n));
  // EPIPE: the command closed its stdin without reading everything. Its exit status
  // decides whether the event was handled; the rest of the input is dropped.
  if (input_.empty() || (n < 0 && errno != EAGAIN && errno != EINTR)) CloseInput();
}

void Supervision::Signal(int signo, Clock::time_point now) {
  kill(-child_.pid, signo);
  kill_at_ = std::min(kill_at_, now + limits_.kill_grace);
}

void Supervision::CheckSignalsAndTime(Clock::time_point now) {
  if (signals_.termination() != 0 && interrupted_by_ == 0) {
    interrupted_by_ = signals_.termination();
    Signal(interrupted_by_, now);
  }
  if (now >= deadline_ && !timed_out_ && interrupted_by_ == 0) {
    timed_out_ = true;
    Signal(SIGTERM, now);
  }
  if (now >= kill_at_ && !killed_) {
    killed_ = true;
    kill(-child_.pid, SIGKILL);
  }
}

int Supervision::PollTimeoutMs(Clock::time_point now) const {
  const Clock::time_point next = std::min(killed_ ? kNever : kill_at_, timed_out_ ? kNever : deadline_);
  if (next == kNever) return -1;
  auto left = std::chrono::ceil<std::chrono::milliseconds>(next - now).count();
  return static_cast<int>(std::clamp<int64_t>(left, 0, INT32_MAX));
}

eventlog::Result<ChildResult> Supervision::Reap() {
  // A command that was stopped may leave children behind in its group (ones that ignore
  // SIGTERM, or background jobs of a shell, which ignore SIGINT): they go too.
  if (timed_out_ || interrupted_by_ != 0) kill(-child_.pid, SIGKILL);
  int wait_status = 0;
  pid_t reaped;
  do {
    reaped = waitpid(child_.pid, &wait_status, 0);
  } while (reaped < 0 && errno == EINTR);
  if (reaped != child_.pid) return Errno("waitpid");
  return ResultOf(wait_status);
}

ChildResult Supervision::ResultOf(int wait_status) const {
  ChildResult result;
  result.interrupted_by = interrupted_by_;
  if (timed_out_) {
    result.end = ChildResult::End::kTimedOut;
  } else if (WIFSIGNALED(wait_status)) {
    result.end = ChildResult::End::kSignaled;
    result.value = WTERMSIG(wait_status);
  } else {
    result.value = WEXITSTATUS(wait_status);
  }
  return result;
}

}  // namespace

std::string ChildResult::Describe() const {
  switch (end) {
    case End::kExited: return "exit " + std::to_string(value);
    case End::kSignaled: return "signal " + std::to_string(value);
    case End::kTimedOut: return "timeout";
  }
  return "";
}

eventlog::Result<ChildResult> RunChild(const ChildSpec& spec, std::string_view input,
                                       const ChildLimits& limits, const SignalPipe& signals) {
  EVLOG_ASSIGN_OR_RETURN(Spawned child, Spawn(spec));
  Supervision supervision(child, input, limits, signals);
  return supervision.Run();
}

}  // namespace evlog
