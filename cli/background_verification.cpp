#include "background_verification.hpp"

#include <chrono>
#include <utility>

namespace pgscribe {

BackgroundVerification::BackgroundVerification(std::string chain_dir, scribe::VerifyOptions options)
    : chain_dir_(std::move(chain_dir)), options_(std::move(options)) {
  options_.on_progress = [this](std::uint64_t bytes) {
    bytes_ = bytes;
    if (cancel_.load()) throw Cancelled{};  // verify_chain lets it through
  };
  thread_ = std::thread([this] { run(); });
}

BackgroundVerification::~BackgroundVerification() { cancel(); }

void BackgroundVerification::run() {
  try {
    report_ = scribe::verify_chain(chain_dir_, options_);
    failed_ = !report_.ok();
  } catch (const Cancelled&) {
  } catch (...) {
    error_ = std::current_exception();
  }
  std::lock_guard<std::mutex> lock(mutex_);
  finished_ = true;
  finished_changed_.notify_all();
}

void BackgroundVerification::cancel() {
  cancel_ = true;
  if (thread_.joinable()) thread_.join();
}

const scribe::VerifyReport& BackgroundVerification::wait(Progress& progress) {
  {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!finished_changed_.wait_for(lock, std::chrono::milliseconds(100), [this] { return finished_; }))
      progress.update(bytes_.load(), 0);
  }
  if (thread_.joinable()) thread_.join();
  if (error_) std::rethrow_exception(error_);
  return report_;
}

}  // namespace pgscribe
