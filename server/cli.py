"""``osemock serve``: run the mock with waitress."""
from __future__ import annotations

import logging

import click

from osemock.server.settings import Settings


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8080, show_default=True, type=int, help="TCP port.")
@click.option("--profile", default=None, help="ose (default), sunat-beta, sunat-prod or a profile YAML file [env OSE_PROFILE].")
@click.option("--db", default=None, type=click.Path(dir_okay=False), help="SQLite store [env OSE_DB; default var/osemock.sqlite3].")
@click.option("--registry", default=None, type=click.Path(exists=True, dir_okay=False), help="Emitter registry YAML/JSON [env OSE_REGISTRY].")
@click.option("--threads", default=8, show_default=True, type=int, help="Worker threads.")
def serve(host: str, port: int, profile: str | None, db: str | None, registry: str | None, threads: int) -> None:
    """Run the mock OSE/SUNAT billService."""
    from waitress import serve as waitress_serve

    from osemock.server.wsgi import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = Settings.from_env(profile=profile, db=db, registry=registry)
    app = create_app(settings)
    base = f"http://{host}:{port}"
    click.echo(f"osemock ({app.engine.profile.name}) on {base}/ol-ti-itcpe/billService  store={settings.db}")
    click.echo(f"  WSDL: {base}/ol-ti-itcpe/billService?wsdl   CDR certificate: {base}/_osemock/certificate.pem")
    waitress_serve(app, host=host, port=port, threads=threads, ident="osemock", max_request_body_size=settings.max_request_bytes)
