// Streaming SHA-256 (FIPS 180-4), self-contained so the core needs no
// crypto library. Used to checksum backup files in manifests.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace scribe {

class Sha256 {
 public:
  using Digest = std::array<unsigned char, 32>;

  Sha256() noexcept;

  void update(const void* data, std::size_t len);
  void update(std::string_view data) { update(data.data(), data.size()); }
  // Pads and returns the digest. Call once: update() or finish() after it
  // throws scribe::Error (XX000), since the state is then consumed.
  Digest finish();
  // Lower-case hex of finish().
  std::string hex();

  // Whether the CPU's SHA instructions are used (by default, where the CPU
  // has them); false turns them off, for tests comparing both. Returns
  // what is in effect.
  static bool set_hardware(bool enable) noexcept;

 private:
  void compress(const unsigned char* blocks, std::size_t count) noexcept;

  std::array<std::uint32_t, 8> state_;
  std::array<unsigned char, 64> buffer_;
  std::size_t buffered_ = 0;
  std::uint64_t total_bytes_ = 0;
  bool finished_ = false;
};

// Lower-case hex SHA-256 of `data`.
std::string sha256_hex(std::string_view data);

}  // namespace scribe
