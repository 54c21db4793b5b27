#include "scribe/core/catalog_qualifier.hpp"

namespace scribe {

bool is_catalog_qualified(const NameChain& chain, std::string_view database,
                          const std::function<bool(std::string_view)>& is_schema) {
  if (chain.parts.size() < 3 || chain.offsets.size() != chain.parts.size() || chain.parts[0] != database) return false;
  if (chain.parts.size() >= 4) return true;
  return chain.followed_by_parenthesis || is_schema(chain.parts[1]);
}

std::string without_catalog_qualifiers(std::string_view statement, const std::vector<NameChain>& chains,
                                       std::string_view database,
                                       const std::function<bool(std::string_view)>& is_schema) {
  std::string out;
  out.reserve(statement.size());
  std::size_t copied = 0;
  for (const NameChain& chain : chains) {
    if (!is_catalog_qualified(chain, database, is_schema)) continue;
    const std::size_t from = chain.offsets[0], to = chain.offsets[1];
    if (from < copied || to <= from || to > statement.size()) continue;  // chains come in order, apart
    out.append(statement.substr(copied, from - copied));
    copied = to;
  }
  out.append(statement.substr(copied));
  return out;
}

}  // namespace scribe
