// Checks docs/protocol-vectors.json against the code, so docs/PROTOCOL.md and
// its vectors cannot drift from what Freehold does. Each test takes one group
// of the file and (1) recomputes it with the project's functions and (2) where
// PROTOCOL.md spells out a construction, rebuilds it from libsodium primitives
// the way a client in another language would, and compares both to the file.
//
// This file: account keys, sign-up and login, tokens.
#include "tests/protocol/protocol_vectors_util.h"

namespace freehold::protocol_testing {
namespace {

// ---------------------------------------------------------------- accounts

TEST(ProtocolVectorsTest, Argon2idSplitsItsOutputIntoKekAndAuthKey) {
  for (const Json& v : Group("argon2id")) {
    SCOPED_TRACE(S(v["note"]));
    const std::string password = Unhex(v["password_utf8_hex"]);
    const std::string salt = Unhex(v["salt_hex"]);
    EXPECT_EQ(S(v["algorithm"]), accounts::kKdfAlgorithm);
    const client::PwhashParams params{v["ops_limit"].get<uint64_t>(),
                                      v["mem_limit_bytes"].get<uint64_t>()};
    ASSERT_OK_AND_ASSIGN(client::DerivedKeys keys,
                         client::DeriveKeys(password, Bytes(salt), params));
    EXPECT_EQ(Hex(keys.kek.span()), S(v["kek_hex"]));
    EXPECT_EQ(Hex(keys.auth_key.span()), S(v["auth_key_hex"]));

    // Documented: 64 bytes of crypto_pwhash (Argon2id v1.3), kek first.
    std::string out(64, '\0');
    ASSERT_EQ(crypto_pwhash(reinterpret_cast<unsigned char*>(out.data()), out.size(),
                            password.data(), password.size(), U(salt), params.opslimit,
                            static_cast<size_t>(params.memlimit), crypto_pwhash_ALG_ARGON2ID13),
              0);
    EXPECT_EQ(Hex(out), S(v["kek_hex"]) + S(v["auth_key_hex"]));
  }
}

TEST(ProtocolVectorsTest, DefaultKdfVectorUsesWhatPreLoginAdvertises) {
  const accounts::AccountsOptions defaults;
  bool found = false;
  for (const Json& v : Group("argon2id")) {
    found |= v["ops_limit"].get<uint64_t>() == defaults.default_kdf.ops_limit &&
             v["mem_limit_bytes"].get<uint64_t>() == defaults.default_kdf.mem_limit_bytes;
  }
  EXPECT_TRUE(found) << "no argon2id vector uses the accounts service's default parameters";
  EXPECT_EQ(defaults.default_kdf.algorithm, "argon2id13");
}

TEST(ProtocolVectorsTest, IdentityEncodesAsAgeSecretKeyAndRecipient) {
  for (const Json& v : Group("identity")) {
    SCOPED_TRACE(S(v["note"]));
    const std::string secret = Unhex(v["secret_hex"]);
    ASSERT_OK_AND_ASSIGN(X25519Identity id, X25519Identity::FromSecret(Bytes(secret)));
    EXPECT_EQ(id.Encode().view(), S(v["secret_key"]));
    EXPECT_EQ(id.Recipient(), S(v["recipient"]));
    EXPECT_EQ(Hex(id.public_key().bytes), S(v["public_hex"]));
    unsigned char pub[32];
    ASSERT_EQ(crypto_scalarmult_base(pub, U(secret)), 0);
    EXPECT_EQ(Hex(std::string_view(reinterpret_cast<const char*>(pub), 32)), S(v["public_hex"]));

    ASSERT_OK_AND_ASSIGN(X25519Identity parsed, client::ParseIdentity(S(v["secret_key"])));
    EXPECT_EQ(Hex(parsed.secret()), S(v["secret_hex"]));
    ASSERT_OK_AND_ASSIGN(client::X25519PublicKey recipient,
                         client::ParseRecipient(S(v["recipient"])));
    EXPECT_EQ(Hex(recipient.bytes), S(v["public_hex"]));
    ASSERT_OK_AND_ASSIGN(auto server_view, accounts::ParseAgeRecipient(S(v["recipient"])));
    EXPECT_EQ(Hex(server_view), S(v["public_hex"]));
  }
}

TEST(ProtocolVectorsTest, WrappedIdentityIsNonceThenXChaCha20Poly1305) {
  for (const Json& v : Group("wrapped_identity")) {
    SCOPED_TRACE(S(v["note"]));
    const std::string kek = Unhex(v["kek_hex"]);
    const std::string wrapped = Unhex(v["wrapped_hex"]);
    const std::string nonce = Unhex(v["nonce_hex"]);
    const std::string aad = S(v["aad"]);
    ASSERT_EQ(wrapped.size(), client::kWrappedIdentityBytes);
    EXPECT_EQ(wrapped.substr(0, 24), nonce);

    ASSERT_OK_AND_ASSIGN(X25519Identity id,
                         client::UnwrapIdentity(SecretBytes::CopyOf(kek), Bytes(wrapped)));
    EXPECT_EQ(Hex(id.secret()), S(v["secret_hex"]));

    // Documented: nonce (24) || XChaCha20-Poly1305(kek, secret, aad).
    const std::string secret = Unhex(v["secret_hex"]);
    std::string sealed(secret.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES, '\0');
    unsigned long long n = 0;
    crypto_aead_xchacha20poly1305_ietf_encrypt(reinterpret_cast<unsigned char*>(sealed.data()), &n,
                                               U(secret), secret.size(), U(aad), aad.size(),
                                               nullptr, U(nonce), U(kek));
    EXPECT_EQ(Hex(nonce + sealed), S(v["wrapped_hex"]));

    // A fresh wrapping by the client code has the same layout (its nonce is new).
    ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> fresh,
                         client::WrapIdentity(SecretBytes::CopyOf(kek), id));
    ASSERT_EQ(fresh.size(), client::kWrappedIdentityBytes);
    const std::string fresh_nonce(fresh.begin(), fresh.begin() + 24);
    crypto_aead_xchacha20poly1305_ietf_encrypt(reinterpret_cast<unsigned char*>(sealed.data()), &n,
                                               U(secret), secret.size(), U(aad), aad.size(),
                                               nullptr, U(fresh_nonce), U(kek));
    EXPECT_EQ(Hex(fresh), Hex(fresh_nonce + sealed));

    std::string wrong = kek;
    wrong[0] ^= 1;
    EXPECT_THAT(client::UnwrapIdentity(SecretBytes::CopyOf(wrong), Bytes(wrapped)),
                StatusIs(absl::StatusCode::kPermissionDenied));
  }
}

TEST(ProtocolVectorsTest, VerifierIsBlake2bKeyedWithThePepper) {
  for (const Json& v : Group("verifier")) {
    SCOPED_TRACE(S(v["note"]));
    ASSERT_OK_AND_ASSIGN(accounts::Pepper pepper,
                         accounts::Pepper::FromSecret(S(v["pepper_secret"])));
    const std::string auth_key = Unhex(v["auth_key_hex"]);
    EXPECT_EQ(Hex(pepper.Verifier(auth_key)), S(v["verifier_hex"]));
    const std::string pepper_key = Blake2b(32, S(v["pepper_secret"]), "");
    EXPECT_EQ(Hex(pepper_key), S(v["pepper_key_hex"]));
    EXPECT_EQ(Hex(Blake2b(32, auth_key, pepper_key)), S(v["verifier_hex"]));
  }
}

TEST(ProtocolVectorsTest, FakeSaltIsBlake2b128OfTheNormalizedHandle) {
  for (const Json& v : Group("fake_salt")) {
    SCOPED_TRACE(S(v["handle"]));
    ASSERT_OK_AND_ASSIGN(std::string normalized, accounts::NormalizeHandle(S(v["handle"])));
    EXPECT_EQ(normalized, S(v["normalized_handle"]));
    ASSERT_OK_AND_ASSIGN(accounts::Pepper pepper,
                         accounts::Pepper::FromSecret(S(v["pepper_secret"])));
    EXPECT_EQ(Hex(pepper.FakeSalt(normalized)), S(v["fake_salt_hex"]));
    EXPECT_EQ(Hex(Blake2b(16, normalized, Blake2b(32, S(v["pepper_secret"]), ""))),
              S(v["fake_salt_hex"]));
  }
}

TEST(ProtocolVectorsTest, RecoveryProofIsTheSameOnClientAndServer) {
  for (const Json& v : Group("recovery_proof")) {
    SCOPED_TRACE(S(v["note"]));
    const std::string challenge = Unhex(v["challenge_hex"]);
    // Server: the ephemeral key comes from the pepper and the challenge.
    ASSERT_OK_AND_ASSIGN(accounts::Pepper pepper,
                         accounts::Pepper::FromSecret(S(v["pepper_secret"])));
    const std::array<uint8_t, 32> eph = pepper.RecoveryEphemeralSecret(challenge);
    EXPECT_EQ(Hex(eph), S(v["ephemeral_secret_hex"]));
    EXPECT_EQ(accounts::FormatAgeRecipient(accounts::X25519Public(eph)), S(v["ephemeral_public"]));

    // Client: X25519(identity, ephemeral public), then keyed BLAKE2b of the challenge.
    ASSERT_OK_AND_ASSIGN(client::X25519PublicKey eph_pub,
                         client::ParseRecipient(S(v["ephemeral_public"])));
    const std::array<uint8_t, 32> identity = Array32(Unhex(v["identity_secret_hex"]));
    ASSERT_OK_AND_ASSIGN(std::string proof,
                         accounts::RecoveryProof(identity, eph_pub.bytes, challenge));
    EXPECT_EQ(Hex(proof), S(v["proof_hex"]));
    unsigned char shared[32];
    ASSERT_EQ(crypto_scalarmult(shared, identity.data(), eph_pub.bytes.data()), 0);
    const std::string shared_s(reinterpret_cast<const char*>(shared), 32);
    EXPECT_EQ(Hex(shared_s), S(v["shared_secret_hex"]));
    EXPECT_EQ(Hex(Blake2b(32, challenge, shared_s)), S(v["proof_hex"]));

    // Server side of the same proof.
    ASSERT_OK_AND_ASSIGN(auto account_key, accounts::ParseAgeRecipient(S(v["account_public_key"])));
    ASSERT_OK_AND_ASSIGN(std::string expected,
                         accounts::RecoveryProof(eph, account_key, challenge));
    EXPECT_EQ(Hex(expected), S(v["proof_hex"]));
  }
}

TEST(ProtocolVectorsTest, RefreshTokenIsSessionIdThenSecretInBase64Url) {
  for (const Json& v : Group("refresh_token")) {
    const std::string token = S(v["refresh_token"]);
    ASSERT_OK_AND_ASSIGN(accounts::DecodedRefreshToken decoded,
                         accounts::TokenIssuer::DecodeRefreshToken(token));
    EXPECT_EQ(decoded.session_id, S(v["session_id"]));
    ASSERT_EQ(decoded.raw.size(), accounts::kRefreshTokenBytes);
    EXPECT_EQ(Hex(decoded.raw.substr(16)), S(v["secret_hex"]));
    EXPECT_EQ(accounts::FormatUuid(decoded.raw.substr(0, 16)), S(v["session_id"]));
    EXPECT_EQ(Base64UrlEncode(decoded.raw), token);
    EXPECT_EQ(Hex(accounts::HashRefreshToken(decoded.raw)), S(v["stored_hash_hex"]));
    EXPECT_EQ(Hex(Blake2b(32, decoded.raw, "")), S(v["stored_hash_hex"]));
  }
  // A token the service mints today has the same shape.
  const SigningKey key = KeyFromSeed(std::string(32, '\x01'), "k1");
  TokenSigner signer(key);
  TokenVerifier verifier({key.Public()});
  accounts::AccountsOptions options;
  accounts::TokenIssuer issuer(signer, verifier, options);
  const std::string session = S(Group("refresh_token")[0]["session_id"]);
  const absl::Time now = absl::FromUnixSeconds(1768471200);
  accounts::IssuedTokens fresh = issuer.NewRefreshToken(session, now);
  ASSERT_OK_AND_ASSIGN(accounts::DecodedRefreshToken decoded,
                       accounts::TokenIssuer::DecodeRefreshToken(fresh.tokens.refresh_token));
  EXPECT_EQ(decoded.session_id, session);
  EXPECT_EQ(fresh.refresh_hash, accounts::HashRefreshToken(decoded.raw));
  EXPECT_EQ(fresh.tokens.refresh_expires_at, now + absl::Hours(24 * 30));
}

TEST(ProtocolVectorsTest, AccessTokenSignsTheCanonicalClaims) {
  for (const Json& v : Group("access_token")) {
    SCOPED_TRACE(S(v["note"]));
    const SigningKey key = KeyFromSeed(Unhex(v["ed25519_seed_hex"]), S(v["key_id"]));
    EXPECT_EQ(Hex(key.public_key), S(v["public_key_hex"]));
    EXPECT_EQ(accounts::FormatVerificationKeys({key.Public()}), S(v["verification_key_line"]));

    const Json& c = v["claims"];
    TokenClaims claims;
    claims.audience = S(c["audience"]);
    claims.subject = S(c["subject"]);
    claims.token_id = S(c["token_id"]);
    claims.issued_at = absl::FromUnixMicros(c["issued_at_unix_micros"].get<int64_t>());
    claims.expires_at = absl::FromUnixMicros(c["expires_at_unix_micros"].get<int64_t>());
    for (const Json& s : c["scopes"]) claims.scopes.push_back(S(s));
    claims.extra = S(c["extra"]);
    EXPECT_EQ(Hex(EncodeClaims(claims)), S(v["claims_hex"]));
    TokenSigner signer(key);
    EXPECT_EQ(SignClaims(signer, claims), S(v["token"]));
    EXPECT_EQ(Hex(SignedMessage(kClaimsContext, key.key_id, EncodeClaims(claims))),
              S(v["signed_message_hex"]));
    const std::string payload = CheckCompactToken(v, kClaimsContext, Unhex(v["public_key_hex"]));
    ASSERT_OK_AND_ASSIGN(TokenClaims decoded, DecodeClaims(payload));
    EXPECT_EQ(decoded, claims);

    // The accounts service accepts it while it is valid, as the session's token.
    TokenVerifier verifier({key.Public()});
    accounts::AccountsOptions options;
    accounts::TokenIssuer issuer(signer, verifier, options);
    ASSERT_OK_AND_ASSIGN(accounts::AuthContext auth,
                         issuer.VerifyAccessToken(S(v["token"]), claims.issued_at));
    EXPECT_EQ(auth.account_id, claims.subject);
    EXPECT_EQ(auth.session_id, claims.extra);
    EXPECT_EQ(auth.token_id, claims.token_id);
    // Documented skew: 30 s past expires_at it still verifies, 31 s past it does not.
    EXPECT_OK(VerifyClaims(verifier, S(v["token"]), claims.audience,
                           claims.expires_at + absl::Seconds(30)));
    EXPECT_THAT(VerifyClaims(verifier, S(v["token"]), claims.audience,
                             claims.expires_at + absl::Seconds(31)),
                StatusIs(absl::StatusCode::kUnauthenticated));
    // Another context (a grant) never verifies as claims.
    EXPECT_THAT(verifier.Verify(S(v["token"]), kGrantContext),
                StatusIs(absl::StatusCode::kUnauthenticated));

    // What the service issues today has this vector's audience, scopes and lifetime.
    auto [fresh, expires] = issuer.IssueAccessToken(claims.subject, claims.extra, claims.issued_at);
    EXPECT_EQ(expires, claims.expires_at);
    ASSERT_OK_AND_ASSIGN(std::string fresh_payload, verifier.Verify(fresh, kClaimsContext));
    ASSERT_OK_AND_ASSIGN(TokenClaims issued, DecodeClaims(fresh_payload));
    EXPECT_EQ(issued.audience, claims.audience);
    EXPECT_EQ(issued.scopes, claims.scopes);
    EXPECT_EQ(issued.token_id.size(), claims.token_id.size());
    claims.token_id = issued.token_id;
    EXPECT_EQ(issued, claims);
  }
}

}  // namespace
}  // namespace freehold::protocol_testing
