"""Pure functions that turn the raw strings of a page into typed field values."""
