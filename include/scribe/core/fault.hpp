// Fault points: named places where the tests of RELIABILITY.md stop a
// process (to kill -9 it there, or to run something concurrently).
//
// The pure core only names the places; the server library installs the hook
// that decides (from the scribe.fault_injection setting) whether to pause.
// Without a hook a fault point costs one load and one branch.
#pragma once

namespace scribe {

using FaultHook = void (*)(const char* point);

// Installs the hook (nullptr: none). Not thread-safe: set once at start.
void set_fault_hook(FaultHook hook);

namespace detail {
extern FaultHook fault_hook;
}

inline void fault_point(const char* point) {
  if (detail::fault_hook != nullptr) detail::fault_hook(point);
}

}  // namespace scribe
