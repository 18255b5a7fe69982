"""Issue 11, item 10: no password of a database or Redis URL, in whatever form it is written,
reaches a message, a log line, a crawl_runs row or a WARC file.

Unit tests cover newscrawl.masking over each URL form; the rest runs the real thing: the CLI in
process, and ``scrapy crawl detikinet`` as a subprocess through the archive tests' local site,
storing into a real PostgreSQL schema (trust authentication: any password is accepted for user
postgres) and sharing the crawl through the real Redis (no password configured: one given in the
URL is accepted). Forms that cannot connect (an unescaped '@', a wrong user, a '/' in the
password) must be refused with the password masked, also inside the driver's error text.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa
from scrapy.settings import Settings, overridden_settings
from warcio.archiveiterator import ArchiveIterator

from newscrawl.cli import main
from newscrawl.distributed import SharedCrawlUnavailable, SharedScheduler, check_redis
from newscrawl.masking import is_secret_name, mask_password, mask_secrets, mask_values, secrets_of
from newscrawl.spiders.arguments import plan_crawl
from newscrawl.spiders.detikinet import DetikInetSpider
from newscrawl.storage import DatabaseUnavailable, open_database
from newscrawl.storage.migrate import head_revision
from newscrawl.warc_middlewares import WarcCaptureMiddleware
from tests.archive.support import CRAWLED_URLS, ROOT, Site
from tests.storage.support import (  # noqa: F401  (fixtures, registered by import)
    fresh_postgres_schema,
    no_database_url_from_environment,
    postgres_url,
)
from tests.support import project_crawler, project_settings

REDIS = "127.0.0.1:6379"


# -- the function, over each URL form ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("url", "masked", "secrets"),
    [
        # PostgreSQL: userinfo password, escaped or not, and query parameters that carry secrets.
        ("postgresql+psycopg://crawler:s3cr%40t@db:5432/news", "postgresql+psycopg://crawler:***@db:5432/news",
         ["s3cr", "%40t"]),
        ("postgresql+psycopg://postgres:p@ss@127.0.0.1:5432/test", "postgresql+psycopg://postgres:***@127.0.0.1:5432/test",
         ["p@", "ss@"]),
        ("postgresql+psycopg://crawler:pa/ss?x#y@db/news", "postgresql+psycopg://crawler:***@db/news", ["pa/", "ss?x#y"]),
        ("postgresql+psycopg://crawler@db/news?password=Sekr1t&sslmode=require",
         "postgresql+psycopg://crawler@db/news?password=***&sslmode=require", ["Sekr1t"]),
        ("postgresql+psycopg://crawler@db/news?sslmode=verify-full&SSLPassword=Sekr1t&sslkey=/etc/pg/key.pem",
         "postgresql+psycopg://crawler@db/news?sslmode=verify-full&SSLPassword=***&sslkey=***", ["Sekr1t", "key.pem"]),
        ("postgresql+psycopg://crawler@db/news?PASS=aa1&pwd=bb2&passwd=cc3&token=dd4&Secret=ee5&application_name=me",
         "postgresql+psycopg://crawler@db/news?PASS=***&pwd=***&passwd=***&token=***&Secret=***&application_name=me",
         ["aa1", "bb2", "cc3", "dd4", "ee5"]),
        ("postgresql+psycopg://crawler:Sekr1t@db/news?password=Other2", "postgresql+psycopg://crawler:***@db/news?password=***",
         ["Sekr1t", "Other2"]),
        ("postgresql+psycopg://crawler@db/news", "postgresql+psycopg://crawler@db/news", []),
        # SQLite: no authority, so an '@' in the path is no userinfo; a query is still masked.
        ("sqlite:///exports/newscrawl.sqlite3", "sqlite:///exports/newscrawl.sqlite3", []),
        ("sqlite:////var/lib/team@news/db.sqlite3", "sqlite:////var/lib/team@news/db.sqlite3", []),
        ("sqlite:///x.sqlite3?password=Sekr1t", "sqlite:///x.sqlite3?password=***", ["Sekr1t"]),
        # Redis: redis://, rediss://, unix://, password in the userinfo or the query.
        ("redis://:Sekr1t@127.0.0.1:6379/0", "redis://:***@127.0.0.1:6379/0", ["Sekr1t"]),
        ("redis://crawler:p@ss@redis.internal:6379/0", "redis://crawler:***@redis.internal:6379/0", ["p@", "ss@"]),
        ("redis://127.0.0.1:6379/0?password=a@b", "redis://127.0.0.1:6379/0?password=***", ["a@b", "@b"]),
        ("rediss://crawler:Sekr1t@redis.internal:6380/1?ssl_cert_reqs=required",
         "rediss://crawler:***@redis.internal:6380/1?ssl_cert_reqs=required", ["Sekr1t"]),
        ("unix://:Sekr1t@/run/redis/redis.sock?db=0", "unix://:***@/run/redis/redis.sock?db=0", ["Sekr1t"]),
        ("unix:///run/redis/redis.sock?db=0&password=Sekr1t", "unix:///run/redis/redis.sock?db=0&password=***", ["Sekr1t"]),
        ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0", []),
        # Strings no parser accepts: never raise, never show the password.
        ("not a url://user:pw@host", "not a url://user:***@host", ["pw"]),
        ("crawler:Sekr1t@db/news", "crawler:***@db/news", ["Sekr1t"]),
        ("postgresql+psycopg://crawler:Sekr1t@[::1/news", "postgresql+psycopg://crawler:***@[::1/news", ["Sekr1t"]),
        ("postgresql+psycopg://crawler:Sekr1t@db:54x2/news", "postgresql+psycopg://crawler:***@db:54x2/news", ["Sekr1t"]),
        ("just-a-path.sqlite3", "just-a-path.sqlite3", []),
        ("", "", []),
    ],
)
def test_mask_password_hides_every_form_of_password(url, masked, secrets):
    assert mask_password(url) == masked
    for secret in secrets:
        assert secret not in mask_password(url)
    assert mask_password(masked) == masked  # masking what is shown changes nothing more


@pytest.mark.parametrize(
    ("name", "secret"),
    [("password", True), ("sslpassword", True), ("PASSWD", True), ("pass", True), ("pwd", True),
     ("passfile", True), ("client_secret", True), ("access-token", True), ("api_key", True), ("sslkey", True),
     ("auth", True), ("credentials", True),
     ("passed", False), ("sslmode", False), ("application_name", False), ("urls", False), ("db", False)],
)
def test_secret_parameter_names(name, secret):
    assert is_secret_name(name) is secret


def test_secrets_of_a_url_include_the_pieces_a_parser_may_quote():
    assert secrets_of("redis://:pa/ss@127.0.0.1:6379/0") == {"pa/ss", "pa", "ss"}
    assert secrets_of("postgresql+psycopg://u:s3cr%40t@db/news?sslpassword=k3y%2Bx") == {
        "s3cr%40t", "s3cr@t", "s3cr", "k3y%2Bx", "k3y+x"}  # no one-character piece ("t")
    assert secrets_of("sqlite:///exports/newscrawl.sqlite3") == set()


def test_mask_secrets_masks_quoted_pieces_but_not_words_that_contain_them():
    url = "postgresql+psycopg://postgres:p@ss@127.0.0.1:5432/test"
    assert mask_secrets("failed to resolve host 'ss@127.0.0.1': address unknown", url) == (
        "failed to resolve host '***@127.0.0.1': address unknown")
    assert mask_secrets("Port could not be cast to integer value as 'pa'", "redis://:pa/ss@h:6379/0") == (
        "Port could not be cast to integer value as '***'")
    # A password equal to the user name hides it in the text, but the URL itself shows the user.
    url = "postgresql+psycopg://postgres:postgres@db/news"
    assert mask_secrets(f"at {url}: password authentication failed for user postgres", url) == (
        "at postgresql+psycopg://postgres:***@db/news: password authentication failed for user ***")
    # URLs the caller did not name are masked too.
    assert mask_secrets("tried redis://:Sekr1t@h:6379/0 and rediss://h?token=T0k3n, then gave up") == (
        "tried redis://:***@h:6379/0 and rediss://h?token=***, then gave up")


def test_mask_values_masks_urls_in_strings_and_values_under_secret_names():
    arguments = {"urls": "https://crawler:Sekr1t@inet.detik.com/cyberlife/d-1/x?token=T0k3n,https://inet.detik.com/a",
                 "since": "2024-05-01", "api_key": "K3y", "checks": [{"name": "coverage", "passed": True}],
                 "refresh": 1, "password": ""}
    assert mask_values(arguments) == {
        "urls": "https://crawler:***@inet.detik.com/cyberlife/d-1/x?token=***,https://inet.detik.com/a",
        "since": "2024-05-01", "api_key": "***", "checks": [{"name": "coverage", "passed": True}],
        "refresh": 1, "password": ""}


# -- messages, rows and files, in process ----------------------------------------------------------
def with_password(url: str, password: str) -> str:
    """postgresql+psycopg://postgres@... with a userinfo password (not escaped: the test chooses it)."""
    return url.replace("://postgres@", f"://postgres:{password}@", 1)


def test_an_unescaped_at_in_the_password_is_masked_in_the_driver_error_too(postgres_url):
    # SQLAlchemy reads "Pg" as the password and "AtSecret@127.0.0.1" as the host, which the
    # driver then quotes: 'failed to resolve host "AtSecret@127.0.0.1"'.
    url = with_password(postgres_url, "Pg@AtSecret")
    with pytest.raises(DatabaseUnavailable) as raised:
        open_database(url)
    message = str(raised.value)
    assert message.startswith("database postgresql+psycopg://postgres:***@127.0.0.1:5432/test?options=")
    assert "failed to resolve host '***@127.0.0.1'" in message
    assert "AtSecret" not in message and "Pg@" not in message


def test_database_unavailable_masks_whatever_reason_it_is_given():
    """Any code that raises DatabaseUnavailable gets the masking, e.g. for SQLAlchemy's port error on
    'user:p@ss:word@host' (it reads host 'ss' and port 'word@host')."""
    url = "postgresql+psycopg://postgres:p@ss:word@127.0.0.1/test"
    error = DatabaseUnavailable(url, "invalid literal for int() with base 10: 'word@127.0.0.1'")
    assert str(error) == ("database postgresql+psycopg://postgres:***@127.0.0.1/test is unavailable: "
                          "invalid literal for int() with base 10: '***@127.0.0.1'")


def test_scrapy_logs_no_url_setting_among_its_overridden_settings():
    """Scrapy's "Overridden settings" line lists only settings that Scrapy itself defines, so the URLs
    given with -s (priority cmdline) never reach it; the crawls below check the whole log as well."""
    settings = Settings(project_settings())
    settings.set("NEWSCRAWL_DATABASE_URL", "postgresql+psycopg://postgres:PgSecret@127.0.0.1/test", "cmdline")
    settings.set("REDIS_URL", "redis://:RedisSecret@127.0.0.1:6379/0", "cmdline")
    settings.set("DOWNLOAD_TIMEOUT", 7, "cmdline")
    shown = dict(overridden_settings(settings))
    assert shown["DOWNLOAD_TIMEOUT"] == 7  # -s settings Scrapy knows are listed...
    assert "NEWSCRAWL_DATABASE_URL" not in shown and "REDIS_URL" not in shown  # ...ours are not
    assert "Secret" not in repr(shown)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("redis://:pa/ss@127.0.0.1:6379/0",
         "REDIS_URL redis://:***@127.0.0.1:6379/0 is not a Redis URL: Port could not be cast to integer value as '***'"),
        (f"redis://crawler:Sekr1t@{REDIS}/0",
         f"Redis at redis://crawler:***@{REDIS}/0 refused the credentials of REDIS_URL: "
         "invalid username-password pair or user is disabled."),
        ("rediss://:Sekr1t@127.0.0.1:1/0",
         "Redis at rediss://:***@127.0.0.1:1/0 is unreachable: Error 111 connecting to 127.0.0.1:1. Connection refused."),
        ("unix://:Sekr1t@/nonexistent/redis.sock?db=0",
         "Redis at unix://:***@/nonexistent/redis.sock?db=0 is unreachable: "
         "Error 2 connecting to /nonexistent/redis.sock. No such file or directory."),
        ("unix:///nonexistent/redis.sock?db=0&password=Sekr1t",
         "Redis at unix:///nonexistent/redis.sock?db=0&password=*** is unreachable: "
         "Error 2 connecting to /nonexistent/redis.sock. No such file or directory."),
    ],
)
def test_redis_refusals_mask_the_password(url, message):
    with pytest.raises(SharedCrawlUnavailable) as raised:
        check_redis(url)
    assert str(raised.value) == message


def test_the_shared_scheduler_masks_the_password_of_an_unusable_redis():
    crawler = project_crawler(DetikInetSpider, REDIS_URL="redis://:Sekr1t@127.0.0.1:1/0")
    with pytest.raises(SharedCrawlUnavailable) as raised:
        SharedScheduler.from_crawler(crawler)
    assert str(raised.value).startswith("REDIS_URL redis://:***@127.0.0.1:1/0 is not usable: Error 111 connecting")
    assert "Sekr1t" not in str(raised.value)


ARGUMENT_URL = "https://crawler:ArgUserSecret@inet.detik.com/cyberlife/d-6453192/bos?token=ArgTokenSecret"
MASKED_ARGUMENT_URL = "https://crawler:***@inet.detik.com/cyberlife/d-6453192/bos?token=***"


def test_crawl_runs_rows_keep_arguments_and_counts_without_secrets(postgres_url):
    with open_database(postgres_url) as database:
        run_id = database.start_run("crawl", {"urls": ARGUMENT_URL, "api_key": "K3ySecret"})
        database.finish_run(run_id, {"pages": 1, "note": "redis://:RedisSecret@h:6379/0 was slow"}, "ok")
        (run,) = database.recent_runs(1)
    assert run["arguments"] == {"urls": MASKED_ARGUMENT_URL, "api_key": "***"}
    assert run["counts"] == {"pages": 1, "note": "redis://:***@h:6379/0 was slow"}


def test_the_warcinfo_record_keeps_the_arguments_without_secrets(tmp_path):
    crawler = project_crawler(DetikInetSpider, NEWSCRAWL_EXPORTS_DIR=str(tmp_path))
    spider = DetikInetSpider.from_crawler(crawler, urls=ARGUMENT_URL)
    assert spider.plan.article_urls == ("https://inet.detik.com/cyberlife/d-6453192/bos",)
    info = WarcCaptureMiddleware(crawler).warcinfo(spider, "detikinet-run")
    assert json.loads(info["arguments"]) == {"urls": MASKED_ARGUMENT_URL}


# -- the CLI --------------------------------------------------------------------------------------------
def cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize(
    ("form", "secret"),
    [("userinfo", "PgUserSecret"), ("escaped @", "Pg%40EscSecret"), ("query", "PgQuerySecret")],
)
def test_cli_names_the_database_without_its_password(postgres_url, capsys, form, secret):
    if form == "query":
        url, hidden = f"{postgres_url}&password={secret}", f"{postgres_url}&password=***"
    else:
        url, hidden = with_password(postgres_url, secret), with_password(postgres_url, "***")
    code, out, err = cli(capsys, "db", "upgrade", "--database-url", url)
    assert (code, out, err) == (0, f"database {hidden} is at schema revision {head_revision()}\n", "")
    with open_database(postgres_url) as database:
        database.start_run("crawl", {"urls": ARGUMENT_URL})
    code, out, err = cli(capsys, "stats", "--runs", "1", "--database-url", url)
    assert code == 0 and err == ""
    assert f"  arguments: urls={MASKED_ARGUMENT_URL}\n" in out
    for text in (out, err):
        assert secret not in text and "ArgUserSecret" not in text and "ArgTokenSecret" not in text


def test_cli_refuses_an_unescaped_at_without_showing_any_of_the_password(postgres_url, capsys):
    code, out, err = cli(capsys, "stats", "--database-url", with_password(postgres_url, "Pg@AtSecret"))
    assert code == 1 and out == ""
    assert err.startswith("newscrawl: error: database postgresql+psycopg://postgres:***@127.0.0.1:5432/test?options=")
    assert "'***@127.0.0.1'" in err
    assert "AtSecret" not in err and "Pg@" not in err


def test_cli_shows_old_crawl_runs_rows_masked(postgres_url, capsys):
    """Rows written before arguments were masked on the way in are masked when shown."""
    with open_database(postgres_url) as database, database.engine.begin() as connection:
        connection.execute(sa.text("INSERT INTO crawl_runs (kind, started_at, arguments) "
                                   "VALUES ('crawl', now(), CAST(:arguments AS JSON))"),
                           {"arguments": json.dumps({"urls": ARGUMENT_URL})})
    code, out, err = cli(capsys, "stats", "--runs", "1", "--database-url", postgres_url)
    assert code == 0 and err == ""
    assert f"  arguments: urls={MASKED_ARGUMENT_URL}\n" in out


# -- the crawl, end to end ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def site():
    with Site() as running:
        yield running


def crawl(site: Site, out: Path, database_url: str, redis_url: str | None, via: str, prefix: str,
          urls: str = ",".join(CRAWLED_URLS[:2])) -> subprocess.CompletedProcess:
    """``scrapy crawl detikinet -a urls=...`` through the site into ``out``; the database and Redis URLs
    given as environment variables (via="env") or -s settings (via="-s")."""
    env = {key: value for key, value in os.environ.items()
           if key.upper() not in ("NO_PROXY", "ALL_PROXY", "REDIS_URL") and not key.upper().startswith("NEWSCRAWL_")}
    env.update(https_proxy=site.proxy_url, http_proxy=site.proxy_url, PYTHONDONTWRITEBYTECODE="1")
    command = [sys.executable, "-m", "scrapy", "crawl", "detikinet", "-a", f"urls={urls}",
               "-s", f"NEWSCRAWL_EXPORTS_DIR={out}", "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False",
               "-s", f"NEWSCRAWL_REDIS_PREFIX={prefix}"]
    for name, value in (("NEWSCRAWL_DATABASE_URL", database_url), ("REDIS_URL", redis_url)):
        if value is None:
            continue
        if via == "env":
            env[name] = value
        else:
            command += ["-s", f"{name}={value}"]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def written_text(folder: Path) -> str:
    """Everything the crawl wrote under its exports folder, gzip members decompressed."""
    texts = []
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            texts.append((gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data).decode("utf-8", "replace"))
    return "\n".join(texts)


def crawl_runs(database_url: str) -> list[dict]:
    with open_database(database_url) as database, database.engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT kind, arguments, counts, outcome FROM crawl_runs")).mappings().all()
    return [dict(row) for row in rows]


def warcinfo_arguments(folder: Path) -> list[dict]:
    found = []
    for path in sorted((folder / "warc").glob("*.warc.gz")):
        with path.open("rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type == "warcinfo":
                    text = record.content_stream().read().decode("utf-8")
                    fields = dict(line.split(": ", 1) for line in text.splitlines() if ": " in line)
                    found.append(json.loads(fields["arguments"]))
    return found


def keys_left(prefix: str) -> list[bytes]:
    client = redis.Redis.from_url(f"redis://{REDIS}/0")
    try:
        return list(client.scan_iter(match=f"{prefix}*"))
    finally:
        client.close()


@pytest.mark.parametrize(
    ("via", "database_password", "redis_url", "redis_secret"),
    [
        ("-s", "PgUserSecret", f"redis://:RedisUserSecret@{REDIS}/0", "RedisUserSecret"),
        ("env", "Pg%40EscSecret", f"redis://{REDIS}/0?password=RedisQuerySecret", "RedisQuerySecret"),
        # Every case shares the crawl through Redis, so none takes the run lock: that lock is one per
        # PostgreSQL database, not per schema, and would make these tests wait on unrelated crawls.
        ("-s", "&password=PgQuerySecret", f"redis://default:RedisDefaultSecret@{REDIS}/0", "RedisDefaultSecret"),
    ],
    ids=["userinfo-via-settings", "escaped-at-and-redis-query-via-environment", "query-and-redis-user-via-settings"],
)
def test_a_crawl_shows_and_stores_no_password(site, tmp_path, via, database_password, redis_url, redis_secret):
    argument_url = CRAWLED_URLS[0].replace("https://", "https://crawler:ArgUserSecret@") + "?token=ArgTokenSecret"
    prefix = f"newscrawl-masking-{uuid.uuid4().hex[:8]}"
    with fresh_postgres_schema() as schema_url:
        if database_password.startswith("&"):
            database_url = schema_url + database_password
            secrets = [database_password[len("&password="):]]
        else:
            database_url = with_password(schema_url, database_password)
            secrets = [database_password, database_password.replace("%40", "@")]
        result = crawl(site, tmp_path, database_url, redis_url, via, prefix, urls=f"{argument_url},{CRAWLED_URLS[1]}")
        assert result.returncode == 0, result.stderr[-3000:]
        runs = crawl_runs(schema_url)
    assert f"storing to {mask_password(database_url)} (run 1)" in result.stderr
    assert f"shared crawl {prefix}:detikinet:" in result.stderr  # the crawl really went through Redis
    assert keys_left(prefix) == []  # the only worker was the last: it removed the keys
    masked_arguments = {"urls": f"{mask_password(argument_url)},{CRAWLED_URLS[1]}"}
    assert [(run["kind"], run["arguments"], run["outcome"]) for run in runs] == [("crawl", masked_arguments, "ok")]
    assert warcinfo_arguments(tmp_path) == [masked_arguments]
    files = written_text(tmp_path)
    assert CRAWLED_URLS[0] in files and CRAWLED_URLS[1] in files  # the archive holds the fetched pages
    for secret in [*secrets, redis_secret, "ArgUserSecret", "ArgTokenSecret"]:
        for where, text in (("stdout", result.stdout), ("stderr", result.stderr),
                            ("crawl_runs", json.dumps(runs, default=str)), ("exports (WARC, JSON lines)", files)):
            assert secret not in text, f"{secret} in {where}"


@pytest.mark.parametrize(
    ("database_password", "redis_url", "shown", "hidden"),
    [
        ("Pg@AtSecret", None, "'***@127.0.0.1'", ["AtSecret", "Pg@"]),
        (None, f"redis://crawler:RedisAuthSecret@{REDIS}/0",
         f"Redis at redis://crawler:***@{REDIS}/0 refused the credentials of REDIS_URL", ["RedisAuthSecret"]),
        (None, "redis://:Rdz9/SlashSecret@127.0.0.1:6379/0",
         "REDIS_URL redis://:***@127.0.0.1:6379/0 is not a Redis URL: Port could not be cast to integer value as '***'",
         ["Rdz9", "SlashSecret"]),
    ],
    ids=["database-unescaped-at", "redis-wrong-user", "redis-slash-in-password"],
)
def test_a_refused_crawl_shows_no_password(site, tmp_path, postgres_url, database_password, redis_url, shown, hidden):
    database_url = with_password(postgres_url, database_password) if database_password else postgres_url
    result = crawl(site, tmp_path, database_url, redis_url, "-s", f"newscrawl-masking-{uuid.uuid4().hex[:8]}")
    assert result.returncode == 2
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("scrapy crawl detikinet: error: ") and shown in line
    for secret in hidden:
        assert secret not in result.stderr
    assert not (tmp_path / "warc").exists()  # refused before anything was fetched
