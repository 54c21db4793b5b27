#include "scribe/core/ddl_message.hpp"

#include <string>

#include "scribe/core/diff_scan.hpp"

namespace scribe {

std::optional<SignedDdl> parse_signed_ddl(std::string_view message) noexcept {
  if (message.substr(0, kDdlSignatureTag.size()) != kDdlSignatureTag) return std::nullopt;
  std::string_view rest = message.substr(kDdlSignatureTag.size());
  if (rest.size() < kDdlMacHexLength + 1 || rest[kDdlMacHexLength] != '\n') return std::nullopt;
  const std::string_view mac = rest.substr(0, kDdlMacHexLength);
  for (const char ch : mac)
    if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'))) return std::nullopt;
  return SignedDdl{mac, rest.substr(kDdlMacHexLength + 1)};
}

namespace {

// <tag><digits>:<bytes>; advances `in` past it.
bool take_length_prefixed(std::string_view& in, char tag, std::string_view& field) noexcept {
  if (in.empty() || in.front() != tag) return false;
  in.remove_prefix(1);
  std::size_t len = 0, i = 0;
  for (; i < in.size() && in[i] >= '0' && in[i] <= '9'; ++i) {
    if (len > (static_cast<std::size_t>(-1) - 9) / 10) return false;
    len = len * 10 + static_cast<std::size_t>(in[i] - '0');
  }
  if (i == 0 || i >= in.size() || in[i] != ':') return false;
  in.remove_prefix(i + 1);
  if (len > in.size()) return false;
  field = in.substr(0, len);
  in.remove_prefix(len);
  return true;
}

}  // namespace

std::optional<DdlContext> parse_ddl_body(std::string_view body) noexcept {
  DdlContext ddl;
  if (!take_length_prefixed(body, 'S', ddl.search_path) || !take_length_prefixed(body, 'R', ddl.role))
    return std::nullopt;
  // Optional, in the order of kDdlSettings, each at most once.
  for (const DdlSetting& setting : kDdlSettings)
    if (!body.empty() && body.front() == setting.tag && !take_length_prefixed(body, setting.tag, ddl.*setting.field))
      return std::nullopt;
  if (body.size() < 3 || body[0] != 'F' || (body[1] != 't' && body[1] != 'n') || body[2] != '\n') return std::nullopt;
  ddl.transactional = body[1] == 't';
  ddl.statement = body.substr(3);
  return ddl;
}

bool psql_reads_verbatim(std::string_view statement) {
  // A captured statement may keep the ';' that ended it: psql then sends
  // it and an empty statement, which is the same.
  while (!statement.empty() && (statement.back() == ';' || statement.back() == ' ' || statement.back() == '\t' ||
                                statement.back() == '\n' || statement.back() == '\r'))
    statement.remove_suffix(1);
  std::string text(statement);
  text += "\n;";
  std::size_t statements = 0;
  bool other = false;
  DiffScanner scanner;
  scanner.set_statement_callback([&](const DiffStatement& s) {
    ++statements;
    if (s.end != text.size()) other = true;
  });
  scanner.set_meta_command_callback([&](std::uint64_t, std::uint64_t) { other = true; });
  scanner.feed(text.data(), text.size());
  scanner.finish();
  return statements == 1 && !other && scanner.at_clean_end() && scanner.variable_references() == 0;
}

void hex_encode(const unsigned char* data, std::size_t len, char* out) noexcept {
  constexpr char kDigits[] = "0123456789abcdef";
  for (std::size_t i = 0; i < len; ++i) {
    out[2 * i] = kDigits[data[i] >> 4];
    out[2 * i + 1] = kDigits[data[i] & 0x0f];
  }
}

bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace scribe
