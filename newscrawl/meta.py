"""The ``Request.meta`` keys newscrawl's components share, documented in one place.

``page_kind`` (PAGE_KIND)
    Set by the spider on every request it makes: ``index``, ``rss`` or ``article`` (robots.txt
    requests have none). Read by the WARC capture middleware (which pages it archives), by the
    spider's errback and by RunSummary (failures and spider errors are counted by kind).
``source`` (SOURCE)
    Set by the spider on article requests: where the link came from (``index``, ``rss``,
    ``argument``). For logs and debugging.
``single_view`` (SINGLE_VIEW)
    Set by the spider on the ``?single=1`` request of a multi-page article; the callback then knows
    the site may have ignored it and answered with page 1 only.
``expected_pages`` (EXPECTED_PAGES)
    Set by the spider on the requests of a multi-page article: how many pages its navigation
    promised.
``newscrawl_capture`` (CAPTURE)
    Set by the WARC capture and replay middlewares on the request of a response: where that
    response is archived (an ``archive.Capture``). The spider puts it on the item, the store
    pipeline records it (``article_revisions.warc_file``/``warc_offset``), and the fetch time is
    its WARC-Date. Redirected and retried requests carry their predecessor's meta, so the capture
    middleware drops a stale one before every download.
"""

PAGE_KIND = "page_kind"
SOURCE = "source"
SINGLE_VIEW = "single_view"
EXPECTED_PAGES = "expected_pages"
CAPTURE = "newscrawl_capture"
