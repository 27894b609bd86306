"""The Python client (freehold_client.py) against a running local cluster, and
against the C++ CLI both ways. Run by interop_test.sh, which generates the
stubs, starts the cluster, sources its env and has the C++ CLI sign up a first
account (KNOWN_HANDLE, password in FREEHOLD_PASSWORD). Arguments: WORK_DIR.

Checks, in order:
  1. gRPC health (grpc.health.v1, service "") of every process in the env.
  2. PreLogin: unknown handles get a 16-byte salt that differs per handle, is
     the same on every call and for any letter case, with the same KDF
     parameters a new account is offered, and is BLAKE2b-128(key = pepper,
     handle) as services/accounts/README.md says; the known handle gets its
     real salt.
  3. Login in Python to the account the C++ CLI made: the C++-wrapped identity
     opens, matches the public key, and its Bech32 encoding is the recovery key
     `freehold recovery-key` prints.
  4. Sign-up and login in Python; the C++ CLI logs in to that account
     (unwrapping the Python-wrapped identity), prints the same recovery key,
     stock age-keygen derives the same recipient from it, and `freehold put`
     stores a file.
  5. ListObjects through the coordinator with the Python login's access token
     shows that file (paged too; nothing without a token); its size_bytes is
     the age payload size and its encrypted metadata opens in Python.
  6. docs/protocol-vectors.json, when the repository has it: the Python
     derivation gives its vectors.
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time

import grpc

import freehold_client as fc
from freehold.v1 import coordinator_pb2

WORK = sys.argv[1]
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PASSWORD = os.environ["FREEHOLD_PASSWORD"]
KNOWN_HANDLE = os.environ["KNOWN_HANDLE"]
passed, failed = 0, 0


def check(what, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"  ok    {what}")
    else:
        failed += 1
        print(f"  FAIL  {what}" + (f": {detail}" if detail else ""))
    return ok


def section(title):
    print(f"== {title}", flush=True)


def cli(config, *args):
    """The C++ CLI, without a terminal (new session, stdin /dev/null)."""
    env = dict(os.environ, FREEHOLD_CONFIG_DIR=os.path.join(WORK, config))
    r = subprocess.run(["freehold", "--json", *args], env=env, stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, timeout=120, start_new_session=True)
    if r.returncode != 0:
        raise RuntimeError(f"freehold {' '.join(args)} exited {r.returncode}: {r.stderr.strip()}")
    return json.loads(r.stdout) if r.stdout.strip() else None


def rpc_code(fn):
    try:
        fn()
        return grpc.StatusCode.OK
    except grpc.RpcError as e:
        return e.code()


accounts = fc.Accounts(os.environ["FREEHOLD_ACCOUNTS_ADDR"])
coordinator = fc.Coordinator(os.environ["FREEHOLD_COORDINATOR_ADDR"])
password = PASSWORD.encode()

# --- 1. health ---------------------------------------------------------------
section("gRPC health check of every process")
processes = ["ACCOUNTS", "DONATIONS", "COORDINATOR"] + sorted(
    k[len("FREEHOLD_"):-len("_ADDR")] for k in os.environ
    if k.startswith("FREEHOLD_STORAGED_") and k.endswith("_ADDR"))
check("the env names six storage daemons", len(processes) == 9, str(processes))
for p in processes:
    addr = os.environ[f"FREEHOLD_{p}_ADDR"]
    try:
        status = fc.health(addr)
    except grpc.RpcError as e:
        status = f"{e.code().name}: {e.details()}"
    check(f"{p.lower()} {addr} is SERVING", status == "SERVING", status)
check("FREEHOLD_CA_FILE is set (the cluster speaks TLS)", bool(os.environ.get("FREEHOLD_CA_FILE")))
try:
    with grpc.insecure_channel(os.environ["FREEHOLD_ACCOUNTS_ADDR"]) as ch:
        fc.health_pb2_grpc.HealthStub(ch).Check(fc.health_pb2.HealthCheckRequest(), timeout=3)
    plain = "SERVING: plaintext accepted"
except grpc.RpcError as e:
    plain = e.code().name
check("a plaintext channel to accounts fails (TLS only)", plain == "UNAVAILABLE", plain)

# --- 2. PreLogin ---------------------------------------------------------------
section("PreLogin: known and unknown handles")
stamp = f"{os.getpid()}{int(time.time()) % 100000}"
unknown = [f"nobody{stamp}a", f"nobody{stamp}b"]
salts = {}
for h in unknown:
    s1, k1 = accounts.pre_login(h)
    s2, _ = accounts.pre_login(h)
    s3, _ = accounts.pre_login(h.upper())
    salts[h] = (s1, k1)
    check(f"unknown {h}: a 16-byte salt, not zero", len(s1) == 16 and s1 != bytes(16), s1.hex())
    check(f"unknown {h}: the same salt on every call and for {h.upper()}", s1 == s2 == s3,
          f"{s1.hex()} {s2.hex()} {s3.hex()}")
    check(f"unknown {h}: argon2id13 parameters a client accepts",
          k1.algorithm == fc.KDF_ALGORITHM and k1.ops_limit >= fc.INTERACTIVE[0]
          and k1.mem_limit_bytes >= fc.INTERACTIVE[1], str(k1).replace("\n", " "))
(sa, ka), (sb, kb) = salts[unknown[0]], salts[unknown[1]]
check("two unknown handles get different salts", sa != sb, sa.hex())
check("two unknown handles get the same parameters", ka == kb)
# services/accounts/README.md: the fake salt is BLAKE2b-128(key = pepper, handle), the
# pepper being BLAKE2b-256 of the --pepper-file secret (up.sh writes it in data/pepper).
with open(os.path.join(os.environ["FREEHOLD_LOCAL_RUN_DIR"], "data", "pepper"), "rb") as f:
    pepper = hashlib.blake2b(f.read().rstrip(), digest_size=32).digest()
check("the fake salt is BLAKE2b-128(key = pepper, handle) as services/accounts/README.md says",
      sa == hashlib.blake2b(unknown[0].encode(), digest_size=16, key=pepper).digest())
ks, kk = accounts.pre_login(KNOWN_HANDLE)
ks2, _ = accounts.pre_login(KNOWN_HANDLE)
check(f"known {KNOWN_HANDLE}: a 16-byte salt, the same on every call", len(ks) == 16 and ks == ks2)
check(f"known {KNOWN_HANDLE}: the same parameters as an unknown handle (the C++ CLI signed up "
      "with the offered ones)", kk == ka, str(kk).replace("\n", " "))

# --- 3. Python login to the C++ CLI's account ------------------------------------
section(f"Python login to {KNOWN_HANDLE} (signed up by the C++ CLI)")
known = None
try:
    known = accounts.login(KNOWN_HANDLE, password)
    check("the C++-wrapped identity opens and matches the account's public key", True)
except Exception as e:  # noqa: BLE001 -- reported as a failed check
    check("the C++-wrapped identity opens and matches the account's public key", False, repr(e))
if known:
    rk = cli("known", "recovery-key", "--yes")
    check("the Python Bech32 encoding of the identity is `freehold recovery-key`'s",
          fc.encode_identity(known["secret"]) == rk["recovery_key"])
    check("parsing the CLI's recovery key in Python gives the same secret",
          fc.parse_identity(rk["recovery_key"]) == known["secret"])
    check("the CLI's public key is the Python recipient", rk["public_key"] == known["public_key"])

# --- 4. Python sign-up, C++ login -----------------------------------------------
handle = f"py{stamp}"
section(f"sign-up in Python as {handle}; the C++ CLI logs in")
reg = accounts.signup(handle, password)
check("Register answered an account id", len(reg["account_id"]) == 36, reg["account_id"])
ps, pk = accounts.pre_login(handle)
check("PreLogin now answers the salt and parameters the Python client chose",
      ps == reg["salt"] and (pk.ops_limit, pk.mem_limit_bytes) == reg["kdf"]
      and pk.algorithm == fc.KDF_ALGORITHM)
mine = accounts.login(handle, password)
check("Python login: same account, identity opens, public key matches",
      mine["account_id"] == reg["account_id"] and mine["secret"] == reg["secret"])
check("taking the handle again is ALREADY_EXISTS",
      rpc_code(lambda: accounts.signup(handle, password)) == grpc.StatusCode.ALREADY_EXISTS)
check("a wrong password is UNAUTHENTICATED",
      rpc_code(lambda: accounts.login(handle, b"not the password")) == grpc.StatusCode.UNAUTHENTICATED)

who = cli("py", "login", "--handle", handle)
check("`freehold login` (C++) opens the Python-wrapped identity",
      who["account_id"] == reg["account_id"] and who["public_key"] == fc.recipient(reg["secret"]),
      json.dumps(who))
rk = cli("py", "recovery-key", "--yes")
py_identity = fc.encode_identity(reg["secret"])
check("`freehold recovery-key` prints the Python encoding of the identity",
      rk["recovery_key"] == py_identity)
if shutil.which("age-keygen"):
    keyfile = os.path.join(WORK, "py-identity.txt")
    with open(os.open(keyfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
        f.write(py_identity + "\n")
    r = subprocess.run(["age-keygen", "-y", keyfile], capture_output=True, text=True, timeout=30)
    check("stock age-keygen -y derives the Python recipient from the Python identity",
          r.returncode == 0 and r.stdout.strip() == fc.recipient(reg["secret"]),
          r.stdout.strip() + r.stderr.strip())
else:
    print("  (age-keygen not installed: the stock age check is skipped)")
payload = os.path.join(WORK, "hello.txt")
with open(payload, "w") as f:
    f.write("stored by the C++ CLI, listed by the Python client\n" * 100)
put = cli("py", "put", payload, "--name", "hello.txt")
check("`freehold put` into the Python-made account", bool(put.get("id")), json.dumps(put))

# --- 5. ListObjects ----------------------------------------------------------------
section("ListObjects through the coordinator with the Python access token")
fresh = accounts.login(handle, password)
objects = coordinator.list_objects(fresh["access_token"])
ids = [o.object_id for o in objects]
check("exactly the stored object is listed", ids == [put["id"]], str(ids))
if objects:
    o = objects[0]
    check("owner and commit time are set, not shared, no link",
          o.owner_account_id == reg["account_id"] and o.committed_at.seconds > 0
          and not o.shared_with_me and not o.public_link, str(o).replace("\n", " "))
    n = os.path.getsize(payload)
    # docs/API.md: size_bytes is the age payload: nonce16 || STREAM
    # chunks of 64 KiB, each with a 16-byte tag.
    check("size_bytes is the age payload size of the file",
          o.size_bytes == 16 + n + 16 * max(1, -(-n // 65536)), f"{o.size_bytes} for {n} bytes")
    try:
        meta = fc.open_metadata(fc.metadata_key(fresh["secret"]), o.encrypted_metadata,
                                object_id=o.object_id)
    except Exception as e:  # noqa: BLE001 -- reported as a failed check
        meta = {"error": repr(e)}
    check("the metadata opens in Python: name and plaintext size",
          meta.get("name") == "hello.txt" and meta.get("size") == n, str(meta))
    check("the metadata is bound to its object (version 2)", meta.get("version") == 2, str(meta))
paged = coordinator.list_objects(fresh["access_token"], page_size=1)
check("paging with page_size 1 gives the same list", [o.object_id for o in paged] == ids)
if known:
    others = coordinator.list_objects(known["access_token"])
    check(f"{KNOWN_HANDLE}'s list does not show it", put["id"] not in [o.object_id for o in others])
check("ListObjects without a token is UNAUTHENTICATED",
      rpc_code(lambda: coordinator.stub.ListObjects(coordinator_pb2.ListObjectsRequest(),
                                                    timeout=fc.RPC_TIMEOUT))
      == grpc.StatusCode.UNAUTHENTICATED)

# --- 6. vectors -----------------------------------------------------------------------
section("docs/protocol-vectors.json")
vectors_path = os.path.join(ROOT, "docs", "protocol-vectors.json")
if os.path.exists(vectors_path):
    import vectors_check  # noqa: E402 -- only with the file

    vp, vf = vectors_check.run(vectors_path, check)
    if vp + vf == 0:
        print("  docs/protocol-vectors.json has no vector this test recognizes (password, salt and "
              "Argon2id parameters; identity secret): nothing compared")
else:
    print("  docs/protocol-vectors.json is not in the repository: no vectors checked")

accounts.close()
coordinator.close()
print(f"interop: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
