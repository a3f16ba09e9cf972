"""``osemock serve``: run the mock with waitress."""
from __future__ import annotations

import logging
import signal
from datetime import datetime
from typing import Any

import click

from osemock.server.settings import Settings, SettingError, host_port


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535),
              help="TCP port (0: one the system picks, printed when the server listens).")
@click.option("--profile", default=None, help="ose (default), sunat-beta, sunat-prod or a profile YAML file [env OSE_PROFILE].")
@click.option("--db", default=None, type=click.Path(dir_okay=False), help="SQLite store [env OSE_DB; default var/osemock.sqlite3].")
@click.option("--registry", default=None, type=click.Path(exists=True, dir_okay=False), help="Emitter registry YAML/JSON [env OSE_REGISTRY].")
@click.option("--threads", default=2, show_default=True, type=click.IntRange(min=1),
              help="Threads per worker (more only for drills that hold requests, e.g. delay or lost scenarios).")
@click.option("--clock", default=None, help="Start the mock's clock at this ISO date-time, e.g. 2026-11-20T12:00:00 [env OSE_CLOCK].")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(min=1),
              help="Worker processes sharing the store (more than 1: gunicorn, Linux/macOS).")
def serve(host: str, port: int, profile: str | None, db: str | None, registry: str | None, threads: int,
          clock: str | None, workers: int) -> None:
    """Run the mock OSE/SUNAT billService."""
    from waitress import create_server

    from osemock.server.threaded import waitress_body_limit
    from osemock.server.wsgi import create_app, leave_serving, settle_for_serving

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:  # a mistake stops here in one line, named, not in every worker
        settings = Settings.from_env(profile=profile, db=db, registry=registry, clock=clock).check()
    except SettingError as error:
        raise click.ClickException(str(error)) from None
    if workers > 1:
        _serve_with_gunicorn(settings, host, port, workers, threads)
        return
    app = create_app(settings)
    settle_for_serving()
    try:
        # OSE_READ_TIMEOUT: waitress reads a request before any thread sees it, so a stalled client
        # holds no thread; its connection still ends once it has sent nothing for that long
        server = create_server(app, host=host, port=port, threads=threads, ident="osemock",
                               max_request_body_size=waitress_body_limit(settings.max_body_bytes),
                               clear_untrusted_proxy_headers=False,  # the app decides whom to believe
                               channel_timeout=settings.read_timeout,
                               cleanup_interval=max(1, min(30, settings.read_timeout // 2)))
    except (OSError, ValueError) as error:  # the port is taken (a second `make serve`), the host is no address
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        raise click.ClickException(f"cannot listen on {host_port(host, port)}: {reason}") from None
    listening = getattr(server, "effective_listen", None) or [(server.effective_host, server.effective_port)]
    _banner(f"osemock ({app.engine.profile.name})", f"http://{host_port(host, listening[0][1])}", f"store={settings.db}")
    server.print_listen("Serving on http://{}:{}")
    # SIGTERM (docker stop, systemd, kill) stops as Ctrl-C does: waitress ends its loop on SystemExit and
    # lets its threads finish; SIGTERM's default ended the process on the spot, the store left in -wal
    signal.signal(signal.SIGTERM, _stop)
    try:
        server.run()
    finally:
        leave_serving(app)


def _stop(signum: int, frame: Any) -> None:
    raise SystemExit(0)


def _banner(name: str, base: str, details: str) -> None:
    """Where everything is, with the port the server really listens on."""
    click.echo(f"{name} on {base}/ol-ti-itcpe/billService  {details}")
    click.echo(f"  WSDL: {base}/ol-ti-itcpe/billService?wsdl   CDR certificate: {base}/_osemock/certificate.pem")
    click.echo(f"  Portal: {base}/   Admin API: {base}/_osemock/openapi.json")


def _serve_with_gunicorn(settings: Settings, host: str, port: int, workers: int, threads: int) -> None:
    """The same app in ``workers`` processes (gthread workers, as in the Docker image); each worker
    builds it after the fork from the environment, so the flags travel as OSE_* variables."""
    import os

    os.environ.update({"OSE_PROFILE": settings.profile, "OSE_DB": str(settings.db)})
    if settings.registry is not None:
        os.environ["OSE_REGISTRY"] = str(settings.registry)
    if settings.clock:
        os.environ["OSE_CLOCK"] = settings.clock
    # The flags win over the container's variables, which gunicorn_conf (and gunicorn itself, for
    # WEB_CONCURRENCY) read on import: a PORT=abc or OSE_THREADS=0 meant for something else stopped
    # `--workers 2 --port N --threads 4` with a traceback.
    os.environ.update({"HOST": host, "PORT": str(port), "WEB_CONCURRENCY": str(workers), "OSE_THREADS": str(threads)})
    try:
        from osemock.server import gunicorn_conf
    except SystemExit as exit:  # a variable without a flag (OSE_WORKER_TIMEOUT) it cannot serve with
        raise click.ClickException(str(exit.code).removeprefix("osemock: ")) from None
    from gunicorn.app.base import BaseApplication

    from osemock.server.soap.address import Proxies

    problem = gunicorn_conf.listen_problem(host, port)
    if problem:  # one line, as with one worker: gunicorn retries five times and logs eleven
        raise click.ClickException(f"cannot listen on {host_port(host, port)}: {problem}")
    # the Docker image's settings, with the flags' address, workers and threads, and no access log
    shared = ("worker_class", "keepalive", "timeout", "graceful_timeout", "limit_request_line", "post_fork",
              "post_worker_init", "worker_exit", "control_socket_disable", "secure_scheme_headers")
    options = {**{key: getattr(gunicorn_conf, key) for key in shared},
               "bind": host_port(host, port), "workers": workers, "threads": threads,
               "forwarded_allow_ips": Proxies(settings.forwarded_allow_ips).spec,
               "worker_connections": threads}  # as gunicorn_conf: a worker holds no more connections than threads

    class Mock(BaseApplication):
        def load_config(self) -> None:
            for key, value in options.items():
                if key == "control_socket_disable" and key not in self.cfg.settings:
                    continue  # a gunicorn before 25.1, which has no control socket (set, the name is an error)
                self.cfg.set(key, value)

        def load(self):
            from osemock.server.wsgi import create_app

            return create_app()  # then gunicorn_conf.post_worker_init settles it

    def when_ready(arbiter) -> None:  # noqa: ANN001 - gunicorn's hook signature; it has bound the port
        gunicorn_conf.when_ready(arbiter)  # the server's clock, before any worker
        bound = arbiter.LISTENERS[0].sock.getsockname()[1]
        _banner(f"osemock ({settings.profile})", f"http://{host_port(host, bound)}",
                f"store={settings.db}  workers={workers}x{threads} threads")

    options["when_ready"] = when_ready
    Mock().run()


def _reception(value: str | None) -> datetime | None:
    """``--at``: ``now`` (Lima's time), an ISO date-time, or a date (noon in Lima)."""
    from osemock.server.clock import LIMA, parse_moment

    if value is None:
        return None
    if value == "now":
        return datetime.now(LIMA)
    try:
        return parse_moment(value if "T" in value or " " in value else f"{value}T12:00:00")
    except ValueError:
        raise click.BadParameter(f"'now' or an ISO date or date-time, not {value!r}", param_hint="--at") from None


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@click.option("--at", "received_at", default=None, metavar="WHEN",
              help="Judge the deadlines too (2108, 2329, 1079…) as if received at WHEN: now, a date or an ISO "
                   "date-time (Lima's time unless it says its offset). Without it no deadline is judged.")
@click.option("--profile", default="ose", show_default=True,
              help="Profile whose limits the deadlines follow (max_days_late) and whose channel picks "
                   "the SUNAT-only rows: ose, sunat-beta, sunat-prod or a YAML file.")
def validate(files: tuple[str, ...], as_json: bool, received_at: str | None, profile: str) -> None:
    """Lint CPE XML files (or every *.xml of a folder) offline with the mock's checks; exit 1 when any is
    rejected."""
    import json

    from rich.console import Console
    from rich.table import Table

    from osemock.cli import cpe_files
    from osemock.server.profiles import load_profile
    from osemock.server.rules.lint import lint

    moment = _reception(received_at)
    try:
        limits = load_profile(profile)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--profile") from None
    results = []
    for path in cpe_files(files):
        try:
            data = path.read_bytes()
        except OSError as error:
            raise click.ClickException(f"cannot read {path}: {error.strerror or error}") from None
        results.append(lint(data, str(path), received_at=moment, profile=limits))
    if as_json:
        click.echo(json.dumps([
            {"file": r.name, "accepted": r.accepted, "verdict": r.verdict, "signed": r.signed,
             "findings": [{"code": f.code, "severity": f.severity, "node": f.xpath, "value": f.value,
                           "message": f.message, "detail": f.detail} for f in r.findings]}
            for r in results], ensure_ascii=False, indent=2))
    else:
        console = Console()
        for result in results:
            verdict = "ACEPTADO" if result.accepted else f"RECHAZADO {result.verdict}"
            unsigned = "" if result.signed or result.header is None else " (sin firma: se juzga como quedará firmado)"
            # The verdict is a plain line, never a table title: a title wraps to the table's width, which
            # split the file name and the verdict over lines on an 80-column or piped output.
            click.echo(f"{result.name}: {verdict}{unsigned}")
            if not result.findings:
                continue
            table = Table()
            for column in ("code", "type", "node", "value", "message"):
                table.add_column(column)
            for f in result.findings:
                table.add_row(f.code, f.severity, f.xpath or "", f.value or "", f.message + (f" ({f.note})" if f.note else ""))
            console.print(table)
    if not all(r.accepted for r in results):
        raise SystemExit(1)


@click.group()
def rules() -> None:
    """The validation rules: coverage of SUNAT's workbook."""


@rules.command()
def coverage() -> None:
    """Print the rule coverage report (markdown)."""
    from osemock.server.rules.coverage import report

    click.echo(report(), nl=False)
