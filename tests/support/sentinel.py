"""A Redis Sentinel deployment of real processes on private ports: a master, one replica and three
sentinels (quorum 2, the master judged down after 2 s), as the HA profile of docker-compose runs it.

`kill_master()` SIGKILLs the master; `wait_for_promotion()` returns once the sentinels name the
replica as the new master. Nothing here touches the machine's own Redis on 6379.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pytest
import redis

from shared.settings import Settings
from tests.support.services import free_port

MASTER_NAME = "navai-test"
SENTINELS = 3
QUORUM = 2
DOWN_AFTER_MS = 2000
FAILOVER_TIMEOUT_MS = 10_000
START_TIMEOUT_S = 20.0
PROMOTION_TIMEOUT_S = 30.0
POLL_S = 0.05
REPLICA_CATCH_UP_S = 0.2


@dataclass
class ServerProcess:
    port: int
    process: subprocess.Popen[bytes]
    password: str | None = None

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, password=self.password, socket_connect_timeout=0.5, socket_timeout=2,
                           decode_responses=True)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class SentinelDeployment:
    directory: Path
    master_password: str | None = None  # the servers' `requirepass` (and `masterauth`)
    sentinel_password: str | None = None  # the sentinels' own `requirepass`
    servers: list[ServerProcess] = field(default_factory=list)  # the master first, then the replica
    sentinels: list[ServerProcess] = field(default_factory=list)
    killed_port: int = 0

    @property
    def url(self) -> str:
        auth = f":{quote(self.master_password, safe='')}@" if self.master_password else ""
        return f"sentinel://{auth}" + ",".join(f"127.0.0.1:{s.port}" for s in self.sentinels) + "/0"

    def settings(self, base: Settings) -> Settings:
        return base.replace(redis_url=self.url, redis_sentinel_master=MASTER_NAME,
                            redis_sentinel_password=self.sentinel_password or "")

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        master = self._server("master")
        self.servers.append(master)
        self.servers.append(self._server("replica", "--replicaof", "127.0.0.1", str(master.port)))
        self._wait(lambda: self.servers[1].client().info("replication").get("master_link_status") == "up",
                   "the replica did not sync with the master")
        for number in range(SENTINELS):
            self.sentinels.append(self._sentinel(number, master.port))
        self._wait(self._sentinels_ready, "the sentinels did not find each other and the replica")

    def master_port(self) -> int:
        """The master's port as the first sentinel that answers names it."""
        for sentinel in self.sentinels:
            try:
                return int(sentinel.client().sentinel_get_master_addr_by_name(MASTER_NAME)[1])
            except (redis.RedisError, TypeError):
                continue
        raise AssertionError("no sentinel answers")

    def master(self) -> ServerProcess:
        port = self.master_port()
        return next(server for server in self.servers if server.port == port)

    def kill_master(self, replica_lag_s: float = 0.0) -> int:
        """SIGKILL the current master, as a machine lost; returns the bytes of replication stream it
        took that no replica got. With `replica_lag_s`, the replicas are cut off that long first
        (frozen, their links dropped): what the master takes meanwhile is lost, as asynchronous
        replication loses it. Without, the replicas have everything, as on a quiet link."""
        master = self.master()
        replicas = [server for server in self.servers if server is not master and server.process.poll() is None]
        if replica_lag_s:
            for replica in replicas:
                replica.process.send_signal(signal.SIGSTOP)
            master.client().client_kill_filter(_type="replica")
            time.sleep(replica_lag_s)
        taken = int(master.client().info("replication")["master_repl_offset"])
        master.kill()
        self.killed_port = master.port
        for replica in replicas if replica_lag_s else ():
            replica.process.send_signal(signal.SIGCONT)
        time.sleep(REPLICA_CATCH_UP_S)  # a resumed replica reads what reached its socket before the cut
        got = max((self._replica_offset(replica) for replica in replicas), default=taken)
        return taken - got

    def _replica_offset(self, replica: ServerProcess) -> int:
        return int(replica.client().info("replication").get("slave_repl_offset", 0))

    def wait_for_promotion(self, timeout_s: float = PROMOTION_TIMEOUT_S) -> int:
        """Wait until every sentinel names another master than the one killed, which answers as
        master; its port."""
        old_port = self.killed_port
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            ports = {self._named_port(sentinel) for sentinel in self.sentinels}
            ports.discard(None)
            if len(ports) == 1 and old_port not in ports:
                port = ports.pop()
                assert port is not None
                if self._role(port) == "master":
                    return port
            time.sleep(POLL_S)
        raise AssertionError(f"no replica was promoted within {timeout_s}s")

    def forget_master(self) -> None:
        """Every sentinel stops monitoring the master: no master is known (and none is promoted)
        until `monitor_again`."""
        for sentinel in self.sentinels:
            sentinel.client().sentinel_remove(MASTER_NAME)

    def monitor_again(self) -> None:
        """The sentinels monitor the live master again (a replica left alone is promoted first)."""
        live = [s for s in self.servers if s.process.poll() is None]
        if not any(self._role(s.port) == "master" for s in live):
            live[0].client().replicaof("NO", "ONE")
        port = self.master_port_from_servers()
        for sentinel in self.sentinels:
            client = sentinel.client()
            client.sentinel_monitor(MASTER_NAME, "127.0.0.1", port, QUORUM)
            client.sentinel_set(MASTER_NAME, "down-after-milliseconds", DOWN_AFTER_MS)

    def master_port_from_servers(self) -> int:
        return next(s.port for s in self.servers if s.process.poll() is None and self._role(s.port) == "master")

    def stop(self) -> None:
        for process in [*self.sentinels, *self.servers]:
            process.stop()

    def _server(self, name: str, *args: str) -> ServerProcess:
        port = free_port()
        directory = self.directory / name
        directory.mkdir(parents=True, exist_ok=True)
        command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", str(directory),
                   "--save", "", "--appendonly", "no", "--protected-mode", "no", *args]
        if self.master_password:
            command += ["--requirepass", self.master_password, "--masterauth", self.master_password]
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        server = ServerProcess(port, process, self.master_password)
        self._wait(lambda: bool(server.client().ping()), f"the {name} redis-server did not start")
        return server

    def _sentinel(self, number: int, master_port: int) -> ServerProcess:
        port = free_port()
        directory = self.directory / f"sentinel-{number}"
        directory.mkdir(parents=True, exist_ok=True)
        config = directory / "sentinel.conf"  # sentinels rewrite their file: one each, writable
        config.write_text("\n".join([
            f"port {port}", "bind 127.0.0.1", "protected-mode no", f"dir {directory}",
            f"sentinel monitor {MASTER_NAME} 127.0.0.1 {master_port} {QUORUM}",
            f"sentinel down-after-milliseconds {MASTER_NAME} {DOWN_AFTER_MS}",
            f"sentinel failover-timeout {MASTER_NAME} {FAILOVER_TIMEOUT_MS}",
            f"sentinel parallel-syncs {MASTER_NAME} 1",
            *([f"sentinel auth-pass {MASTER_NAME} {self.master_password}"] if self.master_password else []),
            *([f"requirepass {self.sentinel_password}"] if self.sentinel_password else []), ""]))
        process = subprocess.Popen(["redis-server", str(config), "--sentinel"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        sentinel = ServerProcess(port, process, self.sentinel_password)
        self._wait(lambda: bool(sentinel.client().ping()), "a sentinel did not start")
        return sentinel

    def _sentinels_ready(self) -> bool:
        for sentinel in self.sentinels:
            state = sentinel.client().sentinel_master(MASTER_NAME)
            if int(state.get("num-other-sentinels", 0)) < SENTINELS - 1 or int(state.get("num-slaves", 0)) < 1:
                return False
        return True

    def _named_port(self, sentinel: ServerProcess) -> int | None:
        try:
            return int(sentinel.client().sentinel_get_master_addr_by_name(MASTER_NAME)[1])
        except (redis.RedisError, TypeError):
            return None

    def _role(self, port: int) -> str | None:
        client = redis.Redis(port=port, password=self.master_password, socket_connect_timeout=0.5, socket_timeout=1,
                             decode_responses=True)
        try:
            return str(client.role()[0])
        except redis.RedisError:
            return None
        finally:
            client.close()

    @staticmethod
    def _wait(ready: Callable[[], bool], message: str, timeout_s: float = START_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                if ready():
                    return
            except redis.RedisError:
                pass
            assert time.monotonic() < deadline, message
            time.sleep(POLL_S)


@pytest.fixture
def sentinel_deployment(tmp_path: Path) -> Iterator[SentinelDeployment]:
    """A master, a replica and three sentinels, stopped (all of them) at the test's end."""
    deployment = SentinelDeployment(tmp_path / "sentinel")
    try:
        deployment.start()
        yield deployment
    finally:
        deployment.stop()
