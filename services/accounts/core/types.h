// Domain types of the accounts service (no gRPC, no protobuf).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace freehold::accounts {

// Argon2id parameters chosen by the client, stored per account.
struct KdfParams {
  uint64_t ops_limit = 0;
  uint64_t mem_limit_bytes = 0;
  std::string algorithm;  // "argon2id13"
  bool operator==(const KdfParams&) const = default;
};

inline constexpr char kKdfAlgorithm[] = "argon2id13";

// What the server keeps to check a password-derived auth key and to give the client
// back what it needs to re-derive its keys. `verifier` = BLAKE2b-256(pepper, auth_key).
struct Credentials {
  std::string salt;  // 16 bytes
  KdfParams kdf;
  std::string verifier;          // 32 bytes
  std::string wrapped_identity;  // opaque to the server
};

// Where a request came from (for fair-use limits).
struct Caller {
  std::string address;  // peer IP without port; "" if unknown
};

struct TokenPair {
  std::string access_token;
  absl::Time access_expires_at;
  std::string refresh_token;  // base64url of 32 random bytes
  absl::Time refresh_expires_at;
};

// The identity behind a verified access token whose session is still active.
struct AuthContext {
  std::string account_id;
  std::string session_id;
  std::string token_id;
};

struct PreLoginResult {
  std::string salt;
  KdfParams kdf;
  KdfParams recommended_kdf;  // the server's default for new wrappings
};

struct RegisterInput {
  std::string handle;
  std::string salt;
  KdfParams kdf;
  std::string auth_key;  // wiped by the service after use
  std::string wrapped_identity;
  std::string public_key;
  std::string contact;  // "" = none
};

struct LoginResult {
  std::string account_id;
  std::string session_id;
  TokenPair tokens;
  std::string wrapped_identity;
  std::string public_key;
};

struct NewPassword {
  std::string salt;
  KdfParams kdf;
  std::string auth_key;  // wiped by the service after use
  std::string wrapped_identity;
};

struct RecoveryChallenge {
  std::string challenge;         // 32 bytes
  std::string ephemeral_public;  // age recipient
};

struct SessionInfo {
  std::string session_id;
  std::string device_name;
  absl::Time created_at;
  absl::Time last_used_at;
  bool current = false;
};

struct AccountInfo {
  std::string account_id;
  std::string handle;
  std::string public_key;
  std::string contact;
  absl::Time created_at;
};

struct DeletedAccountInfo {
  int64_t sequence = 0;
  std::string account_id;
  absl::Time deleted_at;
};

// A session that ended (revoked for any reason), as recorded in revoked_sessions.
struct RevokedSessionInfo {
  int64_t sequence = 0;
  std::string session_id;
  absl::Time revoked_at;
  // No access token of the session is valid after this (revoked_at + the access-token
  // lifetime); set by AccountService, not by the repository.
  absl::Time tokens_expire_by;
};

}  // namespace freehold::accounts
