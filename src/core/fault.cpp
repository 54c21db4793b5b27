#include "scribe/core/fault.hpp"

namespace scribe {

namespace detail {
FaultHook fault_hook = nullptr;
}

void set_fault_hook(FaultHook hook) { detail::fault_hook = hook; }

}  // namespace scribe
