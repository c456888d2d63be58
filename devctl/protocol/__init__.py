"""Pure wire code: the NDJSON line codec and per-protocol frame validation. No I/O here."""
