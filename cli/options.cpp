#include "options.hpp"

#include <getopt.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace pgscribe {

namespace {

enum LongOnly {
  kOptInit = 1000,
  kOptStart,
  kOptStop,
  kOptRotateDiff,
  kOptNewChain,
  kOptRestore,
  kOptVerify,
  kOptStatus,
  kOptTeardown,
  kOptBackupDir,
  kOptSlot,
  kOptCompress,
  kOptForce,
  kOptRepository,
  kOptChainId,
  kOptUpTo,
  kOptIncludeActive,
  kOptNoSyncSequences,
  kOptAllowNonEmpty,
  kOptUnconfined,
  kOptFireTriggers,
  kOptNoGlobals,
  kOptKeepSlot,
  kOptFsBackupStart,
  kOptFsBackupStop,
  kOptLabel,
  kOptFast,
  kOptTimeout,
  kOptBackupLabelFile,
  kOptTablespaceMapFile,
  kOptWalListFile,
  kOptNoWaitForArchive,
};

void set_action(Options& o, Action action) {
  if (o.action != Action::kNone && o.action != action)
    throw UsageError(std::string("cannot combine ") + action_flag(o.action) + " with " + action_flag(action),
                     "Give exactly one action per run. Try \"pg_scribe --help\" for more information.");
  o.action = action;
}

// A number of seconds: digits with an optional fraction, nothing else.
bool is_seconds(const std::string& text) {
  char* end = nullptr;
  errno = 0;
  const double value = std::strtod(text.c_str(), &end);
  return !text.empty() && text.find_first_not_of("0123456789.") == std::string::npos && end != nullptr &&
         *end == '\0' && errno == 0 && value >= 0 && value < 1e12;
}

void require(bool condition, const std::string& message) {
  if (!condition) throw UsageError(message);
}

// Options that only make sense with some actions are refused elsewhere, as
// pg_recvlogical does, so a typo in a script is not silently ignored.
void check_applicable(const Options& o) {
  const Action a = o.action;
  const bool restore = a == Action::kRestore;
  auto only = [&](bool used, const char* option, bool allowed, const char* actions) {
    if (used && !allowed)
      throw UsageError(std::string(option) + " cannot be used with " + action_flag(a),
                       std::string(option) + " applies to " + actions + ".");
  };
  only(o.create, "--create", restore, "--restore");
  only(!o.up_to.empty(), "--up-to", restore, "--restore");
  only(o.include_active, "--include-active", restore, "--restore");
  only(o.no_sync_sequences, "--no-sync-sequences", restore, "--restore");
  only(o.allow_non_empty, "--allow-non-empty", restore, "--restore");
  only(o.unconfined, "--unconfined", restore, "--restore");
  only(o.fire_triggers, "--fire-triggers", restore, "--restore");
  only(o.no_globals, "--no-globals", restore, "--restore");
  only(o.jobs != 1, "--jobs", restore, "--restore");
  only(!o.chain_id.empty(), "--chain-id", restore || a == Action::kVerify, "--restore and --verify");
  only(!o.compress.empty(), "--compress", a == Action::kInit || a == Action::kNewChain, "--init and --new-chain");
  only(!o.repository.empty(), "--repository",
       a == Action::kInit || restore || a == Action::kVerify || a == Action::kStatus,
       "--init, --restore, --verify and --status");
  only(o.force, "--force", a == Action::kInit || restore, "--init and --restore");
  only(o.keep_slot, "--keep-slot", a == Action::kTeardown, "--teardown");
  const bool fs_start = a == Action::kFsBackupStart, fs_stop = a == Action::kFsBackupStop;
  only(!o.label.empty(), "--label", fs_start || fs_stop, "--fs-backup-start and --fs-backup-stop");
  only(o.fast, "--fast", fs_start, "--fs-backup-start");
  only(!o.timeout.empty(), "--timeout", fs_start, "--fs-backup-start");
  only(!o.backup_label_file.empty(), "--backup-label-file", fs_stop, "--fs-backup-stop");
  only(!o.tablespace_map_file.empty(), "--tablespace-map-file", fs_stop, "--fs-backup-stop");
  only(!o.wal_list_file.empty(), "--wal-list-file", fs_stop, "--fs-backup-stop");
  only(o.no_wait_for_archive, "--no-wait-for-archive", fs_stop, "--fs-backup-stop");
  only(!o.backup_dir.empty(), "--backup-dir", !fs_start && !fs_stop, "the backup actions");
  only(!o.slot.empty(), "--slot", a == Action::kInit || a == Action::kStatus || a == Action::kStart,
       "--init, --start and --status");
}

}  // namespace

const char* action_flag(Action action) {
  switch (action) {
    // A table, one option per line: kept as written.
    // clang-format off
    case Action::kInit: return "--init";
    case Action::kStart: return "--start";
    case Action::kStop: return "--stop";
    case Action::kRotateDiff: return "--rotate-diff";
    case Action::kNewChain: return "--new-chain";
    case Action::kRestore: return "--restore";
    case Action::kVerify: return "--verify";
    case Action::kStatus: return "--status";
    case Action::kTeardown: return "--teardown";
    case Action::kFsBackupStart: return "--fs-backup-start";
    case Action::kFsBackupStop: return "--fs-backup-stop";
    case Action::kNone: break;
  }
  // clang-format on
  return "(no action)";
}

Options parse_options(int argc, char** argv) {
  static const option kLongOptions[] = {
      {"init", no_argument, nullptr, kOptInit},
      {"start", no_argument, nullptr, kOptStart},
      {"stop", no_argument, nullptr, kOptStop},
      {"rotate-diff", no_argument, nullptr, kOptRotateDiff},
      {"new-chain", no_argument, nullptr, kOptNewChain},
      {"restore", no_argument, nullptr, kOptRestore},
      {"verify", no_argument, nullptr, kOptVerify},
      {"status", no_argument, nullptr, kOptStatus},
      {"teardown", no_argument, nullptr, kOptTeardown},
      {"dbname", required_argument, nullptr, 'd'},
      {"host", required_argument, nullptr, 'h'},
      {"port", required_argument, nullptr, 'p'},
      {"username", required_argument, nullptr, 'U'},
      {"no-password", no_argument, nullptr, 'w'},
      {"password", no_argument, nullptr, 'W'},
      {"verbose", no_argument, nullptr, 'v'},
      {"version", no_argument, nullptr, 'V'},
      {"help", no_argument, nullptr, '?'},
      {"backup-dir", required_argument, nullptr, kOptBackupDir},
      {"slot", required_argument, nullptr, kOptSlot},
      {"compress", required_argument, nullptr, kOptCompress},
      {"force", no_argument, nullptr, kOptForce},
      {"repository", required_argument, nullptr, kOptRepository},
      {"repo", required_argument, nullptr, kOptRepository},  // short for --repository
      {"create", no_argument, nullptr, 'C'},
      {"chain-id", required_argument, nullptr, kOptChainId},
      {"up-to", required_argument, nullptr, kOptUpTo},
      {"include-active", no_argument, nullptr, kOptIncludeActive},
      {"no-sync-sequences", no_argument, nullptr, kOptNoSyncSequences},
      {"allow-non-empty", no_argument, nullptr, kOptAllowNonEmpty},
      {"unconfined", no_argument, nullptr, kOptUnconfined},
      {"fire-triggers", no_argument, nullptr, kOptFireTriggers},
      {"no-globals", no_argument, nullptr, kOptNoGlobals},
      {"jobs", required_argument, nullptr, 'j'},
      {"keep-slot", no_argument, nullptr, kOptKeepSlot},
      {"fs-backup-start", no_argument, nullptr, kOptFsBackupStart},
      {"fs-backup-stop", no_argument, nullptr, kOptFsBackupStop},
      {"label", required_argument, nullptr, kOptLabel},
      {"fast", no_argument, nullptr, kOptFast},
      {"timeout", required_argument, nullptr, kOptTimeout},
      {"backup-label-file", required_argument, nullptr, kOptBackupLabelFile},
      {"tablespace-map-file", required_argument, nullptr, kOptTablespaceMapFile},
      {"wal-list-file", required_argument, nullptr, kOptWalListFile},
      {"no-wait-for-archive", no_argument, nullptr, kOptNoWaitForArchive},
      {nullptr, 0, nullptr, 0},
  };
  Options o;
  // --help and --version alone, anywhere, as PostgreSQL's programs do first.
  if (argc > 1 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-?") == 0)) {
    o.show_help = true;
    return o;
  }
  if (argc > 1 && (std::strcmp(argv[1], "--version") == 0 || std::strcmp(argv[1], "-V") == 0)) {
    o.show_version = true;
    return o;
  }
  opterr = 0;  // our own message, with the exit code of the spec
  optind = 1;
  int c;
  while ((c = getopt_long(argc, argv, ":d:h:p:U:wWvV?Cj:", kLongOptions, nullptr)) != -1) {
    switch (c) {
      // A table, one option per line: kept as written.
      // clang-format off
      case kOptInit: set_action(o, Action::kInit); break;
      case kOptStart: set_action(o, Action::kStart); break;
      case kOptStop: set_action(o, Action::kStop); break;
      case kOptRotateDiff: set_action(o, Action::kRotateDiff); break;
      case kOptNewChain: set_action(o, Action::kNewChain); break;
      case kOptRestore: set_action(o, Action::kRestore); break;
      case kOptVerify: set_action(o, Action::kVerify); break;
      case kOptStatus: set_action(o, Action::kStatus); break;
      case kOptTeardown: set_action(o, Action::kTeardown); break;
      case kOptFsBackupStart: set_action(o, Action::kFsBackupStart); break;
      case kOptFsBackupStop: set_action(o, Action::kFsBackupStop); break;
      case 'd': o.connection.dbname = optarg; break;
      case 'h': o.connection.host = optarg; break;
      case 'p': o.connection.port = optarg; break;
      case 'U': o.connection.username = optarg; break;
      case 'w': o.connection.password = ConnectionOptions::Password::kNever; break;
      case 'W': o.connection.password = ConnectionOptions::Password::kPrompt; break;
      case 'v': o.verbose = true; break;
      case 'V': o.show_version = true; break;
      case '?':
        if (optopt != 0 && optopt != '?') {
          throw UsageError(std::string("invalid option -- '") + static_cast<char>(optopt) + "'");
        }
        if (optopt == 0 && optind > 0 && std::strcmp(argv[optind - 1], "-?") != 0 &&
            std::strcmp(argv[optind - 1], "--help") != 0)
          throw UsageError(std::string("unrecognized option \"") + argv[optind - 1] + "\"");
        o.show_help = true;
        break;
      case ':':
        throw UsageError(std::string("option \"") + argv[optind - 1] + "\" requires an argument");
      case kOptBackupDir: o.backup_dir = optarg; break;
      case kOptSlot: o.slot = optarg; break;
      case kOptCompress: o.compress = optarg; break;
      case kOptForce: o.force = true; break;
      case kOptRepository: o.repository = optarg; break;
      case 'C': o.create = true; break;
      case kOptChainId: o.chain_id = optarg; break;
      case kOptUpTo: o.up_to = optarg; break;
      case kOptIncludeActive: o.include_active = true; break;
      case kOptNoSyncSequences: o.no_sync_sequences = true; break;
      case kOptAllowNonEmpty: o.allow_non_empty = true; break;
      case kOptUnconfined: o.unconfined = true; break;
      case kOptFireTriggers: o.fire_triggers = true; break;
      case kOptNoGlobals: o.no_globals = true; break;
      case 'j': {
        char* end = nullptr;
        errno = 0;
        const long n = std::strtol(optarg, &end, 10);
        if (errno != 0 || end == optarg || *end != '\0' || n < 1 || n > 64)
          throw UsageError(std::string("invalid --jobs value \"") + optarg + "\"",
                           "Give the number of connections restoring the base, from 1 to 64.");
        o.jobs = static_cast<int>(n);
        break;
      }
      case kOptKeepSlot: o.keep_slot = true; break;
      case kOptLabel: o.label = optarg; break;
      case kOptFast: o.fast = true; break;
      case kOptTimeout: o.timeout = optarg; break;
      case kOptBackupLabelFile: o.backup_label_file = optarg; break;
      case kOptTablespaceMapFile: o.tablespace_map_file = optarg; break;
      case kOptWalListFile: o.wal_list_file = optarg; break;
      case kOptNoWaitForArchive: o.no_wait_for_archive = true; break;
      default: throw UsageError("invalid command line");
    }
    // clang-format on
  }
  if (optind < argc)
    throw UsageError(std::string("too many command-line arguments (first is \"") + argv[optind] + "\")");
  if (o.show_help || o.show_version) return o;
  if (o.action == Action::kNone)
    throw UsageError("no action specified",
                     "Give one of --init, --start, --stop, --rotate-diff, --new-chain, --restore, --verify, --status, "
                     "--teardown, --fs-backup-start or --fs-backup-stop. Try \"pg_scribe --help\" for more "
                     "information.");
  check_applicable(o);
  // --restore, --verify and --status read the chains from the object store
  // itself (settings from AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID,
  // AWS_SECRET_ACCESS_KEY), where --backup-dir would name a directory.
  if (!o.repository.empty() && o.action != Action::kInit) {
    require(o.backup_dir.empty(),
            "--repository and --backup-dir cannot be used together with " + std::string(action_flag(o.action)));
    require(o.repository.rfind("s3://", 0) == 0, "--repository must be an s3:// URL");
    o.backup_dir = o.repository;
  }
  switch (o.action) {
    case Action::kInit:
    case Action::kRestore:
    case Action::kVerify:
      require(!o.backup_dir.empty(), std::string(action_flag(o.action)) +
                                         " requires --backup-dir (or --repo for a repository in an object store)");
      break;
    default:
      break;
  }
  if (o.action == Action::kRestore)
    require(!o.connection.dbname.empty(), "--restore requires the target database (-d/--dbname)");
  if (o.action == Action::kFsBackupStart || o.action == Action::kFsBackupStop)
    require(!o.label.empty(), std::string(action_flag(o.action)) + " requires --label");
  if (!o.timeout.empty() && !is_seconds(o.timeout))
    throw UsageError("invalid --timeout value \"" + o.timeout + "\"",
                     "Give the timeout in seconds, such as --timeout=3600 (0: no timeout).");
  if (!o.up_to.empty() && o.up_to.find_first_not_of(" \t") == std::string::npos)
    throw UsageError("--up-to must not be empty");
  return o;
}

void print_help() {
  std::printf(
      "pg_scribe keeps a PostgreSQL database backed up as plain SQL: a base dump and\n"
      "a continuous stream of SQL decoded from the WAL, in chains of files that psql\n"
      "alone can replay, and that pg_scribe restores fast, to any committed transaction.\n"
      "\n"
      "Usage:\n"
      "  pg_scribe ACTION [OPTION]...\n"
      "\n"
      "Actions (exactly one):\n"
      "      --init               create the slot, take the base backup and start streaming\n"
      "                           (scribe.init); the backup directory must be empty or absent\n"
      "      --start              start streaming again after --stop (scribe.start)\n"
      "      --stop               stop streaming; the slot keeps the WAL (scribe.stop)\n"
      "      --rotate-diff        seal active.sql as a differential (scribe.rotate_diff)\n"
      "      --new-chain          start a new chain with a fresh base (scribe.new_chain)\n"
      "      --teardown           stop backing up the database and drop its slot (files kept)\n"
      "      --status             show the streaming state and, with --backup-dir, the chains\n"
      "      --restore            restore a chain into a database (-d), up to any transaction\n"
      "      --verify             check every file of the backup against its manifest\n"
      "      --fs-backup-start    start a file-system backup held open by the server\n"
      "                           (scribe.fs_backup_start); prints the start LSN\n"
      "      --fs-backup-stop     end it (scribe.fs_backup_stop); writes the files, prints\n"
      "                           the backup_label contents\n"
      "\n"
      "Options for the backup actions:\n"
      "      --backup-dir=DIR     backup directory (absolute path on the server for --init;\n"
      "                           read locally by --restore, --verify and --status)\n"
      "      --slot=SLOTNAME      replication slot name (default: pg_scribe)\n"
      "      --compress=METHOD    gzip, lz4, zstd or none, with an optional level (zstd:9)\n"
      "                           (--init default: none; --new-chain default: as the chain)\n"
      "      --force              --init: back up even though tables lack a replica identity\n"
      "      --repository=s3://BUCKET[/PREFIX]\n"
      "                           --init: also upload every sealed file to this object store\n"
      "                           (the server's scribe.s3_* settings); --restore, --verify,\n"
      "                           --status: read the chains from it (AWS_ENDPOINT_URL,\n"
      "                           AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)\n"
      "      --keep-slot          --teardown: keep the replication slot\n"
      "\n"
      "Options for --restore:\n"
      "  -d, --dbname=DBNAME      target database (required)\n"
      "  -C, --create             create the target database (it must not exist)\n"
      "  -j, --jobs=NUM           restore over NUM connections (the base's data and indexes,\n"
      "                           the diffs' row changes by key)\n"
      "      --chain-id=ID        restore this chain (default: the latest)\n"
      "      --up-to=TIME|LSN     stop after the last transaction committed at or before\n"
      "                           TIME (any timestamptz input; no zone means the session's\n"
      "                           TimeZone) or commit LSN (X/Y)\n"
      "      --include-active     also apply active.sql (a torn final transaction is dropped)\n"
      "      --no-sync-sequences  only the sequence values recorded at sealing; do not move\n"
      "                           sequences that are behind the data they feed\n"
      "      --no-globals         do not restore globals.sql (roles, tablespaces)\n"
      "      --allow-non-empty    restore into a database that already has objects\n"
      "      --unconfined         run the code other roles control (constraints, triggers,\n"
      "                           DDL) with the restorer's rights; only for backups whose\n"
      "                           roles you all trust (default: as those roles, confined)\n"
      "      --fire-triggers      let ENABLE ALWAYS/REPLICA triggers fire on replay\n"
      "      --force              apply files that fail verification (dangerous!)\n"
      "\n"
      "Options for --verify:\n"
      "      --chain-id=ID        verify this chain only (default: every chain)\n"
      "\n"
      "Options for the file-system backup actions:\n"
      "      --label=LABEL        the backup's label (required)\n"
      "      --fast               --fs-backup-start: checkpoint at once, not spread\n"
      "      --timeout=SECONDS    --fs-backup-start: abort the backup if it is not stopped\n"
      "                           in time (0: never; default: scribe.fs_backup_timeout)\n"
      "      --backup-label-file=FILE\n"
      "                           --fs-backup-stop: write backup_label to FILE\n"
      "      --tablespace-map-file=FILE\n"
      "                           --fs-backup-stop: write tablespace_map to FILE (only\n"
      "                           written when the cluster has tablespaces)\n"
      "      --wal-list-file=FILE --fs-backup-stop: write the names of the WAL files the\n"
      "                           backup needs to FILE, one a line\n"
      "      --no-wait-for-archive\n"
      "                           --fs-backup-stop: do not wait for the WAL to be archived\n"
      "\n"
      "Connection options:\n"
      "  -d, --dbname=DBNAME      database to connect to (may be a connection string)\n"
      "  -h, --host=HOSTNAME      database server host or socket directory\n"
      "  -p, --port=PORT          database server port\n"
      "  -U, --username=NAME      connect as this database user\n"
      "  -w, --no-password        never prompt for a password\n"
      "  -W, --password           prompt for a password before connecting\n"
      "\n"
      "Other options:\n"
      "  -v, --verbose            say more about what is done\n"
      "  -V, --version            print the version and exit\n"
      "  -?, --help               show this help and exit\n"
      "\n"
      "Exit codes: 0 success, 1 other error, 2 connection error, 3 replication slot error,\n"
      "4 backup or restore error (a file failed verification), 5 invalid arguments or\n"
      "validation failure, 10 --status found warnings.\n"
      "\n"
      "Environment: PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD, PGSERVICE and the\n"
      "other libpq variables; ~/.pgpass; PG_COLOR=always|auto|never colours diagnostics.\n");
}

}  // namespace pgscribe
