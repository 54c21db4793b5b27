#include "scribe/core/ddl_message.hpp"

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
