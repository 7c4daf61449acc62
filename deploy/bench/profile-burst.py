#!/usr/bin/env python3
"""Profile the server during a burst of one-job runs: where a run's server CPU goes.

Usage:  python3 deploy/bench/profile-burst.py [BACKEND] [RUNS] [--out DIR] [--server-dll PATH] [--freq HZ] [--no-perf] [--dwarf]
        [--sql] [--strace] [--counters PATH] [--keep] [--remote-agent] [--agent-dll PATH]

  BACKEND       shell (default: no containers, so the server's orchestration is what is measured) or docker
  RUNS          one-job runs in the burst (default 100)
  --out         where perf.data, the server's log and summary.json go (default: a new /tmp/pipeliner-profile-* dir);
                several people profile at once on a shared machine, so never a fixed path
  --server-dll  the server to profile (default: this checkout's Release build, as side-by-side.py builds it)
  --freq        perf's sampling frequency (default 199 Hz)
  --dwarf       perf's call graphs by DWARF unwinding instead of frame pointers: native libraries built without frame
                pointers (libgit2, libc, SQLite) show their callers, the JIT-compiled frames above them are lost
  --no-perf     only the CPU figures (no perf record), e.g. for a before/after comparison
  --sql         log EF Core's commands (Microsoft.EntityFrameworkCore.Database.Command=Information) and count them per
                run in summary.json (the logging itself costs CPU: do not compare CPU figures taken with --sql)
  --strace      instead of perf: strace the server during the burst (file system calls, with paths) and count them per
                run by call and path pattern in summary.json (strace slows the server: no CPU figure from such a run)
  --counters    path of dotnet-counters (e.g. /tmp/perf-tools/dotnet-counters after `dotnet tool install --tool-path
                /tmp/perf-tools dotnet-counters`): System.Runtime's counters every second during the burst in
                OUT/counters.csv, and the exceptions thrown per run in summary.json (with --no-perf)
  --capacity    the embedded agent's slots (default 2)
  --remote-agent  the jobs run on one `pipeliner agent` process (same backend, capacity 2; build src/Pipeliner.Cli in
                Release first), the embedded agent is off: summary.json has the server's CPU per run without the jobs'
                work and the agent process's CPU per job (agent_cpu_per_job_ms) apart; perf records the server only
  --agent-dll   with --remote-agent: the agent's pipeliner.dll (default: this checkout's Release build)
  --keep        keep the server's data directory (default: removed, the profile and log stay in --out)

It drives deploy/bench/side-by-side.py's Server class: a fresh server (Release, SQLite, Hangfire, embedded agent with
capacity 2), one project, six warm-up runs (so JIT compilation and first-time work are out of the figure), then RUNS
commits on as many branches and their signed GitHub push webhooks sent one after another, then every run awaited.
`perf record -g -p <server pid>` runs during the burst only (DOTNET_PerfMapEnabled=1 for the JIT-compiled frames).

CPU per run = utime + stime of the server process (/proc/<pid>/stat) from the first webhook to the last run finished,
divided by RUNS; the load average is printed with it (the machine is shared: compare figures at similar load only).
The burst's polling (one GET .../runs every 0.5 s, side-by-side.py's Server.wait_burst) is in the figure, but small.

Reading the profile:
  perf report -i OUT/perf.data --children --sort sym -g none | head -120     # inclusive share per method
  perf report -i OUT/perf.data --no-children --sort dso,sym | head -60       # where the samples land
"""
import argparse, collections, importlib.util, json, os, re, shutil, signal, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("sbs", os.path.join(HERE, "side-by-side.py"))
sbs = importlib.util.module_from_spec(spec)
spec.loader.exec_module(sbs)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("backend", nargs="?", default="shell", choices=["shell", "docker"])
    parser.add_argument("runs", nargs="?", type=int, default=100)
    parser.add_argument("--out")
    parser.add_argument("--server-dll", default=sbs.SERVER_DLL)
    parser.add_argument("--agent-dll", default=sbs.AGENT_DLL)
    parser.add_argument("--freq", type=int, default=199)
    parser.add_argument("--no-perf", action="store_true")
    parser.add_argument("--dwarf", action="store_true")
    parser.add_argument("--sql", action="store_true")
    parser.add_argument("--strace", action="store_true")
    parser.add_argument("--counters")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--remote-agent", action="store_true")
    parser.add_argument("--capacity", type=int, help="the embedded agent's slots (default 2, the server's default)")
    args = parser.parse_args()

    out = os.path.abspath(args.out or tempfile.mkdtemp(prefix="pipeliner-profile-"))
    os.makedirs(out, exist_ok=True)
    sbs.SERVER_DLL = os.path.abspath(args.server_dll)
    sbs.AGENT_DLL = os.path.abspath(args.agent_dll)
    os.environ["DOTNET_PerfMapEnabled"] = "1"
    os.environ["DOTNET_EnableWriteXorExecute"] = "0"
    work = tempfile.mkdtemp(prefix="pipeliner-profile-work-")
    extra = ["--Logging:LogLevel:Microsoft.EntityFrameworkCore.Database.Command=Information"] if args.sql else []
    if args.capacity is not None:
        extra.append(f"--Pipeliner:Agent:Capacity={args.capacity}")  # after side-by-side's own: the later one counts
    server = sbs.Server(work, args.backend, extra, remote_agent=args.remote_agent)
    summary = {"backend": args.backend, "agent": "remote" if args.remote_agent else "embedded", "runs": args.runs,
               "server_dll": sbs.SERVER_DLL, "out": out}
    trace = None
    try:
        repo = server.project("bench", sbs.ONE_JOB)
        sha = sbs.commit(repo, "warm", 0)
        server.push("bench", "warm", sha, "warm")
        server.wait_finished("bench", 1, 300)
        for n in range(5):
            sha = sbs.commit(repo, f"warm{n}", n)
            server.push("bench", f"warm{n}", sha, f"warm{n}")
        server.wait_finished("bench", 6, 300, poll=1)
        shas = [sbs.commit(repo, f"burst/{n}", 1000 + n) for n in range(args.runs)]
        sbs.git(repo, "checkout", "-q", "main")
        log_mark = os.path.getsize(server.log.name)
        if args.strace:
            trace = subprocess.Popen(["strace", "-f", "-qq", "-y", "-o", os.path.join(out, "strace.txt"), "-p", str(server.pid),
                                      "-e", "trace=" + ",".join(FILE_CALLS)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.PIPE)
            time.sleep(3)
        elif not args.no_perf:
            trace = subprocess.Popen(["perf", "record", "-F", str(args.freq), *(["--call-graph", "dwarf,16384"] if args.dwarf else ["-g"]), "-p", str(server.pid), "-o",
                                      os.path.join(out, "perf.data")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.PIPE)
            time.sleep(3)
        counters = None
        if args.counters:
            counters = subprocess.Popen([args.counters, "collect", "-p", str(server.pid), "--format", "csv", "--refresh-interval", "1",
                                         "--counters", "System.Runtime", "-o", os.path.join(out, "counters.csv")],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.PIPE)
            time.sleep(3)
        summary["load_start"] = sbs.load()
        cpu0, agent0, wall0 = sbs.cpu_s(server.pid), server.agent_cpu_s(), time.time()
        answers = [server.push("bench", f"burst/{n}", sha, f"burst-{n}") for n, sha in enumerate(shas)]
        done = server.wait_burst("bench", args.runs + 6, 900)
        cpu = sbs.cpu_s(server.pid) - cpu0
        if args.remote_agent:
            agent_cpu = server.agent_cpu_s() - agent0
            summary.update({"agent_cpu_s": round(agent_cpu, 2), "agent_cpu_per_job_ms": round(1000 * agent_cpu / args.runs, 1)})
        summary.update({"makespan_s": round(server.last_finished("bench") - wall0, 2), "cpu_s": round(cpu, 2), "cpu_per_run_ms": round(1000 * cpu / args.runs, 1),
                        "succeeded": done["succeeded"] - 6, "p50_202_ms": round(sorted(answers)[len(answers) // 2], 1),
                        "peak_rss_mib": round(sbs.mem_mib(server.pid, "VmHWM"), 1), "load_end": sbs.load()})
        if trace is not None:
            trace.send_signal(signal.SIGINT)
            trace.wait(timeout=300)
        if counters is not None:
            counters.send_signal(signal.SIGINT)
            counters.wait(timeout=60)
            summary["exceptions_per_run"] = exceptions(os.path.join(out, "counters.csv"), args.runs)
        if args.strace:
            summary["file_calls_per_run"] = strace_counts(os.path.join(out, "strace.txt"), work, args.runs)
        if args.sql:
            server.log.flush()
            with open(server.log.name, errors="replace") as f:
                f.seek(log_mark)
                summary["sql_per_run"] = sql_counts(f.read(), args.runs)
    finally:
        if trace is not None and trace.poll() is None:
            trace.send_signal(signal.SIGINT)
            trace.wait(timeout=300)
        server.stop()
        shutil.copy(server.log.name, os.path.join(out, "server.log"))
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            summary["work"] = work
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
    print(json.dumps(summary))


FILE_CALLS = ["openat", "unlink", "unlinkat", "rename", "renameat", "mkdir", "mkdirat", "rmdir", "fsync", "fdatasync",
              "stat", "lstat", "newfstatat", "statx", "access", "faccessat", "faccessat2", "link", "getdents64"]


def strace_counts(path, work, runs):
    """strace's lines grouped by call and the path with its run-specific parts (numbers, hashes, temp dirs) blanked."""
    counts = collections.Counter()
    with open(path, errors="replace") as f:
        for line in f:
            m = re.match(r"\d+\s+(\w+)\((.*)", line)
            if not m or m.group(1) not in FILE_CALLS:
                continue
            call, rest = m.groups()
            p = re.search(r'"([^"]*)"', rest) or re.search(r"<([^>]*)>", rest)
            target = p.group(1) if p else "?"
            target = target.replace(work, "WORK")
            target = re.sub(r"[0-9a-f]{12,}", "H", target)
            target = re.sub(r"\d+", "N", target)
            counts[(call, target)] += 1
    total = sum(counts.values())
    by_call = collections.Counter()
    for (call, _), v in counts.items():
        by_call[call] += v
    return {"total": round(total / runs, 1), "by_call": {k: round(v / runs, 1) for k, v in by_call.most_common()},
            "by_path": {f"{c} {t}": round(v / runs, 2) for (c, t), v in counts.most_common(60)}}


def exceptions(path, runs):
    """The exceptions thrown during the burst (dotnet-counters' per-second rates, summed), per run and by type."""
    by_type = collections.Counter()
    with open(path, errors="replace") as f:
        for line in f:
            cells = line.rstrip("\n").split(",")
            if len(cells) < 5 or "exception" not in cells[2].lower():
                continue
            kind = re.search(r"error\.type=([^\]]+)", cells[2])
            try:
                by_type[kind.group(1) if kind else "all"] += float(cells[4])
            except ValueError:
                pass
    return {"total": round(sum(by_type.values()) / runs, 1), "by_type": {k: round(v / runs, 2) for k, v in by_type.most_common()}}


def sql_counts(log, runs):
    """EF Core's 'Executed DbCommand' lines of the burst, grouped by the statement's first words, per run."""
    counts = collections.Counter()
    for block in re.split(r"\n(?=\S)", log):
        if "Executed DbCommand" not in block:
            continue
        text = " ".join(line.strip() for line in re.split(r"CommandTimeout='\d+'\]", block, 1)[-1].splitlines() if line.strip())
        counts[normalize(text)] += 1
    total = sum(counts.values())
    return {"total": round(total / runs, 1),
            "by_statement": {k: round(v / runs, 2) for k, v in counts.most_common(40)}}


def normalize(sql):
    sql = re.sub(r"@p\d+|@__\w+|\$\d+|'[^']*'|\b\d+\b", "?", sql)
    return sql[:160]


if __name__ == "__main__":
    sys.exit(main())
