"""The Kubernetes deployment as deploy/README.md tells an operator to bring it up,
played without Kubernetes by tests/deploy/run_pods.py (see kubernetes_pods_test.sh):

  1. the migration Job runs to completion;
  2. accounts, donations and the coordinator start from their manifests and become
     ready by their own readiness probes (freehold-admin health over TLS);
  3. a storage pod's init container prints its identity; the operator issues its
     certificate (deploy/tls/pki.sh), updates the Secret (secrets.sh apply) and approves
     the node (freehold-admin nodes approve); the daemon becomes ready, registers with
     the coordinator over mutual TLS, with the coordinator's keys from the ConfigMap,
     and is listed up;
  4. the donations webhook/page port answers HTTP.

  python3 kubernetes_pods_scenario.py MANIFESTS IMAGE_FS STORE WORK KEYS ROOT SKIP_APPS
"""
import os
import shutil
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run_pods import Failure, Objects, Pod, hosts_of, load, workload  # noqa: E402

manifests, image, store, work, keys, root, skip = sys.argv[1:8]
skip_apps = set(filter(None, skip.split(",")))
docs = load(manifests)
objects = Objects(store, docs)
hosts = hosts_of(docs)
bin_dir = os.environ["FREEHOLD_BIN"]
pods = []


def step(msg):
    print(f"[pods] {msg}", flush=True)


def pod(kind, name, pod_name=None):
    template, claims = workload(docs, kind, name)
    p = Pod(pod_name or f"{name}-0", template, claims, image, objects, work, hosts)
    p.prepare()
    pods.append(p)
    return p


def admin(*args, timeout=90):
    cmd = [os.path.join(bin_dir, "freehold-admin"), "--coordinator", "localhost:7103",
           "--ca-file", os.path.join(keys, "ca.crt"),
           "--tls-cert", os.path.join(keys, "pki", "operator.crt"),
           "--tls-key", os.path.join(keys, "pki", "operator.key"), *args]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise Failure(f"freehold-admin {' '.join(args)}: {r.stdout}{r.stderr}")
    return r.stdout


def start_ready(p):
    for c in p.spec.get("initContainers", []):
        p.run_to_completion(c)
    for c in p.spec["containers"]:
        p.start(c)
    for c in p.spec["containers"]:
        step(f"{p.name}/{c['name']}: {p.wait_ready(c)}")


try:
    job = pod("Job", "freehold-migrate", "freehold-migrate")
    for c in job.containers():
        job.run_to_completion(c)
    step("migration Job completed")

    for app in ("accounts", "donations", "coordinator"):
        if app in skip_apps:
            step(f"freehold-{app}: skipped (its flags are pending)")
            continue
        start_ready(pod("Deployment", f"freehold-{app}"))

    sd = pod("StatefulSet", "freehold-storaged-zone-a", "freehold-storaged-zone-a-0")
    [init] = sd.spec["initContainers"]
    out = sd.run_to_completion(init)
    ident = dict(line.split(" ", 1) for line in out.splitlines() if line.startswith(("node_id ", "public_key ")))
    node_id, node_key = ident["node_id"].strip(), ident["public_key"].strip()
    step(f"storage pod identity: node {node_id}")
    pki = os.path.join(root, "deploy/tls/pki.sh")
    subprocess.run([pki, "leaf", os.path.join(keys, "pki"), sd.name, "storaged", node_id,
                    f"DNS:{sd.name}.freehold-storaged.freehold.svc", "DNS:localhost"],
                   check=True, stdout=subprocess.DEVNULL)
    for ext in ("crt", "key"):
        shutil.copy(os.path.join(keys, "pki", f"{sd.name}.{ext}"), os.path.join(keys, "storaged"))
    subprocess.run([os.path.join(root, "deploy/kubernetes/secrets.sh"), "apply", keys],
                   check=True, stdout=subprocess.DEVNULL)
    sd.materialize_volume("tls")  # the kubelet refreshes a mounted Secret
    admin("nodes", "approve", node_id, "--public-key", node_key)
    [main] = sd.spec["containers"]
    sd.start(main)
    step(f"{sd.name}: {sd.wait_ready(main)}")
    listing = admin("nodes", "--wait-up", "1", "--wait", "60")
    if node_id not in listing:
        raise Failure(f"the coordinator does not list {node_id}:\n{listing}")
    step(f"the coordinator lists the storage pod up (zone-a): {listing.strip().splitlines()[-1]}")

    if "donations" not in skip_apps:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen("http://127.0.0.1:7302/", timeout=5) as r:
                    step(f"donations HTTP port 7302: {r.status}")
                    break
            except OSError as e:
                if time.monotonic() > deadline:
                    raise Failure(f"donations HTTP port: {e}")
                time.sleep(0.5)
    print("kubernetes pods: passed")
except (Failure, subprocess.SubprocessError, OSError, KeyError, ValueError) as e:
    print(f"FAIL: {type(e).__name__}: {e}", file=sys.stderr)
    sys.exit(1)
finally:
    for p in reversed(pods):
        p.stop()
