"""The site declarations: every channel and every layout has a saved page with its expected JSON,
the channels table is consistent, and no module outside a site's package names one of its hosts."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from newscrawl.extraction.layouts import FALLBACK
from newscrawl.sites import SITES
from tests.conftest import page_cases

NEWSCRAWL = Path(__file__).resolve().parents[2] / "newscrawl"
CHANNELS = [(site, channel) for site in SITES for channel in site.channels]
LAYOUTS = [(site, layout.name) for site in SITES for layout in (*site.layouts, FALLBACK)]


def _expected_items() -> list[tuple[str, dict]]:
    items = []
    for path in page_cases():
        expected = json.loads(path.read_text(encoding="utf-8"))
        if expected["item"] is not None:
            items.append((path.stem, expected["item"]))
    return items


ITEMS = _expected_items()


@pytest.mark.parametrize("site, channel", CHANNELS, ids=[f"{site.name}-{channel.slug}" for site, channel in CHANNELS])
def test_every_channel_has_a_saved_page(site, channel):
    pages = [name for name, item in ITEMS if (item["publisher"], item["channel"]) == (site.name, channel.slug)]
    assert pages, f"no fixture in tests/fixtures/pages is an article of {site.name} channel {channel.slug}"


@pytest.mark.parametrize("site, layout", LAYOUTS, ids=[f"{site.name}-{layout}" for site, layout in LAYOUTS])
def test_every_layout_has_a_saved_page(site, layout):
    pages = [name for name, item in ITEMS if item["publisher"] == site.name and item["layout"] == layout]
    assert pages, f"no fixture in tests/fixtures/pages shows {site.name}'s layout {layout!r}"


@pytest.mark.parametrize("site", SITES, ids=[site.name for site in SITES])
def test_the_channels_table(site):
    slugs = [channel.slug for channel in site.channels]
    assert len(slugs) == len(set(slugs))
    roots = [channel.root for channel in site.channels]
    assert len(roots) == len(set(roots)), "two channels at one root"
    for channel in site.channels:
        assert channel.root.startswith("https://") and not channel.root.endswith("/")
        assert channel.index_paths and all(path.startswith("/") for path in channel.index_paths)
        assert channel.label.lower() in site.byline_labels, "a channel's label is a byline label"
        assert channel.verified, f"{channel.slug}: say how the channel was verified"
        # Its own article URLs come back to it.
        target = site.parse_url(f"{channel.root}/berita/d-7000001/judul")
        assert (target.kind, target.channel) == ("article", channel)


def _hosts(site) -> set[str]:
    return {channel.host for channel in site.channels} | {".".join(channel.host.split(".")[-2:]) for channel in site.channels}


@pytest.mark.parametrize("site", SITES, ids=[site.name for site in SITES])
def test_no_module_outside_the_site_package_names_its_hosts(site):
    package = NEWSCRAWL / "sites" / site.name
    pattern = re.compile("|".join(re.escape(host) for host in sorted(_hosts(site), key=len, reverse=True)))
    offenders = [f"{path.relative_to(NEWSCRAWL.parent)}:{number}"
                 for path in sorted(NEWSCRAWL.rglob("*.py")) if package not in path.parents
                 for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
                 if pattern.search(line)]
    assert offenders == []
