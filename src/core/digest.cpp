#include "scribe/core/digest.hpp"

#include <openssl/evp.h>

#include "scribe/core/error.hpp"

namespace scribe {

namespace {

[[noreturn]] void throw_libcrypto_error(const char* what) {
  throw Error(sqlstate::kInternalError, std::string("SHA-256: ") + what + " failed in libcrypto");
}

}  // namespace

void Sha256::FreeContext::operator()(evp_md_ctx_st* ctx) const noexcept { EVP_MD_CTX_free(ctx); }

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (!ctx_) throw_libcrypto_error("EVP_MD_CTX_new");
  if (EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1) throw_libcrypto_error("EVP_DigestInit_ex");
}

void Sha256::update(const void* data, std::size_t len) {
  if (finished_) throw Error(sqlstate::kInternalError, "SHA-256 update after finish");
  if (len == 0) return;
  if (EVP_DigestUpdate(ctx_.get(), data, len) != 1) throw_libcrypto_error("EVP_DigestUpdate");
}

Sha256::Digest Sha256::finish() {
  if (finished_) throw Error(sqlstate::kInternalError, "SHA-256 finish called twice");
  finished_ = true;
  Digest out{};
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(ctx_.get(), out.data(), &length) != 1 || length != out.size())
    throw_libcrypto_error("EVP_DigestFinal_ex");
  return out;
}

std::string Sha256::hex() {
  static constexpr char kDigits[] = "0123456789abcdef";
  const Digest d = finish();
  std::string out(2 * d.size(), '\0');
  for (std::size_t i = 0; i < d.size(); ++i) {
    out[2 * i] = kDigits[d[i] >> 4];
    out[2 * i + 1] = kDigits[d[i] & 0xf];
  }
  return out;
}

std::string sha256_hex(std::string_view data) {
  Sha256 h;
  h.update(data);
  return h.hex();
}

}  // namespace scribe
