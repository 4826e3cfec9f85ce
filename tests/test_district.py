"""The district's configuration, without starting it: ports, the nginx file (checked by Debian's
nginx itself), PgBouncer's bounds, the database URL it logs in with, the device address rule.
The running district is tested in tests/browser/test_district.py."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess

import pytest

from toolkit.district import layout, nginx_config, pgbouncer_config, pooled_url, unavailable_page
from toolkit.errors import StoreError
from toolkit.gate import client_address
from toolkit.settings import load_settings
from toolkit.store.core import upstream


@pytest.fixture
def lay(tmp_path):
    settings = dataclasses.replace(load_settings(), district_port=9560, var_dir=tmp_path / "var")
    return layout(settings, workers=3)


def test_workers_listen_on_the_ports_after_the_public_one(lay):
    assert [(w.audience, w.name, w.port) for w in lay.workers] == [
        ("resident", "r1", 9561), ("resident", "r2", 9562), ("resident", "r3", 9563), ("staff", "s1", 9564),
    ]


def test_nginx_accepts_the_configuration_and_maps_each_cookie_to_its_worker(lay):
    text = nginx_config(lay)
    for name, port in (("r1", 9561), ("r2", 9562), ("r3", 9563)):
        assert f"        {name} resident_{name};" in text
        block = text.split(f"upstream resident_{name} {{", 1)[1].split("}", 1)[0]
        assert f"server 127.0.0.1:{port} max_fails=0;" in block and block.count("backup") == 2
    assert "map $cookie_linli_resident_worker $resident_pool" in text and "default resident_all;" in text
    assert "proxy_set_header X-Real-IP $remote_addr;" in text and "gzip on;" in text
    assert "ip_hash" not in text  # tablets behind one NAT address would all land on one worker
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    d = lay.nginx_dir
    for sub in ("tmp/body", "tmp/proxy", "tmp/fastcgi", "tmp/uwsgi", "tmp/scgi", "html"):
        (d / sub).mkdir(parents=True, exist_ok=True)
    (d / "nginx.conf").write_text(text)
    check = subprocess.run([nginx, "-t", "-p", str(d), "-c", str(d / "nginx.conf")], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr


def test_pgbouncer_bounds_server_connections_and_listens_only_on_its_socket(lay):
    up = upstream("postgresql+psycopg://linli:s'cret@db.example:5433/linli")
    assert (up.host, up.port, up.database, up.user, up.password) == ("db.example", 5433, "linli", "linli", "s'cret")
    ini = pgbouncer_config(lay, up, 17)
    assert "password='s\\'cret'" in ini
    for line in ("listen_addr =", "pool_mode = transaction", "default_pool_size = 17", "max_db_connections = 17", "unix_socket_mode = 0700"):
        assert line in ini.splitlines(), line
    assert pooled_url(lay, up) == f"postgresql+psycopg://linli@/linli?host={lay.pgbouncer_dir}&port=9560"


def test_upstream_of_a_socket_url_sqlite_and_a_url_without_user():
    up = upstream("postgresql+psycopg://postgres@/linli?host=/tmp/pg&port=5439")
    assert (up.host, up.port, up.database) == ("/tmp/pg", 5439, "linli")
    assert upstream("/srv/linli.sqlite") is None and upstream("sqlite:///x.sqlite") is None
    with pytest.raises(StoreError, match="needs a user and a database"):
        upstream("postgresql+psycopg://db.example/")


def test_the_restarting_page_speaks_both_languages_and_escapes():
    page = unavailable_page()
    assert "页面服务正在重启" in page and "The page server is restarting" in page and "<script" not in page


@pytest.mark.parametrize("peer, header, expected", [
    ("127.0.0.1", "192.168.1.23", "192.168.1.23"),  # from nginx: the device
    ("192.168.1.50", "10.0.0.9", "192.168.1.50"),  # from a device: its header is ignored
    ("127.0.0.1", None, "127.0.0.1"),
    ("127.0.0.1", "<script>", "127.0.0.1"),
    ("127.0.0.1", " ::1 ", "::1"),
])
def test_client_address_trusts_only_the_proxy(peer, header, expected):
    assert client_address(peer, header, frozenset({"127.0.0.1"})) == expected
