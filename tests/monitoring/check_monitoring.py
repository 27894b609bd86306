#!/usr/bin/env python3
"""Checks Freehold's Grafana dashboards and Prometheus rules against the metrics contract.

For every dashboard JSON: it parses, has the fields Grafana needs (title, uid,
schemaVersion, panels with ids and gridPos), uses the Prometheus datasource
through the ${DS_PROMETHEUS} variable, and every PromQL expression (panel
targets and template-variable queries) references only metric names from the
contract below or recording rules defined in the given rule files. For every
rule file: every expression references only contract metrics or recording
rules. With --promtool, every dashboard expression (Grafana variables
substituted) is also syntax-checked by `promtool check rules`.

Exit status 0 when everything passes; 1 with one line per problem otherwise.
`--self-test` checks the metric-name extraction itself.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

import yaml

# The stable metrics contract (coordinator, services, gRPC interceptor).
CONTRACT_METRICS = {
    "freehold_segments_unrepairable",
    "freehold_capacity_bytes",
    "freehold_funded_capacity_bytes",
    "freehold_funding_coverage_ratio",
    "freehold_funding_runway_seconds",
    "freehold_funding_monthly_income",
    "freehold_funding_monthly_cost",
    "freehold_admission_state",
    "freehold_admission_throttled_total",
    "freehold_nodes",
    "freehold_node_capacity_bytes",
    "freehold_segments_degraded",
    "freehold_segments_lost",
    "freehold_segments_unavailable",
    "freehold_inventory_checks_total",
    "freehold_inventory_missing_shards_total",
    "freehold_coordinator_leader",
    "freehold_accounts_leader",
    "freehold_donations_leader",
    "freehold_repair_queue_segments",
    "freehold_audits_total",
    "freehold_audits_due",
    "freehold_node_suspended",
    "freehold_node_reputation",
    "freehold_donation_events_total",
    "freehold_donations_received_total",
    "freehold_donations_received_base_total",
    "freehold_donations_ledger_journal_lag_seconds",
    "freehold_rpc_total",
    # Donated disks (coordinator/core/funding_metrics.h).
    "freehold_inkind_nodes",
    "freehold_inkind_nodes_not_counting",
    "freehold_inkind_capacity_bytes",
    "freehold_inkind_monthly_value",
    # The trash window (coordinator/core/trash.h).
    "freehold_trash_bytes",
    "freehold_trash_objects",
    "freehold_trash_purged_total",
    # Storage daemons: orphan sweep and scrubber findings.
    "freehold_storaged_orphans_deleted_total",
    "freehold_storaged_orphan_bytes_deleted_total",
    "freehold_storaged_unreadable_shards_total",
    # Histogram: its series.
    "freehold_rpc_duration_seconds_bucket",
    "freehold_rpc_duration_seconds_sum",
    "freehold_rpc_duration_seconds_count",
    # Prometheus' own per-target metric.
    "up",
}

KEYWORDS = {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring",
            "group_left", "group_right", "inf", "nan", "atan2", "start", "end"}

GRAFANA_VARS = {"$__rate_interval": "5m", "${__rate_interval}": "5m", "$__interval": "1m",
                "${__interval}": "1m", "$__range": "1d", "${__range}": "1d"}


def substitute_grafana_variables(expr):
    """Replaces Grafana's interval variables; template variables stay (inside label strings)."""
    for var, value in GRAFANA_VARS.items():
        expr = expr.replace(var, value)
    return expr


def metric_names(expr):
    """Returns the metric names a PromQL expression selects."""
    s = substitute_grafana_variables(expr)
    s = re.sub(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|`[^`]*`', '""', s)  # string literals
    s = re.sub(r"#[^\n]*", " ", s)  # comments
    s = re.sub(r"\{[^{}]*\}", " ", s)  # label matchers
    s = re.sub(r"\[[^\[\]]*\]", " ", s)  # range and subquery durations
    # Grouping clauses go entirely, so `sum by (x) (...)` reads as the call `sum (...)`.
    s = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)", " ", s)
    s = re.sub(r"\boffset\s+-?[0-9a-z]+", " ", s)
    names = set()
    for m in re.finditer(r"(?<![\w.:$])([A-Za-z_:][\w:]*)(\s*\()?", s):
        name, call = m.group(1), m.group(2)
        if call or name.lower() in KEYWORDS:
            continue
        names.add(name)
    # A selector written only as {__name__="..."} names its metric in a matcher.
    for m in re.finditer(r'__name__\s*=\s*"([^"]+)"', expr):
        names.add(m.group(1))
    return names


def variable_query_exprs(query):
    """Expressions inside a Grafana Prometheus variable query."""
    m = re.match(r"\s*label_values\((.*),\s*\w+\s*\)\s*$", query)
    if m:
        return [m.group(1)]
    m = re.match(r"\s*label_values\(\s*\w+\s*\)\s*$", query)
    if m:
        return []
    m = re.match(r"\s*query_result\((.*)\)\s*$", query)
    if m:
        return [m.group(1)]
    m = re.match(r"\s*metrics\((.*)\)\s*$", query)
    if m:
        return []
    return [query]


def load_rules(paths):
    """Returns ([(where, expr)], {recording rule names})."""
    exprs, records = [], set()
    for path in paths:
        with open(path) as f:
            doc = yaml.safe_load(f)
        for group in doc.get("groups", []):
            for rule in group.get("rules", []):
                name = rule.get("record") or rule.get("alert")
                exprs.append((f"{os.path.basename(path)}: {name}", str(rule["expr"])))
                if "record" in rule:
                    records.add(rule["record"])
    return exprs, records


def iter_panels(panels):
    for panel in panels:
        yield panel
        yield from iter_panels(panel.get("panels", []))


def check_dashboard(path, allowed, problems, all_exprs, uids):
    def problem(msg):
        problems.append(f"{path}: {msg}")

    try:
        with open(path) as f:
            dash = json.load(f)
    except (OSError, ValueError) as e:
        problem(f"not valid JSON: {e}")
        return
    for key in ("title", "uid", "schemaVersion", "panels", "templating"):
        if key not in dash:
            problem(f"missing top-level field '{key}'")
    if not dash.get("uid") or len(str(dash.get("uid"))) > 40:
        problem("uid must be non-empty and at most 40 characters")
    if dash.get("uid") in uids:
        problem(f"uid '{dash.get('uid')}' used by another dashboard")
    uids.add(dash.get("uid"))
    variables = dash.get("templating", {}).get("list", [])
    if not any(v.get("name") == "DS_PROMETHEUS" and v.get("type") == "datasource"
               and v.get("query") == "prometheus" for v in variables):
        problem("no datasource variable DS_PROMETHEUS of type prometheus")

    def check_datasource(ds, where):
        if not isinstance(ds, dict) or ds.get("type") != "prometheus" or ds.get("uid") != "${DS_PROMETHEUS}":
            problem(f"{where}: datasource must be {{type: prometheus, uid: ${{DS_PROMETHEUS}}}}, got {ds!r}")

    def check_expr(expr, where):
        all_exprs.append((f"{os.path.basename(path)}: {where}", expr))
        for name in sorted(metric_names(expr)):
            if name not in allowed:
                problem(f"{where}: unknown metric {name} in {expr!r}")

    ids = set()
    for panel in iter_panels(dash.get("panels", [])):
        title = panel.get("title", "?")
        pid = panel.get("id")
        if not isinstance(pid, int) or pid in ids:
            problem(f"panel '{title}': id must be a unique integer, got {pid!r}")
        ids.add(pid)
        pos = panel.get("gridPos", {})
        if not all(isinstance(pos.get(k), int) for k in ("x", "y", "w", "h")) or pos.get("x", 0) + pos.get("w", 0) > 24:
            problem(f"panel '{title}': gridPos needs integer x, y, w, h within 24 columns")
        if panel.get("type") == "row":
            continue
        targets = panel.get("targets", [])
        if not targets:
            problem(f"panel '{title}': no targets")
        check_datasource(panel.get("datasource"), f"panel '{title}'")
        refs = set()
        for target in targets:
            ref = target.get("refId")
            if not ref or ref in refs:
                problem(f"panel '{title}': refId missing or repeated")
            refs.add(ref)
            if "datasource" in target:
                check_datasource(target["datasource"], f"panel '{title}' target {ref}")
            if not str(target.get("expr", "")).strip():
                problem(f"panel '{title}' target {ref}: empty expr")
                continue
            check_expr(target["expr"], f"panel '{title}' target {ref}")
    for var in variables:
        if var.get("type") != "query":
            continue
        check_datasource(var.get("datasource"), f"variable '{var.get('name')}'")
        query = var.get("query")
        query = query.get("query", "") if isinstance(query, dict) else str(query or "")
        for expr in variable_query_exprs(query):
            check_expr(expr, f"variable '{var.get('name')}'")


def promtool_syntax_check(promtool, exprs, problems):
    """Runs every expression through `promtool check rules` as a recording rule."""
    rules = [{"record": f"dashboard_check:expr_{i}", "expr": substitute_grafana_variables(expr)}
             for i, (_, expr) in enumerate(exprs)]
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as f:
        yaml.safe_dump({"groups": [{"name": "dashboard-exprs", "rules": rules}]}, f)
        path = f.name
    try:
        result = subprocess.run([promtool, "check", "rules", path], capture_output=True, text=True)
    finally:
        os.unlink(path)
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip()
        found = False
        for line in output.splitlines():
            m = re.search(r"expr_(\d+)\W*(.*)", line)
            if m:
                found = True
                where, expr = exprs[int(m.group(1))]
                problems.append(f"promtool: {where}: {m.group(2).strip()} in {expr!r}")
        if not found:
            problems.append(f"promtool check rules failed: {output}")


def self_test():
    cases = {
        'sum by (job, le) (rate(foo_bucket{a="b",c=~"$x"}[$__rate_interval]))': {"foo_bucket"},
        "a / ignoring(kind, state) b and on() group_left(x) c offset 5m": {"a", "b", "c"},
        "predict_linear(m{kind=\"raw\"}[6h], 30 * 86400) < 0 and m > 1e9": {"m"},
        "histogram_quantile(0.99, sum(rate(h_bucket[5m])) by (le))": {"h_bucket"},
        "freehold:x:ratio > 0.05": {"freehold:x:ratio"},
        'max_over_time(up{job="freehold-storaged"}[1h:5m]) == bool 0': {"up"},
        '{__name__="named_metric"}': {"named_metric"},
        "vector(1) + scalar(time())": set(),
    }
    failed = 0
    for expr, want in cases.items():
        got = metric_names(expr)
        if got != want:
            print(f"self-test: metric_names({expr!r}) = {sorted(got)}, want {sorted(want)}")
            failed += 1
    assert variable_query_exprs("label_values(foo{a=\"b\"}, node)") == ['foo{a="b"}']
    print("self-test passed" if not failed else f"self-test: {failed} failures")
    return 1 if failed else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", action="append", default=[], metavar="FILE",
                        help="a Prometheus rule file (repeat for several)")
    parser.add_argument("--promtool", help="promtool binary for a PromQL syntax check")
    parser.add_argument("--self-test", action="store_true")
    parser.add_argument("dashboards", nargs="*")
    args = parser.parse_args()
    if args.self_test:
        return self_test()
    if not args.dashboards and not args.rules:
        parser.error("nothing to check")

    problems = []
    rule_exprs, records = load_rules(args.rules)
    allowed = CONTRACT_METRICS | records
    for where, expr in rule_exprs:
        for name in sorted(metric_names(expr)):
            if name not in allowed:
                problems.append(f"{where}: unknown metric {name}")
    dashboard_exprs, uids = [], set()
    for path in args.dashboards:
        check_dashboard(path, allowed, problems, dashboard_exprs, uids)
    if args.promtool and dashboard_exprs:
        promtool_syntax_check(args.promtool, dashboard_exprs, problems)

    for p in problems:
        print(p)
    print(f"checked {len(args.dashboards)} dashboards ({len(dashboard_exprs)} expressions) and "
          f"{len(rule_exprs)} rules: {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
