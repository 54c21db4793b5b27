// Global objects that a database's replay depends on (DESIGN.md invariant
// 7): roles, role memberships, role settings, and the properties of the
// backed-up database itself (owner, grants, connection limit, comment,
// settings). wal2sql reads them from the catalogs, keeps the last state it
// wrote, and writes the SQL that moves a target from one state to the next
// (wal2sql/globals.cpp says when and why). Pure C++: the state, its text
// form for the state files, and the SQL.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace scribe::globals {

// A non-transactional logical message with this prefix, emitted in the
// backed-up database, is a sync point: wal2sql writes there the global
// state as of that point (pg_scribe sends one when a chain's slot is
// created and before each rotation). It carries nothing: anyone may send it.
inline constexpr std::string_view kSyncMessagePrefix = "scribe.globals";

struct Role {
  std::string name;
  bool superuser = false;
  bool inherit = true;
  bool createrole = false;
  bool createdb = false;
  bool login = false;
  bool replication = false;
  bool bypassrls = false;
  std::int32_t connection_limit = -1;
  std::optional<std::string> password;     // the stored hash
  std::optional<std::string> valid_until;  // timestamptz text
  std::optional<std::string> comment;
  auto tie() const {
    return std::tie(name, superuser, inherit, createrole, createdb, login, replication, bypassrls, connection_limit,
                    password, valid_until, comment);
  }
  bool operator==(const Role& o) const { return tie() == o.tie(); }
};

struct Membership {
  std::uint32_t grantor = 0;  // 0 or a role that no longer exists: not named
  bool admin_option = false;
  bool operator==(const Membership& o) const { return grantor == o.grantor && admin_option == o.admin_option; }
};

// One privilege item of the database's ACL, in aclitem's letters: C (create),
// T (temporary), c (connect), each followed by * when grantable.
struct AclItem {
  std::uint32_t grantee = 0;  // 0: PUBLIC
  std::uint32_t grantor = 0;
  std::string privileges;
  bool operator==(const AclItem& o) const {
    return grantee == o.grantee && grantor == o.grantor && privileges == o.privileges;
  }
};

struct Database {
  std::uint32_t owner = 0;
  std::int32_t connection_limit = -1;
  std::vector<AclItem> acl;  // the effective ACL (the default one when datacl is null)
  std::optional<std::string> comment;
  bool operator==(const Database& o) const {
    return owner == o.owner && connection_limit == o.connection_limit && acl == o.acl && comment == o.comment;
  }
};

// Settings ("name=value" as in pg_db_role_setting.setconfig) of a role
// (ALTER ROLE r SET), of a role in this database (ALTER ROLE r IN DATABASE
// SET) or of this database (role 0: ALTER DATABASE SET).
struct SettingsKey {
  std::uint32_t role = 0;
  bool in_database = false;
  bool operator<(const SettingsKey& o) const { return std::pair(role, in_database) < std::pair(o.role, o.in_database); }
  bool operator==(const SettingsKey& o) const { return role == o.role && in_database == o.in_database; }
};

// A tablespace: created, renamed, given to another owner and dropped at its
// place in the stream. `location` is the directory at the source; empty
// for an in-place tablespace (allow_in_place_tablespaces); nullopt when it
// could not be read (dropped since): then only reported.
struct Tablespace {
  std::string name;
  std::uint32_t owner = 0;
  std::optional<std::string> location;
  bool operator==(const Tablespace& o) const { return name == o.name && owner == o.owner && location == o.location; }
  bool operator!=(const Tablespace& o) const { return !(*this == o); }
};

struct State {
  std::map<std::uint32_t, Role> roles;                                        // by oid, so that a rename is seen as one
  std::map<std::pair<std::uint32_t, std::uint32_t>, Membership> memberships;  // (role, member)
  std::map<SettingsKey, std::vector<std::string>> settings;
  Database database;
  std::map<std::uint32_t, Tablespace> tablespaces;
  bool operator==(const State& o) const {
    return roles == o.roles && memberships == o.memberships && settings == o.settings && database == o.database &&
           tablespaces == o.tablespaces;
  }
};

// Text form for the state files: one line per fact, fields separated by
// tabs, with \t \n \\ escaped and \N for null. parse_state is strict: a
// malformed file gives nullopt (the caller then treats the state as unknown).
std::string serialize_state(const State& state);
std::optional<State> parse_state(std::string_view text);

// How to write the value of a setting: as one literal, or, for the list
// settings PostgreSQL marks GUC_LIST_QUOTE (search_path ...), as a list of
// literals. Supplied by the server side.
using ListSettingPredicate = bool (*)(std::string_view name);

// The SQL that brings a target from `before` to `after`, or an empty string
// when nothing that is replayed differs. `before` null: the target's state
// is unknown (a new chain): roles are created when missing and left as
// they are when they exist (like globals.sql at restore), memberships
// granted, settings and the database's properties set; nothing is dropped.
// The SQL is one DO block in which every change runs on its own and only
// warns when it fails (a role that still owns objects elsewhere in the
// target cluster is not dropped), so that replay never stops there. The
// database is named at replay by current_database(): the properties land
// on the target database whatever its name.
std::string sync_sql(const State* before, const State& after, ListSettingPredicate is_list_setting);

}  // namespace scribe::globals
