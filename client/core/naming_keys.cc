#include "client/core/naming_keys.h"

#include <algorithm>

#include "client/core/metadata.h"
#include "client/core/share_record.h"

namespace freehold::client {

NamingKeys::NamingKeys(const X25519Identity& newest,
                       const std::vector<const X25519Identity*>& older) {
  std::vector<X25519PublicKey> taken;
  auto add = [&](const X25519Identity& id) {
    if (std::find(taken.begin(), taken.end(), id.public_key()) != taken.end()) return;
    taken.push_back(id.public_key());
    gens_.push_back(Generation{MetadataKey(id), NameHashKey(id), ShareRecordKey(id)});
  };
  add(newest);
  for (const X25519Identity* id : older) {
    if (id != nullptr) add(*id);
  }
}

std::string NamingKeys::EntryHash(std::string_view parent_id, std::string_view name,
                                  size_t i) const {
  return EntryNameHash(gens_[i].name, parent_id, name);
}

std::string NamingKeys::RootHash(std::string_view name, size_t i) const {
  return NameHash(gens_[i].name, name);
}

}  // namespace freehold::client
