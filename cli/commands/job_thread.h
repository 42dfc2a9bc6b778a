// A thread that runs one job at a time for its owner, which hands it the job's input,
// starts it, and later waits for it: the decoding of a chunk of JSON envelopes
// (DecodeHelper) runs on one beside append's reading thread. (CommitPipeline keeps a queue
// of batches, so it runs its own loop.)
//
// Start and Wait synchronise through the mutex, so whatever the owner wrote before Start is
// the job's to read, and whatever the job wrote is the owner's to read after Wait: the data
// the two share needs no lock of its own, as long as the owner leaves it alone in between.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace evlog {

class JobThread {
 public:
  // Starts the thread (std::system_error if none can be had); `job` runs on it at each Start.
  explicit JobThread(std::function<void()> job);
  ~JobThread();  // waits for the job in progress
  JobThread(const JobThread&) = delete;
  JobThread& operator=(const JobThread&) = delete;

  // Runs the job once more. Only when it is not running (after Wait, or before any Start).
  void Start();
  // Blocks until the job started last has returned (at once if none is running).
  void Wait();

 private:
  void Run();

  std::function<void()> job_;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool running_ = false;
  bool stopping_ = false;
  std::thread thread_;  // last: started once everything it reads is constructed
};

}  // namespace evlog
