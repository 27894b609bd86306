-- Funding monitor (DESIGN.md 6): per-account bytes committed in a recent
-- window (fair-share throttling) read segments by commit time.
CREATE INDEX segments_committed_at ON segments (committed_at) WHERE committed;
