"""URLs as every stage sees them: the one host rule (`hosts`), URL keys (`keys`), and how a note is
split into URL-shaped pieces (`segment`). Pure functions, no I/O; shared by extract, lint, check and
archive."""
