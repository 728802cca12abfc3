"""deploy/: the Dockerfile, compose file, systemd units, .env.example and nginx sample.

There is no Docker engine on the CI machine, so the Dockerfile and compose file are checked
structurally (parsed here, their paths and commands checked against the repository and the
CLI), not built.  The systemd units go through ``systemd-analyze verify`` and the nginx
sample through ``nginx -t`` when those programs are installed (skipped otherwise).
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.cli.main import build_parser
from bot.settings import load_settings

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
VERBATIM = Path(sys.executable).with_name("verbatim")


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = (DEPLOY / "Dockerfile").read_text()
    logical: list[str] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    assert not pending, "Dockerfile ends inside a continuation"
    out = []
    for line in logical:
        word, _, rest = line.partition(" ")
        out.append((word.upper(), rest.strip()))
    return out


def final_stage() -> list[tuple[str, str]]:
    instructions = dockerfile_instructions()
    last_from = max(i for i, (word, _) in enumerate(instructions) if word == "FROM")
    return instructions[last_from:]


def parses_as_cli(argv: list[str]) -> None:
    args = build_parser().parse_args(argv)
    assert callable(args.handler)


def test_dockerfile_structure() -> None:
    instructions = dockerfile_instructions()
    known = {"FROM", "ENV", "WORKDIR", "COPY", "RUN", "VOLUME", "USER", "EXPOSE", "HEALTHCHECK"}
    known |= {"ENTRYPOINT", "CMD", "ARG", "LABEL"}
    assert {word for word, _ in instructions} <= known
    stages = [args.split() for word, args in instructions if word == "FROM"]
    assert all(re.fullmatch(r"python:3\.11(\.\d+)?-slim(-\w+)?", s[0]) for s in stages), stages
    stage_names = {s[2] for s in stages if len(s) == 3 and s[1].upper() == "AS"}

    for word, args in instructions:
        if word != "COPY":
            continue
        parts = args.split()
        if parts[0].startswith("--from="):
            assert parts[0].removeprefix("--from=") in stage_names
            continue
        for source in parts[:-1]:
            assert (ROOT / source).exists(), f"COPY source {source} missing from the repo"

    final = final_stage()
    env = " ".join(args for word, args in final if word == "ENV")
    db = re.search(r"VERBATIM_DB=(\S+)", env)
    assert db, "the runtime stage must set VERBATIM_DB"
    volumes = [v for word, args in final if word == "VOLUME" for v in yaml.safe_load(args)]
    assert any(db.group(1).startswith(v.rstrip("/") + "/") for v in volumes), (db, volumes)
    users = [args for word, args in final if word == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    last_user = max(i for i, (word, _) in enumerate(final) if word == "USER")
    assert all(word != "RUN" for word, _ in final[last_user:]), "RUN after USER runs as the user"

    (health,) = [args for word, args in final if word == "HEALTHCHECK"]
    options, _, command = health.partition("CMD")
    assert "--interval=" in options and "--timeout=" in options
    health_argv = yaml.safe_load(command.strip())
    assert health_argv[0] == "verbatim"
    parses_as_cli(health_argv[1:])

    (entry,) = [yaml.safe_load(args) for word, args in final if word == "ENTRYPOINT"]
    (cmd,) = [yaml.safe_load(args) for word, args in final if word == "CMD"]
    assert entry == ["verbatim"]
    parses_as_cli(cmd)


def test_compose_file_structure() -> None:
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
    (name,) = compose["services"]
    service = compose["services"][name]
    context = (DEPLOY / service["build"]["context"]).resolve()
    assert context == ROOT
    assert (context / service["build"]["dockerfile"]).resolve() == DEPLOY / "Dockerfile"
    assert service["env_file"] == [".env"]
    assert (DEPLOY / ".env.example").is_file()

    volume, _, mount = service["volumes"][0].partition(":")
    assert volume in compose["volumes"]
    db = service["environment"]["VERBATIM_DB"]
    assert db.startswith(mount.rstrip("/") + "/")

    health = service["healthcheck"]
    assert health["test"][0] == "CMD" and health["test"][1] == "verbatim"
    parses_as_cli(health["test"][2:])
    assert {"interval", "timeout", "retries"} <= set(health)
    parses_as_cli(service["command"])
    assert service["restart"] in ("unless-stopped", "always", "on-failure")

    exposed = {args for word, args in final_stage() if word == "EXPOSE"}
    for port in service.get("ports", []):
        host, _, inner = port.rpartition(":")
        assert host.startswith("127.0.0.1:"), "publish the webhook port on loopback only"
        assert inner in exposed


def settings_env_names() -> set[str]:
    source = (ROOT / "bot" / "settings.py").read_text()
    names = set(re.findall(r"""env(?:\.get\(|\[)\s*["']([A-Z][A-Z0-9_]+)["']""", source))
    # numbers are read through number_setting (load_settings' _number_setting for env)
    names |= set(re.findall(r"""number_setting\(\s*["']([A-Z][A-Z0-9_]+)["']""", source))
    assert {"TELEGRAM_BOT_TOKEN", "VERBATIM_DB"} <= names
    return names


def env_example() -> dict[str, str]:
    pairs = re.findall(r"^#?([A-Z][A-Z0-9_]+)=(.*)$", (DEPLOY / ".env.example").read_text(), re.M)
    return dict(pairs)


def test_env_example_documents_every_setting() -> None:
    documented = env_example()
    read = settings_env_names()
    assert read - set(documented) == set(), "settings missing from deploy/.env.example"
    assert set(documented) - read == set(), ".env.example lists settings nobody reads"
    # the example values themselves are valid settings
    values = {k: v for k, v in documented.items() if v}
    load_settings(values)


def test_env_example_shows_the_defaults() -> None:
    """The values .env.example shows (commented out) are bot.settings' defaults:
    uncommenting one changes nothing."""
    shown = {name: value for name, value in env_example().items() if value}
    assert set(shown) == {
        "VERBATIM_LOG_LEVEL",
        "VERBATIM_TIMEZONE",
        "VERBATIM_WEBHOOK_LISTEN",
        "VERBATIM_WEBHOOK_PORT",
        "VERBATIM_RATE_PER_MINUTE",
        "VERBATIM_RATE_BURST",
        "VERBATIM_WATCH_SECONDS",
        "VERBATIM_SNAPSHOT_CHECK_SECONDS",
    }
    defaults = load_settings({})
    for name, value in shown.items():
        assert load_settings({name: value}) == defaults, f"{name}={value} is not the default"


def test_env_example_leaves_deployment_values_alone() -> None:
    """Only the token is assigned: an empty VERBATIM_DB= would override the image's."""
    text = (DEPLOY / ".env.example").read_text()
    assert re.findall(r"^([A-Z][A-Z0-9_]+)=", text, re.M) == ["TELEGRAM_BOT_TOKEN"]


def unit_for_this_machine(tmp_path: Path, name: str) -> Path:
    """The unit with the install path replaced by this virtualenv's ``verbatim``."""
    text = (DEPLOY / name).read_text().replace("/opt/verbatim/.venv/bin/verbatim", str(VERBATIM))
    out = tmp_path / name
    out.write_text(text)
    return out


def exec_lines(unit: Path, key: str = "ExecStart") -> list[list[str]]:
    return [
        shlex.split(line.partition("=")[2])
        for line in unit.read_text().splitlines()
        if line.startswith(f"{key}=")
    ]


def test_systemd_units_verify(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze not installed: systemd units not verified")
    if not VERBATIM.exists():
        pytest.skip(f"{VERBATIM} not installed (pip install -e .)")
    names = ["verbatim.service", "verbatim-backup.service", "verbatim-backup.timer"]
    units = [unit_for_this_machine(tmp_path, n) for n in names]
    done = subprocess.run(
        [analyze, "verify", *map(str, units)], capture_output=True, text=True, timeout=60
    )
    complaints = [line for line in done.stderr.splitlines() if any(n in line for n in names)]
    assert done.returncode == 0 and complaints == [], done.stderr
    for unit in units[:2]:
        for argv in exec_lines(unit):
            assert argv[0] == str(VERBATIM)
            parses_as_cli(argv[1:])


def test_systemd_unit_is_hardened(tmp_path: Path) -> None:
    unit = (DEPLOY / "verbatim.service").read_text()
    for option in (
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ProtectHome=yes",
        "PrivateTmp=yes",
        "CapabilityBoundingSet=\n",
        "StateDirectory=verbatim",
        "User=verbatim",
    ):
        assert option in unit
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze not installed: exposure not measured")
    done = subprocess.run(
        [
            analyze,
            "security",
            "--offline=yes",
            str(unit_for_this_machine(tmp_path, "verbatim.service")),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    found = re.search(r"Overall exposure level for \S+: ([\d.]+)", done.stdout + done.stderr)
    if found is None:
        pytest.skip(f"systemd-analyze security --offline unsupported: {done.stderr[:200]}")
    print(f"systemd exposure level: {found.group(1)} (0 = locked down, 10 = exposed)")
    assert float(found.group(1)) <= 2.0


def nginx_t(conf_name: str, tmp_path: Path) -> str:
    """``nginx -t`` on the site config ``deploy/conf_name`` with a throw-away certificate;
    the site's text (the test skips, saying why, without nginx or openssl)."""
    nginx, openssl = shutil.which("nginx"), shutil.which("openssl")
    if nginx is None or openssl is None:
        pytest.skip(f"nginx or openssl not installed: {conf_name} not checked with nginx -t")
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
         "/CN=bot.example.org", "-keyout", str(tmp_path / "key.pem"),
         "-out", str(tmp_path / "cert.pem")],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    site = (DEPLOY / conf_name).read_text()
    site = re.sub(r"ssl_certificate\s+\S+;", f"ssl_certificate {tmp_path}/cert.pem;", site)
    site = re.sub(r"ssl_certificate_key\s+\S+;", f"ssl_certificate_key {tmp_path}/key.pem;", site)
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"error_log stderr;\npid {tmp_path}/nginx.pid;\nevents {{}}\n"
        f"http {{\n    include {tmp_path}/site.conf;\n}}\n"
    )
    done = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "syntax is ok" in done.stderr
    return site


def test_nginx_sample_passes_nginx_t(tmp_path: Path) -> None:
    site = nginx_t("nginx-verbatim.conf", tmp_path)

    # the proxied path is the path of the documented webhook URL, the upstream its port
    documented = (DEPLOY / ".env.example").read_text()
    url = re.search(r"Example: (https://\S+/telegram/\S+)", documented)
    assert url
    path = "/" + url.group(1).split("/", 3)[3]
    assert f"location = {path} " in site
    port = env_example()["VERBATIM_WEBHOOK_PORT"]
    assert f"server 127.0.0.1:{port};" in site


# ---------------------------------------------------------------------- the cluster


def cluster_compose() -> dict[str, Any]:
    return dict(yaml.safe_load((DEPLOY / "docker-compose.cluster.yml").read_text()))


def test_cluster_compose_file_structure() -> None:
    compose = cluster_compose()
    services = compose["services"]
    assert {"postgres", "primary", "publisher", "replica", "nginx"} <= set(services)
    primary, publisher, replica = services["primary"], services["publisher"], services["replica"]
    assert (DEPLOY / primary["build"]["context"]).resolve() == ROOT
    assert (ROOT / primary["build"]["dockerfile"]).resolve() == DEPLOY / "Dockerfile"
    assert publisher["image"] == replica["image"] == primary["image"]

    def mounts(service: dict[str, Any]) -> dict[str, tuple[str, str]]:
        """mount point -> (volume, options)"""
        out = {}
        for spec in service["volumes"]:
            volume, mount, *options = spec.split(":")
            out[mount] = (volume, ",".join(options))
        return out

    # the publisher writes the snapshot where the replicas read it, read-only
    snapshot = Path(replica["environment"]["VERBATIM_CORPUS_SNAPSHOT"])
    folder = str(snapshot.parent)
    assert snapshot.name == "corpus.db"
    assert publisher["command"][:1] == ["publish-snapshot"]
    assert publisher["command"][-1] == folder
    parses_as_cli(publisher["command"])
    volume, options = mounts(publisher)[folder]
    assert volume in compose["volumes"] and options == ""
    assert mounts(replica)[folder] == (volume, "ro")
    # the primary database is the publisher's and the operator's tools', on one volume
    db = publisher["environment"]["VERBATIM_DB"]
    assert db == primary["environment"]["VERBATIM_DB"]
    data_mount = str(Path(db).parent)
    assert mounts(publisher)[data_mount] == mounts(primary)[data_mount]
    assert data_mount not in mounts(replica)
    assert "/snapshots" in " ".join(a for w, a in final_stage() if w == "RUN")  # owned dir

    # two or more replicas in webhook mode, started after the first snapshot and the state
    assert replica["deploy"]["replicas"] >= 2
    assert replica["depends_on"]["publisher"]["condition"] == "service_completed_successfully"
    assert replica["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert replica["env_file"] == [".env"]
    parses_as_cli(replica["command"])
    health = replica["healthcheck"]["test"]
    assert health[:2] == ["CMD", "verbatim"]
    parses_as_cli(health[2:])
    assert "ports" not in replica  # reached only through nginx
    assert replica["environment"]["VERBATIM_STATE_URL"].startswith("postgresql://")
    assert "@postgres:" in replica["environment"]["VERBATIM_STATE_URL"]
    names = {n for s in services.values() for n in s.get("environment", {})}
    verbatim_names = {n for n in names if n.startswith(("VERBATIM_", "TELEGRAM_"))}
    assert verbatim_names <= settings_env_names()
    settings = load_settings({k: str(v) for k, v in replica["environment"].items()})
    assert settings.corpus_snapshot == snapshot and settings.webhook_port == 8443

    # nginx: the cluster config, pointed at the replica service's listener
    nginx = services["nginx"]
    (conf_mount,) = [v for v in nginx["volumes"] if v.startswith("./nginx-cluster.conf:")]
    assert conf_mount.endswith(":ro")
    site = (DEPLOY / "nginx-cluster.conf").read_text()
    port = replica["environment"]["VERBATIM_WEBHOOK_PORT"]
    assert f"http://replica:{port};" in site
    assert compose["volumes"].keys() >= {"snapshots", "postgres-data"}


def test_cluster_nginx_config_passes_nginx_t(tmp_path: Path) -> None:
    site = nginx_t("nginx-cluster.conf", tmp_path)
    documented = (DEPLOY / ".env.example").read_text()
    url = re.search(r"Example: (https://\S+/telegram/\S+)", documented)
    assert url
    assert f"location = /{url.group(1).split('/', 3)[3]} " in site
