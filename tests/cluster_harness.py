"""A cluster of bot replicas on 127.0.0.1, for the cluster tests and bench/cluster_load.py.

:class:`Cluster` starts N ``verbatim run --webhook-url …`` replicas as subprocesses, each
on a port of its own, all reading one published corpus snapshot (``--snapshot``) and
talking to one fake Bot API (each through a base URL of its own, ``…/r1/bot``, so the
fake records which replica made a call: :attr:`fake_bot_api.ApiCall.via`); in front of
them nginx (a generated config, ``nginx -p TMP -c CONF`` in the foreground) or, when
nginx is absent, :class:`rr_proxy.RoundRobinProxy`; and the fake's webhook delivery
(:class:`fake_webhook.WebhookDelivery`) sending the updates queued with ``fake.push``
to the proxy, as Telegram sends them to the public webhook URL.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fake_bot_api import TOKEN, ApiCall, FakeBotApiServer, FakeTelegram
from fake_webhook import WebhookDelivery
from rr_proxy import RoundRobinProxy

REPO = Path(__file__).resolve().parents[1]
HOOK_URL = "https://bot.example.org/telegram/verbatim"
HOOK_PATH = "/telegram/verbatim"
SECRET = "cluster-secret_0123456789"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
START_TIMEOUT = 60.0

NGINX_CONF = """\
daemon off;
worker_processes 1;
error_log {work}/nginx-error.log warn;
pid {work}/nginx.pid;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {work}/nginx-body;
    proxy_temp_path {work}/nginx-proxy;
    fastcgi_temp_path {work}/nginx-fastcgi;
    uwsgi_temp_path {work}/nginx-uwsgi;
    scgi_temp_path {work}/nginx-scgi;
    upstream verbatim_replicas {{
{servers}
        keepalive 16;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{ return 404; }}
        # as deploy/nginx-cluster.conf: a replica that refuses the connection (or is down)
        # is skipped; a request that failed once sent is not re-sent (POST is not
        # idempotent): nginx answers 502 and Telegram delivers the update again
        location = {path} {{
            client_max_body_size 1m;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_connect_timeout 2s;
            proxy_read_timeout 60s;
            proxy_next_upstream error timeout http_502 http_503;
            proxy_next_upstream_tries 3;
            proxy_pass http://verbatim_replicas;
        }}
    }}
}}
"""


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def nginx_conf(work: Path, port: int, upstreams: list[int]) -> str:
    """The nginx config the cluster runs (also checked with ``nginx -t``)."""
    servers = "\n".join(
        f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=2s;" for p in upstreams
    )
    return NGINX_CONF.format(work=work, port=port, servers=servers, path=HOOK_PATH)


@dataclass
class Replica:
    """One ``verbatim run`` process of the cluster."""

    name: str  # "r1", "r2", …: the ``via`` of its Bot API calls
    port: int
    proc: subprocess.Popen[bytes]
    log: Path


class Cluster:
    """Replicas behind a proxy, fed by webhook delivery; a context manager (see module)."""

    def __init__(
        self,
        snapshot: Path,
        work: Path,
        *,
        replicas: int = 2,
        proxy: str = "auto",
        env: dict[str, str] | None = None,
        max_connections: int | None = None,
    ) -> None:
        if proxy not in ("auto", "nginx", "python"):
            raise ValueError(proxy)
        if proxy == "nginx" and NGINX is None:
            raise RuntimeError("nginx is not installed")
        self.snapshot, self.work = snapshot, work
        self.count = replicas
        self.proxy_kind = "nginx" if proxy == "nginx" or (proxy == "auto" and NGINX) else "python"
        self.extra_env = env or {}
        self.max_connections = max_connections
        self.server = FakeBotApiServer()
        self.fake: FakeTelegram = self.server.fake
        self.replicas: list[Replica] = []
        self.proxy_port = 0
        self.python_proxy: RoundRobinProxy | None = None
        self.nginx: subprocess.Popen[bytes] | None = None
        self.delivery: WebhookDelivery | None = None

    # ------------------------------------------------------------------ start, stop

    def __enter__(self) -> Cluster:
        try:
            self.server.__enter__()
            for n in range(1, self.count + 1):
                self.replicas.append(self._start_replica(f"r{n}"))
            for replica in self.replicas:
                self._wait_ready(replica)
            self._start_proxy()
            self.delivery = WebhookDelivery(
                self.fake,
                f"http://127.0.0.1:{self.proxy_port}",
                max_connections=self.max_connections,
            ).__enter__()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        if self.delivery is not None:
            self.delivery.__exit__(None, None, None)
        for replica in self.replicas:
            if replica.proc.poll() is None:
                replica.proc.send_signal(signal.SIGINT)
        for replica in self.replicas:
            try:
                replica.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                replica.proc.kill()
                replica.proc.wait()
        if self.nginx is not None and self.nginx.poll() is None:
            self.nginx.terminate()
            try:
                self.nginx.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.nginx.kill()
                self.nginx.wait()
        if self.python_proxy is not None:
            self.python_proxy.__exit__(None, None, None)
        self.server.__exit__(None, None, None)

    def _start_replica(self, name: str) -> Replica:
        port = free_port()
        api = self.server.base_url.removesuffix("/bot")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("VERBATIM_", "TELEGRAM_"))}
        env.update(
            XDG_DATA_HOME=str(self.work / "xdg"),
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_BASE_URL=f"{api}/{name}/bot",
            VERBATIM_RATE_PER_MINUTE="6000",
            VERBATIM_RATE_BURST="1000",
            **self.extra_env,
        )
        log = self.work / f"{name}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [
                    *(sys.executable, "-m", "bot.cli", "run", "--snapshot", str(self.snapshot)),
                    *("--webhook-url", HOOK_URL, "--listen", "127.0.0.1", "--port", str(port)),
                    *("--secret-token", SECRET),
                ],
                cwd=REPO,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        return Replica(name, port, proc, log)

    def _wait_ready(self, replica: Replica) -> None:
        """Until the replica listens and has set the webhook."""
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if replica.proc.poll() is not None:
                raise AssertionError(f"{replica.name} exited:\n{replica.log.read_text()}")
            if any(c.method == "setWebhook" for c in self.calls(replica.name)):
                try:
                    socket.create_connection(("127.0.0.1", replica.port), timeout=1).close()
                    return
                except OSError:
                    pass
            if time.monotonic() > deadline:
                raise AssertionError(f"{replica.name} not ready:\n{replica.log.read_text()}")
            time.sleep(0.05)

    def _start_proxy(self) -> None:
        upstreams = [r.port for r in self.replicas]
        if self.proxy_kind == "python":
            self.python_proxy = RoundRobinProxy(upstreams).__enter__()
            self.proxy_port = self.python_proxy.port
            return
        assert NGINX is not None
        self.proxy_port = free_port()
        conf = self.work / "nginx.conf"
        conf.write_text(nginx_conf(self.work, self.proxy_port, upstreams))
        self.nginx = subprocess.Popen(
            [NGINX, "-p", str(self.work), "-c", str(conf)],
            stdout=subprocess.DEVNULL,
            stderr=(self.work / "nginx-stderr.log").open("wb"),
        )
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.proxy_port), timeout=1).close()
                return
            except OSError:
                if self.nginx.poll() is not None or time.monotonic() > deadline:
                    errors = (self.work / "nginx-stderr.log").read_text()
                    raise AssertionError(f"nginx did not start: {errors}") from None
                time.sleep(0.05)

    # ------------------------------------------------------------------ using it

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Send ``sig`` to one replica (SIGKILL: it dies at once, mid-work)."""
        (replica,) = [r for r in self.replicas if r.name == name]
        replica.proc.send_signal(sig)
        if sig == signal.SIGKILL:
            replica.proc.wait(timeout=10)

    def calls(self, via: str | None = None, method: str | None = None) -> list[ApiCall]:
        """The Bot API calls recorded (of one replica, of one method)."""
        found = list(self.fake.calls)  # a copy: the fake appends from other threads
        return [
            c
            for c in found
            if (via is None or c.via == via) and (method is None or c.method == method)
        ]

    def proxy_stats(self) -> dict[str, Any]:
        """What the Python proxy did (empty for nginx)."""
        return self.python_proxy.stats() if self.python_proxy is not None else {}
