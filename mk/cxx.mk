# C++ settings shared by the PGXS module Makefiles (wal2sql/, scribe/).
# Include before $(PGXS).
SCRIBE_ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/..)
PG_CPPFLAGS += -I$(SCRIBE_ROOT)/include -I$(CURDIR)
# -fPIC is only added for C code; `register` appears in server headers.
PG_CXXFLAGS += -std=c++17 -fPIC -Wall -Wextra -Wno-register -Wno-unused-parameter -Wno-missing-field-initializers \
	-Wmissing-declarations
# PGXS links with gcc: the C++ runtime must be named.
SHLIB_LINK += -lstdc++
# Debian's server is built with LLVM: without this PGXS also compiles each
# .cpp to bitcode with clang, ignoring our C++ flags.
override with_llvm = no
