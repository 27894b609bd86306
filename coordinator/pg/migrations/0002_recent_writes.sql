-- Funding monitor (docs/ARCHITECTURE.md#12-funding-and-admission): per-account bytes committed in a recent
-- window (fair-share throttling) read segments by commit time.
CREATE INDEX segments_committed_at ON segments (committed_at) WHERE committed;

-- Comments edited after release (checksums of the earlier texts):
-- freehold:previous-checksum aa6d92e472090df9b81e144dd556cb0c191da3f98a3321c32da3a87d7494971a
