#include "scribe/core/base_filter.hpp"

#include <cstring>

namespace scribe {
namespace {

constexpr std::string_view kExtensionHeader = "-- Name: scribe; Type: EXTENSION; Schema: -; Owner: -";
constexpr std::string_view kExtensionLine = "CREATE EXTENSION IF NOT EXISTS scribe WITH SCHEMA scribe;\n";
constexpr std::string_view kCommentHeader = "-- Name: EXTENSION scribe; Type: COMMENT; Schema: -;";
constexpr std::string_view kCommentLine = "COMMENT ON EXTENSION scribe IS ";
constexpr std::string_view kReplacement =
    "-- pg_scribe: CREATE EXTENSION scribe is left out; restoring does not need pg_scribe\n";

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

}  // namespace

void BaseDumpFilter::take_line(std::string_view line) {
  if (starts_with(line, "-- Name: ")) {
    header_.assign(line.substr(0, line.size() - (line.back() == '\n' ? 1 : 0)));
    const std::size_t type_at = header_.find("; Type: ");
    std::string_view type;
    if (type_at != std::string::npos) {
      type = std::string_view(header_).substr(type_at + 8);
      type = type.substr(0, type.find(';'));
    }
    if (type != "EXTENSION" && type != "COMMENT" && type != "SCHEMA") passthrough_ = true;
    sink_(line.data(), line.size());
    return;
  }
  if (header_ == kExtensionHeader && line == kExtensionLine) {
    sink_(kReplacement.data(), kReplacement.size());
    return;
  }
  if (starts_with(header_, kCommentHeader) && starts_with(line, kCommentLine) && line.back() == '\n') return;
  sink_(line.data(), line.size());
}

void BaseDumpFilter::write(const char* data, std::size_t len) {
  while (len > 0 && !passthrough_) {
    const void* nl = std::memchr(data, '\n', len);
    if (nl == nullptr) {
      line_.append(data, len);
      return;
    }
    const std::size_t take = static_cast<std::size_t>(static_cast<const char*>(nl) - data) + 1;
    line_.append(data, take);
    data += take;
    len -= take;
    take_line(line_);
    line_.clear();
  }
  if (len > 0) sink_(data, len);
}

void BaseDumpFilter::finish() {
  if (!line_.empty()) sink_(line_.data(), line_.size());
  line_.clear();
}

}  // namespace scribe
