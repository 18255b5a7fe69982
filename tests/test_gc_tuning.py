"""The crawl process's garbage-collection threshold (newscrawl/gc_tuning.py, issue 14 item 2)."""

from __future__ import annotations

import gc
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from scrapy.exceptions import NotConfigured

from newscrawl.gc_tuning import GcTuning
from newscrawl.warc_middlewares import BadSetting
from newscrawl.spiders.detikinet import DetikInetSpider
from tests.support import project_crawler


@pytest.fixture
def python_thresholds():
    """The test's own thresholds, whatever the extension did, put back after it."""
    saved = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield
    gc.set_threshold(*saved)


def test_the_threshold_is_raised_while_the_spider_runs_and_put_back_after(python_thresholds):
    crawler = project_crawler(DetikInetSpider)  # builds the project's extensions, this one among them
    tuning = crawler.get_extension(GcTuning)
    assert tuning.threshold == crawler.settings.getint("NEWSCRAWL_GC_THRESHOLD") == 5_000
    assert gc.get_threshold() == (700, 10, 10)  # nothing changes before the spider opens
    tuning.spider_opened()
    assert gc.get_threshold() == (5_000, 10, 10)  # the older generations keep Python's ratios
    tuning.spider_closed()
    assert gc.get_threshold() == (700, 10, 10)
    tuning.spider_closed()  # a second close (a spider that failed to open) changes nothing
    assert gc.get_threshold() == (700, 10, 10)


def test_zero_keeps_pythons_thresholds_and_anything_but_a_whole_number_is_refused(python_thresholds):
    with pytest.raises(NotConfigured):
        GcTuning.from_crawler(project_crawler(DetikInetSpider, NEWSCRAWL_GC_THRESHOLD=0))
    with pytest.raises(ValueError, match="NEWSCRAWL_GC_THRESHOLD must be 0 .* or more, not -5"):
        GcTuning.from_crawler(project_crawler(DetikInetSpider, NEWSCRAWL_GC_THRESHOLD=-5))
    for value in ("ten", "2.5", ""):
        message = f"NEWSCRAWL_GC_THRESHOLD must be 0 (Python's own) or more, not {value!r}"
        with pytest.raises(BadSetting, match="^" + re.escape(message) + "$"):
            GcTuning.from_crawler(project_crawler(DetikInetSpider, NEWSCRAWL_GC_THRESHOLD=value))
    assert gc.get_threshold() == (700, 10, 10)


@pytest.mark.parametrize(("setting", "message"), [
    ("NEWSCRAWL_GC_THRESHOLD=-1", "NEWSCRAWL_GC_THRESHOLD must be 0 (Python's own) or more, not '-1'"),
    ("NEWSCRAWL_EXTRACTION_PROCESSES=two", "NEWSCRAWL_EXTRACTION_PROCESSES must be 0 or more, or auto, not 'two'"),
])
def test_the_crawl_command_refuses_a_bad_process_setting_before_starting(tmp_path, setting, message):
    refused = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "detikinet", "-a", "urls=https://inet.detik.com/cyberlife/d-1/a",
         "-s", setting, "-s", f"NEWSCRAWL_EXPORTS_DIR={tmp_path}"],
        cwd=Path(__file__).resolve().parents[1],
        env={**os.environ, "NEWSCRAWL_DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3"},
        capture_output=True, text=True, timeout=120,
    )
    assert refused.returncode == 2
    assert refused.stderr == f"scrapy crawl detikinet: error: {message}\n"
    assert not (tmp_path / "db.sqlite3").exists()  # refused before the database was opened
