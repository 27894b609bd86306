#!/usr/bin/env bash
# Static checks of the deployment files: shell scripts parse, Kubernetes manifests
# are valid YAML with the expected kinds and keep their promises
# (tests/deploy/check_kubernetes.py: identity per service, Secrets, TLS, flags that
# exist in the built binaries in FREEHOLD_BIN, cross-references), systemd units have
# the required sections (tests/deploy/systemd_units_test.sh checks them further).
set -euo pipefail
cd "$(dirname "$0")/../.."
fail=0
for f in deploy/install-deps.sh deploy/ha/*.sh deploy/local/*.sh deploy/multihost/*.sh deploy/kubernetes/secrets.sh \
         deploy/image/build.sh tests/run.sh tests/support/pg_ctl.sh; do
  bash -n "$f" || { echo "syntax error in $f"; fail=1; }
  [[ -x "$f" || "$f" == deploy/local/lib.sh || "$f" == deploy/multihost/fleet.sh ]] || { echo "$f is not executable"; fail=1; }
done
python3 - <<'PY' || fail=1
import glob, sys, yaml
ok = True
kinds = {}
for f in sorted(glob.glob("deploy/kubernetes/*.yaml")):
    for doc in yaml.safe_load_all(open(f)):
        if not doc:
            continue
        for key in ("apiVersion", "kind"):
            if key not in doc:
                print(f"{f}: a document has no {key}"); ok = False
        kinds.setdefault(doc.get("kind"), []).append(f)
for needed in ("Deployment", "StatefulSet", "Service", "Namespace"):
    if needed not in kinds:
        print(f"deploy/kubernetes: no {needed}"); ok = False
sys.exit(0 if ok else 1)
PY
BIN=${FREEHOLD_BIN:-build/bin}
for b in accounts donations coordinator storaged admin; do
  [[ -x "$BIN/freehold-$b" ]] || { echo "$BIN/freehold-$b is not built (needed to check flags)"; fail=1; }
done
[[ $fail -ne 0 ]] || python3 tests/deploy/check_kubernetes.py "$BIN" || fail=1
# kustomize renders the whole set (kubectl is not a Debian package: only where installed).
if command -v kubectl >/dev/null; then
  kubectl kustomize deploy/kubernetes >/dev/null || { echo "kubectl kustomize deploy/kubernetes failed"; fail=1; }
fi
for unit in deploy/systemd/*.service; do
  for section in '\[Unit\]' '\[Service\]' '\[Install\]' 'ExecStart='; do
    grep -q "$section" "$unit" || { echo "$unit: missing $section"; fail=1; }
  done
done
if [[ $fail -ne 0 ]]; then echo "deploy checks: FAILED"; exit 1; fi
echo "deploy checks: passed"
