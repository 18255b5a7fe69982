from __future__ import annotations

import shutil

import pytest

from tests.archive.support import CRAWLED_URLS, Site, crawl
from tests.storage.support import (  # noqa: F401  (fixtures, registered by import)
    database,
    database_url,
    no_database_url_from_environment,
    postgres_url,
    sqlite_url,
)


@pytest.fixture(scope="package")
def site():
    with Site() as running:
        yield running


@pytest.fixture(scope="package")
def recorded(site, tmp_path_factory):
    """One crawl of CRAWLED_URLS through the site, shared by the tests that only read it:
    (exports folder, the crawl's completed process, the wire responses it received)."""
    out = tmp_path_factory.mktemp("recorded")
    site.reset()
    site.tls.streams.clear()
    result = crawl(site, out, f"urls={','.join(CRAWLED_URLS)}")
    assert result.returncode == 0, result.stderr[-3000:]
    return out, result, site.wire_responses()


@pytest.fixture
def recorded_copy(recorded, tmp_path):
    """A private copy of the recorded crawl's folder (database and WARC files) to change."""
    out = tmp_path / "recorded"
    shutil.copytree(recorded[0], out)
    return out
