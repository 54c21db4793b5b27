// libFuzzer target: the strict JSON reader (nlohmann/json with duplicate
// keys and depth checked) and the manifest parser that --verify and
// --restore run on manifest.json, an untrusted file
// (include/scribe/core/strict_json.hpp, chain.hpp). (verify_chain itself reads a
// directory; its content checks are the DiffScanner's, fuzzed by
// diff_scan_fuzz.)
// Properties: no crash, no sanitizer report, only scribe::Error thrown (the
// nesting limit bounds the depth); a document that parses is written
// back by write_json into one that parses to an equal value, written the
// same way again (a fixpoint); a manifest that parses is rendered by
// manifest_to_json into one that parses and renders identically.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "scribe/core/chain.hpp"
#include "scribe/core/error.hpp"
#include "scribe/core/strict_json.hpp"

namespace {

[[noreturn]] void failure(const char* what, std::string_view a, std::string_view b = {}) {
  std::fprintf(stderr, "PROPERTY VIOLATED: %s\n  input: %.*s\n  output: %.*s\n", what, static_cast<int>(a.size()),
               a.data(), static_cast<int>(b.size()), b.data());
  std::abort();
}

std::string write(const scribe::Json& v) { return scribe::write_json(v); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const scribe::Json v = scribe::parse_json(text, "fuzz");
    const std::string once = write(v);
    scribe::Json again;
    try {
      again = scribe::parse_json(once, "rewritten");
    } catch (const scribe::Error& e) {
      failure("write_json wrote what parse_json rejects", text, once);
    }
    if (again != v) failure("JSON value changed when written and read back", text, once);
    if (write(again) != once) failure("write_json output is not a fixpoint", once, write(again));
  } catch (const scribe::Error&) {
  }
  try {
    const scribe::Manifest m = scribe::parse_manifest(text);
    const std::string once = scribe::manifest_to_json(m);
    std::string twice;
    try {
      twice = scribe::manifest_to_json(scribe::parse_manifest(once));
    } catch (const scribe::Error& e) {
      failure("manifest_to_json wrote what parse_manifest rejects", text, once);
    }
    if (twice != once) failure("manifest changed when written and read back", once, twice);
  } catch (const scribe::Error&) {
  }
  return 0;
}
