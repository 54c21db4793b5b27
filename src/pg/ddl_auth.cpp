#include <cerrno>
#include <cstdio>

#include "scribe/pg/ddl_auth.hpp"
#include "scribe/pg/postgres.hpp"

extern "C" {
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/hmac.h"
#include "miscadmin.h"
#include "storage/fd.h"
}

namespace scribe::pg {
namespace {

bool read_key(const char* path, DdlKey* key) {
  const int fd = OpenTransientFile(path, O_RDONLY | PG_BINARY);
  if (fd < 0) {
    if (errno == ENOENT) return false;
    ereport(ERROR, (errcode_for_file_access(), errmsg("could not open pg_scribe key file \"%s\": %m", path)));
  }
  const ssize_t n = read(fd, key->bytes, sizeof key->bytes);
  const int read_errno = errno;
  CloseTransientFile(fd);
  if (n != static_cast<ssize_t>(sizeof key->bytes)) {
    errno = read_errno;
    ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED), errmsg("pg_scribe key file \"%s\" is damaged", path),
                    errdetail("Expected %zu bytes, read %zd.", sizeof key->bytes, n),
                    errhint("Restore it from a backup of the data directory; a new key cannot authenticate the "
                            "DDL already in the WAL.")));
  }
  return true;
}

// Writes a new key beside the final name and links it into place, so that
// two processes creating it at once agree on one key.
void create_key(const char* path) {
  char dir[MAXPGPATH];
  snprintf(dir, sizeof dir, "%s", path);
  *strrchr(dir, '/') = '\0';
  if (MakePGDirectory(dir) < 0 && errno != EEXIST)
    ereport(ERROR, (errcode_for_file_access(), errmsg("could not create directory \"%s\": %m", dir)));

  DdlKey fresh;
  if (!pg_strong_random(fresh.bytes, sizeof fresh.bytes))
    ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("could not generate a random pg_scribe key")));
  char tmp[MAXPGPATH];
  snprintf(tmp, sizeof tmp, "%s.%d.tmp", path, MyProcPid);
  const int fd = OpenTransientFilePerm(tmp, O_WRONLY | O_CREAT | O_TRUNC | PG_BINARY, S_IRUSR | S_IWUSR);
  if (fd < 0) ereport(ERROR, (errcode_for_file_access(), errmsg("could not create file \"%s\": %m", tmp)));
  if (write(fd, fresh.bytes, sizeof fresh.bytes) != static_cast<ssize_t>(sizeof fresh.bytes) || pg_fsync(fd) != 0) {
    const int saved = errno;
    CloseTransientFile(fd);
    unlink(tmp);
    errno = saved;
    ereport(ERROR, (errcode_for_file_access(), errmsg("could not write file \"%s\": %m", tmp)));
  }
  CloseTransientFile(fd);
  if (link(tmp, path) < 0 && errno != EEXIST) {
    const int saved = errno;
    unlink(tmp);
    errno = saved;
    ereport(ERROR, (errcode_for_file_access(), errmsg("could not link \"%s\" to \"%s\": %m", tmp, path)));
  }
  unlink(tmp);
  fsync_fname(dir, true);
}

}  // namespace

void load_or_create_ddl_key(DdlKey* key) {
  if (read_key(kDdlKeyPath, key)) return;
  create_key(kDdlKeyPath);
  if (!read_key(kDdlKeyPath, key))
    ereport(ERROR, (errcode_for_file_access(), errmsg("could not open pg_scribe key file \"%s\"", kDdlKeyPath)));
}

void sign_ddl(const DdlKey& key, std::uint32_t xid, const char* statement, std::size_t len,
              char (&out)[kDdlMacHexLength]) {
  char xid_text[16];
  const int xid_len = snprintf(xid_text, sizeof xid_text, "%u\n", xid);
  pg_hmac_ctx* ctx = pg_hmac_create(PG_SHA256);
  if (ctx == nullptr) ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
  unsigned char mac[kDdlMacBytes];
  const bool ok = pg_hmac_init(ctx, key.bytes, sizeof key.bytes) == 0 &&
                  pg_hmac_update(ctx, reinterpret_cast<const uint8*>(xid_text), xid_len) == 0 &&
                  pg_hmac_update(ctx, reinterpret_cast<const uint8*>(statement), len) == 0 &&
                  pg_hmac_final(ctx, mac, sizeof mac) == 0;
  pg_hmac_free(ctx);
  if (!ok) ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("could not compute HMAC for a DDL message")));
  scribe::hex_encode(mac, sizeof mac, out);
}

}  // namespace scribe::pg
