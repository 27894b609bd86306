-- The abuse-report budget per network (branch abuselimit; core/abuse_desk.h
-- AbuseStore::CountReport), shared by every coordinator replica: before, each replica
-- counted in its own memory, so N replicas let a network send N times the limit.
--
-- network is the reporter's network as the desk keys it (an IPv4 /24 or an IPv6 /48,
-- never a whole address). A row lives for one window at most: every count first
-- deletes the windows that ended, so nothing about a reporter is kept longer.
CREATE TABLE abuse_report_budget (
  network       text PRIMARY KEY CHECK (length(network) BETWEEN 1 AND 64),
  window_start  timestamptz NOT NULL,
  reports       integer NOT NULL CHECK (reports >= 1)
);
CREATE INDEX abuse_report_budget_by_start ON abuse_report_budget (window_start);

GRANT SELECT, INSERT, UPDATE, DELETE ON abuse_report_budget TO freehold_coordinator_app;
