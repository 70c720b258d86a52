#!/usr/bin/env python3
"""Summarise a bench/run.sh output directory as a Markdown table.

Reads OUT/<impl>-c<children>/{publish,subscribe}.tsv, fanout.json,
fanout-extra.json, state and kamailio.log; prints to stdout.
"""
import csv
import json
import os
import re
import sys

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "out")
IMPLS = ("ours", "reference")


def read_tsv(path):
    try:
        with open(path) as f:
            return list(csv.DictReader(f, delimiter="\t"))
    except OSError:
        return []


def read_json(path):
    try:
        with open(path) as f:
            return json.loads(f.read() or "{}")
    except (OSError, ValueError):
        return {}


def count(path, regex):
    n = 0
    try:
        with open(path, errors="replace") as f:
            r = re.compile(regex)
            for ln in f:
                if r.search(ln):
                    n += 1
    except OSError:
        return None
    return n


def instance(impl, c):
    d = os.path.join(OUT, "%s-c%s" % (impl, c))
    if not os.path.isdir(d):
        return None
    x = {"dir": d}
    for kind in ("publish", "subscribe"):
        x[kind] = read_tsv(os.path.join(d, kind + ".tsv"))
    x["shm"] = read_tsv(os.path.join(d, "shm.tsv"))
    x["fan"] = read_json(os.path.join(d, "fanout.json"))
    x["fanx"] = read_json(os.path.join(d, "fanout-extra.json"))
    try:
        x["state"] = open(os.path.join(d, "state")).read().strip()
    except OSError:
        x["state"] = "not run"
    lg = os.path.join(d, "kamailio.log")
    x["locked"] = count(lg, r"database is locked")
    x["errors"] = count(lg, r" (ERROR|CRITICAL|BUG|ALERT):")
    x["crash"] = count(lg, r"(signal 11|SIGSEGV|core dump|terminated by signal|exited with status|died)")
    return x


def by_rate(rows):
    """rate -> the passing try of that rate, else its last try"""
    out = {}
    for r in rows:
        k = int(r["rate"])
        if k not in out or out[k]["pass"] != "yes":
            out[k] = r
    return out


def best(rows):
    """highest passing rate (a rate passes when one of its tries does), its
    row, and the row of the first rate that failed"""
    b, brow, fail = 0, None, None
    for k, r in sorted(by_rate(rows).items()):
        if r["pass"] == "yes" and fail is None:
            b, brow = k, r
        elif fail is None:
            fail = r
    return b, brow, fail


def row_at(rows, rate):
    return by_rate(rows).get(rate)


def ratio(a, b, fmt="%.1fx"):
    try:
        a, b = float(a), float(b)
    except (TypeError, ValueError):
        return "n/a"
    if b == 0:
        return "inf" if a > 0 else "n/a"
    return fmt % (a / b)


def fmt_best(b, brow, fail):
    s = "%d" % b if b else "0 (< lowest step)"
    if brow:
        s += " (achieved %s)" % brow["achieved"]
    if fail:
        s += "; %s/s: %s %% ok, %s/s answered" % (
            fail["rate"], fail["success_pct"], fail["achieved"])
    return s


def children_list():
    cs = set()
    for n in os.listdir(OUT):
        m = re.match(r"(ours|reference)-c(\d+)$", n)
        if m:
            cs.add(int(m.group(2)))
    return sorted(cs)


lines = []
p = lines.append
env = ""
try:
    env = open(os.path.join(OUT, "env.txt")).read()
except OSError:
    pass
p("# Presence benchmark: ours vs Debian's kamailio-presence-modules")
p("")
p("```")
p(env.rstrip())
p("```")
p("")
p("Config scripts/kamailio-presence.cfg for both (SQLite, stateless replies, "
  "same route); reference = Debian's presence + presence_xml + db_sqlite. "
  "A step passes with >= 99.9 % successful calls and >= 90 % of the target "
  "rate answered. PUBLISH call = initial + refresh + modify + remove "
  "(4 PUBLISH); SUBSCRIBE call = SUBSCRIBE, NOTIFY, un-SUBSCRIBE, NOTIFY "
  "(rate counted in SUBSCRIBE requests, each with its NOTIFY). CPU = "
  "utime+stime of all Kamailio processes per 1000 requests answered, at the "
  "highest step both passed (or the lowest step when one passed none). "
  "Ratio = ours / reference (higher is better for rates, lower for CPU and "
  "times).")
p("")

for c in children_list():
    inst = {i: instance(i, c) for i in IMPLS}
    o, r = inst["ours"], inst["reference"]
    p("## CHILDREN=%d" % c)
    p("")
    p("| metric | ours | reference | ours/ref |")
    p("|---|---|---|---|")
    for kind, unit in (("publish", "PUBLISH/s"), ("subscribe", "SUBSCRIBE/s")):
        bo = best(o[kind]) if o else (0, None, None)
        br = best(r[kind]) if r else (0, None, None)
        p("| %s max rate, %s (>= 99.9 %%) | %s | %s | %s |" % (
            kind.upper(), unit, fmt_best(*bo), fmt_best(*br),
            ratio(bo[0], br[0])))
        # CPU at the highest step both passed, else at the lowest step
        common = min(bo[0], br[0])
        if not common:
            rates = [int(x["rate"]) for x in (o or {}).get(kind, [])] + \
                [int(x["rate"]) for x in (r or {}).get(kind, [])]
            common = min(rates) if rates else 0
        ro = row_at(o[kind], common) if o else None
        rr = row_at(r[kind], common) if r else None
        co = ro["cpu_ms_per_1000"] if ro else "-"
        cr = rr["cpu_ms_per_1000"] if rr else "-"
        p("| %s CPU ms / 1000 requests (at %d/s) | %s | %s | %s |" % (
            kind.upper(), common, co, cr, ratio(co, cr, "%.2f")))
        # CPU at each one's own best step
        co2 = bo[1]["cpu_ms_per_1000"] if bo[1] else "-"
        cr2 = br[1]["cpu_ms_per_1000"] if br[1] else "-"
        p("| %s CPU ms / 1000 requests (at own max rate) | %s | %s | %s |" % (
            kind.upper(), co2, cr2, ratio(co2, cr2, "%.2f")))
    fo = o["fan"] if o else {}
    fr = r["fan"] if r else {}

    def fan(f):
        if not f:
            return "-"
        s = "%s ms" % f.get("last_notify_ms")
        if not f.get("complete"):
            s += " (INCOMPLETE: %s/%s subscribed, %s NOTIFYs)" % (
                f.get("subscribed"), f.get("watchers"),
                f.get("notifies_with_new_state"))
        return s

    p("| fan-out: PUBLISH -> last of %s NOTIFYs | %s | %s | %s |" % (
        fo.get("watchers") or fr.get("watchers") or "?", fan(fo), fan(fr),
        ratio(fo.get("last_notify_ms"), fr.get("last_notify_ms"), "%.2f")
        if fo.get("complete") and fr.get("complete") else
        "n/a (incomplete)"))
    p("| fan-out: median / first NOTIFY, PUBLISH 200 after | %s | %s | |" % tuple(
        ("%s / %s ms, 200 after %s ms" % (f.get("p50_ms"), f.get("first_notify_ms"),
                                          f.get("publish_reply_ms")) if f else "-")
        for f in (fo, fr)))
    p("| fan-out: watchers subscribed (SUBSCRIBE replies) | %s | %s | |" % tuple(
        ("%s/%s %s" % (f.get("subscribed"), f.get("watchers"),
                       json.dumps(f.get("subscribe_replies")))
         if f else "-") for f in (fo, fr)))
    p("| fan-out: Kamailio CPU ms (whole fan-out run) | %s | %s | %s |" % (
        *(("%.0f" % (x["fanx"]["cpu_ticks"] * 1000 / x["fanx"]["clk_tck"])
           if x and x.get("fanx") else "-") for x in (o, r)),
        ratio(o and o["fanx"].get("cpu_ticks"), r and r["fanx"].get("cpu_ticks"), "%.2f")))
    p("| fan-out: NOTIFY retransmissions after the PUBLISH | %s | %s | |" % tuple(
        (f.get("notify_retransmissions_after_publish", "-") if f else "-")
        for f in (fo, fr)))

    def other(x):
        v = [int(r["other_pct"]) for k in ("publish", "subscribe")
             for r in (x or {}).get(k, []) if r.get("other_pct", "").isdigit()]
        return "max %d %%, mean %.0f %%" % (max(v), sum(v) / len(v)) if v else "-"

    p("| CPU of unrelated processes during the steps (share of the machine) | %s | %s | |" % (
        other(o), other(r)))
    def shm(x):
        v = (x or {}).get("shm") or []
        if not v:
            return "-"
        peak = max(float(r["max_used_mb"]) for r in v)
        end = [r for r in v if r["when"].startswith("at the end")]
        return "%s -> %s MB (peak %.0f MB)" % (
            v[0]["real_used_mb"], end[-1]["real_used_mb"] if end else "?", peak)

    p("| shared memory real_used: after start -> at the end, idle (peak) | %s | %s | |" % (
        shm(o), shm(r)))
    p("| 'database is locked' log lines (whole run) | %s | %s | |" % (
        o["locked"] if o else "-", r["locked"] if r else "-"))
    p("| ERROR/CRITICAL/BUG log lines (whole run) | %s | %s | |" % (
        o["errors"] if o else "-", r["errors"] if r else "-"))
    p("| Kamailio at the end | %s | %s | |" % (
        o["state"] if o else "-", r["state"] if r else "-"))
    p("")

p("## Steps")
p("")
p("Machine share: percent of all %s CPUs over the step taken by Kamailio, "
  "by SIPp, and by every other process (other > 0 means the figures were "
  "disturbed by unrelated load)." % os.cpu_count())
p("")
p("| children | impl | kind | target req/s | try | calls ok/total | success % | "
  "answered | achieved req/s | CPU ms/1000 | db locked | log errors | "
  "kamailio / sipp / other % | pass |")
p("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for c in children_list():
    for i in IMPLS:
        x = instance(i, c)
        if not x:
            continue
        for kind in ("publish", "subscribe"):
            for r in x[kind]:
                p("| %d | %s | %s | %s | %s | %s/%s | %s | %s | %s | %s | %s | %s | %s / %s / %s | %s |" % (
                    c, i, kind, r["rate"], r["try"], r["ok"], r["calls"],
                    r["success_pct"], r["answered"], r["achieved"],
                    r["cpu_ms_per_1000"], r["db_locked"], r["log_errors"],
                    r["kam_pct"], r["sipp_pct"], r["other_pct"], r["pass"]))

# ------------------------------------------------------------ per engine

ENGINES = ("sqlite", "postgres", "mysql")
VARIANTS = (("ours", "ours, 1 instance"),
            ("reference", "reference, 1 instance"),
            ("dbonly", "ours DB-only, 1 instance"),
            ("2inst", "ours DB-only, 2 instances (sum)"))


def measurement(d):
    if not os.path.isdir(d):
        return None
    x = {"dir": d}
    for kind in ("publish", "subscribe"):
        x[kind] = read_tsv(os.path.join(d, kind + ".tsv"))
    try:
        x["state"] = open(os.path.join(d, "state")).read().strip()
    except OSError:
        x["state"] = "not run"
    try:
        x["rows"] = open(os.path.join(d, "db_rows.txt")).read().strip()
    except OSError:
        x["rows"] = "-"
    logs = sorted(f for f in os.listdir(d) if re.match(r"kamailio(-[a-z])?\.log$", f))
    x["logs"] = [os.path.join(d, f) for f in logs]
    x["errors"] = sum(count(f, r" (ERROR|CRITICAL|BUG|ALERT):") or 0 for f in x["logs"])
    x["crash"] = sum(count(f, r"(signal 11|SIGSEGV|SIGABRT|core dump|terminated by signal|exited with status|died)") or 0
                     for f in x["logs"])
    msgs = {}
    for f in x["logs"]:
        try:
            with open(f, errors="replace") as fh:
                for ln in fh:
                    m = re.search(r" (ERROR|CRITICAL|BUG|ALERT): (.*)", ln)
                    if m:
                        k = re.sub(r"\d+", "N", m.group(0).strip())[:160]
                        msgs[k] = msgs.get(k, 0) + 1
        except OSError:
            pass
    x["msgs"] = sorted(msgs.items(), key=lambda kv: -kv[1])[:4]
    return x


def engine_dirs(engine):
    """variant -> measurement directory of ENGINE"""
    ed = os.path.join(OUT, engine)
    out = {}
    if engine == "sqlite":
        cs = children_list()
        c = 4 if 4 in cs else (max(cs) if cs else None)
        if c is not None:
            out["ours"] = os.path.join(OUT, "ours-c%d" % c)
            out["reference"] = os.path.join(OUT, "reference-c%d" % c)
    if os.path.isdir(ed):
        for n in sorted(os.listdir(ed)):
            m = re.match(r"(ours|reference)(-dbonly|-2inst)?-c(\d+)$", n)
            if not m:
                continue
            v = {"-dbonly": "dbonly", "-2inst": "2inst"}.get(m.group(2), m.group(1))
            out[v] = os.path.join(ed, n)
    return out


def top_rate(rows):
    try:
        return max(int(r["rate"]) for r in rows)
    except ValueError:
        return 0


def max_cell(x, kind):
    if not x:
        return "-", None
    b, brow, fail = best(x[kind])
    if not x[kind]:
        return "not run (%s)" % x["state"], None
    s = "%d" % b if b else "0 (< lowest step)"
    if b and fail is None and b == top_rate(x[kind]):
        s = ">= %d (top step)" % b
    elif fail:
        s += " (%s/s: %s %% ok)" % (fail["rate"], fail["success_pct"])
    return s, b


engines_here = [e for e in ENGINES if engine_dirs(e)]
if engines_here:
    p("")
    p("# Per engine: one instance, and two instances on one database")
    p("")
    p("CHILDREN=4 per instance. 'ours' and 'reference' run in their default "
      "(cached) mode; 'DB-only' is ours with subs_db_mode 3 and publ_cache 0 "
      "(bench/kamailio-bench.cfg, -A DB_ONLY), the mode for several "
      "instances on one database; '2 instances' are two such Kamailio "
      "instances on one database, each loaded by its own SIPp at half the "
      "rate, rates summed. Max rate = highest step passed (>= 99.9 % calls "
      "ok, >= 90 % of the rate answered); in brackets the first step that "
      "failed twice; '>= N (top step)' = the highest step tried passed. "
      "SQLite's one-instance figures are the CHILDREN=4 rows above (finer "
      "steps); every other column uses the steps in env (server engine "
      "steps). Each measurement starts on a fresh schema.")
    p("")
    p("| engine | request | ours, 1 instance | reference, 1 instance | ours/ref "
      "| ours DB-only, 1 instance | ours DB-only, 2 instances (sum) "
      "| 2 instances / reference | 2 instances / DB-only 1 |")
    p("|---|---|---|---|---|---|---|---|---|")
    M = {}
    for e in engines_here:
        M[e] = {v: measurement(d) for v, d in engine_dirs(e).items()}
        for kind, unit in (("publish", "PUBLISH/s"), ("subscribe", "SUBSCRIBE/s")):
            cells = {v: max_cell(M[e].get(v), kind) for v, _ in VARIANTS}
            p("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                e, unit, cells["ours"][0], cells["reference"][0],
                ratio(cells["ours"][1], cells["reference"][1]),
                cells["dbonly"][0], cells["2inst"][0],
                ratio(cells["2inst"][1], cells["reference"][1]),
                ratio(cells["2inst"][1], cells["dbonly"][1], "%.2fx")))
    p("")

    for e in engines_here:
        mm = M[e]
        p("## %s: details" % e)
        p("")
        p("| metric | %s |" % " | ".join(t for _, t in VARIANTS))
        p("|---|%s" % ("---|" * len(VARIANTS)))

        def row(label, fn):
            p("| %s | %s |" % (label, " | ".join(
                (fn(mm[v]) if mm.get(v) else "-") for v, _ in VARIANTS)))

        for kind in ("publish", "subscribe"):
            K = kind.upper()

            def at_best(x, col, kind=kind):
                b = best(x[kind])
                return b[1][col] if b[1] else "-"
            row("%s CPU ms / 1000 requests, Kamailio (at own max rate)" % K,
                lambda x, f=at_best: f(x, "cpu_ms_per_1000"))
            row("%s machine share at own max rate: kamailio / sipp / db server / other %%" % K,
                lambda x, kind=kind: ("%s / %s / %s / %s" % (
                    best(x[kind])[1]["kam_pct"], best(x[kind])[1]["sipp_pct"],
                    best(x[kind])[1].get("db_pct") or "-", best(x[kind])[1]["other_pct"]))
                if best(x[kind])[1] else "-")
        row("ERROR/CRITICAL/BUG log lines (whole measurement, all instances)",
            lambda x: str(x["errors"]))
        row("crash / died lines in the logs", lambda x: str(x["crash"]))
        row("Kamailio at the end", lambda x: x["state"])
        row("rows left in the DB at the end", lambda x: x["rows"])
        p("")
        for v, t in VARIANTS:
            x = mm.get(v)
            if x and x["msgs"]:
                p("- %s %s, most frequent log errors: %s" % (e, t, "; ".join(
                    "%d x `%s`" % (n, k.replace("`", "'")) for k, n in x["msgs"])))
        p("")

    p("## Per-engine steps")
    p("")
    p("| engine | measurement | kind | target req/s | try | calls ok/total | success % | "
      "answered | achieved req/s | CPU ms/1000 | log errors | "
      "kamailio / sipp / db / other % | pass |")
    p("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for e in engines_here:
        for v, t in VARIANTS:
            if e == "sqlite" and v in ("ours", "reference"):
                continue  # in the Steps table above
            x = M[e].get(v)
            if not x:
                continue
            for kind in ("publish", "subscribe"):
                for r in x[kind]:
                    p("| %s | %s | %s | %s | %s | %s/%s | %s | %s | %s | %s | %s | %s / %s / %s / %s | %s |" % (
                        e, t, kind, r["rate"], r["try"], r["ok"], r["calls"],
                        r["success_pct"], r["answered"], r["achieved"],
                        r["cpu_ms_per_1000"], r["log_errors"], r["kam_pct"],
                        r["sipp_pct"], r.get("db_pct") or "-", r["other_pct"], r["pass"]))

print("\n".join(lines))
