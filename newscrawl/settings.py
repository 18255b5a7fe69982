"""Scrapy settings for newscrawl. Every newscrawl-specific setting starts with NEWSCRAWL_ and is
documented in the README; any of them can be overridden per run with ``-s NAME=VALUE``."""

import os

from newscrawl import __version__
# The schema's field list from storage's copy (a test checks it equals newscrawl.items'): reading these
# settings then imports no Scrapy, for the processes of the bulk commands that never extract.
from newscrawl.storage.records import ARTICLE_FIELDS

BOT_NAME = "newscrawl"
SPIDER_MODULES = ["newscrawl.spiders"]
NEWSPIDER_MODULE = "newscrawl.spiders"
COMMANDS_MODULE = "newscrawl.commands"

# -- where things go ---------------------------------------------------------------------------
# Database of record; the environment variable of the same name overrides it.
NEWSCRAWL_DATABASE_URL = "sqlite:///exports/newscrawl.sqlite3"
NEWSCRAWL_EXPORTS_DIR = "exports"
NEWSCRAWL_STORE_BATCH_SIZE = 50  # articles written per database transaction
# Processes that parse and extract articles beside the crawl's own thread: "auto" is one per core
# but one (none on a single core); 0 extracts in the crawl's own thread (newscrawl/extraction_workers.py).
NEWSCRAWL_EXTRACTION_PROCESSES = "auto"
# A database outage (unreachable, connection lost, disk full) shorter than this many seconds is ridden
# out: the crawl pauses and retries, waiting RETRY_BASE seconds, doubled up to RETRY_MAX; a longer
# one stops the run (exit 1) with advice on storing what it fetched.
NEWSCRAWL_DATABASE_OUTAGE_LIMIT = 300
NEWSCRAWL_DATABASE_RETRY_BASE = 1.0
NEWSCRAWL_DATABASE_RETRY_MAX = 30.0

# -- the WARC archive ---------------------------------------------------------------------------
# Every article response (and robots.txt) as received, in <exports>/warc/<spider>-<run start>-<n>.warc.gz.
NEWSCRAWL_WARC_ENABLED = True
# Index pages and the RSS feed too, so that any recorded run can be replayed (-a replay=...).
NEWSCRAWL_WARC_INDEX_PAGES = True
NEWSCRAWL_WARC_MAX_BYTES = 1_000_000_000  # a new file is started once a file reaches this size
NEWSCRAWL_WARC_COMPRESSOR = "isal"  # isal: ISA-L's gzip, ~3x faster than zlib 6, files ~4% larger; or zlib
NEWSCRAWL_WARC_GZIP_LEVEL = 6  # zlib's level: 1 (fastest) to 9 (smallest files, ~3x the time of 6 for ~0.5% less)

# -- what to fetch ------------------------------------------------------------------------------
NEWSCRAWL_REVISIT_HOURS = 48  # an already stored article younger than this is fetched again
NEWSCRAWL_MAX_INDEX_PAGES = 100  # per day, a guard against a pagination loop
# Pages of one multi-page article fetched at most (its navigation may claim any number): real
# detik articles have a handful, and every page fetched is held in memory until the last one.
NEWSCRAWL_MAX_ARTICLE_PAGES = 20

# -- run checks: a run that fails one exits 1 and is recorded as failed ---------------------------
NEWSCRAWL_MAX_ERROR_SHARE = 0.2  # pages that failed for good (404/410 articles aside) / pages tried
NEWSCRAWL_MIN_ARTICLES_PER_DAY = 10  # articles a finished day's index must list
# A channel's own minimum (slug -> articles), over what its declaration says (newscrawl/sites).
NEWSCRAWL_MIN_ARTICLES_PER_DAY_BY_CHANNEL = {}
NEWSCRAWL_MIN_COVERAGE = 0.95  # share of items with each of the fields below filled
NEWSCRAWL_COVERAGE_FIELDS = ["headline", "body", "published_at", "authors"]
NEWSCRAWL_MAX_FALLBACK_SHARE = 0.05  # items read by the metadata fallback: the layout-change alarm

# -- politeness ---------------------------------------------------------------------------------
NEWSCRAWL_CONTACT_URL = "https://github.com/newscrawl/newscrawl"
USER_AGENT = f"newscrawl/{__version__} (+{NEWSCRAWL_CONTACT_URL})"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16  # the whole process's ceiling: every channel of every site together
# Outputs of one callback processed at once. Scrapy starts this many asyncio tasks for every
# callback whatever it yields (one item for an article, ~20 requests for an index page): at its
# default of 100 that was a sixth of the crawl's CPU (benchmarks/crawl.py --profile).
CONCURRENT_ITEMS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 4  # per host: channels sharing a host share its limit
# A site's channels are one company's servers: at most one request every this many seconds to all of
# a site's hosts together (per-host politeness alone would multiply by the number of channels).
NEWSCRAWL_SITE_MIN_INTERVAL = 0.1
DOWNLOAD_DELAY = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
DOWNLOAD_TIMEOUT = 30
# Sized for news pages, not Scrapy's 1 GiB: detik pages are 70-200 KB. Scrapy cuts a download off
# past DOWNLOAD_MAXSIZE and stops decompressing a body past it (a gzip bomb), and the spider counts
# the page as failed/too_large. 4 MiB is 20 times a large page, and what it costs to parse at worst
# (about 200 MB for 4 MiB of the densest markup) keeps a crawl's memory bounded. `newscrawl import`
# and `reextract` read archived bodies with the same bound.
DOWNLOAD_MAXSIZE = 4 * 1024 * 1024
DOWNLOAD_WARNSIZE = 1024 * 1024  # a page this large is logged: worth a look long before the limit
DEFAULT_REQUEST_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "id-ID,id;q=0.9,en;q=0.5",
}
COOKIES_ENABLED = False

# -- robustness ---------------------------------------------------------------------------------
RETRY_ENABLED = True
RETRY_TIMES = 4
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 522, 524, 408]
NEWSCRAWL_RETRY_BACKOFF_BASE = 2.0  # seconds; doubled on every retry, Retry-After wins when given
NEWSCRAWL_RETRY_BACKOFF_MAX = 120.0
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "newscrawl.middlewares.BackoffRetryMiddleware": 550,
    # Closer to the downloader than HttpCompression (590) and Redirect (600): archives raw responses.
    "newscrawl.warc_middlewares.WarcCaptureMiddleware": 650,
    # After robots.txt handling and every header-setting middleware; only active with -a replay=PATH.
    "newscrawl.warc_middlewares.WarcReplayMiddleware": 960,
    # Last before the download (a replayed request never gets here): the site-wide request ceiling.
    "newscrawl.middlewares.SiteThrottle": 970,
}
HTTPERROR_ALLOWED_CODES = []

# Development only: replay responses from .scrapy/httpcache instead of the network.
HTTPCACHE_ENABLED = False

# -- items --------------------------------------------------------------------------------------
ITEM_PIPELINES = {
    "newscrawl.pipelines.ValidatePipeline": 100,
    "newscrawl.pipelines.DedupePipeline": 200,
    "newscrawl.pipelines.StorePipeline": 300,
}
# JSON lines of each run's new and changed articles (unchanged ones are dropped before this).
FEEDS = {
    "%(exports_dir)s/%(name)s/%(run_started)s.jsonl": {
        "format": "jsonlines",
        "encoding": "utf-8",
        "fields": list(ARTICLE_FIELDS),
        "store_empty": False,
        "overwrite": False,
    }
}
FEED_EXPORT_ENCODING = "utf-8"
# Plain paths and file:// URIs: a write that fails (a full disk) fails the run check "exported".
FEED_STORAGES = {"": "newscrawl.feeds.FeedStorage", "file": "newscrawl.feeds.FeedStorage"}

EXTENSIONS = {
    "newscrawl.crawl_database.CrawlDatabase": 490,  # the crawl's one database connection (see its module)
    "newscrawl.extraction_workers.ExtractionWorkers": 495,  # article extraction on worker processes
    "newscrawl.extensions.RunSummary": 500,
    "newscrawl.gc_tuning.GcTuning": 510,  # fewer garbage collections on the reactor thread (see its module)
}
# The crawl process's first garbage-collection threshold (Python's is 700); 0 keeps Python's own.
NEWSCRAWL_GC_THRESHOLD = 5_000
# Off: both hand control of a process that holds database credentials to whoever reaches the
# port (the telnet console prints its password in the log; the remote-control server runs Python
# sent to it). Turn one on for debugging only: -s TELNETCONSOLE_ENABLED=True.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False

LOG_LEVEL = "INFO"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_INDENT = None

# -- several machines (README "Several machines") -------------------------------------------------
# With REDIS_URL set, the request queue and the seen-request filter live in Redis and any number of
# `scrapy crawl detikinet` processes with the same arguments share one crawl (the add-on switches
# the scheduler; the one-run-per-database lock is not taken). Without it nothing changes.
REDIS_URL = os.environ.get("REDIS_URL")
NEWSCRAWL_REDIS_PREFIX = "newscrawl"  # keys: <prefix>:<spider>:<first day>..<last day>:<digest>:<kind>
NEWSCRAWL_REDIS_WORKER_TIMEOUT = 60  # seconds without a heartbeat before a worker is given up for dead
NEWSCRAWL_REDIS_KEY_TTL = 86400  # seconds after the last heartbeat of any worker before the keys expire
ADDONS = {"newscrawl.distributed.SharedCrawlAddon": 0}
