// Checks docs/protocol-vectors.json against the code, so docs/PROTOCOL.md and
// its vectors cannot drift from what Freehold does. Each test takes one group
// of the file and (1) recomputes it with the project's functions and (2) where
// PROTOCOL.md spells out a construction, rebuilds it from libsodium primitives
// the way a client in another language would, and compares both to the file.
//
// This file: grants and receipts, Reed-Solomon, layout, age payload and header,
// public links, metadata.
#include "client/core/share_record.h"
#include "client/core/folder_keys.h"
#include "client/core/internal/hkdf.h"
#include "tests/protocol/protocol_vectors_util.h"

namespace freehold::protocol_testing {
namespace {

// ---------------------------------------------------------------- storage

TEST(ProtocolVectorsTest, GrantClaimsAreDeterministicProtobufSignedByTheCoordinator) {
  for (const Json& v : Group("grant")) {
    SCOPED_TRACE(S(v["note"]));
    const SigningKey key = KeyFromSeed(Unhex(v["coordinator_ed25519_seed_hex"]), S(v["key_id"]));
    EXPECT_EQ(Hex(key.public_key), S(v["public_key_hex"]));
    const Json& c = v["claims"];
    ShardGrant g;
    g.operation = static_cast<GrantOperation>(c["operation"].get<int>());
    g.shard_key = S(c["shard_key"]);
    g.node_id = S(c["node_id"]);
    g.size_bytes = c["size_bytes"].get<uint64_t>();
    g.sha256 = Unhex(c["sha256_hex"]);
    g.expires_at = absl::FromUnixSeconds(c["expires_unix_seconds"].get<int64_t>());
    g.object_id = S(c["object_id"]);
    g.segment = c["segment"].get<uint32_t>();
    g.shard_index = c["shard_index"].get<uint32_t>();
    EXPECT_EQ(Hex(EncodeGrant(g)), S(v["claims_hex"]));
    EXPECT_EQ(TokenSigner(key).Sign(EncodeGrant(g), kGrantContext), S(v["token"]));
    const std::string payload = CheckCompactToken(v, kGrantContext, Unhex(v["public_key_hex"]));
    ASSERT_OK_AND_ASSIGN(ShardGrant decoded, DecodeGrant(payload));
    EXPECT_EQ(decoded.operation, g.operation);
    EXPECT_EQ(decoded.shard_key, g.shard_key);
    EXPECT_EQ(decoded.sha256, g.sha256);
    EXPECT_EQ(decoded.expires_at, g.expires_at);
    EXPECT_EQ(decoded.segment, g.segment);
    EXPECT_EQ(decoded.shard_index, g.shard_index);

    // Documented shard key: object id without dashes, segment, index.
    std::string hex = g.object_id;
    hex.erase(std::remove(hex.begin(), hex.end(), '-'), hex.end());
    EXPECT_EQ(g.shard_key,
              hex + "-" + std::to_string(g.segment) + "-" + std::to_string(g.shard_index));
  }
}

TEST(ProtocolVectorsTest, ReceiptIsSignedByTheNodeKeyForTheGrantedShard) {
  for (const Json& v : Group("receipt")) {
    SCOPED_TRACE(S(v["note"]));
    const SigningKey key = KeyFromSeed(Unhex(v["node_ed25519_seed_hex"]), S(v["key_id"]));
    EXPECT_EQ(Hex(key.public_key), S(v["node_public_key_hex"]));
    const Json& c = v["claims"];
    EXPECT_EQ(S(v["key_id"]), S(c["node_id"])) << "nodes sign with key id = node id";
    ShardReceipt r;
    r.node_id = S(c["node_id"]);
    r.shard_key = S(c["shard_key"]);
    r.size_bytes = c["size_bytes"].get<uint64_t>();
    r.sha256 = Unhex(c["sha256_hex"]);
    r.stored_at = absl::FromUnixSeconds(c["stored_unix_seconds"].get<int64_t>());
    EXPECT_EQ(Hex(EncodeReceipt(r)), S(v["claims_hex"]));
    EXPECT_EQ(TokenSigner(key).Sign(EncodeReceipt(r), kReceiptContext), S(v["token"]));
    const std::string payload =
        CheckCompactToken(v, kReceiptContext, Unhex(v["node_public_key_hex"]));
    ASSERT_OK_AND_ASSIGN(ShardReceipt decoded, DecodeReceipt(payload));
    EXPECT_EQ(decoded.shard_key, r.shard_key);
    EXPECT_EQ(decoded.sha256, r.sha256);
    EXPECT_EQ(decoded.stored_at, r.stored_at);
  }
  // The receipt answers the PUT grant: same shard, size and hash.
  const Json& put = Group("grant")[0]["claims"];
  const Json& receipt = Group("receipt")[0]["claims"];
  EXPECT_EQ(put["operation"].get<int>(), static_cast<int>(GrantOperation::kPut));
  EXPECT_EQ(put["shard_key"], receipt["shard_key"]);
  EXPECT_EQ(put["node_id"], receipt["node_id"]);
  EXPECT_EQ(put["size_bytes"], receipt["size_bytes"]);
  EXPECT_EQ(put["sha256_hex"], receipt["sha256_hex"]);
}

// GF(2^8) with the polynomial x^8 + x^4 + x^3 + x^2 + 1 (0x11d), as PROTOCOL.md
// describes the erasure code.
uint8_t GfMul(uint8_t a, uint8_t b) {
  uint8_t p = 0;
  while (b != 0) {
    if (b & 1) p ^= a;
    const bool carry = a & 0x80;
    a = static_cast<uint8_t>(a << 1);
    if (carry) a ^= 0x1d;
    b >>= 1;
  }
  return p;
}
uint8_t GfInv(uint8_t a) {
  for (int b = 1; b < 256; ++b) {
    if (GfMul(a, static_cast<uint8_t>(b)) == 1) return static_cast<uint8_t>(b);
  }
  return 0;
}

TEST(ProtocolVectorsTest, ReedSolomonShardsAreTheCauchyCodeOfTheSegment) {
  for (const Json& v : Group("erasure")) {
    SCOPED_TRACE(S(v["note"]));
    const int k = v["data_shards"].get<int>(), m = v["parity_shards"].get<int>();
    const std::string segment = Unhex(v["segment_hex"]);
    const size_t shard_size = v["shard_size_bytes"].get<size_t>();
    EXPECT_EQ(erasure::ReedSolomon::ShardSize(segment.size(), k), shard_size);
    ASSERT_OK_AND_ASSIGN(erasure::ReedSolomon rs, erasure::ReedSolomon::Create(k, m));
    ASSERT_OK_AND_ASSIGN(erasure::EncodedSegment enc, erasure::EncodeSegment(rs, Bytes(segment)));
    ASSERT_EQ(enc.shard_size, shard_size);
    ASSERT_EQ(v["shards_hex"].size(), static_cast<size_t>(k + m));
    ASSERT_EQ(v["shard_sha256_hex"].size(), static_cast<size_t>(k + m));
    std::vector<std::string> shards;
    for (int i = 0; i < k + m; ++i) {
      shards.push_back(Unhex(v["shards_hex"][i]));
      EXPECT_EQ(Hex(enc.shard(i)), S(v["shards_hex"][i])) << "shard " << i;
      EXPECT_EQ(Hex(enc.hashes[i]), S(v["shard_sha256_hex"][i])) << "hash " << i;
      EXPECT_EQ(Hex(Sha256(shards[i])), S(v["shard_sha256_hex"][i])) << "hash " << i;
    }

    // Documented: data shards are the zero-padded segment cut in k pieces;
    // parity row r (0-based) has coefficient 1 / ((k + r) XOR j) for data shard j.
    std::string padded = segment;
    padded.resize(shard_size * k, '\0');
    for (int j = 0; j < k; ++j) EXPECT_EQ(shards[j], padded.substr(j * shard_size, shard_size));
    for (int r = 0; r < m; ++r) {
      std::string parity(shard_size, '\0');
      for (int j = 0; j < k; ++j) {
        const uint8_t coef = GfInv(static_cast<uint8_t>((k + r) ^ j));
        for (size_t b = 0; b < shard_size; ++b) {
          parity[b] = static_cast<char>(static_cast<uint8_t>(parity[b]) ^
                                        GfMul(coef, static_cast<uint8_t>(shards[j][b])));
        }
      }
      EXPECT_EQ(Hex(parity), S(v["shards_hex"][k + r])) << "parity " << r;
    }

    // Any k shards rebuild the segment: drop two data shards.
    std::vector<std::span<const uint8_t>> have(k + m);
    std::vector<bulk::Sha256Hash> hashes(k + m);
    for (int i = 0; i < k + m; ++i) {
      if (i != 0 && i != 2) have[i] = Bytes(shards[i]);
      std::memcpy(hashes[i].data(), Unhex(v["shard_sha256_hex"][i]).data(), 32);
    }
    ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> rebuilt,
                         erasure::DecodeSegment(rs, segment.size(), have, hashes));
    EXPECT_EQ(Hex(rebuilt), S(v["segment_hex"]));
  }
}

TEST(ProtocolVectorsTest, LayoutOfChunksSegmentsAndShards) {
  for (const Json& v : Group("layout")) {
    const uint64_t plain = v["plaintext_size"].get<uint64_t>();
    SCOPED_TRACE(plain);
    const uint64_t payload = v["payload_size"].get<uint64_t>();
    EXPECT_EQ(client::ChunkCount(plain), v["chunks"].get<uint64_t>());
    EXPECT_EQ(client::PayloadSizeForPlaintext(plain), payload);
    EXPECT_EQ(payload, 16 + plain + 16 * v["chunks"].get<uint64_t>());
    ASSERT_OK_AND_ASSIGN(uint64_t back, client::PlaintextSizeForPayload(payload));
    EXPECT_EQ(back, plain);
    const uint64_t segment_size = v["segment_size"].get<uint64_t>();
    EXPECT_EQ(segment_size, client::kDefaultSegmentBytes);
    const int k = v["data_shards"].get<int>();
    client::SegmentLayout layout{segment_size, payload};
    ASSERT_EQ(layout.count(), v["segments"].size());
    for (uint64_t i = 0; i < layout.count(); ++i) {
      const Json& s = v["segments"][i];
      EXPECT_EQ(layout.offset(i), s["payload_offset"].get<uint64_t>());
      EXPECT_EQ(layout.length(i), s["segment_size_bytes"].get<uint64_t>());
      EXPECT_EQ(erasure::ReedSolomon::ShardSize(layout.length(i), k),
                s["shard_size_bytes"].get<uint64_t>());
    }
  }
}

// ---------------------------------------------------------------- age

TEST(ProtocolVectorsTest, AgePayloadIsTheChaCha20Poly1305Stream) {
  for (const Json& v : Group("age_payload")) {
    SCOPED_TRACE(S(v["note"]));
    const std::string file_key = Unhex(v["file_key_hex"]);
    const std::string nonce = Unhex(v["payload_nonce_hex"]);
    const std::string plaintext = v.contains("plaintext_utf8")
                                      ? S(v["plaintext_utf8"])
                                      : Pattern(v["plaintext_size"].get<size_t>());
    ASSERT_EQ(plaintext.size(), v["plaintext_size"].get<size_t>());
    client::PayloadNonce n;
    ASSERT_EQ(nonce.size(), n.size());
    std::memcpy(n.data(), nonce.data(), n.size());
    std::string payload;
    client::StringSink sink(&payload);
    ASSERT_OK_AND_ASSIGN(auto enc,
                         client::StreamEncryptor::Create(SecretBytes::CopyOf(Bytes(file_key)), sink,
                                                         bulk::kDefaultBackend, n));
    ASSERT_OK(enc->Write(Bytes(plaintext)));
    ASSERT_OK(enc->Close());
    EXPECT_EQ(payload.size(), v["payload_size"].get<size_t>());
    EXPECT_EQ(payload.size(), client::PayloadSizeForPlaintext(plaintext.size()));
    if (v.contains("payload_hex")) {
      EXPECT_EQ(Hex(payload), S(v["payload_hex"]));
    } else {
      EXPECT_EQ(Hex(Sha256(payload)), S(v["payload_sha256_hex"]));
      EXPECT_EQ(Hex(std::string_view(payload).substr(payload.size() - 32)),
                S(v["payload_last_32_hex"]));
    }

    // Documented: key = HKDF-SHA256(file key, salt = nonce, "payload"); chunk i
    // nonce = 11-byte big-endian i || last flag; every chunk is 64 KiB but the last.
    const std::string key = Hkdf32(file_key, nonce, "payload");
    EXPECT_EQ(Hex(key), S(v["payload_key_hex"]));
    EXPECT_EQ(payload.substr(0, 16), nonce);
    const uint64_t chunks = client::ChunkCount(plaintext.size());
    std::string opened;
    for (uint64_t i = 0; i < chunks; ++i) {
      const size_t start = 16 + i * client::kStreamSealedChunkBytes;
      const size_t len = std::min<size_t>(client::kStreamSealedChunkBytes, payload.size() - start);
      unsigned char chunk_nonce[12] = {0};
      for (int b = 0; b < 8; ++b) chunk_nonce[10 - b] = static_cast<unsigned char>(i >> (8 * b));
      chunk_nonce[11] = i + 1 == chunks ? 1 : 0;
      std::string out(len - 16, '\0');
      unsigned long long out_len = 0;
      ASSERT_EQ(crypto_aead_chacha20poly1305_ietf_decrypt(
                    reinterpret_cast<unsigned char*>(out.data()), &out_len, nullptr,
                    U(payload) + start, len, nullptr, 0, chunk_nonce, U(key)),
                0)
          << "chunk " << i;
      opened += out;
    }
    EXPECT_EQ(opened, plaintext);
  }
}

// PROTOCOL.md 5.2: the file key from one X25519 stanza, or "" if it does not open.
std::string OpenX25519Stanza(const client::Stanza& stanza, const X25519Identity& identity) {
  EXPECT_EQ(stanza.type, "X25519");
  EXPECT_EQ(stanza.args.size(), 1u);
  if (stanza.args.size() != 1) return "";
  std::string share(32, '\0');
  size_t share_len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(share.data()), share.size(),
                        stanza.args[0].data(), stanza.args[0].size(), nullptr, &share_len, nullptr,
                        sodium_base64_VARIANT_ORIGINAL_NO_PADDING) != 0 ||
      share_len != 32) {
    ADD_FAILURE() << "stanza share is not 32 bytes of unpadded base64";
    return "";
  }
  unsigned char shared[32];
  if (crypto_scalarmult(shared, identity.secret().data(), U(share)) != 0) return "";
  const std::string salt =
      share + std::string(reinterpret_cast<const char*>(identity.public_key().bytes.data()), 32);
  const std::string wrap_key = Hkdf32(std::string_view(reinterpret_cast<const char*>(shared), 32),
                                      salt, "age-encryption.org/v1/X25519");
  if (stanza.body.size() != 32) return "";
  std::string file_key(16, '\0');
  unsigned long long n = 0;
  const unsigned char zero_nonce[12] = {0};
  if (crypto_aead_chacha20poly1305_ietf_decrypt(reinterpret_cast<unsigned char*>(file_key.data()),
                                                &n, nullptr, stanza.body.data(), 32, nullptr, 0,
                                                zero_nonce, U(wrap_key)) != 0) {
    return "";
  }
  return file_key;
}

// PROTOCOL.md 5.3.
std::string HeaderMac(std::string_view file_key, const client::AgeHeader& header) {
  const std::string mac_key = Hkdf32(file_key, "", "header");
  const std::string for_mac = client::SerializeHeaderForMac(header);
  unsigned char mac[32];
  crypto_auth_hmacsha256(mac, U(for_mac), for_mac.size(), U(mac_key));
  return std::string(reinterpret_cast<const char*>(mac), 32);
}

TEST(ProtocolVectorsTest, HeaderTheClientBuildsFollowsTheDocumentedStanzaAndMac) {
  ASSERT_OK_AND_ASSIGN(X25519Identity id, X25519Identity::FromSecret(
                                              Bytes(Unhex(Group("identity")[0]["secret_hex"]))));
  client::X25519Recipient self(id.public_key());
  const client::AgeRecipient* recipients[] = {&self};
  ASSERT_OK_AND_ASSIGN(client::NewAgeFile file, client::NewFileHeader(recipients));
  ASSERT_EQ(file.header.stanzas.size(), 1u);
  const std::string file_key(reinterpret_cast<const char*>(file.file_key.data()),
                             file.file_key.size());
  EXPECT_EQ(file_key.size(), 16u);
  EXPECT_EQ(Hex(OpenX25519Stanza(file.header.stanzas[0], id)), Hex(file_key));
  EXPECT_EQ(Hex(HeaderMac(file_key, file.header)), Hex(file.header.mac));
  const std::string text = client::SerializeHeader(file.header);
  EXPECT_TRUE(text.starts_with("age-encryption.org/v1\n-> X25519 ")) << text;
  EXPECT_TRUE(text.ends_with("\n")) << text;
}

TEST(ProtocolVectorsTest, AgeFileOpensWithEveryRecipientIdentity) {
  for (const Json& v : Group("age_file")) {
    SCOPED_TRACE(S(v["note"]));
    ASSERT_OK_AND_ASSIGN(std::string file, Base64Decode(S(v["file_base64"])));
    const std::string header_text = S(v["header_text"]);
    ASSERT_TRUE(std::string_view(file).starts_with(header_text));
    size_t consumed = 0;
    ASSERT_OK_AND_ASSIGN(client::AgeHeader header, client::ParseHeader(file, &consumed));
    EXPECT_EQ(consumed, header_text.size());
    EXPECT_EQ(client::SerializeHeader(header), header_text);
    EXPECT_EQ(Hex(header.mac), S(v["header_mac_hex"]));
    EXPECT_EQ(file.substr(consumed, 16), Unhex(v["payload_nonce_hex"]));
    const std::string file_key = Unhex(v["file_key_hex"]);
    EXPECT_EQ(Hex(client::ComputeHeaderMac(SecretBytes::CopyOf(Bytes(file_key)), header)),
              S(v["header_mac_hex"]));
    // Documented MAC: HMAC-SHA256(HKDF(file key, empty salt, "header"), header up to "---").
    EXPECT_EQ(client::SerializeHeaderForMac(header), header_text.substr(0, header_text.rfind(' ')));
    EXPECT_EQ(Hex(HeaderMac(file_key, header)), S(v["header_mac_hex"]));

    ASSERT_FALSE(v["identities"].empty());
    ASSERT_EQ(header.stanzas.size(), v["identities"].size());
    for (size_t i = 0; i < header.stanzas.size(); ++i) {
      // Stanza i belongs to identity i: the documented recipe opens it.
      ASSERT_OK_AND_ASSIGN(X25519Identity id, client::ParseIdentity(S(v["identities"][i])));
      EXPECT_EQ(Hex(OpenX25519Stanza(header.stanzas[i], id)), S(v["file_key_hex"])) << i;
    }
    for (const Json& text : v["identities"]) {
      ASSERT_OK_AND_ASSIGN(X25519Identity id, client::ParseIdentity(S(text)));
      client::X25519AgeIdentity identity(std::move(id));
      const client::AgeIdentity* ids[] = {&identity};
      ASSERT_OK_AND_ASSIGN(SecretBytes key, client::UnwrapFileKey(header, ids));
      EXPECT_EQ(Hex(key.span()), S(v["file_key_hex"]));
      client::SpanSource in{std::string_view(file)};
      std::string plaintext;
      client::StringSink out(&plaintext);
      ASSERT_OK(client::DecryptFile(ids, in, out));
      EXPECT_EQ(plaintext, S(v["plaintext_utf8"]));
    }
    // Someone else's identity opens nothing.
    client::X25519AgeIdentity stranger(client::X25519Identity::Generate());
    const client::AgeIdentity* strangers[] = {&stranger};
    EXPECT_THAT(client::UnwrapFileKey(header, strangers),
                StatusIs(absl::StatusCode::kPermissionDenied));
  }
}

TEST(ProtocolVectorsTest, PublicLinkCarriesObjectIdAndLinkIdentity) {
  for (const Json& v : Group("public_link")) {
    const std::string link = S(v["link"]);
    const std::string prefix = "freehold://" + S(v["object_id"]) + "#";
    ASSERT_TRUE(link.starts_with(prefix)) << link;
    ASSERT_OK_AND_ASSIGN(X25519Identity id, client::ParseIdentity(link.substr(prefix.size())));
    EXPECT_EQ(Hex(id.secret()), S(v["link_secret_hex"]));
    ASSERT_OK_AND_ASSIGN(X25519Identity expected,
                         X25519Identity::FromSecret(Bytes(Unhex(v["link_secret_hex"]))));
    EXPECT_EQ(prefix + std::string(expected.Encode().view()), link);
  }
}

TEST(ProtocolVectorsTest, NameHashIsKeyedBlake2bOfParentAndName) {
  ASSERT_FALSE(Group("name_hash").empty());
  for (const Json& v : Group("name_hash")) {
    SCOPED_TRACE(S(v["note"]));
    const std::string secret = Unhex(v["identity_secret_hex"]);
    ASSERT_OK_AND_ASSIGN(X25519Identity id, X25519Identity::FromSecret(Bytes(secret)));
    SecretBytes key = client::NameHashKey(id);
    EXPECT_EQ(Hex(key.span()), S(v["name_hash_key_hex"]));
    // Documented: BLAKE2b-256, key = identity secret, salt = LE64(2) || 0^8,
    // personalization = "FhName01" || 0^8, empty message.
    unsigned char salt[16] = {2}, personal[16] = {'F', 'h', 'N', 'a', 'm', 'e', '0', '1'};
    unsigned char derived[32];
    ASSERT_EQ(crypto_generichash_blake2b_salt_personal(derived, 32, nullptr, 0, U(secret), 32, salt,
                                                       personal),
              0);
    EXPECT_EQ(Hex(std::string_view(reinterpret_cast<const char*>(derived), 32)),
              S(v["name_hash_key_hex"]));
    const std::string parent = S(v["parent_id"]);
    const std::string name = S(v["name_utf8"]);
    EXPECT_EQ(Hex(client::EntryNameHash(key, parent, name)), S(v["name_hash_hex"]));
    // Documented: root = BLAKE2b-256(name, key); folder P = BLAKE2b-256(
    // "freehold/v1/entry" || 0x00 || P || 0x00 || name, key).
    const std::string msg =
        parent.empty() ? name : std::string("freehold/v1/entry") + '\0' + parent + '\0' + name;
    unsigned char h[32];
    crypto_generichash(h, 32, U(msg), msg.size(), key.data(), key.size());
    EXPECT_EQ(Hex(std::string_view(reinterpret_cast<const char*>(h), 32)), S(v["name_hash_hex"]));
  }
}

TEST(ProtocolVectorsTest, MetadataModeRoundTripsAndLeavesOldBlobsAlone) {
  X25519Identity id = X25519Identity::Generate();
  SecretBytes key = client::MetadataKey(id);
  client::FileMetadata m;
  m.name = std::string(255, 'n');
  m.mode = 0640;
  ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> blob, client::SealMetadata(key, m));
  ASSERT_OK_AND_ASSIGN(client::FileMetadata back, client::OpenMetadata(key, blob));
  EXPECT_EQ(back, m);
  // Version 2 (bound to its object) carries the mode the same way.
  const std::string object = client::NewObjectId();
  ASSERT_OK_AND_ASSIGN(blob, client::SealObjectMetadata(key, m, object));
  ASSERT_OK_AND_ASSIGN(client::OpenedMetadata bound, client::OpenObjectMetadata(key, blob, object));
  EXPECT_EQ(bound.version, 2);
  EXPECT_EQ(bound.metadata, m);
  m.mode = 0;
  ASSERT_OK_AND_ASSIGN(blob, client::SealMetadata(key, m));
  ASSERT_OK_AND_ASSIGN(back, client::OpenMetadata(key, blob));
  EXPECT_EQ(back.mode, 0u);
}

// Version 2 metadata with permission bits (docs/PROTOCOL.md 5.7 and #folders).
TEST(ProtocolVectorsTest, BoundMetadataWithModeOpensToItsMode) {
  ASSERT_FALSE(Group("metadata_mode").empty());
  for (const Json& v : Group("metadata_mode")) {
    SCOPED_TRACE(S(v["note"]));
    ASSERT_OK_AND_ASSIGN(X25519Identity id,
                         X25519Identity::FromSecret(Bytes(Unhex(v["identity_secret_hex"]))));
    SecretBytes key = client::MetadataKey(id);
    EXPECT_EQ(Hex(key.span()), S(v["metadata_key_hex"]));
    const std::string blob = Unhex(v["blob_hex"]);
    ASSERT_OK_AND_ASSIGN(client::OpenedMetadata m,
                         client::OpenObjectMetadata(key, Bytes(blob), S(v["object_id"])));
    EXPECT_EQ(m.version, 2);
    EXPECT_EQ(m.metadata.name, S(v["name_utf8"]));
    EXPECT_EQ(m.metadata.size, v["size"].get<uint64_t>());
    EXPECT_EQ(m.metadata.mode, v["mode"].get<uint32_t>());
    EXPECT_EQ(m.metadata.modified_unix_nanos, v["modified_unix_nanos"].get<int64_t>());
  }
}

// Entry wraps of shared folders (docs/PROTOCOL.md 9.3), opened by the library
// and by the derivation the document spells out; bound to their place.
TEST(ProtocolVectorsTest, FolderWrapsOpenAsDocumentedAndOnlyInTheirPlace) {
  ASSERT_FALSE(Group("folder_wrap").empty());
  for (const Json& v : Group("folder_wrap")) {
    SCOPED_TRACE(S(v["note"]));
    SecretBytes folder_key = SecretBytes::CopyOf(Bytes(Unhex(v["folder_key_hex"])));
    const std::string wrap = Unhex(v["wrap_hex"]);
    ASSERT_OK_AND_ASSIGN(client::EntryWrap w,
                         client::OpenEntryWrap(folder_key, Bytes(wrap), S(v["parent_id"]),
                                               S(v["entry_id"])));
    EXPECT_EQ(w.is_folder, v["is_folder"].get<bool>());
    EXPECT_EQ(Hex(w.key.span()), S(v["entry_key_hex"]));
    EXPECT_EQ(w.name, S(v["name_utf8"]));
    // By hand: HKDF, XChaCha20-Poly1305 with the documented associated data.
    SecretBytes wrap_key =
        client::internal::HkdfSha256(folder_key.span(), {}, "freehold/v1/folder-wrap", 32);
    const std::string aad = std::string("freehold/v1/folder-wrap") + '\x01' + S(v["parent_id"]) +
                            S(v["entry_id"]);
    ASSERT_EQ(wrap[0], 1);
    std::string plain(wrap.size() - 1 - 24 - 16, '\0');
    unsigned long long n = 0;
    ASSERT_EQ(crypto_aead_xchacha20poly1305_ietf_decrypt(
                  reinterpret_cast<uint8_t*>(plain.data()), &n, nullptr,
                  reinterpret_cast<const uint8_t*>(wrap.data()) + 25, wrap.size() - 25,
                  reinterpret_cast<const uint8_t*>(aad.data()), aad.size(),
                  reinterpret_cast<const uint8_t*>(wrap.data()) + 1, wrap_key.data()),
              0);
    EXPECT_EQ(plain.size() % 64, 0u);
    EXPECT_EQ(plain[0], v["is_folder"].get<bool>() ? 2 : 1);
    EXPECT_EQ(Hex(Bytes(plain.substr(1, 16))), S(v["entry_key_hex"]));
    const uint32_t len = static_cast<uint8_t>(plain[17]) | (static_cast<uint8_t>(plain[18]) << 8);
    EXPECT_EQ(plain.substr(21, len), S(v["name_utf8"]));
    // Moved to another entry or folder, or another key: refused.
    EXPECT_THAT(client::OpenEntryWrap(folder_key, Bytes(wrap), S(v["entry_id"]), S(v["parent_id"]))
                    .status(),
                StatusIs(absl::StatusCode::kDataLoss));
    SecretBytes other = SecretBytes::CopyOf(std::string_view("another key 16 b"));
    EXPECT_THAT(
        client::OpenEntryWrap(other, Bytes(wrap), S(v["parent_id"]), S(v["entry_id"])).status(),
        StatusIs(absl::StatusCode::kDataLoss));
  }
}

TEST(ProtocolVectorsTest, MetadataBlobOpensWithTheIdentitysMetadataKey) {
  for (const Json& v : Group("metadata")) {
    SCOPED_TRACE(S(v["note"]));
    const std::string secret = Unhex(v["identity_secret_hex"]);
    ASSERT_OK_AND_ASSIGN(X25519Identity id, X25519Identity::FromSecret(Bytes(secret)));
    SecretBytes key = client::MetadataKey(id);
    EXPECT_EQ(Hex(key.span()), S(v["metadata_key_hex"]));
    // Documented: BLAKE2b-256, key = identity secret, salt = LE64(1) || 0^8,
    // personalization = "FhMeta01" || 0^8, empty message.
    unsigned char salt[16] = {1}, personal[16] = {'F', 'h', 'M', 'e', 't', 'a', '0', '1'};
    unsigned char derived[32];
    ASSERT_EQ(crypto_generichash_blake2b_salt_personal(derived, 32, nullptr, 0, U(secret), 32, salt,
                                                       personal),
              0);
    EXPECT_EQ(Hex(std::string_view(reinterpret_cast<const char*>(derived), 32)),
              S(v["metadata_key_hex"]));

    const std::string blob = Unhex(v["blob_hex"]);
    const std::string aad = Unhex(v["aad_hex"]);
    ASSERT_OK_AND_ASSIGN(client::FileMetadata m,
                         client::OpenMetadata(key, Bytes(blob), Bytes(aad)));
    EXPECT_EQ(m.name, S(v["name_utf8"]));
    EXPECT_EQ(m.size, v["size"].get<uint64_t>());
    EXPECT_EQ(m.created_unix_nanos, v["created_unix_nanos"].get<int64_t>());
    EXPECT_EQ(m.modified_unix_nanos, v["modified_unix_nanos"].get<int64_t>());

    // Documented: 0x01 || nonce24 || XChaCha20-Poly1305(key, plaintext,
    // "freehold/v1/metadata" || 0x01 || aad), plaintext = LE u64 size, LE i64
    // created, LE i64 modified, LE u32 name length, name, zeros to a multiple of 64.
    ASSERT_GT(blob.size(), 25u);
    EXPECT_EQ(blob[0], '\x01');
    std::string plain;
    auto put = [&plain](uint64_t x, int bytes) {
      for (int i = 0; i < bytes; ++i) plain.push_back(static_cast<char>(x >> (8 * i)));
    };
    put(m.size, 8);
    put(static_cast<uint64_t>(m.created_unix_nanos), 8);
    put(static_cast<uint64_t>(m.modified_unix_nanos), 8);
    put(m.name.size(), 4);
    plain += m.name;
    plain.resize((plain.size() + 63) / 64 * 64, '\0');
    const std::string full_aad = std::string("freehold/v1/metadata") + '\x01' + aad;
    std::string sealed(plain.size() + 16, '\0');
    unsigned long long n = 0;
    crypto_aead_xchacha20poly1305_ietf_encrypt(reinterpret_cast<unsigned char*>(sealed.data()), &n,
                                               U(plain), plain.size(), U(full_aad), full_aad.size(),
                                               nullptr, U(blob) + 1, key.data());
    EXPECT_EQ(Hex(blob.substr(0, 25) + sealed), S(v["blob_hex"]));

    // A fresh blob sealed by the client code has the same layout (its nonce is new).
    ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> fresh, client::SealMetadata(key, m, Bytes(aad)));
    const std::string fresh_blob(fresh.begin(), fresh.end());
    ASSERT_EQ(fresh_blob.size(), blob.size());
    crypto_aead_xchacha20poly1305_ietf_encrypt(reinterpret_cast<unsigned char*>(sealed.data()), &n,
                                               U(plain), plain.size(), U(full_aad), full_aad.size(),
                                               nullptr, U(fresh_blob) + 1, key.data());
    EXPECT_EQ(Hex(fresh_blob), Hex(fresh_blob.substr(0, 25) + sealed));

    // Bound to its AAD: another object id does not open it.
    EXPECT_THAT(client::OpenMetadata(key, Bytes(blob), Bytes(std::string("other"))),
                StatusIs(absl::StatusCode::kPermissionDenied));
  }
}

// Version 2 metadata (docs/PROTOCOL.md 5.7): the object id is the caller aad,
// the version byte 0x02.
TEST(ProtocolVectorsTest, BoundMetadataOpensOnlyForItsObject) {
  for (const Json& v : Group("metadata_bound")) {
    SCOPED_TRACE(S(v["note"]));
    ASSERT_OK_AND_ASSIGN(X25519Identity id,
                         X25519Identity::FromSecret(Bytes(Unhex(v["identity_secret_hex"]))));
    SecretBytes key = client::MetadataKey(id);
    EXPECT_EQ(Hex(key.span()), S(v["metadata_key_hex"]));
    const std::string blob = Unhex(v["blob_hex"]);
    const std::string object = S(v["object_id"]);
    ASSERT_OK_AND_ASSIGN(client::OpenedMetadata m,
                         client::OpenObjectMetadata(key, Bytes(blob), object));
    EXPECT_EQ(m.version, 2);
    EXPECT_EQ(m.metadata.name, S(v["name_utf8"]));
    EXPECT_EQ(m.metadata.size, v["size"].get<uint64_t>());
    EXPECT_EQ(m.metadata.created_unix_nanos, v["created_unix_nanos"].get<int64_t>());
    EXPECT_EQ(m.metadata.modified_unix_nanos, v["modified_unix_nanos"].get<int64_t>());
    // Documented layout: 0x02 || nonce24 || XChaCha20-Poly1305(key, plaintext as
    // version 1, "freehold/v1/metadata" || 0x02 || object id (36 ASCII bytes)).
    ASSERT_EQ(blob[0], '\x02');
    const std::string full_aad = std::string("freehold/v1/metadata") + '\x02' + object;
    std::string plain(blob.size() - 1 - 24 - 16, '\0');
    unsigned long long n = 0;
    ASSERT_EQ(crypto_aead_xchacha20poly1305_ietf_decrypt(
                  reinterpret_cast<unsigned char*>(plain.data()), &n, nullptr, U(blob) + 25,
                  blob.size() - 25, U(full_aad), full_aad.size(), U(blob) + 1, key.data()),
              0);
    // Another object's id (the server swapping blobs) does not open it.
    EXPECT_THAT(client::OpenObjectMetadata(key, Bytes(blob), "00000000-0000-4000-8000-000000000000"),
                StatusIs(absl::StatusCode::kPermissionDenied));
  }
}

// The share record (docs/PROTOCOL.md 8.1).
TEST(ProtocolVectorsTest, ShareRecordOpensToItsTextForItsObject) {
  for (const Json& v : Group("share_record")) {
    SCOPED_TRACE(S(v["note"]));
    const std::string secret = Unhex(v["identity_secret_hex"]);
    ASSERT_OK_AND_ASSIGN(X25519Identity id, X25519Identity::FromSecret(Bytes(secret)));
    SecretBytes key = client::ShareRecordKey(id);
    EXPECT_EQ(Hex(key.span()), S(v["share_record_key_hex"]));
    // Documented: crypto_kdf_derive_from_key(32, id 3, "FhShar01", secret).
    unsigned char derived[32];
    crypto_kdf_derive_from_key(derived, 32, 3, "FhShar01", U(secret));
    EXPECT_EQ(Hex(std::string_view(reinterpret_cast<const char*>(derived), 32)),
              S(v["share_record_key_hex"]));
    const std::string blob = Unhex(v["blob_hex"]);
    const std::string object = S(v["object_id"]);
    ASSERT_EQ(blob[0], '\x01');
    const std::string aad = std::string("freehold/v1/share-record") + '\x01' + object;
    std::string text(blob.size() - 25 - 16, '\0');
    unsigned long long n = 0;
    ASSERT_EQ(crypto_aead_xchacha20poly1305_ietf_decrypt(
                  reinterpret_cast<unsigned char*>(text.data()), &n, nullptr, U(blob) + 25,
                  blob.size() - 25, U(aad), aad.size(), U(blob) + 1, key.data()),
              0);
    EXPECT_EQ(text, S(v["text_utf8"]));
    ASSERT_OK_AND_ASSIGN(client::ShareRecord r,
                         client::OpenShareRecord(key, Bytes(blob), object));
    ASSERT_EQ(r.entries.size(), 2u);
    EXPECT_EQ(r.entries[0].handle, "bob");
    EXPECT_EQ(r.entries[1].kind, client::ShareEntry::Kind::kLink);
    EXPECT_THAT(client::OpenShareRecord(key, Bytes(blob), "00000000-0000-4000-8000-000000000000"),
                StatusIs(absl::StatusCode::kPermissionDenied));
  }
}

}  // namespace
}  // namespace freehold::protocol_testing
