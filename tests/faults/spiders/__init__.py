"""Spiders of the fault tests, loaded with ``-s SPIDER_MODULES=tests.faults.spiders``."""
