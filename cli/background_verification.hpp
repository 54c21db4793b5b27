// pg_scribe --restore verifies the diffs it will apply while it restores
// the base: verify_chain on a thread of its own, which the restore waits
// for before it applies the first diff. The thread touches only its own
// members and the files it reads; what it finds is the caller's to print.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <string>
#include <thread>

#include "report.hpp"
#include "scribe/core/chain_verify.hpp"

namespace pgscribe {

class BackgroundVerification {
 public:
  // Starts verify_chain(chain_dir, options); options.on_progress is replaced.
  BackgroundVerification(std::string chain_dir, scribe::VerifyOptions options);
  // Cancels it if it still runs, and joins: no thread outlives this.
  ~BackgroundVerification();
  BackgroundVerification(const BackgroundVerification&) = delete;
  BackgroundVerification& operator=(const BackgroundVerification&) = delete;

  // It has finished and found an error: the restore may stop early.
  bool failed() const { return failed_.load(); }
  // Stops it at its next progress report (every few MB read) and joins.
  // Its report is then not to be used.
  void cancel();
  // Waits for the end, drawing `progress` (bytes read) meanwhile. Rethrows
  // what the verification itself threw (out of memory; not a problem of a
  // file: those are in the report).
  const scribe::VerifyReport& wait(Progress& progress);

 private:
  struct Cancelled {};
  void run();

  const std::string chain_dir_;
  scribe::VerifyOptions options_;
  std::atomic<bool> cancel_{false};
  std::atomic<bool> failed_{false};
  std::atomic<std::uint64_t> bytes_{0};
  std::mutex mutex_;
  std::condition_variable finished_changed_;
  bool finished_ = false;        // under mutex_
  scribe::VerifyReport report_;  // written by the thread before finished_
  std::exception_ptr error_;     // likewise
  std::thread thread_;           // last: started once the members above exist
};

}  // namespace pgscribe
