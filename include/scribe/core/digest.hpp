// Streaming SHA-256 of backup files for the manifests, through OpenSSL's EVP
// interface (libcrypto): the same library PostgreSQL's own SHA-2 functions
// use, and it picks the CPU's SHA instructions by itself.
#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX, kept out of this header

namespace scribe {

class Sha256 {
 public:
  using Digest = std::array<unsigned char, 32>;

  // Throws scribe::Error (XX000) if libcrypto cannot set up the digest.
  Sha256();

  void update(const void* data, std::size_t len);
  void update(std::string_view data) { update(data.data(), data.size()); }
  // Pads and returns the digest. Call once: update() or finish() after it
  // throws scribe::Error (XX000), since the state is then consumed.
  Digest finish();
  // Lower-case hex of finish().
  std::string hex();

 private:
  struct FreeContext {
    void operator()(evp_md_ctx_st* ctx) const noexcept;
  };
  // Freed by the destructor on every path, exceptions included (inside the
  // server an ereport reaches C++ code only as an exception, through call_pg).
  std::unique_ptr<evp_md_ctx_st, FreeContext> ctx_;
  bool finished_ = false;
};

// Lower-case hex SHA-256 of `data`.
std::string sha256_hex(std::string_view data);

}  // namespace scribe
