// Large-object capture: creation, unlink and the contents written in the
// transaction that created a large object go into the WAL as signed
// statements (see large_objects.cpp for what cannot be seen).
#pragma once

namespace scribe::capture {

// From _PG_init: the object access hook and the pre-commit callback.
void install_large_object_hooks();

}  // namespace scribe::capture
