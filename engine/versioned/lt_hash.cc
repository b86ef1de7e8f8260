#include "engine/versioned/lt_hash.h"

#include <openssl/evp.h>

#include <cassert>
#include <memory>

#include "engine/core/coding.h"

namespace tierkv {
namespace {

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;

// Runs md over data into out (out_bytes long; for an XOF, the requested output length).
// OpenSSL failures here mean a broken installation, not bad input: they are fatal.
void digest(const EVP_MD* md, std::string_view data, unsigned char* out, size_t out_bytes,
            bool xof) {
  MdCtx ctx(EVP_MD_CTX_new());
  assert(ctx != nullptr);
  int ok = EVP_DigestInit_ex(ctx.get(), md, nullptr);
  assert(ok == 1);
  ok = EVP_DigestUpdate(ctx.get(), data.data(), data.size());
  assert(ok == 1);
  if (xof) {
    ok = EVP_DigestFinalXOF(ctx.get(), out, out_bytes);
  } else {
    unsigned int written = 0;
    ok = EVP_DigestFinal_ex(ctx.get(), out, &written);
    assert(written == out_bytes);
  }
  assert(ok == 1);
  (void)ok;
}

}  // namespace

LtHash LtHash::of_element(std::string_view key, std::string_view value) {
  std::string encoded;
  encoded.reserve(8 + key.size() + value.size());
  put_length_prefixed(&encoded, key);
  put_length_prefixed(&encoded, value);
  std::array<unsigned char, kSerializedBytes> out;
  digest(EVP_shake256(), encoded, out.data(), out.size(), /*xof=*/true);
  LtHash hash;
  for (size_t i = 0; i < kLaneCount; ++i) {
    hash.lanes_[i] = static_cast<uint16_t>(out[2 * i] | (out[2 * i + 1] << 8));
  }
  return hash;
}

void LtHash::mix_in(const LtHash& other) {
  for (size_t i = 0; i < kLaneCount; ++i) {
    lanes_[i] = static_cast<uint16_t>(lanes_[i] + other.lanes_[i]);
  }
}

void LtHash::mix_out(const LtHash& other) {
  for (size_t i = 0; i < kLaneCount; ++i) {
    lanes_[i] = static_cast<uint16_t>(lanes_[i] - other.lanes_[i]);
  }
}

void LtHash::apply_change(std::string_view key, const std::optional<std::string_view>& old_value,
                          const std::optional<std::string_view>& new_value) {
  if (old_value.has_value() && !old_value->empty()) mix_out_element(key, *old_value);
  if (new_value.has_value() && !new_value->empty()) mix_in_element(key, *new_value);
}

bool LtHash::is_identity() const {
  for (uint16_t lane : lanes_) {
    if (lane != 0) return false;
  }
  return true;
}

std::string LtHash::serialize() const {
  std::string out(kSerializedBytes, '\0');
  for (size_t i = 0; i < kLaneCount; ++i) {
    out[2 * i] = static_cast<char>(lanes_[i] & 0xff);
    out[2 * i + 1] = static_cast<char>(lanes_[i] >> 8);
  }
  return out;
}

Result<LtHash> LtHash::deserialize(std::string_view bytes, std::string_view what) {
  if (bytes.size() != kSerializedBytes) {
    return Status::corruption("LtHash in " + std::string(what) + ": " +
                              std::to_string(bytes.size()) + " bytes, expected " +
                              std::to_string(kSerializedBytes));
  }
  LtHash hash;
  for (size_t i = 0; i < kLaneCount; ++i) {
    hash.lanes_[i] = static_cast<uint16_t>(static_cast<unsigned char>(bytes[2 * i]) |
                                           (static_cast<unsigned char>(bytes[2 * i + 1]) << 8));
  }
  return hash;
}

std::string LtHash::checksum() const {
  std::string out(kChecksumBytes, '\0');
  digest(EVP_blake2s256(), serialize(), reinterpret_cast<unsigned char*>(out.data()), out.size(),
         /*xof=*/false);
  return out;
}

std::string LtHash::checksum_hex() const {
  static constexpr char kHexDigits[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char c : checksum()) {
    hex.push_back(kHexDigits[c >> 4]);
    hex.push_back(kHexDigits[c & 0xf]);
  }
  return hex;
}

}  // namespace tierkv
