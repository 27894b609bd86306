"""What a Freehold binary accepts, read from its own --help (CLI11's format).

Used by the deployment checks: every flag a systemd unit or a Kubernetes manifest
passes, and every FREEHOLD_* variable it sets, must be one the binary documents.
"""
import re
import subprocess

_FLAG = re.compile(r"^\s+(?:-\w,)?(--[a-z0-9][a-z0-9-]*)")
_ENV = re.compile(r"\(Env:(FREEHOLD_[A-Z0-9_]+)\)")


def help_text(binary, subcommand=None):
    argv = [binary] + ([subcommand] if subcommand else []) + ["--help"]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    if out.returncode != 0:
        raise RuntimeError(f"{binary} --help exited {out.returncode}: {out.stderr[:200]}")
    return out.stdout


def accepted(binary, subcommand=None):
    """(flags, env names) the binary's --help lists (and its subcommand's, if given)."""
    text = help_text(binary) + (help_text(binary, subcommand) if subcommand else "")
    flags, env = set(), set()
    for line in text.splitlines():
        m = _FLAG.match(line)
        if m:
            flags.add(m.group(1))
        env.update(_ENV.findall(line))
    return flags, env


def flags_in(args):
    """The --flag names in an argument list ("--a=b", "--a b", "--a")."""
    return [a.split("=", 1)[0] for a in args if a.startswith("--")]
