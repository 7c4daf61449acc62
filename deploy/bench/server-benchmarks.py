#!/usr/bin/env python3
"""Server figures, measured against a real server process and Docker engine on this machine.

1. Webhook received -> first job container started (and the time of the webhook's 202 answer): 50 pushes, one at a time, each a signed GitHub push
   webhook for a new commit; the start is the timestamp of the job's first log line (written as the
   container's first output arrives). Reports p50 and p95 with a warm mirror.
2. Burst: 100 pushes to 100 branches sent at once; waits until every run has finished; reports how many
   completed, none lost, the wall time and the server's peak resident memory (RSS).

With --agents N, the jobs run on remote agents (`pipeliner agent`, capacity 2 each, docker backend) registered with a
registration token, and the server's embedded agent is off: the 50 pushes on one agent, the burst on N. The burst then
also reports the bytes of agent protocol traffic per job, as the server counts them (`pipeliner_agent_protocol_bytes_total`
on /metrics: bodies, request and status lines, headers). The server's CPU time per job is reported in both modes.

With --compare, the embedded agent and one remote agent serve the same server, in the same sitting: the sequential
pushes alternate between them (each commit's `runs-on` names `embedded` or `remote`, a label only that agent has), so
that the machine's load weighs on both alike; p50 and p95 are reported for each. No burst.

With --phases, the sequential pushes also report where each one's time went, as p50 / p95 of each step (all clocks are
this machine's): webhook sent -> run created (the run's createdAt) -> job claimed by the agent (the attempt's startedAt)
-> the job runner started on the agent (its first log line, "pipeliner: job ...") -> first output of the container.

With --postgres, the server runs on PostgreSQL instead of SQLite: a new database in the private cluster of
deploy/dev/postgres.sh (started if needed), named after the run.

With --server-dll PATH, that build of Pipeliner.Server.dll is started instead of this checkout's (e.g. a copy of main's, for
before/after).

Usage: python3 deploy/bench/server-benchmarks.py [--agents N | --compare] [--pushes N] [--no-burst] [--phases] [--postgres] [--keep-output] [--no-build] [--server-dll PATH]
(needs DOCKER_HOST; builds the server and CLI in Release first unless --no-build)
"""
import datetime, hashlib, hmac, json, os, socket, statistics, subprocess, sys, tempfile, threading, time, urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TOKEN = "plr_benchmark_token_0123456789"
SECRET = b"benchmark-secret"
FIXTURE = os.path.join(ROOT, "..", "shared", "fixtures", "webhooks", "github", "push-branch-update.json")


def postgres_arguments(work):
    """The server's settings for a fresh database in the private PostgreSQL cluster; none without --postgres."""
    if "--postgres" not in sys.argv:
        return []
    server = subprocess.run(["bash", os.path.join(ROOT, "deploy/dev/postgres.sh"), "start"], check=True, capture_output=True, text=True).stdout.strip()
    settings = dict(part.split("=", 1) for part in server.split(";") if part)
    database = "bench_" + os.path.basename(work).replace("-", "_").lower()
    subprocess.run(["/usr/lib/postgresql/15/bin/createdb", "-h", settings["Host"], "-p", settings["Port"], "-U", settings["Username"], database], check=True)
    return ["--Pipeliner:Database:Provider=postgres", f"--ConnectionStrings:Pipeliner={server.replace('Database=postgres', 'Database=' + database)}"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def git(repo, *args):
    return subprocess.run(["git", "-C", repo, *args], check=True, capture_output=True, text=True).stdout.strip()


def request(base, method, path, body=None, headers=None):
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method, headers={
        "Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json", **(headers or {})})
    with urllib.request.urlopen(req, timeout=60) as response:
        text = response.read().decode()
        return json.loads(text) if text.startswith(("{", "[")) else text


def push_webhook(base, repo, branch, sha, delivery):
    payload = json.load(open(FIXTURE))
    payload["ref"], payload["after"] = f"refs/heads/{branch}", sha
    payload["head_commit"]["id"] = sha
    body = json.dumps(payload).encode()
    signature = "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()
    sent = time.perf_counter()
    request(base, "POST", "/hooks/bench", body, {
        "X-GitHub-Event": "push", "X-GitHub-Delivery": delivery, "X-Hub-Signature-256": signature})
    return (time.perf_counter() - sent) * 1000


def wait_run(base, sha, timeout=300):
    deadline = time.time() + timeout
    while time.time() < deadline:
        runs = request(base, "GET", "/api/projects/bench/runs?pageSize=100")["items"]
        run = next((r for r in runs if r["commit"] == sha), None)
        if run and run["status"] in ("succeeded", "failed", "canceled", "invalid"):
            return run
        time.sleep(0.05)
    raise TimeoutError(f"no finished run for {sha}")


def stamp(text):
    """Seconds since the epoch of an ISO 8601 UTC time as the server writes it (log lines, API fields)."""
    text = text.rstrip("Z").split("+")[0]
    if "." in text:
        head, fraction = text.split(".")
        text = f"{head}.{fraction[:6]}"
    else:
        text += ".0"
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=datetime.timezone.utc).timestamp()


def log_time(base, run_id, marker):
    log = request(base, "GET", f"/api/runs/{run_id}/jobs/build/log")
    for line in log.splitlines():
        if marker in line:
            return stamp(line.split(" ", 1)[0])
    raise ValueError(f"no line with {marker!r} in the log")


def first_line_time(base, run_id):
    return log_time(base, run_id, "$ echo start")


def phases(base, run_id, sent):
    """The steps of one push, in ms: sent -> created -> claimed -> runner started -> first output."""
    run = request(base, "GET", f"/api/runs/{run_id}")
    created = stamp(run["createdAt"])
    claimed = stamp(run["jobs"][0]["attempts"][0]["startedAt"])
    runner = log_time(base, run_id, "pipeliner: job 'build'")
    first = first_line_time(base, run_id)
    return [(created - sent) * 1000, (claimed - created) * 1000, (runner - claimed) * 1000, (first - runner) * 1000]


def load_average():
    with open("/proc/loadavg") as load:
        return " ".join(load.read().split()[0:3])


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS"))


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def agent_traffic(base):
    """(bytes in, bytes out, requests) of the agent protocol so far, from the server's /metrics."""
    values = {"in": 0.0, "out": 0.0, "requests": 0.0}
    for line in request(base, "GET", "/metrics").splitlines():
        if line.startswith('pipeliner_agent_protocol_bytes_total{direction="in"}'):
            values["in"] = float(line.split()[-1])
        elif line.startswith('pipeliner_agent_protocol_bytes_total{direction="out"}'):
            values["out"] = float(line.split()[-1])
        elif line.startswith("pipeliner_agent_protocol_requests_total "):
            values["requests"] = float(line.split()[-1])
    return values


def output(work, name):
    """Where a process's standard error goes: a file in the work directory with --keep-output, else nowhere."""
    return open(os.path.join(work, f"{name}.err"), "w") if "--keep-output" in sys.argv else subprocess.DEVNULL


def start_agents(base, work, first, count, token=None, labels="linux,docker", backend="docker", cli=None):
    """Starts `pipeliner agent` processes (capacity 2 each, `backend`; `cli`: the pipeliner.dll to run, default this
    checkout's Release build) and waits until the server lists them online."""
    token = token or request(base, "POST", "/api/agents/tokens", {"name": "bench"})["token"]
    agents = []
    for n in range(first, first + count):
        env = dict(os.environ, PIPELINER_AGENT_TOKEN=token)
        agents.append(subprocess.Popen(
            ["dotnet", cli or os.path.join(ROOT, "src/Pipeliner.Cli/bin/Release/net10.0/pipeliner.dll"), "agent", "--server", base,
             "--name", f"bench-{n}", "--labels", labels, "--capacity", "2", "--work-dir", os.path.join(work, f"agent-{n}"),
             "--backend", backend],
            env=env, stdout=subprocess.DEVNULL, stderr=output(work, f"agent-{n}")))
    deadline = time.time() + 120
    while time.time() < deadline:
        online = [a for a in request(base, "GET", "/api/agents") if a["status"] == "online"]
        if len(online) == first + count:
            return agents, token
        time.sleep(0.2)
    raise TimeoutError("the agents did not come online")


def pipeline(runs_on):
    where = f"    runs-on: [{runs_on}]\n" if runs_on else ""
    return f"stages: [build]\njobs:\n  build:\n    stage: build\n    image: alpine:3\n{where}    script: [\"echo start\"]\n"


def percentiles(values):
    values = sorted(values)
    return statistics.median(values), values[max(0, int(0.95 * len(values)) - 1)]


def main():
    compare = "--compare" in sys.argv
    agent_count = int(sys.argv[sys.argv.index("--agents") + 1]) if "--agents" in sys.argv else 1 if compare else 0
    build = "--no-build" not in sys.argv
    pushes = int(sys.argv[sys.argv.index("--pushes") + 1]) if "--pushes" in sys.argv else 50
    burst = "--no-burst" not in sys.argv and not compare
    trace = "--phases" in sys.argv
    if build and "--server-dll" not in sys.argv:
        subprocess.run(["dotnet", "build", os.path.join(ROOT, "src/Pipeliner.Server"), "-c", "Release", "-nologo", "-v", "q"], check=True)
    if agent_count and build:
        subprocess.run(["dotnet", "build", os.path.join(ROOT, "src/Pipeliner.Cli"), "-c", "Release", "-nologo", "-v", "q"], check=True)
    work = tempfile.mkdtemp(prefix="pipeliner-bench-")
    repo = os.path.join(work, "repo")
    os.makedirs(repo)
    with open(os.path.join(repo, ".pipeliner.yml"), "w") as f:
        f.write(pipeline(None))
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=bench", "-c", "user.email=bench@localhost", "commit", "-qm", "init")

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server_dll = (os.path.abspath(sys.argv[sys.argv.index("--server-dll") + 1]) if "--server-dll" in sys.argv
                  else os.path.join(ROOT, "src/Pipeliner.Server/bin/Release/net10.0/Pipeliner.Server.dll"))
    server = subprocess.Popen(["dotnet", server_dll,
                               "--urls", base, f"--Pipeliner:DataDir={work}/data", f"--Pipeliner:BootstrapToken={TOKEN}",
                               f"--Pipeliner:Agent:Capacity={2 if compare or not agent_count else 0}",
                               *(["--Pipeliner:Agent:Labels:0=linux", "--Pipeliner:Agent:Labels:1=docker", "--Pipeliner:Agent:Labels:2=embedded"] if compare else []), "--Pipeliner:Projects:AllowLocalRepositories=true",
                               "--Logging:LogLevel:Default=Warning", *postgres_arguments(work)],
                              stdout=subprocess.DEVNULL, stderr=output(work, "server"))
    if "--keep-output" in sys.argv:
        print(f"standard error of the server and agents: {work}/*.err")
    peak = [0]
    sampling = [True]
    agents = []

    def sample():
        while sampling[0]:
            try:
                peak[0] = max(peak[0], rss_kib(server.pid))
            except (OSError, StopIteration):
                pass
            time.sleep(0.1)

    threading.Thread(target=sample, daemon=True).start()
    try:
        deadline = time.time() + 300  # a loaded machine starts the server slowly
        while True:
            try:
                urllib.request.urlopen(base + "/healthz", timeout=5)
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.2)
        token = None
        if agent_count:
            agents, token = start_agents(base, work, 0, 1, labels="linux,docker,remote" if compare else "linux,docker")
            if compare:  # the embedded agent is listed too
                while len([a for a in request(base, "GET", "/api/agents") if a["status"] == "online"]) < 2:
                    time.sleep(0.2)
        request(base, "POST", "/api/projects", {"name": "bench", "repository": repo, "forge": "github",
                                                 "webhookSecret": SECRET.decode(), "defaultBranch": "main"})

        def commit(branch, n, runs_on=None):
            git(repo, "checkout", "-q", "-B", branch)
            with open(os.path.join(repo, "n.txt"), "w") as f:
                f.write(str(n))
            with open(os.path.join(repo, ".pipeliner.yml"), "w") as f:
                f.write(pipeline(runs_on))
            git(repo, "add", "-A")
            git(repo, "-c", "user.name=bench", "-c", "user.email=bench@localhost", "commit", "-qm", f"c{n}")
            return git(repo, "rev-parse", "HEAD")

        # Warm-up: clone the mirror, JIT the paths (of both agents when comparing).
        for n, runs_on in enumerate(["embedded", "remote"] if compare else [None]):
            sha = commit("main", -1 - n, runs_on)
            push_webhook(base, repo, "main", sha, f"warm-{n}")
            wait_run(base, sha)

        latencies, answers, steps = [], [], []
        by_agent = {"embedded": [], "remote": []}
        load_before = load_average()
        for n in range(1, pushes + 1):
            runs_on = ("remote" if n % 2 else "embedded") if compare else None
            sha = commit("main", n, runs_on)
            sent = time.time()
            answers.append(push_webhook(base, repo, "main", sha, f"seq-{n}"))
            run = wait_run(base, sha)
            latencies.append((first_line_time(base, run["id"]) - sent) * 1000)
            if trace:
                steps.append((runs_on, phases(base, run["id"], sent)))
            if compare:
                by_agent[runs_on].append(latencies[-1])
        if compare:
            for name, values in by_agent.items():
                p50, p95 = percentiles(values)
                print(f"1. webhook -> first job container output on the {name} agent, {len(values)} of {pushes} alternating pushes: "
                      f"p50 {p50:.0f} ms, p95 {p95:.0f} ms, min {min(values):.0f} ms, max {max(values):.0f} ms")
        latencies.sort()
        p50 = statistics.median(latencies)
        p95 = latencies[max(0, int(0.95 * len(latencies)) - 1)]
        where = "both agents, alternating" if compare else "one remote agent" if agent_count else "the embedded agent"
        print(f"1. webhook -> first job container output, {pushes} sequential pushes on {where} (warm mirror): "
              f"p50 {p50:.0f} ms, p95 {p95:.0f} ms, min {latencies[0]:.0f} ms, max {latencies[-1]:.0f} ms "
              f"(load average before {load_before}, after {load_average()})")
        answers.sort()
        print(f"   the webhook's 202 answer, seen by the client over loopback: p50 {statistics.median(answers):.1f} ms, "
              f"p95 {answers[max(0, int(0.95 * len(answers)) - 1)]:.1f} ms, max {answers[-1]:.1f} ms")
        for i, name in enumerate(["webhook sent -> run created", "run created -> job claimed", "job claimed -> runner started",
                                  "runner started -> first output"] if trace else []):
            for who in ["embedded", "remote"] if compare else [None]:
                p50, p95 = percentiles([s[i] for w, s in steps if w == who])
                print(f"   {name}{f' ({who})' if who else ''}: p50 {p50:.0f} ms, p95 {p95:.0f} ms")
        if not burst:
            return 0

        if agent_count > 1:
            more, _ = start_agents(base, work, 1, agent_count - 1, token)
            agents += more
        shas = [commit(f"burst/{n}", 1000 + n) for n in range(100)]
        git(repo, "checkout", "-q", "main")
        traffic_before = agent_traffic(base)
        started = time.time()
        cpu_before = cpu_seconds(server.pid)
        threads = [threading.Thread(target=push_webhook, args=(base, repo, f"burst/{n}", sha, f"burst-{n}")) for n, sha in enumerate(shas)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        finished = [wait_run(base, sha, timeout=1200) for sha in shas]
        elapsed = time.time() - started
        cpu = cpu_seconds(server.pid) - cpu_before
        succeeded = sum(1 for r in finished if r["status"] == "succeeded")
        where = f"{agent_count} remote agents x 2 slots" if agent_count else "the embedded agent, 2 slots"
        print(f"2. burst of 100 pushes to 100 branches on {where}: {len(finished)} runs finished ({succeeded} succeeded, "
              f"{100 - len(finished)} lost) in {elapsed:.1f} s; server CPU {cpu * 1000 / 100:.0f} ms per job; "
              f"server peak RSS {peak[0] / 1024:.0f} MiB")
        if agent_count:
            traffic = agent_traffic(base)
            sent, received = traffic["out"] - traffic_before["out"], traffic["in"] - traffic_before["in"]
            calls = traffic["requests"] - traffic_before["requests"]
            print(f"   agent protocol traffic per job: {(sent + received) / 100 / 1024:.1f} KiB "
                  f"({received / 100 / 1024:.1f} KiB from agents, {sent / 100 / 1024:.1f} KiB to them), {calls / 100:.1f} requests")
        with open("/proc/loadavg") as load:
            print(f"   load average at the end: {load.read().split()[0:3]}")
    finally:
        sampling[0] = False
        for agent in agents:
            agent.terminate()
        for agent in agents:
            agent.wait(timeout=120)
        server.terminate()
        server.wait(timeout=60)


if __name__ == "__main__":
    sys.exit(main())
