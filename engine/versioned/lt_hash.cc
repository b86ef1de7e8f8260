#include "engine/versioned/lt_hash.h"

#include <openssl/evp.h>

#include <bit>
#include <cassert>
#include <cstring>
#include <memory>
#include <vector>

#include "engine/core/coding.h"
#include "engine/core/crc32c.h"

namespace tierkv {
namespace {

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;

// OpenSSL 3 resolves a digest named by EVP_shake256() & co. through its provider table on every
// EVP_DigestInit_ex ("implicit fetch"), which costs more than hashing a short element. Both
// algorithms are fetched once per process (never freed: they live as long as the library) and
// each thread reuses one context, which EVP_DigestInit_ex fully resets. Same algorithms, same
// bytes out: only the lookups are gone.
const EVP_MD* fetched(const char* name) {
  EVP_MD* md = EVP_MD_fetch(nullptr, name, nullptr);
  assert(md != nullptr && "OpenSSL lacks a digest LtHash needs");
  return md;
}

const EVP_MD* shake256() {
  static const EVP_MD* const kMd = fetched("SHAKE256");
  return kMd;
}

const EVP_MD* blake2s256() {
  static const EVP_MD* const kMd = fetched("BLAKE2S-256");
  return kMd;
}

EVP_MD_CTX* thread_context() {
  thread_local MdCtx ctx(EVP_MD_CTX_new());
  assert(ctx != nullptr);
  return ctx.get();
}

// Runs md over data into out (out_bytes long; for an XOF, the requested output length).
// OpenSSL failures here mean a broken installation, not bad input: they are fatal.
void digest(const EVP_MD* md, std::string_view data, unsigned char* out, size_t out_bytes,
            bool xof) {
  EVP_MD_CTX* ctx = thread_context();
  int ok = EVP_DigestInit_ex(ctx, md, nullptr);
  assert(ok == 1);
  ok = EVP_DigestUpdate(ctx, data.data(), data.size());
  assert(ok == 1);
  if (xof) {
    ok = EVP_DigestFinalXOF(ctx, out, out_bytes);
  } else {
    unsigned int written = 0;
    ok = EVP_DigestFinal_ex(ctx, out, &written);
    assert(written == out_bytes);
  }
  assert(ok == 1);
  (void)ok;
}

// Element hashes are memoised per thread in a direct-mapped cache indexed by the CRC32C of the
// element's encoding; a slot is used only when its stored encoding equals the element's, so a
// hit returns exactly the bytes SHAKE-256 would. A write mixes out the value an earlier write
// mixed in (often hundreds of elements later), and a primary and its backup hash the same
// elements: most lookups hit. A slot's hash is allocated when the slot is first filled, so a
// thread holds only as many (~2 KiB each) as it used, at most kSlots.
struct ElementCache {
  static constexpr size_t kSlots = 4096;  // at most ~8.5 MiB per thread that hashes
  struct Slot {
    std::string encoded;
    std::unique_ptr<LtHash> hash;  // null until the slot is first filled
  };
  std::vector<Slot> slots = std::vector<Slot>(kSlots);
};

}  // namespace

const LtHash& LtHash::cached_element(std::string_view key, std::string_view value) {
  thread_local ElementCache cache;
  thread_local std::string encoded;  // reused: no allocation per element once warm
  encoded.clear();
  put_length_prefixed(&encoded, key);
  put_length_prefixed(&encoded, value);
  ElementCache::Slot& slot = cache.slots[crc32c::value(encoded) % ElementCache::kSlots];
  if (slot.hash != nullptr && slot.encoded == encoded) return *slot.hash;
  std::array<unsigned char, kSerializedBytes> out;
  digest(shake256(), encoded, out.data(), out.size(), /*xof=*/true);
  if (slot.hash == nullptr) slot.hash = std::make_unique<LtHash>();
  slot.hash->set_lanes_le(out.data());
  slot.encoded = encoded;
  return *slot.hash;
}

LtHash LtHash::of_element(std::string_view key, std::string_view value) {
  return cached_element(key, value);
}

void LtHash::set_lanes_le(const unsigned char* bytes) {
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(lanes_.data(), bytes, kSerializedBytes);
  } else {
    for (size_t i = 0; i < kLaneCount; ++i) {
      lanes_[i] = static_cast<uint16_t>(bytes[2 * i] | (bytes[2 * i + 1] << 8));
    }
  }
}

// Lane-wise add / subtract mod 2^16 over a copy of the other operand: the copy cannot alias
// the lanes being written, so the compiler processes many lanes per instruction.
void LtHash::mix_in(const LtHash& other) {
  const std::array<uint16_t, kLaneCount> add = other.lanes_;
  for (size_t i = 0; i < kLaneCount; ++i) lanes_[i] = static_cast<uint16_t>(lanes_[i] + add[i]);
}

void LtHash::mix_out(const LtHash& other) {
  const std::array<uint16_t, kLaneCount> sub = other.lanes_;
  for (size_t i = 0; i < kLaneCount; ++i) lanes_[i] = static_cast<uint16_t>(lanes_[i] - sub[i]);
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
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(out.data(), lanes_.data(), kSerializedBytes);
  } else {
    for (size_t i = 0; i < kLaneCount; ++i) {
      out[2 * i] = static_cast<char>(lanes_[i] & 0xff);
      out[2 * i + 1] = static_cast<char>(lanes_[i] >> 8);
    }
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
  hash.set_lanes_le(reinterpret_cast<const unsigned char*>(bytes.data()));
  return hash;
}

std::string LtHash::checksum() const {
  std::string out(kChecksumBytes, '\0');
  digest(blake2s256(), serialize(), reinterpret_cast<unsigned char*>(out.data()), out.size(),
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
