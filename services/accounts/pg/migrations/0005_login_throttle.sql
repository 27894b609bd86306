-- Login throttling shared by every accounts replica (core/login_throttle.h): one row
-- per counter, keyed by BLAKE2b-256(pepper, "handle from network" or "network"), so no
-- handle or address is stored in clear. Times are Unix microseconds.
CREATE TABLE login_throttle (
  key              bytea   PRIMARY KEY,
  failures         integer NOT NULL,
  last_failure_us  bigint  NOT NULL,
  blocked_until_us bigint  NOT NULL
);
CREATE INDEX login_throttle_by_last_failure ON login_throttle (last_failure_us);

GRANT SELECT, INSERT, UPDATE, DELETE ON login_throttle TO freehold_accounts_app;
