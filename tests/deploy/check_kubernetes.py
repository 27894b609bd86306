"""Checks of deploy/kubernetes beyond parsing: what the manifests promise about
identity, secrets and TLS, and that everything a workload names exists.

  python3 tests/deploy/check_kubernetes.py BIN_DIR    (from the repository root)

Per workload (Deployment, StatefulSet, Job): its own ServiceAccount without an API
token; a runAsUser of its own (shared only by workloads of the same app); every
container (init containers too) runAsNonRoot, readOnlyRootFilesystem, no privilege
escalation, all capabilities dropped, RuntimeDefault seccomp; no volume other than
Secrets, ConfigMaps (read-only), a memory scratch directory and per-pod claims (no
shared writable volume); key files only from Secrets; no --insecure-plaintext-listen
and --tls-cert/--tls-key/--tls-ca on every server; every flag and FREEHOLD_* variable
exists in the binary's --help; every Secret, ConfigMap and key it names is made by
deploy/kubernetes/secrets.sh or defined in the manifests; probes and container ports
match the --listen port; Services select a workload and name its ports; the image is
the one deploy/image/build.sh tags.
"""
import glob
import os
import re
import sys

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from binary_flags import accepted, flags_in  # noqa: E402

BIN = sys.argv[1]
# Flags being added by concurrent work; reported, not failed, until the binary has them.
PENDING = {}
# Flags whose value is a secret file: it must come from a Secret volume.
KEY_FLAGS = {"--tls-key", "--tls-cert", "--tls-ca", "--grant-key-file", "--signing-keys-file",
             "--receipt-key", "--pepper-file", "--stripe-webhook-secret",
             "--stripe-webhook-secrets-file"}
errors = []


def err(msg):
    errors.append(msg)


docs = []
for f in sorted(glob.glob("deploy/kubernetes/*.yaml")):
    if os.path.basename(f) == "kustomization.yaml":
        continue
    docs += [(f, d) for d in yaml.safe_load_all(open(f)) if d]


def by_kind(kind):
    return [(f, d) for f, d in docs if d.get("kind") == kind]


# Objects the operator makes with secrets.sh: name -> set of keys.
made = {}
script = re.sub(r"\\\n\s*", " ", open("deploy/kubernetes/secrets.sh").read())
for line in script.splitlines():
    m = re.match(r"\s*make_(secret|configmap) (\S+)(.*)", line)
    if m:
        keys = set(re.findall(r"(?:^|\s)([A-Za-z0-9_.-]+)=", m.group(3)))
        made.setdefault(m.group(2), set()).update(keys)
for _, d in by_kind("ConfigMap") + by_kind("Secret"):
    made.setdefault(d["metadata"]["name"], set()).update((d.get("data") or {}).keys())
service_accounts = {d["metadata"]["name"]: d for _, d in by_kind("ServiceAccount")}

image_script = open("deploy/image/build.sh").read() if os.path.exists("deploy/image/build.sh") else ""
m = re.search(r'^IMAGE_NAME=\$\{FREEHOLD_IMAGE_NAME:-([^}]+)\}', image_script, re.M)
expected_image = m.group(1) if m else None
if expected_image is None:
    err("deploy/image/build.sh: no IMAGE_NAME=${FREEHOLD_IMAGE_NAME:-...} to compare the manifests with")

help_cache = {}


def help_of(binary, sub=None):
    key = (binary, sub)
    if key not in help_cache:
        help_cache[key] = accepted(os.path.join(BIN, binary), sub)
    return help_cache[key]


def check_flags(where, argv, env_names=()):
    binary = os.path.basename(argv[0])
    sub = next((a for a in argv[1:] if not a.startswith("-")), None)
    flags, env = help_of(binary, sub)
    for flag in flags_in(argv[1:]):
        if flag in flags:
            continue
        if flag in PENDING.get(binary, ()):
            print(f"note: {where}: {flag} is not in {binary} --help yet (pending)")
            continue
        err(f"{where}: {flag} is not a flag of {binary}")
    for name in env_names:
        if name.startswith("FREEHOLD_") and name not in env:
            err(f"{where}: {binary} reads no {name}")


uid_owner = {}
workload_labels = []
for f, d in by_kind("Deployment") + by_kind("StatefulSet") + by_kind("Job"):
    name = d["metadata"]["name"]
    where = f"{f}: {name}"
    tpl = d["spec"]["template"]
    spec = tpl["spec"]
    labels = tpl["metadata"].get("labels", {})
    app = labels.get("app", name)
    workload_labels.append((d["metadata"].get("namespace"), labels, spec))
    sa = spec.get("serviceAccountName")
    if not sa or sa not in service_accounts:
        err(f"{where}: no ServiceAccount of its own (serviceAccountName {sa!r} not defined)")
    elif service_accounts[sa].get("automountServiceAccountToken") is not False:
        err(f"{where}: ServiceAccount {sa} mounts an API token")
    if spec.get("automountServiceAccountToken") is not False:
        err(f"{where}: automountServiceAccountToken is not false")
    psc = spec.get("securityContext", {})
    volumes = {v["name"]: v for v in spec.get("volumes", [])}
    claims = {c["metadata"]["name"] for c in d["spec"].get("volumeClaimTemplates", [])}
    for vname, v in volumes.items():
        if "secret" in v:
            if v["secret"].get("defaultMode") != 0o400:
                err(f"{where}: Secret volume {vname} is not defaultMode 0400")
            if v["secret"]["secretName"] not in made:
                err(f"{where}: Secret {v['secret']['secretName']} is neither made by secrets.sh nor defined")
        elif "configMap" in v:
            if v["configMap"]["name"] not in made:
                err(f"{where}: ConfigMap {v['configMap']['name']} is neither made by secrets.sh nor defined")
        elif "emptyDir" in v:
            if v["emptyDir"].get("medium") != "Memory":
                err(f"{where}: emptyDir {vname} on disk (use a memory scratch directory)")
        else:
            err(f"{where}: volume {vname} is shared or external ({sorted(v)}): not allowed")
    for c in spec.get("initContainers", []) + spec.get("containers", []):
        cwhere = f"{where}/{c['name']}"
        csc = c.get("securityContext")
        if not csc:
            err(f"{cwhere}: no securityContext")
            csc = {}
        sc = {**psc, **csc}
        if sc.get("runAsNonRoot") is not True:
            err(f"{cwhere}: runAsNonRoot is not true")
        if csc.get("readOnlyRootFilesystem") is not True:
            err(f"{cwhere}: readOnlyRootFilesystem is not true")
        if csc.get("allowPrivilegeEscalation") is not False:
            err(f"{cwhere}: allowPrivilegeEscalation is not false")
        if c.get("securityContext", {}).get("capabilities", {}).get("drop") != ["ALL"]:
            err(f"{cwhere}: capabilities not all dropped")
        if sc.get("seccompProfile", {}).get("type") != "RuntimeDefault":
            err(f"{cwhere}: seccomp profile is not RuntimeDefault")
        uid = sc.get("runAsUser")
        if not uid:
            err(f"{cwhere}: no runAsUser")
        elif uid_owner.setdefault(uid, app) != app:
            err(f"{cwhere}: runAsUser {uid} is also {uid_owner[uid]}'s")
        if expected_image and c.get("image") != expected_image:
            err(f"{cwhere}: image {c.get('image')} is not {expected_image} (deploy/image/build.sh)")
        argv = c.get("command", []) + c.get("args", [])
        env_names = [e["name"] for e in c.get("env", [])]
        check_flags(cwhere, argv, env_names)
        for e in c.get("env", []):
            ref = e.get("valueFrom", {}).get("secretKeyRef")
            if ref and ref["key"] not in made.get(ref["name"], set()):
                err(f"{cwhere}: env {e['name']} names key {ref['key']} of Secret {ref['name']}, which secrets.sh does not make")
        mounts = {}
        for m_ in c.get("volumeMounts", []):
            v = volumes.get(m_["name"])
            if v is None and m_["name"] not in claims:
                err(f"{cwhere}: mounts undefined volume {m_['name']}")
                continue
            if v and ("secret" in v or "configMap" in v) and not m_.get("readOnly"):
                err(f"{cwhere}: {m_['name']} is mounted writable")
            mounts[m_["mountPath"]] = v
        args = c.get("args", [])
        if "--insecure-plaintext-listen" in flags_in(args):
            err(f"{cwhere}: --insecure-plaintext-listen")
        listen = next((a.split("=", 1)[1] for a in args if a.startswith("--listen=")), None)
        if listen:
            for tls in ("--tls-cert", "--tls-key", "--tls-ca"):
                if tls not in flags_in(args):
                    err(f"{cwhere}: serves without {tls}")
            port = int(listen.rsplit(":", 1)[1])
            grpc_ports = [p["containerPort"] for p in c.get("ports", []) if p.get("name") == "grpc"]
            if grpc_ports != [port]:
                err(f"{cwhere}: container port grpc {grpc_ports} is not the --listen port {port}")
            for probe in ("readinessProbe", "livenessProbe"):
                cmd = c.get(probe, {}).get("exec", {}).get("command")
                if not cmd:
                    err(f"{cwhere}: no {probe} running the gRPC health check")
                    continue
                check_flags(f"{cwhere} {probe}", cmd)
                if f"--address=localhost:{port}" not in cmd:
                    err(f"{cwhere}: {probe} does not check localhost:{port}")
        for a in args + [x for p in ("readinessProbe", "livenessProbe")
                         for x in c.get(p, {}).get("exec", {}).get("command", [])]:
            if not a.startswith("--") or "=" not in a:
                continue
            flag, value = a.split("=", 1)
            value = value.removeprefix("file:")
            if not value.startswith("/"):
                continue
            mount = max((mp for mp in mounts if value.startswith(mp.rstrip("/") + "/")),
                        key=len, default=None)
            v = mounts.get(mount) if mount else None
            if flag in KEY_FLAGS and not (v and "secret" in v) and not (v and "configMap" in v and flag == "--tls-ca"):
                err(f"{cwhere}: {flag} reads {value}, which is not in a Secret volume")
            if v and ("secret" in v or "configMap" in v):
                obj = v["secret"]["secretName"] if "secret" in v else v["configMap"]["name"]
                key = value[len(mount.rstrip("/")) + 1:]
                if "$(" not in key and key not in made.get(obj, set()):
                    err(f"{cwhere}: {flag} reads {key} from {obj}, which has no such key")

for f, d in by_kind("Service"):
    sel = d["spec"].get("selector", {})
    pods = [(labels, spec) for ns, labels, spec in workload_labels
            if ns == d["metadata"].get("namespace") and all(labels.get(k) == v for k, v in sel.items())]
    if not pods:
        err(f"{f}: Service {d['metadata']['name']} selects no workload")
        continue
    names = {p.get("name") for _, spec in pods for c in spec["containers"] for p in c.get("ports", [])}
    numbers = {p.get("containerPort") for _, spec in pods for c in spec["containers"] for p in c.get("ports", [])}
    for p in d["spec"]["ports"]:
        target = p.get("targetPort", p["port"])
        if target not in names and target not in numbers:
            err(f"{f}: Service {d['metadata']['name']} port {p['name']} targets {target}, which no pod has")
if not any(d["spec"]["selector"]["matchLabels"].get("app") == "freehold-storaged"
           for _, d in by_kind("PodDisruptionBudget")):
    err("deploy/kubernetes: no PodDisruptionBudget for the storage daemons")

# Network policies: a default deny, every workload covered both ways, every allowed
# port one the selected pods have, and every service address a workload calls both a
# Service with that port and allowed by the caller's egress.
def selects(selector, labels):
    return all(labels.get(k) == v for k, v in (selector.get("matchLabels") or {}).items())


policies = [d for _, d in by_kind("NetworkPolicy")]
if not any(p["spec"]["podSelector"] == {} and set(p["spec"]["policyTypes"]) == {"Ingress", "Egress"}
           and not p["spec"].get("ingress") and not p["spec"].get("egress") for p in policies):
    err("deploy/kubernetes: no default-deny NetworkPolicy")
pod_ports = {}
for _, labels, spec in workload_labels:
    pod_ports.setdefault(labels.get("app"), set()).update(
        p["containerPort"] for c in spec["containers"] for p in c.get("ports", []))
for app in pod_ports:
    own = [p for p in policies if p["spec"]["podSelector"] and selects(p["spec"]["podSelector"], {"app": app})]
    if not own or not all(set(p["spec"]["policyTypes"]) == {"Ingress", "Egress"} for p in own):
        err(f"deploy/kubernetes: no NetworkPolicy for {app} covering ingress and egress")
    for p in own:
        for rule in p["spec"].get("ingress", []):
            for port in rule.get("ports", []):
                if port["port"] not in pod_ports[app]:
                    err(f"NetworkPolicy {p['metadata']['name']}: ingress port {port['port']}, which {app} does not serve")


def egress_allows(app, target_app, port):
    for p in policies:
        if not p["spec"]["podSelector"] or not selects(p["spec"]["podSelector"], {"app": app}):
            continue
        for rule in p["spec"].get("egress", []):
            to_ok = not rule.get("to") or any(selects(t.get("podSelector", {}), {"app": target_app})
                                              for t in rule["to"] if "podSelector" in t)
            ports = [x["port"] for x in rule.get("ports", [])]
            if to_ok and (not ports or port in ports):
                return True
    return False


services = {d["metadata"]["name"]: d for _, d in by_kind("Service")}
for f, d in by_kind("Deployment") + by_kind("StatefulSet"):
    app = d["spec"]["template"]["metadata"]["labels"]["app"]
    for c in d["spec"]["template"]["spec"]["containers"]:
        for a in c.get("args", []):
            m = re.match(r"--(accounts|donations|coordinator)=([a-z0-9-]+):(\d+)$", a)
            if not m:
                continue
            svc, port = services.get(m.group(2)), int(m.group(3))
            if not svc or port not in [p["port"] for p in svc["spec"]["ports"]]:
                err(f"{f}: {a} names no Service port")
                continue
            target = svc["spec"]["selector"].get("app")
            if not egress_allows(app, target, port):
                err(f"{f}: {app} calls {m.group(2)}:{port} ({a}), which its NetworkPolicy does not allow")

listed = set(yaml.safe_load(open("deploy/kubernetes/kustomization.yaml"))["resources"])
for f in glob.glob("deploy/kubernetes/*.yaml"):
    if os.path.basename(f) != "kustomization.yaml" and os.path.basename(f) not in listed:
        err(f"{f} is not in kustomization.yaml")

for e in errors:
    print(e)
print(f"kubernetes: {len(errors)} problem(s)")
sys.exit(1 if errors else 0)
