#include "scribe/core/globals.hpp"

#include <charconv>
#include <set>

#include "scribe/core/quote.hpp"

namespace scribe::globals {
namespace {

// ---- text form

void put_field(std::string& out, std::string_view value) {
  out.push_back('\t');
  for (const char ch : value) {
    switch (ch) {
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\\':
        out += "\\\\";
        break;
      default:
        out.push_back(ch);
    }
  }
}

void put_optional(std::string& out, const std::optional<std::string>& value) {
  if (value)
    put_field(out, *value);
  else
    out += "\t\\N";
}

void put_number(std::string& out, long long value) { put_field(out, std::to_string(value)); }

std::optional<std::string> unescape(std::string_view field) {
  std::string out;
  for (std::size_t i = 0; i < field.size(); i++) {
    if (field[i] != '\\') {
      out.push_back(field[i]);
      continue;
    }
    if (++i == field.size()) return std::nullopt;
    switch (field[i]) {
      case 't':
        out.push_back('\t');
        break;
      case 'n':
        out.push_back('\n');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case '\\':
        out.push_back('\\');
        break;
      default:
        return std::nullopt;
    }
  }
  return out;
}

struct Fields {
  std::vector<std::string_view> raw;
  bool ok = true;
  std::string text(std::size_t i) {
    if (i >= raw.size()) {
      ok = false;
      return {};
    }
    std::optional<std::string> v = unescape(raw[i]);
    if (!v) ok = false;
    return v.value_or(std::string());
  }
  std::optional<std::string> optional(std::size_t i) {
    if (i < raw.size() && raw[i] == "\\N") return std::nullopt;
    return text(i);
  }
  long long number(std::size_t i) {
    long long value = 0;
    if (i >= raw.size()) {
      ok = false;
      return 0;
    }
    const auto [end, ec] = std::from_chars(raw[i].data(), raw[i].data() + raw[i].size(), value);
    if (ec != std::errc() || end != raw[i].data() + raw[i].size()) ok = false;
    return value;
  }
  bool flag(std::size_t i) { return number(i) != 0; }
};

Fields split_fields(std::string_view line) {
  Fields f;
  std::size_t start = 0;
  for (;;) {
    const std::size_t tab = line.find('\t', start);
    f.raw.push_back(line.substr(start, tab == std::string_view::npos ? std::string_view::npos : tab - start));
    if (tab == std::string_view::npos) break;
    start = tab + 1;
  }
  return f;
}

// ---- SQL

std::string ident(std::string_view name) {
  std::string out;
  append_identifier(out, name);
  return out;
}

std::string literal(std::string_view value) {
  std::string out;
  append_literal(out, value);
  return out;
}

// A format() template: % doubled, so that only our %I is a placeholder.
std::string format_escaped(std::string_view text) {
  std::string out;
  for (const char ch : text) {
    out.push_back(ch);
    if (ch == '%') out.push_back('%');
  }
  return out;
}

// The PL/pgSQL body of the DO block: each change in a block of its own
// whose failure is a warning (rule 1: replay never stops here).
class Body {
 public:
  void guarded(const std::string& plpgsql) {
    text_ += "BEGIN ";
    text_ += plpgsql;
    text_ +=
        " EXCEPTION WHEN OTHERS THEN RAISE WARNING 'pg_scribe: a change of global objects was not replayed: %', "
        "SQLERRM; END;\n";
  }
  void execute(const std::string& sql) { guarded("EXECUTE " + literal(sql) + ";"); }
  // `before` %I `after`, the database being the target's.
  void execute_on_database(std::string_view before, std::string_view after) {
    guarded("EXECUTE pg_catalog.format(" + literal(format_escaped(before) + "%I" + format_escaped(after)) +
            ", pg_catalog.current_database());");
  }
  bool empty() const { return text_.empty(); }
  std::string finish() const {
    std::string out = "-- pg_scribe: roles and properties of this database as of this point of the source\nDO ";
    append_literal(out, "DECLARE scribe_grantee oid;\nBEGIN\n" + text_ + "END");
    out += ";";
    return out;
  }

 private:
  std::string text_;
};

std::string role_options(const Role& r, const Role* before) {
  std::string s;
  s += r.superuser ? " SUPERUSER" : " NOSUPERUSER";
  s += r.inherit ? " INHERIT" : " NOINHERIT";
  s += r.createrole ? " CREATEROLE" : " NOCREATEROLE";
  s += r.createdb ? " CREATEDB" : " NOCREATEDB";
  s += r.login ? " LOGIN" : " NOLOGIN";
  s += r.replication ? " REPLICATION" : " NOREPLICATION";
  s += r.bypassrls ? " BYPASSRLS" : " NOBYPASSRLS";
  s += " CONNECTION LIMIT " + std::to_string(r.connection_limit);
  // A password or expiry is written when it changed (or is set, for a new
  // role): a decoder that may not read hashes must not erase the target's.
  if (before == nullptr ? r.password.has_value() : r.password != before->password)
    s += " PASSWORD " + (r.password ? literal(*r.password) : std::string("NULL"));
  if (before == nullptr ? r.valid_until.has_value() : r.valid_until != before->valid_until)
    s += " VALID UNTIL " + literal(r.valid_until.value_or("infinity"));
  return s;
}

bool same_attributes(const Role& a, const Role& b) {
  return a.superuser == b.superuser && a.inherit == b.inherit && a.createrole == b.createrole &&
         a.createdb == b.createdb && a.login == b.login && a.replication == b.replication &&
         a.bypassrls == b.bypassrls && a.connection_limit == b.connection_limit && a.password == b.password &&
         a.valid_until == b.valid_until;
}

const std::string* role_name(const State& s, std::uint32_t oid) {
  const auto it = s.roles.find(oid);
  return it == s.roles.end() ? nullptr : &it->second.name;
}

// The elements of a GUC_LIST_QUOTE value as PostgreSQL's SplitGUCList reads
// them: comma-separated, blanks around, "..." with "" inside.
std::vector<std::string> split_list_value(std::string_view value) {
  std::vector<std::string> items;
  std::size_t i = 0;
  auto blank = [](char ch) { return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' || ch == '\v'; };
  while (i < value.size()) {
    while (i < value.size() && blank(value[i])) i++;
    std::string item;
    if (i < value.size() && value[i] == '"') {
      for (i++; i < value.size(); i++) {
        if (value[i] == '"') {
          if (i + 1 < value.size() && value[i + 1] == '"') {
            item.push_back('"');
            i++;
          } else {
            i++;
            break;
          }
        } else {
          item.push_back(value[i]);
        }
      }
    } else {
      while (i < value.size() && value[i] != ',' && !blank(value[i])) item.push_back(value[i++]);
    }
    while (i < value.size() && blank(value[i])) i++;
    items.push_back(item);
    if (i < value.size() && value[i] == ',') i++;
  }
  return items;
}

std::string setting_assignment(std::string_view setting, ListSettingPredicate is_list_setting) {
  const std::size_t eq = setting.find('=');
  const std::string_view name = setting.substr(0, eq);
  const std::string_view value = eq == std::string_view::npos ? std::string_view() : setting.substr(eq + 1);
  std::string s = "SET " + ident(name) + " TO ";
  if (is_list_setting != nullptr && is_list_setting(name)) {
    const std::vector<std::string> items = split_list_value(value);
    if (items.empty()) s += "''";
    for (std::size_t i = 0; i < items.size(); i++) s += (i > 0 ? ", " : "") + literal(items[i]);
  } else {
    s += literal(value);
  }
  return s;
}

void sync_settings(Body& body, const State* before, const State& after, ListSettingPredicate is_list_setting) {
  std::set<SettingsKey> keys;
  for (const auto& [key, _] : after.settings) keys.insert(key);
  if (before != nullptr)
    for (const auto& [key, _] : before->settings) keys.insert(key);
  for (const SettingsKey& key : keys) {
    const auto now = after.settings.find(key);
    const std::vector<std::string>* was = nullptr;
    if (before != nullptr) {
      const auto it = before->settings.find(key);
      if (it != before->settings.end()) was = &it->second;
    }
    if (now == after.settings.end() && was == nullptr) continue;
    if (now != after.settings.end() && was != nullptr && *was == now->second) continue;
    if (now == after.settings.end() && before == nullptr) continue;
    // The whole list at once: RESET ALL, then each setting.
    std::string role_part, database_part;
    if (key.role != 0) {
      const std::string* name = role_name(after, key.role);
      if (name == nullptr) continue;  // the role is gone (or not ours): its settings went with it
      role_part = "ALTER ROLE " + ident(*name);
    }
    std::vector<std::string> statements = {"RESET ALL"};
    if (now != after.settings.end())
      for (const std::string& setting : now->second) statements.push_back(setting_assignment(setting, is_list_setting));
    for (const std::string& statement : statements) {
      if (key.role != 0 && !key.in_database)
        body.execute(role_part + " " + statement);
      else if (key.role != 0)
        body.execute_on_database(role_part + " IN DATABASE ", " " + statement);
      else
        body.execute_on_database("ALTER DATABASE ", " " + statement);
    }
  }
}

std::string privilege_list(std::string_view letters, bool grantable) {
  std::string out;
  for (std::size_t i = 0; i < letters.size(); i++) {
    const bool with_option = i + 1 < letters.size() && letters[i + 1] == '*';
    if (letters[i] == '*' || with_option != grantable) continue;
    const char* name = letters[i] == 'C'   ? "CREATE"
                       : letters[i] == 'T' ? "TEMPORARY"
                       : letters[i] == 'c' ? "CONNECT"
                                           : nullptr;
    if (name == nullptr) continue;
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

void sync_database(Body& body, const State* before, const State& after) {
  const Database& now = after.database;
  const Database* was = before != nullptr ? &before->database : nullptr;
  if (was == nullptr || was->owner != now.owner)
    if (const std::string* owner = role_name(after, now.owner))
      body.execute_on_database("ALTER DATABASE ", " OWNER TO " + ident(*owner));
  if (was == nullptr || was->connection_limit != now.connection_limit)
    body.execute_on_database("ALTER DATABASE ", " CONNECTION LIMIT " + std::to_string(now.connection_limit));
  if (was == nullptr ? now.comment.has_value() : was->comment != now.comment)
    body.execute_on_database("COMMENT ON DATABASE ", " IS " + (now.comment ? literal(*now.comment) : "NULL"));
  if (was == nullptr || was->acl != now.acl || was->owner != now.owner) {
    // The whole ACL: whatever the target database grants is revoked, then
    // the source's items are granted (by the owner, as a superuser's grants
    // are recorded).
    body.guarded(
        "FOR scribe_grantee IN SELECT DISTINCT a.grantee FROM pg_catalog.pg_database d, "
        "pg_catalog.aclexplode(COALESCE(d.datacl, pg_catalog.acldefault('d', d.datdba))) a "
        "WHERE d.datname OPERATOR(pg_catalog.=) pg_catalog.current_database() LOOP "
        "EXECUTE pg_catalog.format('REVOKE ALL ON DATABASE %I FROM %s CASCADE', pg_catalog.current_database(), "
        "CASE WHEN scribe_grantee OPERATOR(pg_catalog.=) 0 THEN 'PUBLIC' "
        "ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(scribe_grantee)) END); END LOOP;");
    for (const AclItem& item : now.acl) {
      std::string grantee = "PUBLIC";
      if (item.grantee != 0) {
        const std::string* name = role_name(after, item.grantee);
        if (name == nullptr) continue;
        grantee = ident(*name);
      }
      for (const bool grantable : {false, true}) {
        const std::string privileges = privilege_list(item.privileges, grantable);
        if (privileges.empty()) continue;
        body.execute_on_database("GRANT " + privileges + " ON DATABASE ",
                                 " TO " + grantee + (grantable ? " WITH GRANT OPTION" : ""));
      }
    }
  }
}

void sync_memberships(Body& body, const State* before, const State& after) {
  if (before != nullptr)
    for (const auto& [key, was] : before->memberships) {
      const std::string* role = role_name(after, key.first);
      const std::string* member = role_name(after, key.second);
      if (role == nullptr || member == nullptr) continue;  // went with a dropped role
      const auto now = after.memberships.find(key);
      if (now == after.memberships.end())
        body.execute("REVOKE " + ident(*role) + " FROM " + ident(*member));
      else if (was.admin_option && !now->second.admin_option)
        body.execute("REVOKE ADMIN OPTION FOR " + ident(*role) + " FROM " + ident(*member));
    }
  for (const auto& [key, now] : after.memberships) {
    if (before != nullptr) {
      const auto was = before->memberships.find(key);
      if (was != before->memberships.end() && (was->second.admin_option || !now.admin_option)) continue;
    }
    const std::string* role = role_name(after, key.first);
    const std::string* member = role_name(after, key.second);
    if (role == nullptr || member == nullptr) continue;
    std::string sql = "GRANT " + ident(*role) + " TO " + ident(*member);
    if (now.admin_option) sql += " WITH ADMIN OPTION";
    if (const std::string* grantor = role_name(after, now.grantor)) sql += " GRANTED BY " + ident(*grantor);
    body.execute(sql);
  }
}

}  // namespace

std::string serialize_state(const State& state) {
  std::string out = "scribe-globals 1\n";
  for (const auto& [oid, r] : state.roles) {
    out += "R";
    put_number(out, oid);
    put_field(out, r.name);
    for (const bool flag : {r.superuser, r.inherit, r.createrole, r.createdb, r.login, r.replication, r.bypassrls})
      put_number(out, flag ? 1 : 0);
    put_number(out, r.connection_limit);
    put_optional(out, r.password);
    put_optional(out, r.valid_until);
    put_optional(out, r.comment);
    out += "\n";
  }
  for (const auto& [key, m] : state.memberships) {
    out += "M";
    put_number(out, key.first);
    put_number(out, key.second);
    put_number(out, m.grantor);
    put_number(out, m.admin_option ? 1 : 0);
    out += "\n";
  }
  for (const auto& [key, settings] : state.settings) {
    out += "S";
    put_number(out, key.role);
    put_number(out, key.in_database ? 1 : 0);
    for (const std::string& s : settings) put_field(out, s);
    out += "\n";
  }
  out += "D";
  put_number(out, state.database.owner);
  put_number(out, state.database.connection_limit);
  put_optional(out, state.database.comment);
  out += "\n";
  for (const AclItem& item : state.database.acl) {
    out += "A";
    put_number(out, item.grantee);
    put_number(out, item.grantor);
    put_field(out, item.privileges);
    out += "\n";
  }
  for (const auto& [oid, space] : state.tablespaces) {
    out += "T";
    put_number(out, oid);
    put_field(out, space.name);
    put_number(out, space.owner);
    put_optional(out, space.location);
    out += "\n";
  }
  out += "end\n";
  return out;
}

std::optional<State> parse_state(std::string_view text) {
  constexpr std::string_view kHead = "scribe-globals 1\n";
  if (text.substr(0, kHead.size()) != kHead) return std::nullopt;
  text.remove_prefix(kHead.size());
  State state;
  bool ended = false;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    if (nl == std::string_view::npos || ended) return std::nullopt;
    const std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl + 1);
    if (line == "end") {
      ended = true;
      continue;
    }
    Fields f = split_fields(line);
    const std::string_view kind = f.raw[0];
    if (kind == "R" && f.raw.size() == 14) {
      Role r;
      const auto oid = static_cast<std::uint32_t>(f.number(1));
      r.name = f.text(2);
      r.superuser = f.flag(3);
      r.inherit = f.flag(4);
      r.createrole = f.flag(5);
      r.createdb = f.flag(6);
      r.login = f.flag(7);
      r.replication = f.flag(8);
      r.bypassrls = f.flag(9);
      r.connection_limit = static_cast<std::int32_t>(f.number(10));
      r.password = f.optional(11);
      r.valid_until = f.optional(12);
      r.comment = f.optional(13);
      state.roles[oid] = r;
    } else if (kind == "M" && f.raw.size() == 5) {
      Membership m;
      const auto role = static_cast<std::uint32_t>(f.number(1)), member = static_cast<std::uint32_t>(f.number(2));
      m.grantor = static_cast<std::uint32_t>(f.number(3));
      m.admin_option = f.flag(4);
      state.memberships[{role, member}] = m;
    } else if (kind == "S" && f.raw.size() >= 3) {
      SettingsKey key{static_cast<std::uint32_t>(f.number(1)), f.flag(2)};
      std::vector<std::string> settings;
      for (std::size_t i = 3; i < f.raw.size(); i++) settings.push_back(f.text(i));
      state.settings[key] = settings;
    } else if (kind == "D" && f.raw.size() == 4) {
      state.database.owner = static_cast<std::uint32_t>(f.number(1));
      state.database.connection_limit = static_cast<std::int32_t>(f.number(2));
      state.database.comment = f.optional(3);
    } else if (kind == "A" && f.raw.size() == 4) {
      AclItem item;
      item.grantee = static_cast<std::uint32_t>(f.number(1));
      item.grantor = static_cast<std::uint32_t>(f.number(2));
      item.privileges = f.text(3);
      state.database.acl.push_back(item);
    } else if (kind == "T" && f.raw.size() == 5) {
      Tablespace& space = state.tablespaces[static_cast<std::uint32_t>(f.number(1))];
      space.name = f.text(2);
      space.owner = static_cast<std::uint32_t>(f.number(3));
      space.location = f.optional(4);
    } else {
      return std::nullopt;
    }
    if (!f.ok) return std::nullopt;
  }
  if (!ended) return std::nullopt;
  return state;
}

std::string sync_sql(const State* before, const State& after, ListSettingPredicate is_list_setting) {
  Body body;
  std::set<std::string> names_taken;  // names that roles of `after` get in this step
  std::vector<std::uint32_t> dropped;
  if (before != nullptr)
    for (const auto& [oid, r] : before->roles)
      if (after.roles.count(oid) == 0) dropped.push_back(oid);
  for (const auto& [oid, r] : after.roles) {
    const Role* was = nullptr;
    if (before != nullptr) {
      const auto it = before->roles.find(oid);
      if (it != before->roles.end()) was = &it->second;
    }
    if (was == nullptr || was->name != r.name) names_taken.insert(r.name);
  }
  auto drop = [&](std::uint32_t oid) {
    // Fails (a warning) when the role still owns objects or holds
    // privileges somewhere in the target cluster.
    body.execute("DROP ROLE IF EXISTS " + ident(before->roles.at(oid).name));
  };
  // A name that a dropped role frees for another one is freed first.
  std::vector<std::uint32_t> dropped_later;
  for (const std::uint32_t oid : dropped) {
    if (names_taken.count(before->roles.at(oid).name) > 0)
      drop(oid);
    else
      dropped_later.push_back(oid);
  }
  for (const auto& [oid, r] : after.roles) {
    const Role* was = nullptr;
    if (before != nullptr) {
      const auto it = before->roles.find(oid);
      if (it != before->roles.end()) was = &it->second;
    }
    if (was == nullptr) {
      // Created when missing; a role the target already has is left as it
      // is, as pg_scribe --restore does with globals.sql.
      body.guarded("IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) " +
                   literal(r.name) + ") THEN EXECUTE " + literal("CREATE ROLE " + ident(r.name)) + "; EXECUTE " +
                   literal("ALTER ROLE " + ident(r.name) + " WITH" + role_options(r, nullptr)) + "; END IF;");
      if (r.comment) body.execute("COMMENT ON ROLE " + ident(r.name) + " IS " + literal(*r.comment));
      continue;
    }
    if (was->name != r.name)
      body.guarded("IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) " +
                   literal(r.name) + ") THEN EXECUTE " +
                   literal("ALTER ROLE " + ident(was->name) + " RENAME TO " + ident(r.name)) + "; END IF;");
    if (!same_attributes(*was, r)) body.execute("ALTER ROLE " + ident(r.name) + " WITH" + role_options(r, was));
    if (was->comment != r.comment)
      body.execute("COMMENT ON ROLE " + ident(r.name) + " IS " + (r.comment ? literal(*r.comment) : "NULL"));
  }
  sync_memberships(body, before, after);
  sync_settings(body, before, after, is_list_setting);
  sync_database(body, before, after);
  for (const std::uint32_t oid : dropped_later) drop(oid);

  // Tablespaces: renamed and given away in the block; created and dropped
  // outside the replay's transaction (neither can run in one), after the
  // roles that own them exist. At a chain's start (no `before`) globals.sql
  // has them.
  std::string outside;
  bool unreadable = false;
  if (before != nullptr) {
    for (const auto& [oid, space] : after.tablespaces) {
      const auto was = before->tablespaces.find(oid);
      const auto owner = after.roles.find(space.owner);
      if (was == before->tablespaces.end()) {
        if (!space.location || owner == after.roles.end()) {
          unreadable = true;
          continue;
        }
        // An in-place tablespace (a directory under pg_tblspc, for tests
        // and standbys on one machine) is made in place at the target too.
        const bool in_place = space.location->empty();
        if (in_place) outside += "SET allow_in_place_tablespaces = on;\n";
        outside += "CREATE TABLESPACE " + ident(space.name) + " OWNER " + ident(owner->second.name) + " LOCATION " +
                   literal(*space.location) + ";\n";
        if (in_place) outside += "RESET allow_in_place_tablespaces;\n";
        continue;
      }
      if (was->second.name != space.name)
        body.execute("ALTER TABLESPACE " + ident(was->second.name) + " RENAME TO " + ident(space.name));
      if (was->second.owner != space.owner && owner != after.roles.end())
        body.execute("ALTER TABLESPACE " + ident(space.name) + " OWNER TO " + ident(owner->second.name));
    }
    for (const auto& [oid, space] : before->tablespaces)
      if (after.tablespaces.count(oid) == 0) outside += "DROP TABLESPACE IF EXISTS " + ident(space.name) + ";\n";
  }

  std::string out;
  if (unreadable)
    out +=
        "-- pg_scribe: a tablespace was created at the source here whose location could not be read (it was "
        "dropped since): create it on the target yourself if later statements use it\n";
  if (!body.empty()) out += body.finish() + "\n";
  // END and START TRANSACTION, not COMMIT and BEGIN: the readers of a diff
  // take a top-level COMMIT; as the end of a transaction (ddl_message.hpp).
  if (!outside.empty()) out += "END;\n" + outside + "START TRANSACTION;";
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

}  // namespace scribe::globals
