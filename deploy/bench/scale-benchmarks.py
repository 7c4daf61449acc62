#!/usr/bin/env python3
"""Issue 15's scale figures: cost per job in a big run against a one-job run, a 1,000-run queue, the idle server.

Usage:  python3 deploy/bench/scale-benchmarks.py [--phases perjob,queue,idle,burst] [--no-build] [--server-dll PATH]
                                                 [--jobs 40x256] [--window 90] [--queue-runs 1000] [--idle 60]
                                                 [--burst-idle S] [--remote-agent] [--agent-dll PATH] [--after-burst S]

Builds on side-by-side.py (its Server: a fresh Release server per phase, SQLite, Hangfire, the embedded agent with
capacity 2, a temporary data directory, ports chosen at run time). Figures are CPU time of the server process
(utime + stime from /proc), allocations and query counts, never wall time alone: the machine is shared, and the load
average is printed with every phase.

Phases (each on a fresh server, shell backend unless said otherwise):
  perjob  --one-job-runs one-job runs sent one after another and awaited (polled once a second; the polls' own cost is
          measured and taken off): server CPU and SQL commands per run (= per job);
          then one run of --jobs (40x256 = 10,240 jobs by default, or e.g. 40x250 = 10,000) watched for --window
          seconds: jobs finished per second, server CPU and SQL commands per finished job, and the ratio of the two.
          SQL commands are counted from EF Core's command log (Microsoft.EntityFrameworkCore.Database.Command at
          Information); the log itself costs CPU, equally in both.
  queue   --queue-runs one-job runs sent as webhooks one after another (capacity 2, so they queue), then, while the
          queue drains, the dashboard's runs page is read every 0.2 s for --queue-window seconds as the page asks it
          (GET /api/projects/{p}/runs?pageSize=20, then GET /api/runs/failures?ids= of those runs): each request's
          duration in the server (ASP.NET Core's "Request finished" log line) and at the client, p50/p95, RSS every
          0.5 s (first, last, max: flat or growing), and the database commands of the window that took >= 20 ms.
  idle    after one warm-up run, --idle seconds of nothing: CPU share of one core, RSS at the end (its mean and max over the
          idle seconds, sampled every second; by kind of mapping
          from /proc/<pid>/smaps; with --idle over 30 the same 30 s in as idle_30s), and the threads that woke up (context switches per thread from /proc/<pid>/task/*/status),
          the CPU each thread (by name) used in the window, and the window's page faults (major: a page read back from its file).
  burst   --burst-runs one-job runs, webhooks sent one after another while runs execute (each 202 timed: p50_202, p95_202),
          every run awaited as side-by-side.py awaits its burst (a poll every 0.5 s): CPU per run,
          peak RSS (VmHWM since the start; peak_rss_burst: since the burst's first webhook, peak_rss_before_burst: the start
          and the warm-up run's), RSS by part and PSS/USS at the end, and the GC's view (dotnet-counters, when installed under /tmp/perf-tools; --no-counters leaves
          it out, as its session's buffers and code raise the peak). --burst-idle S: S seconds of quiet between the warm-up run
          and the burst (side-by-side.py's embedded phases have 22: the quiet trim gives back what the warm-up read; its
          remote-agent phases have none); --remote-agent (--agent-dll PATH): the jobs on one `pipeliner agent` process as
          side-by-side.py's docker-agent phase runs them; --after-burst S: the server is kept S seconds after the burst, for a
          heap dump or trace taken from outside.
          idle and burst also give the start's cost: ready_s (until /healthz answered) and start_cpu_s (CPU by then).
  webhooks --burst-runs one-job runs, webhooks sent one after another while runs execute: each 202 at the client and
          in the server (p50/p95/max), and the database commands of that span that took >= 20 ms (EF Core's log).
          --webhook-warm-runs (3) warm-up webhooks sent first, --webhook-idle (0) seconds of quiet before the burst:
          `--webhook-warm-runs 1 --webhook-idle 20` is side-by-side.py's burst (one warm-up run, an idle window whose
          trim pages out the files' pages), which leaves the first concurrent runs' code to be compiled during the burst.
"""
import argparse, datetime, importlib.util, json, os, re, statistics, subprocess, sys, tempfile, threading, time, shutil

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("side_by_side", os.path.join(HERE, "side-by-side.py"))
sbs = importlib.util.module_from_spec(spec)
spec.loader.exec_module(sbs)

QUERY_LOG = "--Logging:LogLevel:Microsoft.EntityFrameworkCore.Database.Command=Information"
REQUEST_LOG = "--Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics=Information"
INTAKE_LOG = "--Logging:LogLevel:Pipeliner.Server.Webhooks.WebhookIntake=Debug"
RUN_STORE_LOG = "--Logging:LogLevel:Pipeliner.Server.Webhooks.DeliveryProcessor=Debug"
WRITE_TURN_LOG = "--Logging:LogLevel:Pipeliner.Server.Data.Providers.SqliteWriteGate=Debug"
FINISHED_JOB = ("succeeded", "failed", "skipped", "canceled", "timed_out")


def big_pipeline(jobs, a, b):
    return ("stages: [s]\njobs:\n" + "".join(
        f"  j{n:02d}:\n    stage: s\n    image: alpine:3\n    matrix:\n      A: [{', '.join(f'a{i}' for i in range(a))}]\n"
        f"      B: [{', '.join(f'b{i}' for i in range(b))}]\n    script: [\"true\"]\n" for n in range(jobs)))


def log_lines(server):
    server.log.flush()
    with open(server.log.name, errors="replace") as f:
        return f.readlines()


def queries_since(server, mark):
    lines = log_lines(server)
    return sum(1 for line in lines[mark:] if "Executed DbCommand" in line), len(lines)


SERVER_ARGS = []  # --server-arg: given to every server started


def start(work, backend, extra=(), remote_agent=False):
    server = sbs.Server(work, backend, extra=list(extra) + SERVER_ARGS, remote_agent=remote_agent)
    return server


def phase_perjob(work, args):
    out = {"load_start": sbs.load()}
    # A run holds at most Pipeliner:Limits:JobsPerRun jobs (1,000 by default) and an 8 MiB plan: raised for the big run.
    server = start(work, "shell", [QUERY_LOG, "--Pipeliner:Limits:JobsPerRun=20000",
                                          f"--Pipeliner:Limits:PlanBytes={64 * 1024 * 1024}"])
    try:
        repo = server.project("one", sbs.ONE_JOB)
        for n in range(3):  # warm-up: the mirror, the JIT, the first pages
            sha = sbs.commit(repo, f"warm/{n}", n)
            server.push("one", f"warm/{n}", sha, f"warm-{n}")
            server.wait_finished("one", n + 1, 300, poll=0.05)
        runs = args.one_job_runs
        shas = [sbs.commit(repo, f"seq/{n}", 100 + n) for n in range(runs)]
        mark = len(log_lines(server))
        cpu0 = sbs.cpu_s(server.pid)
        for n, sha in enumerate(shas):
            server.push("one", f"seq/{n}", sha, f"seq-{n}")
        polls = 0
        while sum(server.count("one", s) for s in sbs.FINISHED) < 3 + runs:
            polls += 1
            time.sleep(1)
        cpu1 = sbs.cpu_s(server.pid)
        queries, mark = queries_since(server, mark)
        # The benchmark's own polls (4 counts each) are measured alone and taken off.
        poll_cpu0 = sbs.cpu_s(server.pid)
        for _ in range(40):
            sum(server.count("one", s) for s in sbs.FINISHED)
        poll_cpu = (sbs.cpu_s(server.pid) - poll_cpu0) / 40
        poll_queries, mark = queries_since(server, mark)
        out["one_job_runs"] = runs
        out["one_job_cpu_ms"] = 1000 * (cpu1 - cpu0 - (polls + 1) * poll_cpu) / runs
        out["one_job_queries"] = (queries - (polls + 1) * poll_queries / 40) / runs
        out["poll_cpu_ms"] = 1000 * poll_cpu
        out["load_one_job"] = sbs.load()

        a, b = (int(x) for x in args.matrix.split("x"))
        jobs, width = a, b
        side = max(d for d in range(1, int(b ** 0.5) + 1) if b % d == 0)  # a matrix of side x (b / side) instances
        big = server.project("big", big_pipeline(jobs, side, b // side))
        sha = sbs.commit(big, "big", 1)
        cpu0, t0 = sbs.cpu_s(server.pid), time.monotonic()
        server.push("big", "big", sha, "big")
        while not (items := sbs.http(server.base, "GET", "/api/projects/big/runs?pageSize=1")["items"]):
            time.sleep(0.2)
        run_id = items[0]["id"]
        out["big_created_s"] = time.monotonic() - t0
        # Let the first wave settle (all jobs ready), then measure a window of steady state.
        time.sleep(5)
        run = sbs.http(server.base, "GET", f"/api/runs/{run_id}")
        done0 = sum(1 for j in run["jobs"] if j["status"] in FINISHED_JOB)
        out["big_jobs"] = len(run["jobs"])
        if not run["jobs"]:
            raise RuntimeError(f"the big run has no jobs: {json.dumps(run)[:2000]}")
        mark = len(log_lines(server))
        cpu1, t1 = sbs.cpu_s(server.pid), time.monotonic()
        out["big_create_cpu_ms"] = 1000 * (cpu1 - cpu0)
        out["big_load_start"] = sbs.load()
        time.sleep(args.window)
        t2, cpu2 = time.monotonic(), sbs.cpu_s(server.pid)
        queries, mark = queries_since(server, mark)
        run = sbs.http(server.base, "GET", f"/api/runs/{run_id}")
        done = sum(1 for j in run["jobs"] if j["status"] in FINISHED_JOB) - done0
        out["big_finished_in_window"] = done
        out["big_jobs_per_s"] = done / (t2 - t1)
        out["big_cpu_per_job_ms"] = 1000 * (cpu2 - cpu1) / done if done else None
        out["big_queries_per_job"] = queries / done if done else None
        out["big_peak_rss"] = sbs.mem_mib(server.pid, "VmHWM")
        out["big_load_end"] = sbs.load()
        try:
            sbs.http(server.base, "POST", f"/api/runs/{run_id}/cancel")
        except OSError as e:  # the server is stopped next anyway
            out["big_cancel"] = str(e)
    finally:
        server.stop()
    return out


def write_store_timings(lines, out):
    """The intake's and run creation's times spent storing, from the server's Debug log lines, into out."""
    # IntakeTimings (WebhookIntake at Debug): the step that stores the delivery row, where a slow 202 waits.
    stored = [float(m.group(1)) for m in map(re.compile(r"answered 202 in [\d.]+ ms: .*stored ([\d.]+) ms").search, lines) if m]
    if stored:
        out["stored_p50_ms"], out["stored_p95_ms"], out["stored_max_ms"] = statistics.median(stored), sbs.p95(stored), max(stored)
    # The answers over 20 ms: which step took most of each (e.g. {"stored": 7, "project": 2}), and the GC's pauses in them.
    slow = re.compile(r"answered 202 in ([\d.]+) ms: (.*?); gc pauses ([\d.]+) ms")
    # Builds that print them: the methods compiled (any thread) and the pages read back from files during each answer.
    compiled = re.compile(r"jit (\d+) methods ([\d.]+) ms, major faults (\d+)")
    dominant, paused, compiling, faulting = {}, 0, 0, 0
    for line in lines:
        m = slow.search(line)
        if not m or float(m.group(1)) <= 20:
            continue
        steps = [(float(t), name) for name, t in re.findall(r"(\w+) ([\d.]+) ms", m.group(2))]
        if steps:
            name = max(steps)[1]
            dominant[name] = dominant.get(name, 0) + 1
        paused += float(m.group(3)) >= 10
        if c := compiled.search(line):
            compiling += float(c.group(2)) >= 5
            faulting += int(c.group(3)) > 0
    totals = [float(m.group(1)) for m in map(re.compile(r"answered 202 in ([\d.]+) ms").search, lines) if m]
    if totals:
        out["intake_p50_ms"], out["intake_p95_ms"] = statistics.median(totals), sbs.p95(totals)
    if dominant:
        out["slow_answers_by_step"], out["slow_answers_gc_paused_10ms"] = dominant, paused
    jit = [(int(c.group(1)), float(c.group(2)), int(c.group(3))) for c in map(compiled.search, lines) if c and "answered 202" in c.string]
    if jit:
        # First-time code while the webhooks were answered: methods compiled, their time, pages read back from files.
        out["answers_jit_methods"], out["answers_jit_ms"] = sum(n for n, _, _ in jit), round(sum(t for _, t, _ in jit), 1)
        out["answers_major_faults"] = sum(f for _, _, f in jit)
        out["slow_answers_jit_5ms"], out["slow_answers_major_faults"] = compiling, faulting
    # Run creation's transaction (DeliveryProcessor at Debug; builds that log it): how long other writers waited for it.
    holds = [float(m.group(1)) for m in map(re.compile(r"stored in ([\d.]+) ms \(the transaction").search, lines) if m]
    if holds:
        out["run_store_p50_ms"], out["run_store_p95_ms"], out["run_store_max_ms"] = statistics.median(holds), sbs.p95(holds), max(holds)
    # SQLite's write turns (SqliteWriteGate at Debug; builds that have it): how long writers waited for their turn (only
    # waits over 1 ms are logged), by urgency, and the turns held 5 ms or more.
    for kind in ("urgent", "background"):
        waits = [float(m.group(1)) for m in map(re.compile(r"Waited ([\d.]+) ms for the write turn \(" + kind).search, lines) if m]
        if waits:
            out[f"turn_wait_{kind}_count"], out[f"turn_wait_{kind}_p95_ms"], out[f"turn_wait_{kind}_max_ms"] = len(waits), sbs.p95(waits), max(waits)
    held = [float(m.group(1)) for m in map(re.compile(r"Held the write turn ([\d.]+) ms").search, lines) if m]
    if held:
        out["turns_held_5ms_or_more"], out["turn_held_p95_ms"], out["turn_held_max_ms"] = len(held), sbs.p95(held), max(held)


def request_durations(lines, path_prefix, method="GET"):
    pattern = re.compile(r"Request finished HTTP/\S+ " + method + r" https?://[^/\s]+(/\S*) - (\d+) .*?([\d.]+)ms")
    found = []
    for line in lines:
        m = pattern.search(line)
        if m and m.group(1).startswith(path_prefix):
            found.append(float(m.group(3)))
    return found


def phase_queue(work, args):
    out = {"load_start": sbs.load()}
    server = start(work, "shell", [REQUEST_LOG, QUERY_LOG])
    try:
        repo = server.project("q", sbs.ONE_JOB)
        sha = sbs.commit(repo, "warm", 0)
        server.push("q", "warm", sha, "warm")
        server.wait_finished("q", 1, 300)
        n = args.queue_runs
        shas = [sbs.commit(repo, f"q/{i}", 10 + i) for i in range(n)]
        rss = []
        sampling = [True]

        def sample():
            while sampling[0]:
                try:
                    rss.append(sbs.mem_mib(server.pid, "VmRSS"))
                except (OSError, StopIteration):
                    pass
                time.sleep(0.5)

        threading.Thread(target=sample, daemon=True).start()
        t0, cpu0 = time.monotonic(), sbs.cpu_s(server.pid)
        for i, s in enumerate(shas):
            server.push("q", f"q/{i}", s, f"q-{i}")
        out["webhooks_s"] = time.monotonic() - t0
        mark = len(log_lines(server))
        client, client_failures = [], []
        t1 = time.monotonic()
        while time.monotonic() - t1 < args.queue_window:
            # What the dashboard's runs page asks: a page of 20 runs, then the failed jobs of those runs.
            sent = time.perf_counter()
            page = sbs.http(server.base, "GET", "/api/projects/q/runs?pageSize=20")
            client.append((time.perf_counter() - sent) * 1000)
            ids = ",".join(str(r["id"]) for r in page["items"])
            sent = time.perf_counter()
            sbs.http(server.base, "GET", f"/api/runs/failures?ids={ids}")
            client_failures.append((time.perf_counter() - sent) * 1000)
            time.sleep(0.2)
        lines = log_lines(server)[mark:]
        server_side = request_durations(lines, "/api/projects/q/runs")
        server_failures = request_durations(lines, "/api/runs/failures")
        write_store_timings(lines, out)
        slow = slow_commands(lines, 20)
        out["window_commands_20ms_or_more"] = len(slow)
        out["window_commands_150ms_or_more"] = sum(1 for ms, _ in slow if ms >= 150)
        out["window_slow_reads"] = sum(1 for ms, text in slow if text.lstrip().startswith("SELECT"))
        out["failures_server_p50_ms"] = statistics.median(server_failures) if server_failures else None
        out["failures_server_p95_ms"] = sbs.p95(server_failures) if server_failures else None
        out["failures_client_p50_ms"], out["failures_client_p95_ms"] = statistics.median(client_failures), sbs.p95(client_failures)
        queued = {s: server.count("q", s) for s in ("queued", "running", "succeeded")}
        sampling[0] = False
        out["runs_list_server_p50_ms"] = statistics.median(server_side) if server_side else None
        out["runs_list_server_p95_ms"] = sbs.p95(server_side) if server_side else None
        out["runs_list_client_p50_ms"], out["runs_list_client_p95_ms"] = statistics.median(client), sbs.p95(client)
        out["runs_list_requests"] = len(server_side)
        out["total_runs"] = page["total"]
        out["after_window"] = queued
        out["rss_first"], out["rss_last"], out["rss_max"] = rss[0], rss[-1], max(rss)
        out["cpu_s"] = sbs.cpu_s(server.pid) - cpu0
        out["load_end"] = sbs.load()
    finally:
        server.stop()
    return out


def slow_commands(lines, threshold_ms):
    """EF Core's "Executed DbCommand (N ms)" lines at or above the threshold: what a slow request waited on."""
    pattern = re.compile(r"Executed DbCommand \((\d+)ms\)")
    slow = []
    for i, line in enumerate(lines):
        m = pattern.search(line)
        if m and int(m.group(1)) >= threshold_ms:
            text = " ".join(l.strip() for l in lines[i + 1:i + 3])
            slow.append((int(m.group(1)), text[:90]))
    return slow


def phase_webhooks(work, args, backend):
    """--burst-runs signed push webhooks sent one after another while the runs execute: each 202 at the client and in
    the server (ASP.NET Core's request duration), and the database commands that took 20 ms or more meanwhile."""
    out = {"backend": backend, "load_start": sbs.load()}
    server = start(work, backend, [REQUEST_LOG, QUERY_LOG, INTAKE_LOG, RUN_STORE_LOG, WRITE_TURN_LOG])
    try:
        repo = server.project("bench", sbs.ONE_JOB)
        warm = args.webhook_warm_runs
        for i in range(warm):
            sha = sbs.commit(repo, f"warm/{i}", i)
            server.push("bench", f"warm/{i}", sha, f"warm-{i}")
        server.wait_finished("bench", warm, 300)
        time.sleep(args.webhook_idle)
        n = args.burst_runs
        shas = [sbs.commit(repo, f"w/{i}", 10 + i) for i in range(n)]
        mark = len(log_lines(server))
        cpu0, t0 = sbs.cpu_s(server.pid), time.monotonic()
        client = [server.push("bench", f"w/{i}", s, f"w-{i}") for i, s in enumerate(shas)]
        out["webhooks_s"] = time.monotonic() - t0
        out["load_after_webhooks"] = sbs.load()
        end, done = server.wait_finished("bench", n + warm, 600 + 10 * n)
        out["makespan_s"] = end - t0
        out["cpu_per_run_ms"] = 1000 * (sbs.cpu_s(server.pid) - cpu0) / n
        lines = log_lines(server)[mark:]
        hooks = request_durations(lines, "/hooks/", "POST")
        out["client_p50_ms"], out["client_p95_ms"], out["client_max_ms"] = statistics.median(client), sbs.p95(client), max(client)
        if hooks:
            out["server_p50_ms"], out["server_p95_ms"], out["server_max_ms"] = statistics.median(hooks), sbs.p95(hooks), max(hooks)
            out["server_over_20ms"] = sum(1 for h in hooks if h > 20)
        write_store_timings(lines, out)
        slow = slow_commands(lines, 20)
        out["commands_20ms_or_more"] = len(slow)
        out["commands_150ms_or_more"] = sum(1 for ms, _ in slow if ms >= 150)
        out["slow_command_ms"] = sorted(ms for ms, _ in slow)
        out["slowest_commands"] = sorted(slow, reverse=True)[:5]
        out["succeeded"] = done["succeeded"] - warm
        out["load_end"] = sbs.load()
    finally:
        server.stop()
    return out


def threads_of(pid):
    found = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                status = dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            found[tid] = (status["Name"], int(status["voluntary_ctxt_switches"]) + int(status["nonvoluntary_ctxt_switches"]),
                          (int(fields[11]) + int(fields[12])) / sbs.CLK_TCK)
        except (OSError, KeyError):
            pass
    return found


def faults_of(pid):
    """The process's minor and major page faults (/proc/<pid>/stat): a major one reads a page back from its file."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[7]), int(fields[9])


def rss_parts(pid):
    """RSS by kind of mapping (MiB), from /proc/<pid>/smaps: what is code and what is data."""
    parts = {}
    kind = None
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            fields = line.split()
            if "-" in fields[0] and not fields[0].endswith(":"):
                name, perms = (fields[5] if len(fields) > 5 else ""), fields[1]
                kind = ("assemblies (.dll)" if name.endswith(".dll") else
                        "native libraries (.so)" if ".so" in name else
                        ("runtime code (JIT, stubs)" if "x" in perms else "runtime type data (loader heaps)") if "doublemapper" in name else
                        "C heap (malloc)" if name == "[heap]" else
                        "other files" if name.startswith("/") else
                        "anonymous (GC heap, thread arenas, stacks)")
            elif fields[0] == "Rss:":
                parts[kind] = parts.get(kind, 0) + int(fields[1]) / 1024
    return {k: round(v, 1) for k, v in sorted(parts.items(), key=lambda kv: -kv[1])}


def rollup(pid):
    """Proportional and private sizes (MiB) from /proc/<pid>/smaps_rollup: PSS splits a page shared with other processes
    (another .NET process maps the same runtime files) among them; USS (private clean + dirty) is the process's own."""
    d = {}
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            fields = line.split()
            if len(fields) >= 2 and fields[0].endswith(":") and fields[1].isdigit():
                d[fields[0][:-1]] = int(fields[1]) / 1024
    return {"pss": round(d.get("Pss", 0), 1), "pss_anon": round(d.get("Pss_Anon", 0), 1), "pss_file": round(d.get("Pss_File", 0), 1),
            "pss_shmem": round(d.get("Pss_Shmem", 0), 1), "uss": round(d.get("Private_Clean", 0) + d.get("Private_Dirty", 0), 1)}


def clear_referenced(pid):
    """Clears the pages' accessed bits (/proc/<pid>/clear_refs), so that smaps' Referenced counts what the window touched."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("1")
    except OSError:
        pass


def files_referenced(pid):
    """The .dll and .so pages (MiB) resident and referenced since clear_referenced: what idleness reads and reads back."""
    parts, kind = {}, None
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            fields = line.split()
            if "-" in fields[0] and not fields[0].endswith(":"):
                name = fields[5] if len(fields) > 5 else ""
                kind = ".dll" if name.endswith(".dll") else ".so" if ".so" in name else None
            elif kind and fields[0] in ("Rss:", "Referenced:"):
                key = f"{kind} {fields[0][:-1].lower()}"
                parts[key] = parts.get(key, 0) + int(fields[1]) / 1024
    return {k: round(v, 1) for k, v in sorted(parts.items())}


def phase_idle(work, args, backend="docker"):
    out = {"load_start": sbs.load()}
    server = start(work, backend)
    out["ready_s"], out["start_cpu_s"] = round(server.ready_s, 2), round(server.ready_cpu_s, 2)
    try:
        repo = server.project("idle", sbs.ONE_JOB)
        sha = sbs.commit(repo, "warm", 0)
        server.push("idle", "warm", sha, "warm")
        server.wait_finished("idle", 1, 300)
        time.sleep(5)
        print(f"# idle: server pid {server.pid}, {args.idle} s of idle from now", file=sys.stderr, flush=True)
        clear_referenced(server.pid)
        before, cpu0, t0, faults0 = threads_of(server.pid), sbs.cpu_s(server.pid), time.monotonic(), faults_of(server.pid)
        rss = []
        while time.monotonic() - t0 < args.idle:
            time.sleep(min(1.0, max(0.0, args.idle - (time.monotonic() - t0))))
            rss.append(sbs.mem_mib(server.pid, "VmRSS"))
            if len(rss) == 30 and args.idle > 30:  # the early view as well: pages the idle server reads back come later
                out["idle_30s"] = {"rss": rss[-1], "parts": rss_parts(server.pid), "rollup": rollup(server.pid)}
        after, cpu1, t1, faults1 = threads_of(server.pid), sbs.cpu_s(server.pid), time.monotonic(), faults_of(server.pid)
        out["idle_rss_mean"], out["idle_rss_max"] = round(statistics.mean(rss), 1), round(max(rss), 1)
        out["idle_rss_every_10s"] = [round(r) for r in rss[9::10]]
        out["idle_cpu_pct"] = 100 * (cpu1 - cpu0) / (t1 - t0)
        out["idle_rss"] = sbs.mem_mib(server.pid, "VmRSS")
        out["idle_rss_parts"] = rss_parts(server.pid)
        out["idle_rollup"] = rollup(server.pid)
        out["idle_files_referenced"] = files_referenced(server.pid)
        wakes = {}
        for tid, (name, switches, cpu) in after.items():
            b = before.get(tid, (name, 0, 0.0))
            key = name
            w, c = wakes.get(key, (0, 0.0))
            wakes[key] = (w + switches - b[1], c + cpu - b[2])
        out["wakeups_per_s"] = {k: round(w / (t1 - t0), 2) for k, (w, c) in sorted(wakes.items(), key=lambda kv: -kv[1][0]) if w}
        out["cpu_ms_by_thread"] = {k: round(1000 * c) for k, (w, c) in sorted(wakes.items(), key=lambda kv: -kv[1][1]) if c > 0}
        out["faults_in_window"] = {"minor": faults1[0] - faults0[0], "major": faults1[1] - faults0[1]}
        out["load_end"] = sbs.load()
    finally:
        server.stop()
    return out


def phase_burst(work, args, backend="docker"):
    out = {"load_start": sbs.load()}
    server = start(work, backend, remote_agent=args.remote_agent)
    out["agent"] = "remote" if args.remote_agent else "embedded"
    out["ready_s"], out["start_cpu_s"] = round(server.ready_s, 2), round(server.ready_cpu_s, 2)
    counters = None
    try:
        repo = server.project("bench", sbs.ONE_JOB)
        sha = sbs.commit(repo, "warm", 0)
        server.push("bench", "warm", sha, "warm")
        server.wait_finished("bench", 1, 300)
        if args.burst_idle:
            time.sleep(args.burst_idle)  # side-by-side.py's idle window: its quiet trim gives back what the warm-up read
        tool = "/tmp/perf-tools/dotnet-counters"
        csv = os.path.join(server.work, "counters.csv")
        if os.path.exists(tool) and args.counters:
            counters = subprocess.Popen([tool, "collect", "-p", str(server.pid), "--refresh-interval", "1", "--format", "csv",
                                         "-o", csv, "--counters", "System.Runtime"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        n = args.burst_runs
        shas = [sbs.commit(repo, f"b/{i}", 10 + i) for i in range(n)]
        # The high-water mark before the burst (the start and the warm-up run): the peak below is the burst's only if higher.
        out["peak_rss_before_burst"] = sbs.mem_mib(server.pid, "VmHWM")
        out["rss_before_burst"] = sbs.mem_mib(server.pid, "VmRSS")
        with open(f"/proc/{server.pid}/clear_refs", "w") as f:
            f.write("5")  # resets VmHWM to the current RSS (Linux 4.0+): peak_rss_burst is the burst's own
        cpu0, wall0 = sbs.cpu_s(server.pid), time.time()
        out["burst_from_utc"] = f"{datetime.datetime.now(datetime.timezone.utc):%H:%M:%S.%f}"[:-3]  # a trace's window (gc-events)
        answers = [server.push("bench", f"b/{i}", s, f"b-{i}") for i, s in enumerate(shas)]
        out["webhooks_to_utc"] = f"{datetime.datetime.now(datetime.timezone.utc):%H:%M:%S.%f}"[:-3]
        out["p50_202"], out["p95_202"] = round(statistics.median(answers), 1), round(sbs.p95(answers), 1)
        # Awaited as side-by-side.py awaits its burst (a poll every 0.5 s): the polling is not the CPU figure.
        done = server.wait_burst("bench", n + 1, 600 + 10 * n)
        out["makespan_s"] = server.last_finished("bench") - wall0
        out["burst_to_utc"] = f"{datetime.datetime.now(datetime.timezone.utc):%H:%M:%S.%f}"[:-3]
        out["cpu_per_run_ms"] = 1000 * (sbs.cpu_s(server.pid) - cpu0) / n
        out["peak_rss_burst"] = sbs.mem_mib(server.pid, "VmHWM")
        out["peak_rss"] = max(out["peak_rss_burst"], out["peak_rss_before_burst"])
        out["rss_after"] = sbs.mem_mib(server.pid, "VmRSS")
        out["rss_parts_after"] = rss_parts(server.pid)
        out["rollup_after"] = rollup(server.pid)
        out["succeeded"] = done["succeeded"] - 1
        out["load_end"] = sbs.load()
        time.sleep(args.after_burst)
        if counters:
            counters.terminate()
            counters.wait(timeout=30)
            out["counters_csv"] = csv
            keep = os.path.join(tempfile.gettempdir(), f"pipeliner-burst-counters-{os.getpid()}.csv")
            shutil.copy(csv, keep)
            out["counters_kept"] = keep
    finally:
        if counters and counters.poll() is None:
            counters.kill()
        server.stop()
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--phases", default="perjob,queue,idle,burst")
    parser.add_argument("--no-build", action="store_true")
    parser.add_argument("--server-dll", help="another build of Pipeliner.Server.dll (e.g. a copy of main's, for before/after, "
                                             "or a published one: the ReadyToRun comparison in docs/performance.md)")
    parser.add_argument("--one-job-runs", type=int, default=20)
    parser.add_argument("--jobs", dest="matrix", default="40x256", help="jobs x matrix instances of the big run (40x250 = 10,000)")
    parser.add_argument("--window", type=int, default=90, help="seconds the big run is watched")
    parser.add_argument("--queue-runs", type=int, default=1000)
    parser.add_argument("--queue-window", type=int, default=60)
    parser.add_argument("--idle", type=int, default=60)
    parser.add_argument("--burst-runs", type=int, default=100)
    parser.add_argument("--backend", default="docker", help="backend of the idle and burst phases")
    parser.add_argument("--burst-idle", type=float, default=0,
                        help="burst phase: seconds of quiet between the warm-up run and the burst (side-by-side.py's: 22)")
    parser.add_argument("--after-burst", type=float, default=0,
                        help="burst phase: seconds the server is kept after the burst (a heap dump or trace taken from outside)")
    parser.add_argument("--remote-agent", action="store_true",
                        help="burst phase: the jobs on one remote `pipeliner agent` (capacity 2), the embedded agent off")
    parser.add_argument("--agent-dll", help="with --remote-agent: the agent's pipeliner.dll (default: this checkout's Release build)")
    parser.add_argument("--webhook-warm-runs", type=int, default=3, help="webhooks phase: warm-up runs before the burst")
    parser.add_argument("--webhook-idle", type=float, default=0, help="webhooks phase: seconds of quiet between the warm-up and the burst")
    parser.add_argument("--server-arg", action="append", default=[],
                        help="an argument for every server started, e.g. --server-arg=--Pipeliner:Database:SqliteWriteTurns=true (repeatable)")
    parser.add_argument("--no-counters", dest="counters", action="store_false",
                        help="no dotnet-counters session in the burst (its own buffers and code add to the peak RSS)")
    args = parser.parse_args()
    os.environ.setdefault("DOCKER_HOST", "unix:///tmp/pipeliner-docker/docker.sock")
    if args.server_dll:
        sbs.SERVER_DLL = os.path.abspath(args.server_dll)
    if args.agent_dll:
        sbs.AGENT_DLL = os.path.abspath(args.agent_dll)
    SERVER_ARGS.extend(args.server_arg)
    commit_id = subprocess.run(["git", "-C", sbs.ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    print(f"# {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, Pipeliner {commit_id}"
          f"{' (server ' + sbs.SERVER_DLL + ')' if args.server_dll else ''}, {os.cpu_count()} cores, load average {sbs.load()}", flush=True)
    if not args.no_build and not args.server_dll:
        subprocess.run(["dotnet", "build", os.path.join(sbs.ROOT, "src/Pipeliner.Server"), "-c", "Release", "-nologo", "-v", "q"],
                       check=True, stdout=subprocess.DEVNULL)
    work = tempfile.mkdtemp(prefix="pipeliner-scale-")
    try:
        for phase in filter(None, args.phases.split(",")):
            result = {"perjob": phase_perjob, "queue": phase_queue,
                      "idle": lambda w, a: phase_idle(w, a, a.backend), "burst": lambda w, a: phase_burst(w, a, a.backend),
                      "webhooks": lambda w, a: phase_webhooks(w, a, a.backend)}[phase](work, args)
            if phase == "perjob" and result.get("big_cpu_per_job_ms"):
                result["ratio_cpu_big_to_one_job"] = result["big_cpu_per_job_ms"] / result["one_job_cpu_ms"]
            print(f"# {phase}: {json.dumps(result)}", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"# load average {sbs.load()} at the end")


if __name__ == "__main__":
    sys.exit(main())
