// The uploader: one background worker per cluster that copies the sealed
// files of every backup with an s3:// repository to the object store
// (scribe/core/upload.hpp), outside the streaming workers' path: a slow or
// absent store never holds back streaming or sealing, and files wait
// locally until it is back.
#pragma once

#include <string>

namespace scribe::uploader {

void define_gucs();
void request_shared_memory();  // _PG_init, at server start
// At server start: when some backup has a repository.
void register_static_worker();
// From scribe.init(): validates the repository URL and that the settings
// it needs are there (the store itself may be away: files then wait).
void check_repository(const std::string& repository);
// Starts the uploader unless it runs.
void ensure_running();

}  // namespace scribe::uploader
