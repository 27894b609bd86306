// The naming keys of one owner across its key generations (docs/ARCHITECTURE.md
// "Organizations' objects", docs/PROTOCOL.md 9.4). A person has one generation; an
// organization one per key generation the member holds. Each generation gives the
// metadata key (names and times), the name-hash key ((parent, name) lookups) and the
// share-record key of section 8.1, all derived from that generation's identity.
//
// Writers seal and hash with the NEWEST generation only (front), so what is written
// after a rotation is out of reach of a removed member's older identities. Readers try
// the generations newest first: an entry records the generation it was written under
// implicitly -- its metadata opens (AEAD tag) with exactly that generation's key and its
// name hash matches exactly that generation's hash -- so a wrong generation costs one
// failed open and nothing is stored in the clear. Generations are few (one per removal).
// Thread-compatible; immutable after construction.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "client/core/keys.h"
#include "client/core/secret_bytes.h"

namespace freehold::client {

class NamingKeys {
 public:
  // `newest` first, then each of `older` whose public key differs from every one already
  // taken (so passing every generation including the newest is fine), in the given order
  // (newest first). Null pointers are skipped.
  explicit NamingKeys(const X25519Identity& newest,
                      const std::vector<const X25519Identity*>& older = {});

  size_t size() const { return gens_.size(); }
  // Generation index 0 = newest (what writers use).
  const SecretBytes& metadata_key(size_t i = 0) const { return gens_[i].metadata; }
  const SecretBytes& name_key(size_t i = 0) const { return gens_[i].name; }
  const SecretBytes& share_key(size_t i = 0) const { return gens_[i].share; }

  // EntryNameHash of (parent, name) under generation i (0 = what writers store).
  std::string EntryHash(std::string_view parent_id, std::string_view name, size_t i = 0) const;
  // NameHash (root objects looked up by FindObjectsByName) under generation i.
  std::string RootHash(std::string_view name, size_t i = 0) const;

 private:
  struct Generation {
    SecretBytes metadata;
    SecretBytes name;
    SecretBytes share;
  };
  std::vector<Generation> gens_;
};

}  // namespace freehold::client
