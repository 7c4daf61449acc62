#!/usr/bin/env python3
"""Issue 15's table in one run: Pipeliner's server next to the Buildbot peer (../shared/peers/buildbot), same sitting.

Usage:  python3 deploy/bench/side-by-side.py [--runs 100] [--idle 20] [--big-window 60] [--no-build]
        [--server-dll PATH] [--agent-dll PATH] [--skip buildbot,docker,shell,docker-agent,shell-agent]

Needs DOCKER_HOST (default: the private engine of deploy/dev/docker-engine.sh, alpine:3 imported) and Debian's buildbot
(the peer's setup.sh installs it). Everything listens on 127.0.0.1 at ports chosen at run time; temporary directories
are removed at the end; the Buildbot master and workers are stopped by their pid files only.

Every CPU figure is utime + stime of the process, read from /proc/<pid>/stat: it survives a loaded machine far better
than wall time. The load average is printed with every phase: compare figures taken at similar load only.

Phases (each Pipeliner phase starts a fresh server: Release build, SQLite, Hangfire, embedded agent with capacity 2):
  idle     after one warm-up run, nothing happens for --idle seconds: CPU share of one core, RSS at the end
  burst    --runs one-job runs: commits on as many branches, their signed GitHub push webhooks sent one after another
           while the runs execute (each 202 timed), then every run awaited (one count request every 0.5 s, so the
           waiting adds little to the server's CPU). Makespan = first webhook sent -> the last run's finishedAt as the
           server recorded it; CPU per run = the server's CPU over that span / runs; peak RSS = VmHWM.
  shell    the same burst on the shell backend (no containers): orchestration's own share
  docker-agent, shell-agent
           the burst again with the jobs on one remote agent (`pipeliner agent`, capacity 2, that backend, started as
           server-benchmarks.py --agents does) and the embedded agent off: the server's CPU per run and the agent
           process's CPU per job, apart (issue 15: <= 20 ms per run for the server, <= 40 ms per job for the agent);
           docker-agent has the idle window after its warm-up run as the embedded Docker phase has, so both of
           their peaks are measured over the same life (start, warm-up, idle, burst)
  big      one run of 40 jobs x 256 matrix instances = 10,240 jobs on the shell backend, capacity 2: jobs finished
           per second over --big-window seconds after the run was created, server CPU per finished job, peak RSS;
           the run is canceled afterwards
  buildbot the peer's master with 2 workers (one build at a time each, like capacity 2): idle, and --runs forced
           builds sent one after another (each POST timed), makespan, master CPU per build, master peak RSS
"""
import argparse, datetime, hashlib, hmac, importlib.util, json, os, shutil, socket, statistics, subprocess, sys, tempfile, time
import urllib.error, urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
PEER = os.path.abspath(os.path.join(ROOT, "..", "shared", "peers", "buildbot"))
FIXTURE = os.path.join(ROOT, "..", "shared", "fixtures", "webhooks", "github", "push-branch-update.json")
TOKEN = "plr_benchmark_token_0123456789"
SECRET = b"benchmark-secret"
CLK_TCK = os.sysconf("SC_CLK_TCK")
ONE_JOB = "stages: [build]\njobs:\n  build:\n    stage: build\n    image: alpine:3\n    script: [\"echo start\"]\n"
BIG = ("stages: [s]\njobs:\n" + "".join(
    f"  j{n:02d}:\n    stage: s\n    image: alpine:3\n    matrix:\n      A: [{', '.join(f'a{i}' for i in range(16))}]\n"
    f"      B: [{', '.join(f'b{i}' for i in range(16))}]\n    script: [\"true\"]\n" for n in range(40)))
FINISHED = ("succeeded", "failed", "canceled", "invalid")
# How often a burst's end is polled: seldom enough that the polling is not the figure (see Server.wait_burst).
BURST_POLL = 0.5
SERVER_DLL = os.path.join(ROOT, "src/Pipeliner.Server/bin/Release/net10.0/Pipeliner.Server.dll")
AGENT_DLL = os.path.join(ROOT, "src/Pipeliner.Cli/bin/Release/net10.0/pipeliner.dll")


def load():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def mem_mib(pid, key):
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(key + ":")) / 1024


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def git(repo, *args):
    return subprocess.run(["git", "-C", repo, "-c", "user.name=bench", "-c", "user.email=bench@localhost", *args],
                          check=True, capture_output=True, text=True).stdout.strip()


def p95(values):
    ordered = sorted(values)
    return ordered[max(0, int(round(0.95 * len(ordered))) - 1)]


def http(base, method, path, body=None, headers=None, token=TOKEN):
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method, headers={
        "Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {}), **(headers or {})})
    with urllib.request.urlopen(request, timeout=120) as response:
        text = response.read().decode()
        return json.loads(text) if text.startswith(("{", "[")) else text


class Server:
    """One Pipeliner server process with its own data directory and repositories."""

    def __init__(self, work, backend, extra=(), remote_agent=False):
        """remote_agent: the jobs run on one `pipeliner agent` process (capacity 2, the same backend) started as
        server-benchmarks.py --agents does; the server's embedded agent is off (capacity 0)."""
        self.work = tempfile.mkdtemp(prefix=f"{backend}-", dir=work)
        self.base = f"http://127.0.0.1:{free_port()}"
        self.log = open(os.path.join(self.work, "server.log"), "w")
        self.agents = []
        started = time.monotonic()
        self.process = subprocess.Popen(
            ["dotnet", SERVER_DLL, "--urls", self.base, f"--Pipeliner:DataDir={self.work}/data", f"--Pipeliner:BootstrapToken={TOKEN}",
             f"--Pipeliner:Agent:Capacity={0 if remote_agent else 2}", f"--Pipeliner:Agent:Backend={backend}", "--Pipeliner:Projects:AllowLocalRepositories=true",
             # The big phase's run has 10,240 jobs: above the default ceilings (1,000 jobs per run, an 8 MiB plan).
             "--Pipeliner:Limits:JobsPerRun=20000", f"--Pipeliner:Limits:PlanBytes={64 * 1024 * 1024}", "--Logging:LogLevel:Default=Warning", *extra], stdout=self.log, stderr=subprocess.STDOUT)
        self.pid = self.process.pid
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.base + "/healthz", timeout=1)
                # The start's cost: wall time until /healthz answered, and the CPU spent by then (JIT, EF model, migrations).
                self.ready_s, self.ready_cpu_s = time.monotonic() - started, cpu_s(self.pid)
                if remote_agent:
                    self.agents, _ = server_benchmarks().start_agents(self.base, self.work, 0, 1, backend=backend, cli=AGENT_DLL)
                self.start_cpu_s = cpu_s(self.pid)
                return
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(f"the server exited; see {self.log.name}")
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("the server did not answer /healthz")

    def project(self, name, pipeline):
        repo = os.path.join(self.work, name)
        os.makedirs(repo)
        with open(os.path.join(repo, ".pipeliner.yml"), "w") as f:
            f.write(pipeline)
        git(repo, "init", "-q", "-b", "main")
        git(repo, "add", "-A")
        git(repo, "commit", "-qm", "init")
        http(self.base, "POST", "/api/projects", {"name": name, "repository": repo, "forge": "github",
                                                  "webhookSecret": SECRET.decode(), "defaultBranch": "main"})
        return repo

    def push(self, project, branch, sha, delivery):
        payload = json.load(open(FIXTURE))
        payload["ref"], payload["after"] = f"refs/heads/{branch}", sha
        payload["head_commit"]["id"] = sha
        body = json.dumps(payload).encode()
        signature = "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()
        sent = time.perf_counter()
        http(self.base, "POST", f"/hooks/{project}", body, {
            "X-GitHub-Event": "push", "X-GitHub-Delivery": delivery, "X-Hub-Signature-256": signature}, token=None)
        return (time.perf_counter() - sent) * 1000

    def count(self, project, status):
        return http(self.base, "GET", f"/api/projects/{project}/runs?pageSize=1&status={status}")["total"]

    def wait_finished(self, project, n, timeout, poll=0.1):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            done = {s: self.count(project, s) for s in FINISHED}
            if sum(done.values()) >= n:
                return time.monotonic(), done
            time.sleep(poll)
        raise TimeoutError(f"{project}: fewer than {n} runs finished in {timeout} s")

    def wait_burst(self, project, n, timeout):
        """Waits for n finished runs without loading the server it measures: one request (the succeeded count) every
        BURST_POLL seconds, the other finished states every tenth poll (a failed run still ends the wait). The old loop
        (wait_finished: four requests every 0.1 s, ~1.3 ms of server CPU each) put ~5 ms of server CPU per run into
        every 10 s of makespan, so a slower backend looked dearer to the server. Returns the counts."""
        deadline = time.monotonic() + timeout
        polls = 0
        while time.monotonic() < deadline:
            succeeded = self.count(project, "succeeded")
            if succeeded >= n or polls % 10 == 9:
                done = {s: succeeded if s == "succeeded" else self.count(project, s) for s in FINISHED}
                if sum(done.values()) >= n:
                    return done
            polls += 1
            time.sleep(BURST_POLL)
        raise TimeoutError(f"{project}: fewer than {n} runs finished in {timeout} s")

    def last_finished(self, project):
        """The latest finishedAt of the project's runs as the server recorded it (Unix seconds): a burst's end, exact
        however seldom the wait polled."""
        latest, page = 0.0, 1
        while True:
            answer = http(self.base, "GET", f"/api/projects/{project}/runs?pageSize=100&page={page}")
            latest = max([latest] + [datetime.datetime.fromisoformat(r["finishedAt"]).timestamp() for r in answer["items"] if r.get("finishedAt")])
            if page * 100 >= answer["total"]:
                return latest
            page += 1

    def agent_cpu_s(self):
        """CPU seconds of the remote agent processes (0 with the embedded agent: its work is in the server's figure)."""
        return sum(cpu_s(a.pid) for a in self.agents)

    def stop(self):
        for agent in self.agents:
            agent.terminate()
        for agent in self.agents:
            try:
                agent.wait(timeout=60)
            except subprocess.TimeoutExpired:
                agent.kill()
        self.process.terminate()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def server_benchmarks():
    """deploy/bench/server-benchmarks.py as a module: its start_agents starts the remote agents."""
    spec = importlib.util.spec_from_file_location("server_benchmarks", os.path.join(HERE, "server-benchmarks.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def commit(repo, branch, n):
    git(repo, "checkout", "-q", "-B", branch, "main")
    with open(os.path.join(repo, "n.txt"), "w") as f:
        f.write(str(n))
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", f"c{n}")
    return git(repo, "rev-parse", "HEAD")


def pipeliner_phase(work, backend, runs, idle_seconds, big_window, remote_agent=False):
    out = {"backend": backend, "agent": "remote" if remote_agent else "embedded"}
    server = Server(work, backend, remote_agent=remote_agent)
    try:
        repo = server.project("bench", ONE_JOB)
        sha = commit(repo, "warm", 0)
        server.push("bench", "warm", sha, "warm")
        server.wait_finished("bench", 1, 300)
        if idle_seconds:
            time.sleep(2)
            cpu0, t0 = cpu_s(server.pid), time.monotonic()
            time.sleep(idle_seconds)
            out["idle_cpu_pct"] = 100 * (cpu_s(server.pid) - cpu0) / (time.monotonic() - t0)
            out["idle_rss"] = mem_mib(server.pid, "VmRSS")
            out["idle_load"] = load()

        shas = [commit(repo, f"burst/{n}", 1000 + n) for n in range(runs)]
        git(repo, "checkout", "-q", "main")
        out["burst_load_start"] = load()
        cpu0, agent0 = cpu_s(server.pid), server.agent_cpu_s()
        t0, wall0 = time.monotonic(), time.time()
        answers = [server.push("bench", f"burst/{n}", sha, f"burst-{n}") for n, sha in enumerate(shas)]
        out["webhooks_s"] = time.monotonic() - t0
        done = server.wait_burst("bench", runs + 1, 600 + 10 * runs)
        out["cpu_s"] = cpu_s(server.pid) - cpu0
        out["makespan_s"] = server.last_finished("bench") - wall0
        out["cpu_per_run_ms"] = 1000 * out["cpu_s"] / runs
        if remote_agent:
            out["agent_cpu_s"] = server.agent_cpu_s() - agent0
            out["agent_cpu_per_job_ms"] = 1000 * out["agent_cpu_s"] / runs
        out["peak_rss"] = mem_mib(server.pid, "VmHWM")
        out["succeeded"] = done["succeeded"] - 1
        out["p50_202"], out["p95_202"] = statistics.median(answers), p95(answers)
        out["over_20ms_202"] = sum(1 for a in answers if a > 20)
        out["answers_202"] = [round(a, 2) for a in answers]
        out["burst_load_end"] = load()

        if big_window:
            big = server.project("big", BIG)
            sha = commit(big, "big", 1)
            cpu0, t0 = cpu_s(server.pid), time.monotonic()
            server.push("big", "big", sha, "big")
            while not (items := http(server.base, "GET", "/api/projects/big/runs?pageSize=1")["items"]):
                time.sleep(0.2)
            run_id = items[0]["id"]
            out["big_created_s"] = time.monotonic() - t0
            out["big_load_start"] = load()
            cpu1, t1 = cpu_s(server.pid), time.monotonic()
            time.sleep(big_window)
            run = http(server.base, "GET", f"/api/runs/{run_id}")
            t2, cpu2 = time.monotonic(), cpu_s(server.pid)
            finished = sum(1 for j in run["jobs"] if j["status"] in ("succeeded", "failed", "skipped", "canceled", "timed_out"))
            out["big_jobs"] = len(run["jobs"])
            out["big_finished"] = finished
            out["big_jobs_per_s"] = finished / (t2 - t1)
            out["big_create_cpu_ms"] = 1000 * (cpu1 - cpu0)
            out["big_cpu_per_job_ms"] = 1000 * (cpu2 - cpu1) / finished if finished else None
            out["big_cpu_s"] = cpu2 - cpu1
            out["big_peak_rss"] = mem_mib(server.pid, "VmHWM")
            out["big_load_end"] = load()
            try:
                http(server.base, "POST", f"/api/runs/{run_id}/cancel")
            except OSError as e:  # the server is stopped next anyway
                out["big_cancel"] = f"not answered: {e}"

    finally:
        server.stop()
    return out


class Buildbot:
    def __init__(self, work):
        self.base = os.path.join(work, "bb")
        self.www, pb = free_port(), free_port()
        env = {**os.environ, "K": "2", "MAX_BUILDS": "4", "BUILDERS": "1", "WWW_PORT": str(self.www), "PB_PORT": str(pb)}
        subprocess.run([os.path.join(PEER, "setup.sh"), self.base], env=env, check=True, stdout=subprocess.DEVNULL)
        with open(os.path.join(self.base, "master", "twistd.pid")) as f:
            self.pid = int(f.read())
        self.api = f"http://127.0.0.1:{self.www}/api/v2"

    def get(self, path):
        with urllib.request.urlopen(self.api + path, timeout=60) as response:
            return json.loads(response.read())

    def force(self, i):
        body = json.dumps({"jsonrpc": "2.0", "method": "force", "id": i, "params": {}}).encode()
        request = urllib.request.Request(self.api + "/forceschedulers/force", data=body, method="POST",
                                         headers={"Content-Type": "application/json"})
        sent = time.perf_counter()
        with urllib.request.urlopen(request, timeout=60) as response:
            result = json.loads(response.read())
        if "error" in result:
            raise RuntimeError(f"force: {result['error']}")
        return (time.perf_counter() - sent) * 1000

    def complete(self):
        return self.get("/builds?complete=true&field=buildid&field=results&field=complete&field=complete_at")["builds"]

    def stop(self):
        subprocess.run([os.path.join(PEER, "teardown.sh"), self.base], check=False, stdout=subprocess.DEVNULL)


def buildbot_phase(work, runs, idle_seconds):
    out = {}
    bb = Buildbot(work)
    try:
        bb.force(0)
        while len(bb.complete()) < 1:
            time.sleep(0.1)
        if idle_seconds:
            time.sleep(2)
            cpu0, t0 = cpu_s(bb.pid), time.monotonic()
            time.sleep(idle_seconds)
            out["idle_cpu_pct"] = 100 * (cpu_s(bb.pid) - cpu0) / (time.monotonic() - t0)
            out["idle_rss"] = mem_mib(bb.pid, "VmRSS")
            out["idle_load"] = load()
        out["burst_load_start"] = load()
        cpu0, t0, wall0 = cpu_s(bb.pid), time.monotonic(), time.time()
        answers = [bb.force(i) for i in range(1, runs + 1)]
        out["webhooks_s"] = time.monotonic() - t0
        deadline = t0 + 600 + 10 * runs
        # Polled as seldom as Pipeliner's burst (BURST_POLL). The end: Buildbot keeps complete_at in whole seconds, so
        # the last build ended in [complete_at, complete_at + 1) and between the last two polls; the middle of both.
        before = time.time()
        while len(builds := bb.complete()) < runs + 1:
            if time.monotonic() > deadline:
                raise TimeoutError("buildbot: builds did not complete")
            before = time.time()
            time.sleep(BURST_POLL)
        seen = time.time()
        out["cpu_per_run_ms"] = 1000 * (cpu_s(bb.pid) - cpu0) / runs
        last = max(b["complete_at"] for b in builds)
        low, high = max(before, last), min(seen, last + 1)
        out["makespan_s"] = ((low + high) / 2 if low <= high else seen) - wall0
        out["peak_rss"] = mem_mib(bb.pid, "VmHWM")
        out["succeeded"] = sum(1 for b in builds if b["results"] == 0) - 1
        out["p50_202"], out["p95_202"] = statistics.median(answers), p95(answers)
        out["over_20ms_202"] = sum(1 for a in answers if a > 20)
        out["answers_202"] = [round(a, 2) for a in answers]
        out["burst_load_end"] = load()
    finally:
        bb.stop()
    return out


def fmt(value, unit="", digits=1):
    return "—" if value is None else f"{value:,.{digits}f}{unit}"


def table(runs, docker, shell, bb, remote=None):
    d, s, b = docker or {}, shell or {}, bb or {}
    rd, rs = (remote or {}).get("docker") or {}, (remote or {}).get("shell") or {}
    rows = [
        (f"{runs} one-job runs, webhooks one after another → all finished",
         f"{fmt(d.get('makespan_s'), ' s')} ({d.get('succeeded', '—')} ok, containers)",
         f"{fmt(b.get('makespan_s'), ' s')} ({b.get('succeeded', '—')} ok, bare shell steps)"),
        ("Server CPU per run (embedded agent included) / master CPU per build",
         fmt(d.get("cpu_per_run_ms"), " ms"), fmt(b.get("cpu_per_run_ms"), " ms")),
        ("Server CPU per run, jobs on a remote agent (embedded agent off): Docker / shell",
         f"{fmt(rd.get('cpu_per_run_ms'), ' ms')} / {fmt(rs.get('cpu_per_run_ms'), ' ms')}", ""),
        ("  … the agent process's CPU per job: Docker / shell; makespans",
         f"{fmt(rd.get('agent_cpu_per_job_ms'), ' ms')} / {fmt(rs.get('agent_cpu_per_job_ms'), ' ms')}; "
         f"{fmt(rd.get('makespan_s'), ' s')} / {fmt(rs.get('makespan_s'), ' s')}", ""),
        ("Peak RSS (VmHWM) after the burst", fmt(d.get("peak_rss"), " MiB"), fmt(b.get("peak_rss"), " MiB")),
        ("  … jobs on a remote agent (Docker)", fmt(rd.get("peak_rss"), " MiB"), ""),
        ("Idle: CPU (% of one core), RSS",
         f"{fmt(d.get('idle_cpu_pct'), ' %', 2)}, {fmt(d.get('idle_rss'), ' MiB')}",
         f"{fmt(b.get('idle_cpu_pct'), ' %', 2)}, {fmt(b.get('idle_rss'), ' MiB')}"),
        ("  … with a remote agent connected (Docker)",
         f"{fmt(rd.get('idle_cpu_pct'), ' %', 2)}, {fmt(rd.get('idle_rss'), ' MiB')}", ""),
        ("Webhook 202 (force POST) while runs execute: p50 / p95",
         f"{fmt(d.get('p50_202'), ' ms')} / {fmt(d.get('p95_202'), ' ms')}",
         f"{fmt(b.get('p50_202'), ' ms')} / {fmt(b.get('p95_202'), ' ms')}"),
        (f"Same {runs} runs, shell backend: makespan, CPU per run",
         f"{fmt(s.get('makespan_s'), ' s')}, {fmt(s.get('cpu_per_run_ms'), ' ms')}", "(= the row above: no containers)"),
        ("One run of 40 jobs × 256 matrix (shell): jobs/s",
         (f"{fmt(s.get('big_jobs_per_s'), '', 2)} ({s['big_finished']} of {s['big_jobs']} in the window)"
          if "big_jobs_per_s" in s else "—"), ""),
        ("  … server CPU per finished job; planning + storing the run; peak RSS",
         (f"{fmt(s.get('big_cpu_per_job_ms'), ' ms')}; {fmt(s.get('big_created_s'), ' s')} "
          f"({fmt(s.get('big_create_cpu_ms'), ' ms', 0)} CPU); {fmt(s.get('big_peak_rss'), ' MiB')}" if "big_jobs_per_s" in s else "—"), ""),
    ]
    width = [max(len(r[i]) for r in rows + [("Figure", "Pipeliner", "Buildbot peer")]) for i in range(3)]
    line = lambda r: "| " + " | ".join(c.ljust(width[i]) for i, c in enumerate(r)) + " |"
    print(line(("Figure", "Pipeliner", "Buildbot peer")))
    print("|" + "|".join("-" * (w + 2) for w in width) + "|")
    for r in rows:
        print(line(r))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--idle", type=int, default=20, help="seconds of idle measurement (0 skips it)")
    parser.add_argument("--big-window", type=int, default=60, help="seconds the 10,240-job run is watched (0 skips it)")
    parser.add_argument("--no-build", action="store_true")
    parser.add_argument("--server-dll", help="the server to measure (default: this checkout's Release build), e.g. a copy of "
                                             "main's for a before/after; the remote agent is --agent-dll")
    parser.add_argument("--agent-dll", help="the remote agent's pipeliner.dll in the docker-agent and shell-agent phases "
                                            "(default: this checkout's Release build), e.g. a copy of main's for a before/after")
    parser.add_argument("--skip", default="", help="comma-separated phases to skip: docker, shell, docker-agent, shell-agent, buildbot")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    global SERVER_DLL, AGENT_DLL
    if args.server_dll:
        SERVER_DLL = os.path.abspath(args.server_dll)
    if args.agent_dll:
        AGENT_DLL = os.path.abspath(args.agent_dll)
    os.environ.setdefault("DOCKER_HOST", "unix:///tmp/pipeliner-docker/docker.sock")

    commit_id = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    print(f"# {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, Pipeliner {commit_id}, {os.cpu_count()} cores, "
          f"load average {load()} at start", flush=True)
    if not args.no_build:
        for project in ["src/Pipeliner.Server", "src/Pipeliner.Cli"]:
            subprocess.run(["dotnet", "build", os.path.join(ROOT, project), "-c", "Release", "-nologo", "-v", "q"],
                           check=True, stdout=subprocess.DEVNULL)
    work = tempfile.mkdtemp(prefix="pipeliner-side-by-side-")
    docker = shell = bb = None
    remote = {}
    try:
        if "docker" not in skip:
            docker = pipeliner_phase(work, "docker", args.runs, args.idle, 0)
            print(f"# pipeliner docker: {json.dumps(docker)}", flush=True)
        if "shell" not in skip:
            shell = pipeliner_phase(work, "shell", args.runs, 0, args.big_window)
            print(f"# pipeliner shell: {json.dumps(shell)}", flush=True)
        for backend in ["docker", "shell"]:
            if f"{backend}-agent" not in skip:
                idle = args.idle if backend == "docker" else 0
                remote[backend] = pipeliner_phase(work, backend, args.runs, idle, 0, remote_agent=True)
                print(f"# pipeliner {backend}, remote agent: {json.dumps(remote[backend])}", flush=True)
        if "buildbot" not in skip:
            bb = buildbot_phase(work, args.runs, args.idle)
            print(f"# buildbot: {json.dumps(bb)}", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"# load average {load()} at the end (1, 5, 15 min); per-phase load averages are in the lines above")
    table(args.runs, docker, shell, bb, remote)


if __name__ == "__main__":
    sys.exit(main())
