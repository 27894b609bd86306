"""Runs pods of deploy/kubernetes as a kubelet would, without Kubernetes, for
tests/deploy/kubernetes_pods_test.sh (which provides a private network and mount
namespace, the image's root file system and the Secrets and ConfigMaps).

A pod gets its own copy of the image's root file system (hard links), bind-mounted
read-only when the container asks for readOnlyRootFilesystem; every volume is
materialized as the kubelet does (Secret and ConfigMap files root-owned, group
fsGroup, defaultMode plus group read; emptyDir; a claim's directory kept across
restarts) and bind-mounted at its mountPath, read-only where the mount says so. Each
container runs in a chroot as its runAsUser/runAsGroup with fsGroup as supplementary
group, with the manifest's command, args ($(VAR) expanded) and env (secretKeyRef and
fieldRef resolved). Readiness is the manifest's exec probe, run the same way.
"""
import base64
import os
import re
import shutil
import subprocess
import time

import yaml


CHROOT = shutil.which("chroot") or "/usr/sbin/chroot"  # the pods' PATH is the image's


def sh(*argv):
    subprocess.run(argv, check=True)


class Failure(Exception):
    pass


class Objects:
    """Secrets and ConfigMaps as the kubectl stand-in stored them."""

    def __init__(self, store, docs):
        self.store = store
        self.defined = {(d["kind"], d["metadata"]["name"]): d for d in docs
                        if d["kind"] in ("Secret", "ConfigMap")}  # applied with the manifests

    def get(self, kind, name):
        path = os.path.join(self.store, f"{kind}-{name}.yaml")
        if os.path.exists(path):
            obj = yaml.safe_load(open(path))
        elif (kind, name) in self.defined:
            obj = self.defined[(kind, name)]
        else:
            raise Failure(f"{kind} {name} does not exist (neither secrets.sh nor the manifests make it)")
        data = obj.get("data") or {}
        if kind == "Secret":
            return {k: base64.b64decode(v) for k, v in data.items()}
        return {k: v.encode() for k, v in data.items()}


class Pod:
    def __init__(self, name, template, claims, image, objects, work, hosts):
        self.name, self.spec = name, template["spec"]
        self.claims = claims
        self.image, self.objects = image, objects
        self.dir = os.path.join(work, name)
        self.fs = os.path.join(self.dir, "fs")
        self.hosts = hosts
        self.procs = {}
        self.mounted = []
        psc = self.spec.get("securityContext", {})
        self.fs_group = psc.get("fsGroup")
        self.pod_sc = psc

    # --- volumes ----------------------------------------------------------------
    def volume_dir(self, vname):
        return os.path.join(self.dir, "volumes", vname)

    def materialize_volume(self, vname):
        """Writes (or rewrites, as the kubelet does on a Secret update) one volume."""
        v = next((x for x in self.spec.get("volumes", []) if x["name"] == vname), None)
        d = self.volume_dir(vname)
        os.makedirs(d, exist_ok=True)
        group = self.fs_group if self.fs_group is not None else 0
        if v is None:  # a claim from volumeClaimTemplates: kept across restarts
            if vname not in self.claims:
                raise Failure(f"{self.name}: no volume {vname}")
            os.chown(d, 0, group)
            os.chmod(d, 0o2770)
            return
        if "emptyDir" in v:
            os.chmod(d, 0o777)
            return
        if "secret" in v:
            files = self.objects.get("Secret", v["secret"]["secretName"])
            mode = v["secret"].get("defaultMode", 0o644)
        elif "configMap" in v:
            files = self.objects.get("ConfigMap", v["configMap"]["name"])
            mode = v["configMap"].get("defaultMode", 0o644)
        else:
            raise Failure(f"{self.name}: volume {vname} of an unsupported kind")
        if self.fs_group is not None:
            mode |= 0o440  # the kubelet gives fsGroup read access to projected files
        for old in os.listdir(d):
            if old not in files:
                os.unlink(os.path.join(d, old))
        for key, data in files.items():
            tmp = os.path.join(d, f".{key}.tmp")
            with open(tmp, "wb") as f:
                f.write(data)
            os.chown(tmp, 0, group)
            os.chmod(tmp, mode)
            os.rename(tmp, os.path.join(d, key))
        os.chown(d, 0, group)
        os.chmod(d, 0o750 if "secret" in v else 0o755)

    def bind(self, src, dst, readonly):
        os.makedirs(dst, exist_ok=True)
        sh("mount", "--bind", src, dst)
        if readonly:
            sh("mount", "-o", "remount,bind,ro", dst)
        self.mounted.append(dst)

    def prepare(self):
        """The pod's root file system and volumes (before any container runs)."""
        os.makedirs(self.dir)
        sh("cp", "-al", self.image, self.fs)
        hosts = os.path.join(self.fs, "etc/hosts")
        os.unlink(hosts)  # a hard link to the image's: replace, never write through
        with open(hosts, "w") as f:
            f.write("127.0.0.1 localhost " + " ".join(self.hosts) + "\n::1 localhost\n")
        os.chmod(os.path.join(self.fs, "tmp"), 0o755)  # only volumes are writable
        for v in self.spec.get("volumes", []):
            self.materialize_volume(v["name"])
        mounts = {}
        for c in self.containers():
            for m in c.get("volumeMounts", []):
                if m["name"] in self.claims:
                    self.materialize_volume(m["name"])
                mounts.setdefault(m["mountPath"], m)
                os.makedirs(self.fs + m["mountPath"], exist_ok=True)  # before the root turns read-only
        readonly_root = all(c.get("securityContext", {}).get("readOnlyRootFilesystem")
                            for c in self.containers())
        self.bind(self.fs, self.fs, readonly_root)
        for path, m in mounts.items():
            self.bind(self.volume_dir(m["name"]), self.fs + path, m.get("readOnly", False))

    def containers(self):
        return self.spec.get("initContainers", []) + self.spec.get("containers", [])

    # --- processes ---------------------------------------------------------------
    def user(self, c):
        sc = {**self.pod_sc, **c.get("securityContext", {})}
        uid, gid = sc.get("runAsUser"), sc.get("runAsGroup", sc.get("runAsUser"))
        if not uid or sc.get("runAsNonRoot") is not True:
            raise Failure(f"{self.name}/{c['name']}: not a non-root user")
        groups = [str(self.fs_group)] if self.fs_group is not None else []
        return uid, gid, groups

    def env(self, c):
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOSTNAME": self.name}
        for e in c.get("env", []):
            if "value" in e:
                env[e["name"]] = e["value"]
                continue
            src = e["valueFrom"]
            if "secretKeyRef" in src:
                ref = src["secretKeyRef"]
                data = self.objects.get("Secret", ref["name"])
                if ref["key"] not in data:
                    raise Failure(f"{self.name}: Secret {ref['name']} has no key {ref['key']}")
                env[e["name"]] = data[ref["key"]].decode().strip()
            elif "fieldRef" in src:
                path = src["fieldRef"]["fieldPath"]
                env[e["name"]] = {"metadata.name": self.name, "spec.nodeName": "node-1"}[path]
        return env

    def argv(self, c, words=None):
        env = self.env(c)
        words = words if words is not None else c.get("command", []) + c.get("args", [])
        return [re.sub(r"\$\((\w+)\)", lambda m: env.get(m.group(1), m.group(0)), w) for w in words], env

    def chroot(self, c, words):
        uid, gid, groups = self.user(c)
        argv, env = self.argv(c, words)
        cmd = [CHROOT, f"--userspec={uid}:{gid}"]
        if groups:
            cmd.append("--groups=" + ",".join(groups))
        return cmd + [self.fs] + argv, env

    def log_path(self, c):
        return os.path.join(self.dir, c["name"] + ".log")

    def run_to_completion(self, c, timeout=60):
        cmd, env = self.chroot(c, None)
        with open(self.log_path(c), "w") as log:
            r = subprocess.run(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, timeout=timeout)
        if r.returncode != 0:
            raise Failure(f"{self.name}/{c['name']} exited {r.returncode}: {self.tail(c)}")
        return open(self.log_path(c)).read()

    def start(self, c):
        cmd, env = self.chroot(c, None)
        log = open(self.log_path(c), "w")
        self.procs[c["name"]] = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)

    def tail(self, c):
        try:
            return open(self.log_path(c)).read()[-1500:]
        except OSError:
            return ""

    def wait_ready(self, c, deadline_s=60):
        probe = c["readinessProbe"]["exec"]["command"]
        end = time.monotonic() + deadline_s
        while time.monotonic() < end:
            p = self.procs[c["name"]]
            if p.poll() is not None:
                raise Failure(f"{self.name}/{c['name']} exited {p.returncode}: {self.tail(c)}")
            cmd, env = self.chroot(c, probe)
            r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=30)
            if r.returncode == 0:
                return r.stdout.strip()
            last = (r.stdout + r.stderr).strip()
            time.sleep(0.5)
        raise Failure(f"{self.name}/{c['name']} not ready in {deadline_s}s: {last}\n{self.tail(c)}")

    def stop(self):
        for p in self.procs.values():
            if p.poll() is None:
                p.terminate()
        for p in self.procs.values():
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
        for m in reversed(self.mounted):
            subprocess.run(["umount", "-l", m], check=False)


def load(manifests):
    docs = []
    for f in sorted(os.listdir(manifests)):
        if f.endswith(".yaml") and f != "kustomization.yaml":
            docs += [d for d in yaml.safe_load_all(open(os.path.join(manifests, f))) if d]
    return docs


def workload(docs, kind, name):
    for d in docs:
        if d["kind"] == kind and d["metadata"]["name"] == name:
            claims = {c["metadata"]["name"] for c in d["spec"].get("volumeClaimTemplates", [])}
            return d["spec"]["template"], claims
    raise Failure(f"no {kind} {name}")


def hosts_of(docs):
    """The names pods reach each other by: every Service, and every StatefulSet pod."""
    names = []
    for d in docs:
        if d["kind"] == "Service":
            names.append(d["metadata"]["name"])
        if d["kind"] == "StatefulSet":
            for i in range(d["spec"].get("replicas", 1)):
                names.append(f"{d['metadata']['name']}-{i}.{d['spec']['serviceName']}."
                             f"{d['metadata']['namespace']}.svc")
    return names


def cleanup_dir(path):
    shutil.rmtree(path, ignore_errors=True)
