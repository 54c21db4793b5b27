# C++ settings shared by the PGXS Makefiles (src/core/, wal2sql/, scribe/, cli/).
# Include before $(PGXS).
SCRIBE_ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/..)
# The core static library (src/core/Makefile; its sources: src/core/sources.txt).
SCRIBE_CORE_LIB := $(SCRIBE_ROOT)/src/core/libscribe_core.a
PG_CPPFLAGS += -I$(SCRIBE_ROOT)/include -I$(CURDIR)
# -fPIC is only added for C code; `register` appears in server headers.
PG_CXXFLAGS += -std=c++17 -fPIC -Wall -Wextra -Wno-register -Wno-unused-parameter -Wno-missing-field-initializers \
	-Wmissing-declarations
# PGXS links with gcc: the C++ runtime must be named.
SHLIB_LINK += -lstdc++
# Debian's server is built with LLVM: without this PGXS also compiles each
# .cpp to bitcode with clang, ignoring our C++ flags.
override with_llvm = no
