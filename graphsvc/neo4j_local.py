"""A local Neo4j Community server assembled from Maven Central and run with the machine's Java.

The server is Neo4j's own published code, unmodified (plus plugins: APOC Core and graphsvc's own
procedures, graphsvc/procedures.py): Maven resolves the runtime classpath of
`org.neo4j:neo4j` (kernel, Cypher, Bolt), `org.neo4j.app:neo4j-server` (HTTP) and the Browser
into `<cache>/neo4j-<version>/lib`, and Neo4j's own bootloader (`Neo4jCommand start|stop`)
runs it as a background process, exactly as the `neo4j` script of the tarball does. The jars
themselves come from graphsvc/maven.py.
"""

import os
import re
import secrets
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from neo4j import GraphDatabase
from neo4j.exceptions import AuthError, ServiceUnavailable
from pydantic import SecretStr

from graphsvc import procedures
from graphsvc.config import Settings
from graphsvc.maven import MavenError, install_apoc, neo4j_classpath

BOOT = "org.neo4j.server.startup.Neo4jCommand"
ADMIN = "org.neo4j.server.startup.Neo4jAdminCommand"
MIN_PASSWORD_LENGTH = 8  # Neo4j's dbms.security.auth_minimum_password_length


class LauncherError(Exception):
    """A problem starting or stopping the local server, with a one-line explanation."""


@dataclass
class Status:
    running: bool
    pid: int | None
    version: str
    bolt_port: int
    http_port: int
    home: Path
    data_dir: Path
    log: Path


class LocalNeo4j:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.home = settings.neo4j_home
        self.lib = settings.neo4j_cache_dir / f"neo4j-{settings.neo4j_version}" / "lib"
        assert settings.neo4j_data_dir is not None
        self.data_dir = settings.neo4j_data_dir
        self.log = self.home / "logs" / "neo4j.log"
        self.pid_file = self.home / "run" / "neo4j.pid"

    # -- public ---------------------------------------------------------------------------
    def start(self) -> bool:
        """Start the server and wait for Bolt. False when it was already running."""
        if self.pid() is not None:
            return False
        self.pid_file.unlink(missing_ok=True)  # stale: Neo4j's `start` would take it as running
        java = self.preflight()
        self.assemble()
        self.write_conf()
        try:
            install_apoc(self.settings.neo4j_cache_dir, self.home / "plugins", self.lib)
            procedures.install(self.settings.neo4j_cache_dir, self.home / "plugins")
        except MavenError as exc:
            raise LauncherError(str(exc)) from None
        if not (self.data_dir / "dbms" / "auth.ini").exists():
            self.set_initial_password(java)
        self._run(java, BOOT, "start")
        self.wait_for_bolt()
        return True

    def stop(self) -> bool:
        """Stop the server cleanly. False when it was not running."""
        if self.pid() is None:
            return False
        self._run(self.java(), BOOT, "stop")
        return True

    def status(self) -> Status:
        pid = self.pid()
        return Status(
            pid is not None,
            pid,
            self.settings.neo4j_version,
            self.settings.neo4j_bolt_port,
            self.settings.neo4j_http_port,
            self.home,
            self.data_dir,
            self.log,
        )

    def preflight(self) -> str:
        """What a start would fail on, checked in a second before anything slow (`graphsvc neo4j
        import` runs it before validating its files): Java, free ports, a usable password.
        Returns the java command."""
        java = self.java()
        for port in (self.settings.neo4j_bolt_port, self.settings.neo4j_http_port):
            if port_in_use(port):
                raise LauncherError(
                    f"port {port} on 127.0.0.1 is already in use by another process; stop it or "
                    f"set GRAPHSVC_NEO4J_{'BOLT' if port == self.settings.neo4j_bolt_port else 'HTTP'}_PORT"
                )
        self.check_password()
        return java

    # -- the password -----------------------------------------------------------------------
    def check_password(self) -> None:
        """Refuse what Neo4j would refuse later, or a password nobody can know."""
        password = self.settings.neo4j_password.get_secret_value()
        initialised = (self.data_dir / "dbms" / "auth.ini").exists()
        if password and len(password) < MIN_PASSWORD_LENGTH:
            raise LauncherError(
                f"NEO4J_PASSWORD has {len(password)} characters; Neo4j requires at least "
                f"{MIN_PASSWORD_LENGTH}"
            )
        if not password and initialised:
            raise LauncherError(
                f"the Neo4j in {self.data_dir} already has a password but NEO4J_PASSWORD is unset "
                f"and {self.settings.neo4j_password_file} does not exist; set NEO4J_PASSWORD to "
                "it (instances made before passwords were generated used graphsvc-local)"
            )

    def set_initial_password(self, java: str) -> None:
        """NEO4J_PASSWORD, else a generated one kept in <home>/password (owner-only); handed to
        neo4j-admin in an argument file (`@file`, documented for every admin command), so it
        never appears in the process list. The file starts with `--`, the end of options: a
        password beginning with `-` (1 in 64 generated ones) is otherwise read as an unknown
        option and neo4j-admin exits 64 with its usage."""
        password = self.settings.neo4j_password.get_secret_value()
        if not password:
            password = secrets.token_urlsafe(18)
            _write_private(self.settings.neo4j_password_file, password + "\n")
            self.settings.neo4j_password = SecretStr(password)
        args = self.home / "run" / "set-initial-password.args"
        escaped = password.replace("\\", "\\\\").replace('"', '\\"')
        _write_private(args, f'--\n"{escaped}"\n')
        try:
            self._run(java, ADMIN, "dbms", "set-initial-password", f"@{args}")
        finally:
            args.unlink(missing_ok=True)

    def pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        try:
            os.kill(pid, 0)
        except OSError:
            return None
        proc = Path(f"/proc/{pid}")
        try:
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
            cmdline = (proc / "cmdline").read_bytes()
        except (OSError, IndexError):
            return pid  # no /proc to ask: trust the signal
        if state in ("Z", "X"):
            return None  # dead; only its exit status is left
        if cmdline and b"neo4j" not in cmdline:
            return None  # a stale pid file whose number was reused
        # An empty cmdline is a process still tearing down after a kill: it may hold the store
        # lock and its pid file still stops Neo4j's own `start`, so it counts as running.
        return pid

    # -- steps ----------------------------------------------------------------------------
    def java(self) -> str:
        java_home = os.environ.get("JAVA_HOME")
        java = str(Path(java_home) / "bin" / "java") if java_home else shutil.which("java")
        if not java or not Path(java).exists():
            raise LauncherError(
                "Java 17 is required to run Neo4j 5.26 but `java` was not found; "
                "install a JDK 17 (e.g. apt-get install openjdk-17-jdk-headless)"
            )
        out = subprocess.run([java, "-version"], capture_output=True, text=True).stderr
        match = re.search(r'version "(\d+)', out)
        if not match or int(match.group(1)) < 17:
            raise LauncherError(
                f"Neo4j 5.26 needs Java 17 or newer; {java} reports: "
                f"{out.splitlines()[0] if out else 'nothing'}"
            )
        return java

    def assemble(self) -> None:
        """Resolve the server's jars from Maven Central into the cache (once per version)."""
        try:
            neo4j_classpath(
                self.lib, self.settings.neo4j_version, self.settings.neo4j_browser_version
            )
        except MavenError as exc:
            raise LauncherError(str(exc)) from None

    def write_conf(self) -> None:
        s = self.settings
        for sub in ("conf", "logs", "run", "plugins", "import"):
            (self.home / sub).mkdir(parents=True, exist_ok=True)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        lines = {
            "server.default_listen_address": "127.0.0.1",
            "server.bolt.listen_address": f"127.0.0.1:{s.neo4j_bolt_port}",
            "server.bolt.advertised_address": f"127.0.0.1:{s.neo4j_bolt_port}",
            "server.http.listen_address": f"127.0.0.1:{s.neo4j_http_port}",
            "server.http.advertised_address": f"127.0.0.1:{s.neo4j_http_port}",
            "server.https.enabled": "false",
            "server.directories.lib": str(self.lib),
            "server.directories.data": str(self.data_dir),
            "server.directories.logs": str(self.home / "logs"),
            "server.directories.run": str(self.home / "run"),
            "server.directories.plugins": str(self.home / "plugins"),
            "server.directories.import": str(self.home / "import"),
            "server.memory.heap.initial_size": s.neo4j_heap,
            "server.memory.heap.max_size": s.neo4j_heap,
            "server.memory.pagecache.size": s.neo4j_pagecache,
            "dbms.usage_report.enabled": "false",
            "client.allow_telemetry": "false",  # no usage banner in the Browser, no phoning home
            # Keep at most ~1 GB of transaction logs (the default keeps 2 days of them, which
            # bulk loads and wipes turn into tens of GB).
            "db.tx_log.rotation.retention_policy": "1G size",
            # A safety net for queries from any client (the API sets tighter per-query limits).
            "db.transaction.timeout": "120s",
            "server.jvm.additional": "-XX:+UseG1GC",
            # Keep-alive NOOPs only while results stream. With ALL (the default) Neo4j also asks
            # drivers to time out every socket read (the connection.recv_timeout_seconds hint),
            # and the async Python driver does that with a task and a timer per read: 0.2-0.5 ms
            # of a 3 ms API call. The API bounds each request itself (api/http.py Deadline).
            "server.bolt.connection_keep_alive_for_requests": "STREAMING",
            # On connect the Browser applies graphsvc's style and opens its guide, served by the API
            # (Neo4j 5.26 still names the allowlist setting `..._whitelist`).
            "browser.post_connect_cmd": browser_post_connect_cmd(s.port),
            "browser.remote_content_hostname_whitelist": "guides.neo4j.com,localhost,127.0.0.1",
            # The HTTP API would answer any web page (`*`). The Browser it serves calls it from
            # its own origin, which needs no CORS header, so only that origin is named.
            "dbms.security.http_access_control_allow_origin": browser_origin(s.neo4j_http_port),
        }
        text = "# Written by `graphsvc neo4j start`; edit the GRAPHSVC_NEO4J_* settings instead.\n"
        text += "".join(f"{key}={value}\n" for key, value in lines.items())
        (self.home / "conf" / "neo4j.conf").write_text(text)

    def wait_for_bolt(self) -> None:
        s = self.settings
        uri = f"bolt://127.0.0.1:{s.neo4j_bolt_port}"
        deadline = time.monotonic() + s.neo4j_start_timeout
        auth = (s.neo4j_user, s.neo4j_password.get_secret_value())
        while True:
            try:
                with GraphDatabase.driver(uri, auth=auth) as driver:
                    driver.verify_connectivity()
                return
            except AuthError as exc:
                raise LauncherError(
                    f"Neo4j is up but rejected the password: it was set on first start; use that "
                    f"password or delete {self.data_dir} to start afresh ({exc.message})"
                ) from exc
            except (ServiceUnavailable, OSError):
                if self.pid() is None:
                    raise LauncherError(f"Neo4j exited while starting; see {self.log}") from None
                if time.monotonic() > deadline:
                    raise LauncherError(
                        f"Neo4j did not answer on {uri} within "
                        f"{s.neo4j_start_timeout:.0f}s; see {self.log}"
                    ) from None
                time.sleep(0.5)

    def _run(self, java: str, main: str, *args: str) -> None:
        env = {**os.environ, "NEO4J_HOME": str(self.home), "NEO4J_CONF": str(self.home / "conf")}
        env.pop("JAVA_OPTS", None)  # it would replace every JVM option of ours
        result = subprocess.run(
            [java, "-cp", f"{self.lib}/*", main, *args], env=env, capture_output=True, text=True
        )
        if result.returncode != 0:
            lines = (result.stderr or result.stdout).strip().splitlines()
            detail = [line for line in lines if not line.startswith("Run with '--verbose'")]
            raise LauncherError(
                f"`neo4j {' '.join(args[:2])}` failed: "
                f"{detail[-1] if detail else 'no output'}; see {self.log}"
            )


def browser_origin(http_port: int) -> str:
    return f"http://127.0.0.1:{http_port}"


def browser_post_connect_cmd(api_port: int) -> str:
    """Browser commands run on connect (`;`-separated, no leading colon): graph views show only
    what a query returns (not both edges of every connection), graphsvc's style, and its guide in
    the Browser's side panel (`:guide`; `:play` would open it as one more frame in the stream)."""
    base = f"http://localhost:{api_port}/browser"
    return f"config autoComplete: false;style {base}/graphsvc.grass;guide {base}/guide.html"


def _write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read (created 0600, never world-readable in between)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(text)


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False
