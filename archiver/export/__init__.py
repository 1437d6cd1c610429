"""Export: what archive.db holds as WARC (`warc`) or WACZ (`wacz`) files, through warcio; `run` is
the stage (whole or not at all)."""
