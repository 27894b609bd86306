-- smallfast (issue 20): the time conversions every row read and write goes through,
-- rewritten with immutable operators only so that the planner inlines them into the
-- statement instead of running a SQL function per value (fmgr_sql was ~8% of
-- PostgreSQL's CPU in freehold-bench-coordinator). Same results for every input:
-- timestamp + interval and AT TIME ZONE 'UTC' are immutable, timestamptz + interval
-- and extract(epoch FROM timestamptz) are only stable, which forbade the inlining.
CREATE OR REPLACE FUNCTION micros_to_ts(us bigint) RETURNS timestamptz
  LANGUAGE sql IMMUTABLE
  AS $$ SELECT CASE WHEN us IS NULL OR us < 0 THEN NULL
                    ELSE (timestamp 'epoch' + us * interval '1 microsecond') AT TIME ZONE 'UTC'
               END $$;
CREATE OR REPLACE FUNCTION ts_to_micros(t timestamptz) RETURNS bigint
  LANGUAGE sql IMMUTABLE
  AS $$ SELECT COALESCE((extract(epoch FROM (t AT TIME ZONE 'UTC')) * 1000000)::bigint, -1) $$;
