"""Drives a Docker engine the way ARES's DockerContainer does, for snapbox's bench.

The calls are ARES's (src/ares/containers/docker.py): the Docker SDK for Python
(Debian's python3-docker), every blocking call wrapped in ``asyncio.to_thread`` on the
default executor, ``containers.run(..., command="tail -f /dev/null", detach=True)`` to start,
``exec_run(["bash", "-lc", command])``, an in-memory tar plus ``put_archive`` to upload,
``get_archive`` joined in memory to download, ``commit`` to snapshot, ``images.remove`` to
delete a snapshot.

Two deliberate differences, both in Python's favour: containers are removed with
``remove(force=True)`` alone (ARES's ``stop()`` first calls ``container.stop()``, which waits
the whole 10 s grace period because ``tail -f /dev/null`` as PID 1 ignores SIGTERM), and
every container gets the bench's labels so that the bench can clean up.

Protocol: one JSON request per line on stdin, one JSON reply per line on stdout. Every reply
carries ``ms``, the time of the call measured here, around the awaited coroutine.
"""

import asyncio
import gc
import io
import json
import os
import pathlib
import sys
import tarfile
import time
import uuid

try:
    import docker
except ImportError:
    sys.stdout.write(json.dumps({"fatal": "the Python Docker SDK is missing: apt-get install python3-docker"}) + "\n")
    sys.exit(3)

KEEP_ALIVE = "tail -f /dev/null"


def read_status() -> dict:
    values = {}
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(("VmRSS", "VmHWM")):
                key, value = line.split(":")
                values[key] = int(value.split()[0])
    return values


def cpu_ticks() -> tuple:
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    with open("/proc/stat") as stat:
        fields = [int(value) for value in stat.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return sum(fields) - idle, sum(fields)


def reset_peak() -> None:
    # Writing 5 to clear_refs resets VmHWM to the current RSS (Linux 4.0+).
    with open("/proc/self/clear_refs", "w") as clear_refs:
        clear_refs.write("5")


class AresStyleDriver:
    def __init__(self, image: str, labels: dict, repository: str) -> None:
        self.client = docker.from_env()
        self.image = image
        self.labels = labels
        self.repository = repository
        self.containers = {}

    async def start(self, image: str | None = None) -> str:
        container = await asyncio.to_thread(
            self.client.containers.run,
            image=image or self.image,
            name=None,
            command=KEEP_ALIVE,
            detach=True,
            environment=None,
            labels=self.labels,
        )
        self.containers[container.id] = container
        return container.id

    async def exec(self, box: str, command: str, expect_bytes: int | None = None) -> None:
        container = self.containers[box]
        result = await asyncio.wait_for(
            asyncio.to_thread(container.exec_run, ["bash", "-lc", command], workdir=None, environment=None),
            timeout=None,
        )
        output = result.output.decode("utf-8", errors="replace")
        if result.exit_code != 0:
            raise RuntimeError(f"{command} exited {result.exit_code}: {output[-200:]}")
        if expect_bytes is not None and len(output) != expect_bytes:
            raise RuntimeError(f"{command} printed {len(output)} bytes, expected {expect_bytes}")

    async def upload(self, box: str, local_path: str, remote_path: str) -> None:
        container = self.containers[box]
        tar_stream = io.BytesIO()
        with tarfile.open(fileobj=tar_stream, mode="w") as tar:
            tar.add(local_path, arcname=pathlib.Path(remote_path).name)
        tar_stream.seek(0)
        remote_dir = str(pathlib.Path(remote_path).parent)
        await asyncio.to_thread(container.exec_run, cmd=f"mkdir -p {remote_dir}")
        await asyncio.to_thread(container.put_archive, path=remote_dir, data=tar_stream.getvalue())

    async def download(self, box: str, remote_path: str, local_path: str) -> None:
        container = self.containers[box]
        local = pathlib.Path(local_path)
        local.parent.mkdir(parents=True, exist_ok=True)
        tar_stream, _ = await asyncio.to_thread(container.get_archive, path=remote_path)
        tar_bytes = b"".join(tar_stream)
        with tarfile.open(fileobj=io.BytesIO(tar_bytes)) as tar_file:
            members = tar_file.getmembers()
            if members:
                file_data = tar_file.extractfile(members[0])
                if file_data:
                    with open(local, "wb") as out:
                        out.write(file_data.read())

    async def snapshot(self, box: str) -> str:
        container = self.containers[box]
        tag = f"python-{os.getpid()}-{uuid.uuid4().hex[:12]}"
        await asyncio.to_thread(container.commit, repository=self.repository, tag=tag)
        return f"{self.repository}:{tag}"

    async def restore(self, snapshot_id: str) -> str:
        return await self.start(image=snapshot_id)

    async def delete_snapshot(self, snapshot_id: str) -> None:
        await asyncio.to_thread(self.client.images.remove, snapshot_id)

    async def remove(self, box: str) -> None:
        container = self.containers.pop(box)
        await asyncio.to_thread(container.remove, force=True)

    async def close(self) -> None:
        boxes = list(self.containers)
        await asyncio.gather(*(self.remove(box) for box in boxes), return_exceptions=True)

    async def throughput(self, concurrency: int, durations_ms: dict) -> list:
        """`concurrency` tasks, one container each, repeat exec, then cycles, until each deadline."""
        boxes = await asyncio.gather(*(self.start() for _ in range(concurrency)))
        try:
            await asyncio.gather(*(self.exec(box, "true") for box in boxes))
            return [await self._run_workers(kind, boxes, duration) for kind, duration in durations_ms.items()]
        finally:
            await asyncio.gather(*(self.remove(box) for box in boxes), return_exceptions=True)

    async def _cycle(self, box: str) -> None:
        snapshot_id = await self.snapshot(box)
        restored = await self.restore(snapshot_id)
        try:
            await self.exec(restored, "true")
        finally:
            await self.remove(restored)
            await self.delete_snapshot(snapshot_id)

    async def _run_workers(self, kind: str, boxes: list, duration_ms: float) -> dict:
        latencies = []
        cpu_started = time.process_time()
        ticks_started = cpu_ticks()
        started = time.perf_counter()
        deadline = started + duration_ms / 1000

        async def worker(box: str) -> int:
            done = 0
            while time.perf_counter() < deadline:
                begun = time.perf_counter()
                if kind == "exec":
                    await self.exec(box, "true")
                else:
                    await self._cycle(box)
                latencies.append((time.perf_counter() - begun) * 1000)
                done += 1
            return done

        counts = await asyncio.gather(*(worker(box) for box in boxes))
        elapsed = (time.perf_counter() - started) * 1000
        cpu_ms = (time.process_time() - cpu_started) * 1000
        busy, total = (now - then for now, then in zip(cpu_ticks(), ticks_started))
        return {
            "kind": kind,
            "operations": sum(counts),
            "elapsedMs": elapsed,
            "latencies": latencies,
            "cpuMs": cpu_ms,
            "machineBusy": busy / total if total > 0 else None,
        }


async def handle(driver: AresStyleDriver, request: dict):
    op = request["op"]
    args = request.get("args", {})
    if op == "start":
        return await driver.start()
    if op == "exec":
        return await driver.exec(args["box"], args["command"], args.get("expectBytes"))
    if op == "upload":
        return await driver.upload(args["box"], args["localPath"], args["remotePath"])
    if op == "download":
        return await driver.download(args["box"], args["remotePath"], args["localPath"])
    if op == "snapshot":
        return await driver.snapshot(args["box"])
    if op == "restore":
        return await driver.restore(args["snapshotId"])
    if op == "deleteSnapshot":
        return await driver.delete_snapshot(args["snapshotId"])
    if op == "remove":
        return await driver.remove(args["box"])
    if op == "throughput":
        return await driver.throughput(args["concurrency"], args["durationsMs"])
    if op == "close":
        return await driver.close()
    raise ValueError(f"unknown op {op}")


def main() -> None:
    config = json.loads(sys.argv[1])
    driver = AresStyleDriver(config["image"], config["labels"], config["repository"])
    loop = asyncio.new_event_loop()
    sys.stdout.write(json.dumps({"ready": True, "dockerPy": docker.__version__}) + "\n")
    sys.stdout.flush()
    try:
        for line in sys.stdin:
            if not line.strip():
                continue
            request = json.loads(line)
            reply = {"id": request["id"]}
            measure_memory = request.get("memory", False)
            try:
                if measure_memory:
                    gc.collect()
                    baseline = read_status()["VmRSS"]
                    reset_peak()
                begun = time.perf_counter()
                reply["value"] = loop.run_until_complete(handle(driver, request))
                reply["ms"] = (time.perf_counter() - begun) * 1000
                if measure_memory:
                    reply["memory"] = {"baselineKiB": baseline, "peakKiB": read_status()["VmHWM"]}
            except Exception as error:  # reported to the bench, which records the failure
                reply["error"] = f"{type(error).__name__}: {error}"
            sys.stdout.write(json.dumps(reply) + "\n")
            sys.stdout.flush()
            if request["op"] == "close":
                break
    finally:
        loop.run_until_complete(driver.close())
        loop.close()


if __name__ == "__main__":
    main()
