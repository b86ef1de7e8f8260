// Fuzz target: BackendKvStore's page-token codec (engine/tier/backend_layout.h) and its hex
// helpers.
//
// Oracle: an arbitrary token is either InvalidArgument with a message or decodes to a position
// whose canonical token is the same bytes (so a damaged token is never taken for another
// position); encode -> decode round-trips in its own namespace pair; a token with one hex digit
// changed or a length change is refused or decodes to the same position; to_hex/from_hex
// round-trip and from_hex refuses odd lengths and non-hex digits.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/tier/backend_layout.h"
#include "fuzz/fuzz_check.h"

namespace tierkv {
namespace {

namespace layout = backend_layout;

// Tokens are lowercase hex; from_hex refuses upper case (one spelling per token).
bool is_hex_digit(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

void check_rejected_or(const Result<uint64_t>& r, uint64_t allowed, const std::string& what) {
  if (r.ok()) {
    FUZZ_CHECK(*r == allowed, what + " decoded to another position " + std::to_string(*r));
  } else {
    FUZZ_CHECK(r.status().code() == StatusCode::kInvalidArgument, what + ": " +
                                                                    r.status().to_string());
    FUZZ_CHECK(!r.status().message().empty(), what + ": rejection without a message");
  }
}

void check_hex(const std::string& bytes, const std::string& text) {
  const std::string hex = layout::to_hex(bytes);
  FUZZ_CHECK(hex.size() == 2 * bytes.size(), "to_hex length");
  auto back = layout::from_hex(hex);
  FUZZ_CHECK(back && *back == bytes, "to_hex/from_hex round trip");
  bool all_hex = text.size() % 2 == 0;
  for (char c : text) all_hex = all_hex && is_hex_digit(c);
  FUZZ_CHECK(layout::from_hex(text).has_value() == all_hex,
             "from_hex " + std::string(all_hex ? "refused" : "accepted") + " '" + text + "'");
}

void check_arbitrary_token(const std::string& token, const std::string& primary,
                           const std::string& secondary) {
  auto r = layout::decode_page_token(token, primary, secondary);
  if (!r.ok()) {
    check_rejected_or(r, 0, "arbitrary token");
    return;
  }
  auto raw = layout::from_hex(token);
  FUZZ_CHECK(raw.has_value(), "a token that is not hex was accepted");
  FUZZ_CHECK(layout::encode_page_token(primary, secondary, *r) == token,
             "accepted token '" + token + "' is not the canonical token of its position");
}

void check_round_trip(FuzzedDataProvider& fdp, const std::string& primary,
                      const std::string& secondary) {
  const uint64_t seq = fdp.ConsumeIntegral<uint64_t>();
  const std::string token = layout::encode_page_token(primary, secondary, seq);
  auto r = layout::decode_page_token(token, primary, secondary);
  if (seq == 0) {
    check_rejected_or(r, UINT64_MAX, "token at position 0");  // documented: position 0 refused
    FUZZ_CHECK(!r.ok(), "position 0 accepted");
    return;
  }
  FUZZ_CHECK(r.ok() && *r == seq, "round trip of position " + std::to_string(seq));
  std::string damaged = token;
  const size_t at = fdp.ConsumeIntegralInRange<size_t>(0, damaged.size() - 1);
  damaged[at] = static_cast<char>(fdp.ConsumeIntegral<uint8_t>());
  check_rejected_or(layout::decode_page_token(damaged, primary, secondary), seq, "damaged token");
  damaged = token.substr(0, fdp.ConsumeIntegralInRange<size_t>(0, token.size()));
  damaged += fdp.ConsumeRandomLengthString(4);
  check_rejected_or(layout::decode_page_token(damaged, primary, secondary), seq, "resized token");
  // Another namespace pair: refused (or, on a checksum collision of the pairs, the same seq).
  check_rejected_or(layout::decode_page_token(token, primary + "x", secondary), seq,
                    "token of another namespace pair");
}

}  // namespace
}  // namespace tierkv

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tierkv;
  FuzzedDataProvider fdp(data, size);
  const std::string primary = fdp.ConsumeRandomLengthString(16);
  const std::string secondary = fdp.ConsumeRandomLengthString(16);
  const std::string token = fdp.ConsumeRandomLengthString(40);
  check_hex(fdp.ConsumeRandomLengthString(24), token);
  check_arbitrary_token(token, primary, secondary);
  check_round_trip(fdp, primary, secondary);
  return 0;
}
