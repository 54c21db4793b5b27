// The one place server headers are included from C++. They have no
// extern "C" guards of their own, and they define macros (Max, Min, ...)
// that break standard headers, so every C++ file includes its standard and
// core headers first and this file last.
#pragma once

extern "C" {
#include "postgres.h"

#include "fmgr.h"
#include "utils/elog.h"
#include "utils/memutils.h"
}
