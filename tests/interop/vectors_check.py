"""Checks the Python derivation (freehold_client.py) against docs/protocol-vectors.json.

The file is walked as a whole: every object that has a password, a salt and
Argon2id parameters is a key-derivation vector (kek, auth_key); every object with
an identity secret is a key-encoding vector (recipient, recovery key); every
object with a kek, a nonce and an identity secret is a wrapping vector
(wrapped_identity). Bytes may be hex or base64; the age encodings are strings.
Fields a vector does not have are not compared. run() returns (passed, failed).
"""

import base64
import binascii
import json
import re

import freehold_client as fc


def _bytes(v):
    if not isinstance(v, str):
        return None
    if re.fullmatch(r"(?:[0-9a-fA-F]{2})*", v):
        return bytes.fromhex(v)
    for decode in (base64.b64decode, base64.urlsafe_b64decode):
        try:
            return decode(v + "=" * (-len(v) % 4))
        except (binascii.Error, ValueError):
            pass
    return None


def _get(d, *names):
    for n in names:
        for k in (n, n + "_hex", n + "_b64", n + "_base64"):
            if k in d:
                return d[k]
    return None


def _password(d):
    for k in ("password", "password_utf8"):
        if isinstance(d.get(k), str):
            return d[k].encode()
    for k in ("password_hex", "password_b64", "password_base64"):
        if k in d:
            return _bytes(d[k])
    return None


def _kdf(d):
    src = d.get("kdf") if isinstance(d.get("kdf"), dict) else d
    ops = _get(src, "ops_limit", "opslimit", "ops")
    mem = _get(src, "mem_limit_bytes", "memlimit", "mem_limit", "mem")
    return (int(ops), int(mem)) if ops is not None and mem is not None else None


def _secret(d):
    v = _get(d, "identity_secret", "secret", "identity_scalar", "identity")
    if isinstance(v, str) and v.upper().startswith("AGE-SECRET-KEY-1"):
        return fc.parse_identity(v)
    b = _bytes(v)
    return b if b is not None and len(b) == 32 else None


def _walk(node, path="$"):
    if isinstance(node, dict):
        yield path, node
        for k, v in node.items():
            yield from _walk(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _walk(v, f"{path}[{i}]")


def run(path, check):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    counts = [0, 0]

    def cmp(what, got, want):
        counts[0 if check(what, got == want, f"got {got!r}, want {want!r}") else 1] += 1

    for where, d in _walk(doc):
        password, salt, kdf = _password(d), _bytes(_get(d, "salt")), _kdf(d)
        if password is not None and salt is not None and kdf is not None:
            kek, auth_key = fc.derive_keys(password, salt, *kdf)
            for name, got in (("kek", kek), ("auth_key", auth_key)):
                want = _bytes(_get(d, name))
                if want is not None:
                    cmp(f"vector {where}: {name}", got.hex(), want.hex())
        secret = _secret(d)
        if secret is not None and _get(d, "name_hash_key_hex") is not None:
            key = fc.name_hash_key(secret)
            cmp(f"vector {where}: name_hash_key", key.hex(), _get(d, "name_hash_key_hex"))
            cmp(f"vector {where}: name_hash",
                fc.entry_name_hash(key, d["parent_id"], d["name_utf8"].encode()).hex(),
                _get(d, "name_hash_hex"))
        if secret is not None:
            rec = _get(d, "recipient", "public_key", "age_recipient")
            if isinstance(rec, str) and rec.startswith("age1"):
                cmp(f"vector {where}: recipient", fc.recipient(secret), rec)
            enc = _get(d, "recovery_key", "identity_encoded", "age_identity", "identity")
            if isinstance(enc, str) and enc.startswith("AGE-SECRET-KEY-1"):
                cmp(f"vector {where}: recovery key", fc.encode_identity(secret), enc)
            kek, nonce = _bytes(_get(d, "kek")), _bytes(_get(d, "nonce"))
            wrapped = _bytes(_get(d, "wrapped_identity", "wrapped"))
            if kek is None and password is not None and salt is not None and kdf is not None:
                kek = fc.derive_keys(password, salt, *kdf)[0]
            if kek is not None and wrapped is not None:
                if nonce is None:
                    nonce = wrapped[:24]
                cmp(f"vector {where}: wrapped_identity", fc.wrap_identity(kek, secret, nonce).hex(),
                    wrapped.hex())
                cmp(f"vector {where}: unwrap", fc.unwrap_identity(kek, wrapped).hex(), secret.hex())
    # Metadata bound to its object and share records (docs/PROTOCOL.md 5.7, 8.1).
    for i, v in enumerate(doc.get("metadata_bound", [])):
        secret = bytes.fromhex(v["identity_secret_hex"])
        key = fc.metadata_key(secret)
        cmp(f"metadata_bound[{i}]: key", key.hex(), v["metadata_key_hex"])
        m = fc.open_metadata(key, bytes.fromhex(v["blob_hex"]), object_id=v["object_id"])
        cmp(f"metadata_bound[{i}]: name, size, version", (m["name"], m["size"], m["version"]),
            (v["name_utf8"], v["size"], 2))
        try:
            fc.open_metadata(key, bytes.fromhex(v["blob_hex"]),
                             object_id="00000000-0000-4000-8000-000000000000")
            swapped = "opened"
        except Exception:  # noqa: BLE001 -- any failure is the expected refusal
            swapped = "refused"
        cmp(f"metadata_bound[{i}]: another object's id", swapped, "refused")
    for i, v in enumerate(doc.get("metadata_mode", [])):
        key = fc.metadata_key(bytes.fromhex(v["identity_secret_hex"]))
        m = fc.open_metadata(key, bytes.fromhex(v["blob_hex"]), object_id=v["object_id"])
        cmp(f"metadata_mode[{i}]: name, size, mode, version",
            (m["name"], m["size"], m["mode"], m["version"]), (v["name_utf8"], v["size"], v["mode"], 2))
    for i, v in enumerate(doc.get("share_record", [])):
        key = fc.share_record_key(bytes.fromhex(v["identity_secret_hex"]))
        cmp(f"share_record[{i}]: key", key.hex(), v["share_record_key_hex"])
        cmp(f"share_record[{i}]: text",
            fc.open_share_record(key, bytes.fromhex(v["blob_hex"]), v["object_id"]),
            v["text_utf8"])
    return counts[0], counts[1]
