// The one way C++ code holds an LWLock: acquired by the constructor,
// released by the destructor (or release()) on every way out of the scope.
//
// Two ways out exist, and the guard is correct on both:
//  - A C++ exception (a scribe::Error, or a PgError from call_pg) unwinds
//    the scope and runs the destructor, which releases the lock. The
//    transaction's abort later calls LWLockReleaseAll, which then finds
//    nothing of ours to release.
//  - A longjmp (ereport(ERROR) outside call_pg, FATAL's proc_exit) skips
//    the destructor. PostgreSQL's error recovery and process exit call
//    LWLockReleaseAll, which releases the lock. The guard's rule
//    (guard.hpp) still applies: PostgreSQL calls inside the scope go
//    through call_pg, so this case is only a backstop.
// The destructor releases only a lock this process still holds: a frame
// that outlives an error recovery (a PG_CATCH that ran AbortCurrentTransaction,
// an exit callback after LWLockReleaseAll) must not release twice, since
// LWLockRelease of a lock not held raises an ERROR, which from a destructor
// would end in std::terminate.
//
// The constructor acquires through call_pg (LWLockAcquire raises an ERROR
// when too many LWLocks are held). A guard itself has a destructor: never
// create one inside a call_pg lambda, where a longjmp may skip it.
#pragma once

#include "scribe/pg/guard.hpp"
#include "scribe/pg/postgres.hpp"

extern "C" {
#include "storage/lwlock.h"
}

namespace scribe::pg {

class LWLockGuard {
 public:
  LWLockGuard(LWLock* lock, LWLockMode mode) {
    call_pg([&] { LWLockAcquire(lock, mode); });
    lock_ = lock;
  }
  ~LWLockGuard() { release(); }

  // Releases before the end of the scope (to signal or wait without it).
  void release() noexcept {
    if (lock_ != nullptr && LWLockHeldByMe(lock_)) LWLockRelease(lock_);
    lock_ = nullptr;
  }

  LWLockGuard(const LWLockGuard&) = delete;
  LWLockGuard& operator=(const LWLockGuard&) = delete;

 private:
  LWLock* lock_ = nullptr;
};

}  // namespace scribe::pg
