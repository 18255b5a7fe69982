"""python -m tests.replica [--port 8899]: serve the replica until Ctrl-C, logging every request."""

from __future__ import annotations

import argparse
import logging

from .server import Replica
from .sitemap import CRAWL_RANGE, HOST


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.replica", description=__doc__)
    parser.add_argument("--port", type=int, default=8899, help="port on 127.0.0.1 (0: any free port)")
    arguments = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    replica = Replica(port=arguments.port).start()
    since, until = CRAWL_RANGE
    proxy = replica.proxy_url
    network = replica.network
    print(f"detik replica: proxy for {len(replica.hosts)} hosts on {proxy}: {', '.join(replica.hosts)}", flush=True)
    print(f"  {len(network.sites)} channels (articles, galleries/videos, busy day, index paths, RSS):")
    for slug, site in network.sites.items():
        channel = site.channel
        rss = ", ".join(channel.rss_paths) or "no RSS (404)"
        print(f"    {slug:<10} {channel.root:<34} {len(site.articles):>2} articles, {len(site.others)} "
              f"galleries/videos, busy day {site.busy_day}; {', '.join(channel.index_paths)}; {rss}")
    served = sum(len(site.articles) for site in network.sites.values())
    print(f"  {served} articles in all; not served: {len(network.left_out)}")
    for reason in network.left_out:
        print(f"    {reason}")
    site = replica.site
    print(f"""
Crawl it (from the repository root; writes to exports/replica): every channel (`detik`; or
`-a channels=news,travel`), or one (`detikinet`, `detiksport`, ...):
  http_proxy={proxy} https_proxy={proxy} NEWSCRAWL_DATABASE_URL=sqlite:///exports/replica/db.sqlite3 \\
    .venv/bin/scrapy crawl detik -a since={since} -a until={until} \\
    -s NEWSCRAWL_EXPORTS_DIR=exports/replica -s DOWNLOAD_DELAY=0 -s AUTOTHROTTLE_ENABLED=False \\
    -s NEWSCRAWL_SITE_MIN_INTERVAL=0 -s NEWSCRAWL_MIN_ARTICLES_PER_DAY=0 -s NEWSCRAWL_MIN_COVERAGE=0.75

Look at a page:
  curl -x {proxy} 'http://{HOST}/indeks?date={site.busy_day:%m/%d/%Y}'
  curl -k -x {proxy} 'https://sport.detik.com/sepakbola/indeks?date={network["sport"].busy_day:%m/%d/%Y}'
  curl -k -x {proxy} https://www.detik.com/jabar/indeks?date={network["jabar"].busy_day:%m/%d/%Y}
  curl -k -x {proxy} https://www.detik.com/robots.txt
Ctrl-C stops it.""", flush=True)
    try:
        replica.wait()
    except KeyboardInterrupt:
        pass
    finally:
        replica.stop()


if __name__ == "__main__":
    main()
