"""Evidence a third party can check: RFC 3161 trusted timestamps (tsa, stamp, verify) and
screenshots of live pages by headless Chromium (screenshot). docs/proof.md."""
