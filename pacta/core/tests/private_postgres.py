"""A PostgreSQL server of the test's own, to stop and start while pacta works against it.

The machine's PostgreSQL serves others and is never touched: `PrivatePostgres`
runs initdb into a temporary directory and serves it on a free port of
127.0.0.1 (its Unix socket in that directory too), with trust authentication
for the user `postgres`. initdb and postgres refuse to run as root, so when
the tests run as root the server commands run as the OS user `postgres`
(runuser), in a directory that user owns.

    server = PrivatePostgres.start_new()   # or the `private_postgres` fixture
    url = server.create_database("pacta")  # postgres://postgres@127.0.0.1:PORT/pacta
    server.stop(); server.start()          # the database goes away and comes back
    server.destroy()

`start_new` raises `Unavailable` (with the reason) when the binaries are
missing or the server does not start; the fixture turns that into a skip.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

USER = "postgres"
TIMEOUT = 60


class Unavailable(Exception):
    """No private PostgreSQL server can run here; the message says why."""


def find_bindir() -> Path | None:
    """The directory of initdb, pg_ctl and postgres: Debian's newest, else the PATH's."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name)
                        if Path(p).parent.name.isdigit() else 0)
    for directory in reversed(candidates):
        if all((Path(directory) / name).is_file() for name in ("initdb", "pg_ctl", "postgres")):
            return Path(directory)
    found = [shutil.which(name) for name in ("initdb", "pg_ctl", "postgres")]
    if all(found):
        return Path(os.path.realpath(found[1])).parent
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivatePostgres:
    """One private server: `start`, `stop`, `restart`, `create_database`, `destroy`."""

    def __init__(self, bindir: Path, base: Path, port: int):
        self.bindir, self.base, self.port = bindir, base, port
        self.data = base / "data"
        self.log = base / "server.log"

    # -- running the server's commands (as `postgres` when we are root)

    def _run(self, *args: str, timeout: float = TIMEOUT) -> subprocess.CompletedProcess:
        command = [str(self.bindir / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", USER, "--", *command]
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                              env={**os.environ, "LC_ALL": "C", "LANG": "C"})

    def _checked(self, *args: str) -> None:
        done = self._run(*args)
        if done.returncode != 0:
            raise Unavailable(f"{' '.join(args[:2])} failed: {(done.stderr or done.stdout).strip()[-500:]} "
                              f"{self.server_log()[-500:]}")

    def server_log(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""

    @classmethod
    def start_new(cls) -> PrivatePostgres:
        bindir = find_bindir()
        if bindir is None:
            raise Unavailable("no PostgreSQL binaries (initdb, pg_ctl, postgres) in /usr/lib/postgresql/*/bin "
                              "or on the PATH")
        if os.geteuid() == 0:
            if shutil.which("runuser") is None:
                raise Unavailable("running as root without runuser: cannot start PostgreSQL as another user")
            try:
                pwd.getpwnam(USER)
            except KeyError:
                raise Unavailable(f"running as root and there is no OS user {USER!r} to run PostgreSQL as") from None
        base = Path(tempfile.mkdtemp(prefix="pacta-pg-"))
        if os.geteuid() == 0:
            account = pwd.getpwnam(USER)
            os.chown(base, account.pw_uid, account.pw_gid)
        server = cls(bindir, base, free_port())
        try:
            server._checked("initdb", "-D", str(server.data), "-U", USER, "--auth=trust", "--no-sync",
                            "-E", "UTF8", "--locale=C")
            with open(server.data / "postgresql.conf", "a") as conf:
                conf.write(
                    f"\nlisten_addresses = '127.0.0.1'\nport = {server.port}\n"
                    f"unix_socket_directories = '{base}'\n"
                    "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                    "shared_buffers = 32MB\nmax_connections = 30\n"
                )
            server.start()
        except (Unavailable, OSError, subprocess.SubprocessError) as exc:
            server.destroy()
            raise Unavailable(f"the private PostgreSQL server did not start: {exc}") from None
        return server

    def start(self) -> None:
        self._checked("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", str(TIMEOUT), "start")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server; `fast` ends every session at once, `immediate` is a crash."""
        self._checked("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", str(TIMEOUT), "stop")

    def restart(self, down: float = 2.0, mode: str = "fast") -> None:
        """The database goes away for `down` seconds, then comes back."""
        self.stop(mode)
        time.sleep(down)
        self.start()

    def is_running(self) -> bool:
        return self._run("pg_ctl", "-D", str(self.data), "status").returncode == 0

    def url(self, database: str = "postgres") -> str:
        return f"postgres://{USER}@127.0.0.1:{self.port}/{database}"

    def connect(self, database: str = "postgres", **kwargs):
        import psycopg

        return psycopg.connect(self.url(database), connect_timeout=30, **kwargs)

    def create_database(self, name: str) -> str:
        with self.connect(autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def destroy(self) -> None:
        """Stop the server at once (whatever state it is in) and remove its directory."""
        pidfile = self.data / "postmaster.pid"
        if pidfile.exists():
            try:
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
            except (OSError, subprocess.SubprocessError):
                pass
            if pidfile.exists():  # pg_ctl failed or timed out (a machine under load): the postmaster's own pid
                try:
                    os.kill(int(pidfile.read_text().split()[0]), signal.SIGQUIT)  # PostgreSQL: immediate shutdown
                    time.sleep(1)
                except (OSError, ValueError, IndexError):
                    pass
        shutil.rmtree(self.base, ignore_errors=True)


@pytest.fixture(scope="module")
def private_postgres():
    """A private PostgreSQL server for the module's tests (skipped, saying why, when none can run)."""
    try:
        server = PrivatePostgres.start_new()
    except Unavailable as exc:
        pytest.skip(f"no private PostgreSQL server: {exc}")
    try:
        yield server
    finally:
        server.destroy()
