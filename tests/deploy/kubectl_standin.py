#!/usr/bin/env python3
"""A stand-in for the two kubectl commands deploy/kubernetes/secrets.sh uses, for tests
without a cluster: `kubectl -n NS create secret generic|configmap NAME --from-file=K=PATH...
--dry-run=client -o yaml` prints the object as kubectl would; `kubectl apply -f -` stores
it as $KUBECTL_STORE/<Kind>-<name>.yaml (replacing the previous version)."""
import base64
import os
import sys

import yaml

args = sys.argv[1:]
ns = "default"
if "-n" in args:
    i = args.index("-n")
    ns = args[i + 1]
    del args[i:i + 2]
if args[:1] == ["create"]:
    kind = "Secret" if args[1] == "secret" else "ConfigMap"
    rest = args[3:] if kind == "Secret" else args[2:]
    name, opts = rest[0], rest[1:]
    data = {}
    for o in opts:
        if o.startswith("--from-file="):
            key, path = o[len("--from-file="):].split("=", 1)
            raw = open(path, "rb").read()
            data[key] = base64.b64encode(raw).decode() if kind == "Secret" else raw.decode()
    obj = {"apiVersion": "v1", "kind": kind, "metadata": {"name": name, "namespace": ns}, "data": data}
    if kind == "Secret":
        obj["type"] = "Opaque"
    yaml.safe_dump(obj, sys.stdout)
elif args[:1] == ["apply"]:
    obj = yaml.safe_load(sys.stdin)
    store = os.environ["KUBECTL_STORE"]
    path = os.path.join(store, f"{obj['kind']}-{obj['metadata']['name']}.yaml")
    with open(path + ".tmp", "w") as f:
        yaml.safe_dump(obj, f)
    os.rename(path + ".tmp", path)
    print(f"{obj['kind'].lower()}/{obj['metadata']['name']} configured")
else:
    sys.exit(f"kubectl stand-in: unsupported command {sys.argv[1:]}")
