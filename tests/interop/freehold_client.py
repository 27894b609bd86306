"""A Freehold client in Python, written from the wire contracts (proto/) and the
C++ client's key handling, with Debian's packages only: python3-grpcio,
python3-protobuf and python3-nacl (libsodium).

The stubs are generated at test time (tests/interop/interop_test.sh) by protoc
and grpc_python_plugin into a directory on sys.path: freehold/v1/*_pb2*.py and
health_pb2*.py (grpc.health.v1 from Debian's grpc-proto, generated at top level
so that it does not shadow the grpc package).

Key handling, as client/core/account_keys.* and client/core/keys.* do it:
  out[64]  = Argon2id13(password bytes, salt16, opslimit, memlimit)
  kek      = out[0:32]    wraps the identity, never leaves the client
  auth_key = out[32:64]   sent to accounts (Register, Login)
  identity = 32 random bytes (X25519 scalar); public = X25519 base point mult
  wrapped  = nonce24 || XChaCha20-Poly1305(kek, identity, aad="freehold/v1/wrapped-identity")
  recipient "age1..." and recovery key "AGE-SECRET-KEY-1..." in Bech32 (BIP 173
  checksum, no length limit), as age writes them.
File metadata (ObjectSummary.encrypted_metadata), as client/core/metadata.* does:
  key  = crypto_kdf_derive_from_key(32, id 1, ctx "FhMeta01", identity secret)
       = BLAKE2b-256(key = secret, salt = LE64(1) || 0^8, personal = "FhMeta01" || 0^8)
  blob = 0x01 || nonce24 || XChaCha20-Poly1305(key, u64 size || i64 created ns ||
         i64 modified ns || u32 name length || name || [0x01 || u32 mode, when
         permission bits are recorded] || zero padding to 64,
         aad = "freehold/v1/metadata" || 0x01), integers little-endian
  (version 1, objects stored before binding); version 2 (what clients write now) is
  0x02 || nonce24 || XChaCha20-Poly1305(key, same plaintext,
         aad = "freehold/v1/metadata" || 0x02 || object id (36 ASCII bytes))
Share record (GetObjectResponse.share_record, owner only):
  key  = crypto_kdf_derive_from_key(32, id 3, ctx "FhShar01", identity secret)
  blob = 0x01 || nonce24 || XChaCha20-Poly1305(key, text,
         aad = "freehold/v1/share-record" || 0x01 || object id)
Name hashes (folders, docs/PROTOCOL.md#name-hashes):
  key  = BLAKE2b-256(key = secret, salt = LE64(2) || 0^8, personal = "FhName01" || 0^8)
  root: BLAKE2b-256(name, key); folder P: BLAKE2b-256("freehold/v1/entry" || 0x00 ||
  P (36-byte canonical UUID) || 0x00 || name, key)
"""

import hashlib
import os
import struct

import grpc
import nacl.bindings as sodium

from freehold.v1 import accounts_pb2, accounts_pb2_grpc, common_pb2
from freehold.v1 import coordinator_pb2, coordinator_pb2_grpc
import health_pb2
import health_pb2_grpc

SALT_BYTES = 16
KEY_BYTES = 32
WRAP_AAD = b"freehold/v1/wrapped-identity"
WRAPPED_IDENTITY_BYTES = 24 + 32 + 16
KDF_ALGORITHM = "argon2id13"
# libsodium's INTERACTIVE level: the weakest a client accepts from a server.
INTERACTIVE = (2, 64 << 20)
MODERATE = (3, 256 << 20)
MAX_OPSLIMIT = 64
MAX_MEMLIMIT = 4 << 30
RPC_TIMEOUT = 30  # seconds; the C++ CLI's default

# --- Bech32 (BIP 173), as age uses it ----------------------------------------

_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_GEN = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)


def _polymod(values):
    chk = 1
    for v in values:
        top = chk >> 25
        chk = ((chk & 0x1FFFFFF) << 5) ^ v
        for i in range(5):
            if (top >> i) & 1:
                chk ^= _GEN[i]
    return chk


def _hrp_expand(hrp):
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def _convert_bits(data, frm, to, pad):
    acc = bits = 0
    out = []
    for v in data:
        acc = (acc << frm) | v
        bits += frm
        while bits >= to:
            bits -= to
            out.append((acc >> bits) & ((1 << to) - 1))
    if pad and bits:
        out.append((acc << (to - bits)) & ((1 << to) - 1))
    elif not pad and (bits >= frm or (acc << (to - bits)) & ((1 << to) - 1)):
        raise ValueError("bech32: non-zero padding")
    return out


def bech32_encode(hrp, data, upper=False):
    hrp = hrp.lower()
    values = _convert_bits(data, 8, 5, True)
    mod = _polymod(_hrp_expand(hrp) + values + [0] * 6) ^ 1
    s = hrp + "1" + "".join(_CHARSET[v] for v in values)
    s += "".join(_CHARSET[(mod >> (5 * (5 - i))) & 31] for i in range(6))
    return s.upper() if upper else s


def bech32_decode(s):
    if s.lower() != s and s.upper() != s:
        raise ValueError("bech32: mixed case")
    s = s.lower()
    pos = s.rfind("1")
    if pos < 1 or pos + 7 > len(s):
        raise ValueError("bech32: no separator")
    hrp, values = s[:pos], [_CHARSET.index(c) for c in s[pos + 1:]]
    if _polymod(_hrp_expand(hrp) + values) != 1:
        raise ValueError("bech32: bad checksum")
    return hrp, bytes(_convert_bits(values[:-6], 5, 8, False))


# --- keys --------------------------------------------------------------------


def derive_keys(password, salt, opslimit, memlimit):
    """(kek, auth_key) from the password (bytes, used as is: no normalization)."""
    if len(salt) != SALT_BYTES:
        raise ValueError("salt: must be 16 bytes")
    if not (1 <= opslimit <= MAX_OPSLIMIT and 8192 <= memlimit <= MAX_MEMLIMIT):
        raise ValueError(f"kdf parameters out of range: {opslimit}, {memlimit}")
    out = sodium.crypto_pwhash_alg(64, password, salt, opslimit, memlimit,
                                   sodium.crypto_pwhash_ALG_ARGON2ID13)
    return out[:32], out[32:]


def public_key(secret):
    return sodium.crypto_scalarmult_base(secret)


def recipient(secret):
    return bech32_encode("age", public_key(secret))


def encode_identity(secret):
    return bech32_encode("AGE-SECRET-KEY-", secret, upper=True)


def parse_identity(text):
    hrp, data = bech32_decode(text)
    if hrp != "age-secret-key-" or len(data) != KEY_BYTES or text != text.upper():
        raise ValueError("not an age X25519 identity")
    return data


def wrap_identity(kek, secret, nonce=None):
    nonce = os.urandom(24) if nonce is None else nonce
    return nonce + sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(secret, WRAP_AAD, nonce, kek)


def unwrap_identity(kek, wrapped):
    if len(wrapped) != WRAPPED_IDENTITY_BYTES:
        raise ValueError("wrapped_identity: must be 72 bytes")
    return sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(wrapped[24:], WRAP_AAD, wrapped[:24],
                                                             kek)


def metadata_key(secret):
    return hashlib.blake2b(b"", digest_size=32, key=secret, salt=struct.pack("<Q", 1) + bytes(8),
                           person=b"FhMeta01" + bytes(8)).digest()


def name_hash_key(secret):
    return hashlib.blake2b(b"", digest_size=32, key=secret, salt=struct.pack("<Q", 2) + bytes(8),
                           person=b"FhName01" + bytes(8)).digest()


def entry_name_hash(key, parent_id, name):
    """The keyed hash of (parent folder id or "" for the root, name bytes)."""
    msg = name if not parent_id else b"freehold/v1/entry\x00" + parent_id.encode() + b"\x00" + name
    return hashlib.blake2b(msg, digest_size=32, key=key).digest()


def open_metadata(key, blob, aad=b"", object_id=None):
    """{"name", "size", "created_unix_nanos", "modified_unix_nanos", "version"} of a
    metadata blob: version 2 needs the object id it is bound to, version 1 opens with
    `aad` (empty as the reference client wrote it)."""
    if len(blob) < 1 + 24 + 16 + 64 or blob[0] not in (1, 2):
        raise ValueError("metadata blob: malformed or unknown version")
    if blob[0] == 2:
        if object_id is None:
            raise ValueError("metadata blob: version 2 is bound to an object id")
        aad = object_id.encode("ascii")
    plain = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
        blob[25:], b"freehold/v1/metadata" + bytes([blob[0]]) + aad, blob[1:25], key)
    size, created, modified, n = struct.unpack_from("<QqqI", plain)
    if 28 + n > len(plain):
        raise ValueError("metadata blob: malformed name length")
    # Permission bits (folders): 0x01 || u32 mode after the name; 0 = not recorded.
    mode = 0
    if 28 + n + 5 <= len(plain) and plain[28 + n] == 1:
        mode = struct.unpack_from("<I", plain, 28 + n + 1)[0]
    return {"name": plain[28:28 + n].decode(), "size": size, "created_unix_nanos": created,
            "modified_unix_nanos": modified, "version": blob[0], "mode": mode}


def share_record_key(secret):
    return hashlib.blake2b(b"", digest_size=32, key=secret, salt=struct.pack("<Q", 3) + bytes(8),
                           person=b"FhShar01" + bytes(8)).digest()


def open_share_record(key, blob, object_id):
    """The text of a share record: one line per recipient after the first line."""
    if not blob:
        return "freehold-share-record v1\n"
    if len(blob) < 1 + 24 + 16 or blob[0] != 1:
        raise ValueError("share record: malformed or unknown version")
    return sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
        blob[25:], b"freehold/v1/share-record\x01" + object_id.encode("ascii"), blob[1:25],
        key).decode()


def signup_kdf(offered_ops, offered_mem):
    """The parameters a new account uses, as client/cli/account_ops.cc picks them."""
    ops, mem = offered_ops, offered_mem
    if ops < INTERACTIVE[0] or mem < INTERACTIVE[1]:
        ops, mem = INTERACTIVE
    if ops > MAX_OPSLIMIT or mem > MAX_MEMLIMIT:
        ops, mem = MODERATE
    return ops, mem


# --- the services ------------------------------------------------------------


def channel(address, ca_file=None):
    """A TLS channel to `address` verified with the PEM CA in `ca_file` (default
    FREEHOLD_CA_FILE, as the C++ CLI; unset = the system trust store). Plaintext
    only with FREEHOLD_PLAINTEXT=1, and then only to loopback addresses."""
    if os.environ.get("FREEHOLD_PLAINTEXT") == "1":
        host = address.rsplit(":", 1)[0].strip("[]")
        if host not in ("localhost", "::1") and not host.startswith("127."):
            raise ValueError(f"FREEHOLD_PLAINTEXT: refused for {address} (not loopback)")
        return grpc.insecure_channel(address)
    ca_file = ca_file if ca_file is not None else os.environ.get("FREEHOLD_CA_FILE", "")
    root = None
    if ca_file:
        with open(ca_file, "rb") as f:
            root = f.read()
    return grpc.secure_channel(address, grpc.ssl_channel_credentials(root_certificates=root))


def health(address, service=""):
    """grpc.health.v1 Check: the status name, e.g. "SERVING"."""
    with channel(address) as ch:
        resp = health_pb2_grpc.HealthStub(ch).Check(
            health_pb2.HealthCheckRequest(service=service), timeout=5)
        return health_pb2.HealthCheckResponse.ServingStatus.Name(resp.status)


def bearer(token):
    return (("authorization", "Bearer " + token),)


class Accounts:
    def __init__(self, address):
        self._channel = channel(address)
        self.stub = accounts_pb2_grpc.AccountsStub(self._channel)

    def close(self):
        self._channel.close()

    def pre_login(self, handle):
        r = self.stub.PreLogin(accounts_pb2.PreLoginRequest(handle=handle), timeout=RPC_TIMEOUT)
        return r.salt, r.kdf

    def signup(self, handle, password, contact=""):
        """Registers a new account the way `freehold signup` does; returns what
        it sent (salt, kdf, identity secret) and the account id."""
        _, offered = self.pre_login(handle)
        if offered.algorithm not in ("", KDF_ALGORITHM):
            raise ValueError(f"unknown KDF algorithm {offered.algorithm!r}")
        ops, mem = signup_kdf(offered.ops_limit, offered.mem_limit_bytes)
        salt = os.urandom(SALT_BYTES)
        kek, auth_key = derive_keys(password, salt, ops, mem)
        secret = os.urandom(KEY_BYTES)
        req = accounts_pb2.RegisterRequest(
            handle=handle, salt=salt,
            kdf=common_pb2.KdfParams(ops_limit=ops, mem_limit_bytes=mem, algorithm=KDF_ALGORITHM),
            auth_key=auth_key, wrapped_identity=wrap_identity(kek, secret),
            public_key=recipient(secret), contact=contact)
        resp = self.stub.Register(req, timeout=RPC_TIMEOUT)
        return {"account_id": resp.account_id, "salt": salt, "kdf": (ops, mem),
                "secret": secret}

    def login(self, handle, password, device_name="freehold interop test (Python)"):
        """PreLogin, derive, Login, unwrap the identity and check it against the
        account's public key, as client/cli/account_ops.cc does."""
        salt, kdf = self.pre_login(handle)
        ops, mem = kdf.ops_limit, kdf.mem_limit_bytes
        if ops < INTERACTIVE[0] or mem < INTERACTIVE[1]:
            raise ValueError(f"server offers KDF parameters weaker than interactive: {ops}, {mem}")
        kek, auth_key = derive_keys(password, salt, ops, mem)
        resp = self.stub.Login(accounts_pb2.LoginRequest(
            handle=handle, auth_key=auth_key, device_name=device_name[:64]), timeout=RPC_TIMEOUT)
        secret = unwrap_identity(kek, resp.wrapped_identity)
        if recipient(secret) != resp.public_key:
            raise ValueError("the unwrapped identity does not match the account's public key")
        return {"account_id": resp.account_id, "session_id": resp.session_id,
                "access_token": resp.tokens.access_token,
                "refresh_token": resp.tokens.refresh_token,
                "public_key": resp.public_key, "secret": secret}


class Coordinator:
    def __init__(self, address):
        self._channel = channel(address)
        self.stub = coordinator_pb2_grpc.CoordinatorStub(self._channel)

    def close(self):
        self._channel.close()

    def list_objects(self, access_token, page_size=0):
        """Every ObjectSummary of the account, following next_page_token."""
        objects, token = [], ""
        for _ in range(10000):
            req = coordinator_pb2.ListObjectsRequest(
                page=common_pb2.PageRequest(page_size=page_size, page_token=token))
            resp = self.stub.ListObjects(req, metadata=bearer(access_token), timeout=RPC_TIMEOUT)
            objects.extend(resp.objects)
            token = resp.next_page_token
            if not token:
                return objects
        raise RuntimeError("ListObjects: too many pages")
