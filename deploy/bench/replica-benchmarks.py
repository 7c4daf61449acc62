#!/usr/bin/env python3
"""Issue 12's figure: --runs one-job runs through 2 server replicas + 2 agents against 1 replica + 2 agents, on PostgreSQL.

Usage:  python3 deploy/bench/replica-benchmarks.py [--runs 100] [--replicas 1,2] [--agent-capacity 2]

Needs a Release build (src/Pipeliner.Server and src/Pipeliner.Cli) and a PostgreSQL cluster: PIPELINER_TEST_POSTGRES, or
the one `bash deploy/dev/postgres.sh start` starts (its admin connection string). Each configuration gets a database of
its own (dropped at the end), fresh server processes (no embedded agent, logs in the database) and two `pipeliner agent`
processes on the shell backend (so that the figures are the servers' and the database's, not the containers'), each
connected to one replica (both to the one replica in the 1-replica case). Ports are chosen at run time; temporary
directories are removed at the end.

The runs are triggered through the API (POST /api/projects/{p}/runs), sent to the replicas in turn, one after another,
while earlier ones execute; then every run is awaited.
  makespan          first trigger sent -> last run finished (wall time: compare at similar load only)
  server CPU / run  utime + stime of every replica process over the makespan (/proc/<pid>/stat), divided by the runs
  PG xacts / run    transactions of the database over the makespan (pg_stat_database xact_commit + xact_rollback, every
                    client: EF Core, Hangfire, the event doorbell; a statement outside a transaction is one), per run
  PG scans / run    index and sequential scans of its tables (pg_stat_user_tables idx_scan + seq_scan), per run
The load average is printed before and after each configuration.
"""
import argparse, importlib.util, os, shutil, subprocess, sys, tempfile, time, uuid

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("side_by_side", os.path.join(HERE, "side-by-side.py"))
sbs = importlib.util.module_from_spec(spec)
spec.loader.exec_module(sbs)

AGENT_DLL = os.path.join(sbs.ROOT, "src/Pipeliner.Cli/bin/Release/net10.0/pipeliner.dll")


def admin_connection():
    value = os.environ.get("PIPELINER_TEST_POSTGRES") or subprocess.run(
        ["bash", os.path.join(sbs.ROOT, "deploy/dev/postgres.sh"), "start"], check=True, capture_output=True, text=True).stdout.strip()
    return dict(part.split("=", 1) for part in value.split(";") if part)


def psql(admin, database, sql):
    out = subprocess.run(["psql", "-h", admin["Host"], "-p", admin["Port"], "-U", admin["Username"], "-d", database, "-At", "-c", sql],
                         check=True, capture_output=True, text=True, env={**os.environ, "PGPASSWORD": admin.get("Password", "")})
    return out.stdout.strip()


def connection_string(admin, database):
    return ";".join(f"{k}={v}" for k, v in {**admin, "Database": database}.items())


def stats(admin, database):
    # The statistics of the backends' last transactions reach the shared counters within a second or so.
    time.sleep(1.5)
    xacts = int(psql(admin, "postgres", f"SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = '{database}'"))
    scans = int(psql(admin, database, "SELECT coalesce(sum(coalesce(idx_scan, 0) + coalesce(seq_scan, 0)), 0) FROM pg_stat_user_tables"))
    return xacts, scans


def start_agent(work, base, token, name, capacity):
    log = open(os.path.join(work, f"{name}.log"), "w")
    env = {**os.environ, "PIPELINER_SERVER": base, "PIPELINER_AGENT_TOKEN": token, "PIPELINER_AGENT_CAPACITY": str(capacity),
           "PIPELINER_AGENT_WORK_DIR": os.path.join(work, name), "PIPELINER_AGENT_BACKEND": "shell"}
    process = subprocess.Popen(["dotnet", AGENT_DLL, "agent", "--name", name, "--labels", "linux,docker"], env=env,
                               stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        log.flush()
        if "is waiting for jobs" in open(log.name, errors="replace").read():
            return process
        if process.poll() is not None:
            raise RuntimeError(f"agent {name} exited; see {log.name}")
        time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"agent {name} never waited for jobs; see {log.name}")


def configuration(work, admin, replicas, runs, capacity):
    database = f"bench_replicas_{replicas}_{uuid.uuid4().hex[:8]}"
    psql(admin, "postgres", f'CREATE DATABASE "{database}"')
    settings = ["--Pipeliner:Database:Provider=postgres", f"--ConnectionStrings:Pipeliner={connection_string(admin, database)}",
                "--Pipeliner:Storage:Provider=database", "--Pipeliner:Agent:Capacity=0"]
    servers, agents = [], []
    try:
        for _ in range(replicas):
            servers.append(sbs.Server(work, "shell", extra=settings))
        first = servers[0]
        first.project("bench", sbs.ONE_JOB)
        token = sbs.http(first.base, "POST", "/api/agents/tokens", {"name": "bench"})["token"]
        for i in range(2):
            agents.append(start_agent(first.work, servers[i % replicas].base, token, f"agent-{i + 1}", capacity))
        # One warm-up run (the mirror, the first plan, JIT), not counted.
        sbs.http(first.base, "POST", "/api/projects/bench/runs", {"branch": "main"})
        first.wait_finished("bench", 1, 300)
        print(f"  {replicas} replica(s): load before {sbs.load()}", flush=True)
        xacts0, scans0 = stats(admin, database)
        cpu0 = sum(sbs.cpu_s(s.pid) for s in servers)
        started = time.monotonic()
        for i in range(runs):
            sbs.http(servers[i % replicas].base, "POST", "/api/projects/bench/runs", {"branch": "main"})
        first.wait_finished("bench", runs + 1, 900, poll=0.5)
        makespan = time.monotonic() - started
        cpu = sum(sbs.cpu_s(s.pid) for s in servers) - cpu0
        xacts1, scans1 = stats(admin, database)
        failed = runs + 1 - first.count("bench", "succeeded")
        row = (replicas, makespan, cpu * 1000 / runs, (xacts1 - xacts0) / runs, (scans1 - scans0) / runs, failed, sbs.load())
        print(f"  {replicas} replica(s): makespan {makespan:.1f} s, server CPU {row[2]:.0f} ms/run, PG {row[3]:.0f} xacts/run, "
              f"{row[4]:.0f} scans/run, {failed} not succeeded; load after {row[6]}", flush=True)
        return row
    finally:
        for agent in agents:
            agent.terminate()
        for agent in agents:
            try:
                agent.wait(timeout=30)
            except subprocess.TimeoutExpired:
                agent.kill()
        for server in servers:
            server.stop()
        psql(admin, "postgres", f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--replicas", default="1,2")
    parser.add_argument("--agent-capacity", type=int, default=2)
    args = parser.parse_args()
    for dll in (sbs.SERVER_DLL, AGENT_DLL):
        if not os.path.exists(dll):
            sys.exit(f"{dll} is missing: dotnet build -c Release")
    admin = admin_connection()
    work = tempfile.mkdtemp(prefix="pipeliner-replica-bench-")
    try:
        rows = [configuration(work, admin, int(n), args.runs, args.agent_capacity) for n in args.replicas.split(",")]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"\n| replicas + agents | makespan ({args.runs} runs) | server CPU per run | PG transactions per run | PG scans per run | not succeeded | load after |")
    print("|---|---|---|---|---|---|---|")
    for replicas, makespan, cpu, xacts, scans, failed, load in rows:
        print(f"| {replicas} + 2 | {makespan:.1f} s | {cpu:.0f} ms | {xacts:.0f} | {scans:.0f} | {failed} | {load} |")


if __name__ == "__main__":
    main()
