#!/usr/bin/env python3
"""The Docker engine's floor for the burst: N one-job containers, P at a time, without Pipeliner.

Usage:  python3 deploy/bench/engine-floor.py [--containers N] [--parallel 2,3,4] [--variant pipeliner,bare,...] [--perf]

Each container goes create -> (attach) -> start -> wait -> remove over the engine's socket (DOCKER_HOST, default
unix:///tmp/pipeliner-docker/docker.sock), image alpine:3, command `echo hello`. Variants:
  pipeliner   what DockerBackend creates for a job's script: its labels, the workspace bind mount, the output FIFO's
              folder mounted read-only and the shell writing into the FIFO, LogConfig none, attached before the start
  no-attach   the same without the attach
  no-fifo     the same without the FIFO (output through the attach stream; the bind mount of the workspace kept)
  no-binds    no bind mount at all, no FIFO, attached
  host-net    'pipeliner' with NetworkMode host (the engine here runs with --bridge=none: the default is a loopback only)
  bare        {Image, Cmd} only, the engine's json-file log, no attach
Prints the wall time per variant and parallelism, the medians of each call, and with --perf the CPU the engine's
processes took (dockerd, containerd, containerd-shim, runc, docker-init) from `perf record -a` samples by command name,
per container of ours and per container any client started meanwhile (the engine's events: tests beside count too).
"""
import argparse
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import tempfile
import threading
import time
import urllib.parse

ENGINE_COMMS = ("dockerd", "containerd", "containerd-shim", "containerd-shim-runc-v2", "runc", "runc:[0:PARENT]",
                "runc:[1:CHILD]", "runc:[2:INIT]", "docker-init", "exe")


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=120)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path)


def call(sock, method, path, body=None):
    conn = UnixConnection(sock)
    conn.request(method, path, body=None if body is None else json.dumps(body),
                 headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    data = response.read()
    conn.close()
    if response.status >= 300:
        raise RuntimeError(f"{method} {path}: {response.status} {data[:300]!r}")
    return json.loads(data) if data else None


def attach(sock, cid):
    """A hijacked attach stream, as Docker.DotNet opens it; read on a thread until the container ends."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock)
    s.sendall(f"POST /containers/{cid}/attach?stream=1&stdout=1&stderr=1 HTTP/1.1\r\nHost: localhost\r\n"
              "Connection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += s.recv(4096)

    def drain():
        while s.recv(65536):
            pass
        s.close()
    t = threading.Thread(target=drain, daemon=True)
    t.start()
    return t


def spec(variant, workspace, fifo_dir, index):
    labels = {"pipeliner.managed": "true", "pipeliner.owner": "floor", "pipeliner.run": f"floor-{index}",
              "pipeliner.job": "job", "pipeliner.workflow": f"floor-{index}-job-1", "pipeliner.step": "job"}
    if variant == "bare":
        return {"Image": "alpine:3", "Cmd": ["echo", "hello"]}
    fifo = variant not in ("no-fifo", "no-binds")
    body = {
        "Image": "alpine:3",
        "Entrypoint": ["/bin/sh", "-c", 'exec "$@" >/run/pipeliner/output 2>&1', "pipeliner", "echo", "hello"] if fifo
        else ["echo", "hello"],
        "Env": ["CI=true", "PIPELINER_JOB=job"],
        "WorkingDir": "/workspace",
        "Labels": labels,
        "HostConfig": {"LogConfig": {"Type": "none"}, "Memory": 0, "MemorySwap": 0, "NanoCpus": 0},
    }
    if variant != "no-binds":
        body["HostConfig"]["Binds"] = [f"{workspace}:/workspace"] + ([f"{fifo_dir}:/run/pipeliner:ro"] if fifo else [])
    if variant == "host-net":
        body["HostConfig"]["NetworkMode"] = "host"
    return body


def one(sock, variant, root, index, times):
    workspace = os.path.join(root, f"ws-{index}")
    os.makedirs(workspace)
    fifo_dir = workspace + ".output"
    reader = None
    if variant not in ("no-fifo", "no-binds", "bare"):
        os.makedirs(fifo_dir)
        os.chmod(fifo_dir, 0o777)
        path = os.path.join(fifo_dir, "output")
        os.mkfifo(path, 0o666)
        os.chmod(path, 0o666)
        keep = os.open(path, os.O_RDWR)  # as OutputPipe: a writer of our own, so opening the reader never waits
        fd = os.open(path, os.O_RDONLY)

        def read():
            while os.read(fd, 65536):
                pass
            os.close(fd)
        reader = threading.Thread(target=read, daemon=True)
    t0 = time.perf_counter()
    cid = call(sock, "POST", "/containers/create", spec(variant, workspace, fifo_dir, index))["Id"]
    t1 = time.perf_counter()
    stream = attach(sock, cid) if variant not in ("no-attach", "bare") else None
    t2 = time.perf_counter()
    call(sock, "POST", f"/containers/{cid}/start")
    if reader is not None:
        reader.start()
    t3 = time.perf_counter()
    status = call(sock, "POST", f"/containers/{cid}/wait")["StatusCode"]
    t4 = time.perf_counter()
    if reader is not None:
        os.close(keep)  # the container's writer is gone: ours was the last, its close is the reader's EOF
        reader.join()
    if stream is not None:
        stream.join()
    call(sock, "DELETE", f"/containers/{cid}?force=1&v=1")
    t5 = time.perf_counter()
    if status != 0:
        raise RuntimeError(f"container {cid} exited {status}")
    times.append({"create": t1 - t0, "attach": t2 - t1, "start": t3 - t2, "wait": t4 - t3, "remove": t5 - t4,
                  "total": t5 - t0})


class StartCounter:
    """Containers any client of the engine starts while it listens (the engine's event stream: tests beside count too;
    its event log keeps only the last 256 events, too few to ask afterwards)."""

    def __init__(self, sock):
        filters = urllib.parse.quote(json.dumps({"type": ["container"], "event": ["start"]}))
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(sock)
        self.sock.sendall(f"GET /events?filters={filters} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
        self.count = 0
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        data = b""
        try:
            while chunk := self.sock.recv(65536):
                data += chunk
                self.count = data.count(b'"status":"start"')
        except OSError:
            pass

    def stop(self):
        time.sleep(0.5)
        self.sock.shutdown(socket.SHUT_RDWR)
        self.thread.join()
        return self.count


def perf_by_comm(data):
    """Samples per command name (perf script with the name only: no symbols to resolve)."""
    out = subprocess.run(["perf", "script", "-i", data, "-F", "comm"], capture_output=True, text=True).stdout
    samples = {}
    for line in out.splitlines():
        name = line.strip()
        samples[name] = samples.get(name, 0) + 1
    return samples


def burst(sock, variant, containers, parallel, use_perf, freq):
    root = tempfile.mkdtemp(prefix="engine-floor-")
    times, errors, lock = [], [], threading.Lock()
    counter = iter(range(containers))

    def worker():
        while True:
            with lock:
                index = next(counter, None)
            if index is None:
                return
            try:
                one(sock, variant, root, index, times)
            except Exception as e:  # noqa: BLE001 - counted and shown
                errors.append(str(e))

    perf = None
    data = os.path.join(root, "perf.data")
    if use_perf:
        perf = subprocess.Popen(["perf", "record", "-a", "-e", "cpu-clock", "-F", str(freq), "-o", data], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(1)
    load = os.getloadavg()[0]
    starts = StartCounter(sock)
    start = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(parallel)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    result = {"variant": variant, "parallel": parallel, "containers": len(times), "errors": errors[:3],
              "wall_s": round(wall, 2), "load_at_start": load}
    for step in ("create", "attach", "start", "wait", "remove", "total"):
        result[f"{step}_ms_median"] = round(statistics.median(t[step] for t in times) * 1000, 1) if times else None
    # Other clients of the engine (tests beside) start containers too: their engine CPU lands in the same samples.
    result["engine_starts_all_clients"] = starts.stop()
    if perf is not None:
        perf.send_signal(2)
        perf.wait()
        samples = perf_by_comm(data)
        total = sum(samples.values())
        engine = sum(v for k, v in samples.items() if k in ENGINE_COMMS or k.startswith("runc"))
        # -a samples every CPU at freq Hz, idle included (swapper): a sample is 1/freq s of one CPU.
        result["engine_cpu_ms_per_container"] = round(engine / freq * 1000 / max(1, len(times)), 1)
        result["engine_cpu_ms_per_start_all_clients"] = round(engine / freq * 1000 / max(1, result["engine_starts_all_clients"]), 1)
        result["engine_cpu_by_comm_ms"] = {k: round(v / freq * 1000) for k, v in sorted(samples.items(), key=lambda kv: -kv[1])
                                           if k in ENGINE_COMMS or k.startswith("runc")}
        idle = sum(v for k, v in samples.items() if k.startswith("swapper"))
        result["busy_share_of_2_cpus"] = round(1 - idle / max(1, total), 2)
        result["other_cpu_ms"] = round((total - idle - engine) / freq * 1000)
    shutil.rmtree(root, ignore_errors=True)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--containers", type=int, default=100)
    parser.add_argument("--parallel", default="2")
    parser.add_argument("--variant", default="pipeliner")
    parser.add_argument("--perf", action="store_true")
    parser.add_argument("--freq", type=int, default=499)
    args = parser.parse_args()
    sock = os.environ.get("DOCKER_HOST", "unix:///tmp/pipeliner-docker/docker.sock").removeprefix("unix://")
    for variant in args.variant.split(","):
        for parallel in (int(p) for p in args.parallel.split(",")):
            print(json.dumps(burst(sock, variant, args.containers, parallel, args.perf, args.freq)), flush=True)


if __name__ == "__main__":
    main()
