# Links the core static library into this directory's module or program.
# Include after $(PGXS). The top-level Makefile builds src/core first; this
# rule only builds the library when it is missing (make -C <dir> alone).
$(shlib) $(PROGRAM): $(SCRIBE_CORE_LIB)
$(SCRIBE_CORE_LIB):
	$(MAKE) -C $(SCRIBE_ROOT)/src/core
