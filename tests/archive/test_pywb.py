"""A crawl's WARC file replays in pywb, the reference Wayback Machine: indexed with pywb's own
wb-manager, served by its wayback server on 127.0.0.1, and the archived page read back byte for byte.

pywb lives in its own virtualenv (``.pywb-venv`` at the repository root, made on first use from
the package registry): it pins redis 2.10 and older cryptography, which cannot sit beside the
project's scrapy-redis and redis 5+ in one environment.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.archive.support import CRAWLED_URLS, ROOT, page_bytes

PYWB_VERSION = "2.10.0"
PYWB_VENV = ROOT / ".pywb-venv"
REPLAYED = {  # crawled URL -> the fixture the replica served for it (and whether it was sent gzipped)
    CRAWLED_URLS[2]: ("detikinet-2022-12-10-d-6453192", False),
    CRAWLED_URLS[0]: ("detikinet-2015-11-05-3062623", True),
}


def _pywb_tool(name: str) -> Path:
    return PYWB_VENV / "bin" / name


@pytest.fixture(scope="session")
def pywb() -> Path:
    """The pywb virtualenv's bin folder, installed once (never skipped: pywb is on the registry)."""
    check = [str(_pywb_tool("python")), "-c", f"import pywb; assert pywb.__version__ == {PYWB_VERSION!r}"]
    if not _pywb_tool("wayback").exists() or subprocess.run(check, capture_output=True).returncode != 0:
        steps = [
            [sys.executable, "-m", "venv", "--clear", str(PYWB_VENV)],
            [str(_pywb_tool("pip")), "install", "-q", f"pywb=={PYWB_VERSION}"],
        ]
        for step in steps:
            done = subprocess.run(step, capture_output=True, text=True)
            if done.returncode != 0:
                pytest.fail(f"could not install pywb {PYWB_VERSION} into {PYWB_VENV}: {' '.join(step)}\n{done.stderr[-2000:]}")
    return PYWB_VENV / "bin"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url: str) -> tuple[int, dict[str, str], bytes]:
    # Straight to 127.0.0.1: the proxy variables of the environment must not apply.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def _wait_until_serving(server: subprocess.Popen, port: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"wayback exited with {server.returncode}: {server.stdout.read()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"wayback did not listen on 127.0.0.1:{port} within {seconds} s")


def test_a_crawls_warc_replays_in_pywb(recorded, pywb, tmp_path):
    (warc,) = sorted((recorded[0] / "warc").glob("*.warc.gz"))
    environment = {**os.environ, "PATH": f"{pywb}{os.pathsep}{os.environ['PATH']}"}
    for command in (["wb-manager", "init", "crawl"], ["wb-manager", "add", "crawl", str(warc)]):
        done = subprocess.run([str(pywb / command[0]), *command[1:]], cwd=tmp_path, env=environment,
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stderr[-2000:]
    index = b"".join(path.read_bytes() for path in (tmp_path / "collections" / "crawl" / "indexes").iterdir())
    # pywb's CDX lines are keyed by SURT: one per archived response (robots.txt, 5 articles, 1 single view).
    assert index.count(b"com,detik,inet)/") == 7

    port = _free_port()
    server = subprocess.Popen([str(pywb / "wayback"), "--bind", "127.0.0.1", "--port", str(port)], cwd=tmp_path,
                              env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        _wait_until_serving(server, port)
        for url, (fixture, gzipped) in REPLAYED.items():
            # id_: the archived payload as it was received, not rewritten for replay.
            status, headers, body = _get(f"http://127.0.0.1:{port}/crawl/id_/{url}")
            assert status == 200, (url, headers)
            if gzipped:
                # The archive holds the gzip payload as sent; pywb serves it decoded and says so.
                assert headers.get("X-Archive-Orig-Content-Encoding") == "gzip"
                assert "Content-Encoding" not in headers
            assert body == page_bytes(fixture)
        status, _, _ = _get(f"http://127.0.0.1:{port}/crawl/id_/https://inet.detik.com/never/d-1/crawled")
        assert status == 404
    finally:
        server.terminate()
        server.wait(timeout=10)
