"""python -m tests.replica [--port 8899]: serve the replica until Ctrl-C, logging every request."""

from __future__ import annotations

import argparse
import logging

from .server import Replica
from .sitemap import CRAWL_RANGE


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.replica", description=__doc__)
    parser.add_argument("--port", type=int, default=8899, help="port on 127.0.0.1 (0: any free port)")
    arguments = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    replica = Replica(port=arguments.port).start()
    since, until = CRAWL_RANGE
    proxy = replica.proxy_url
    site = replica.site
    print(f"detikInet replica: proxy for inet.detik.com on {proxy}", flush=True)
    print(f"  {len(site.articles)} articles, {len(site.others)} galleries/videos, index pages for "
          f"{len(site.days)} days (busy day {site.busy_day}); not served: {len(site.left_out)}")
    for reason in site.left_out:
        print(f"    {reason}")
    print(f"""
Crawl it (from the repository root; writes to exports/replica):
  http_proxy={proxy} https_proxy={proxy} NEWSCRAWL_DATABASE_URL=sqlite:///exports/replica/db.sqlite3 \\
    .venv/bin/scrapy crawl detikinet -a since={since} -a until={until} \\
    -s NEWSCRAWL_EXPORTS_DIR=exports/replica -s DOWNLOAD_DELAY=0 -s AUTOTHROTTLE_ENABLED=False

Look at a page:
  curl -x {proxy} 'http://inet.detik.com/indeks?date={site.busy_day:%m/%d/%Y}'
  curl -k -x {proxy} https://inet.detik.com/robots.txt
Ctrl-C stops it.""", flush=True)
    try:
        replica.wait()
    except KeyboardInterrupt:
        pass
    finally:
        replica.stop()


if __name__ == "__main__":
    main()
