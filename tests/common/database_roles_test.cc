// Least-privilege database roles (deploy/README.md "Database roles") on a real
// PostgreSQL: each service's migrations create its NOLOGIN group role and grants; a
// LOGIN role that is a member can do the service's work but cannot rewrite or drop
// append-only data, DDL or the migration bookkeeping -- every refusal is a permission
// error (SQLSTATE 42501), not one of the append-only triggers.
#include <gtest/gtest.h>

#include <pqxx/pqxx>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/migrations.h"
#include "common/pg.h"
#include "coordinator/pg/pg_store.h"
#include "services/accounts/pg/pg_account_repository.h"
#include "services/donations/pg/pg_store.h"
#include "tests/support/postgres_harness.h"
#include "tests/support/status_matchers.h"

namespace freehold {
namespace {

using testing::PostgresHarness;
using testing::PostgresTest;

class DatabaseRolesTest : public PostgresTest {
 protected:
  void TearDown() override {
    PostgresTest::TearDown();
    absl::StatusOr<std::string> admin = PostgresHarness::Get().AdminUrl();
    if (!admin.ok() || login_role_.empty()) return;
    pqxx::connection c(*admin);
    pqxx::nontransaction tx(c);
    tx.exec("DROP ROLE IF EXISTS " + login_role_);
  }

  // A LOGIN role member of `group` (as the operator creates them); its URL.
  std::string LoginAs(const std::string& group) {
    login_role_ = absl::StrCat("t_", PostgresHarness::DatabaseName(db_url()));
    pqxx::connection c(db_url());
    pqxx::nontransaction tx(c);
    tx.exec(absl::StrCat("CREATE ROLE ", login_role_, " LOGIN IN ROLE ", group));
    return absl::StrCat(db_url(), db_url().find('?') == std::string::npos ? "?" : "&",
                        "user=", login_role_);
  }

  static void Exec(const std::string& url, const std::string& sql) {
    pqxx::connection c(url);
    pqxx::work tx(c);
    tx.exec(sql);
    tx.commit();
  }

  // Runs `sql` as the role of `url`: it must fail with insufficient_privilege (42501).
  static void ExpectDenied(const std::string& url, const std::string& sql) {
    SCOPED_TRACE(sql);
    try {
      Exec(url, sql);
      ADD_FAILURE() << "succeeded, expected a permission error";
    } catch (const pqxx::insufficient_privilege&) {
      // 42501, as expected
    } catch (const std::exception& e) {
      ADD_FAILURE() << "expected a permission error (42501), got: " << e.what();
    }
  }

  std::string login_role_;
};

TEST_F(DatabaseRolesTest, DonationsRoleAppendsToTheLedgerButCannotRewriteIt) {
  {
    PgPool owner(donations::DonationsPoolOptions(db_url(), 1));
    ASSERT_OK(donations::MigrateDonationsSchema(owner));
  }
  const std::string app = LoginAs("freehold_donations_app");
  // The service's start-up check reads only: it passes as the app role.
  {
    PgPool pool(donations::DonationsPoolOptions(app, 1));
    ASSERT_OK(donations::MigrateDonationsSchema(pool));
  }
  const std::string insert = absl::StrCat(
      "INSERT INTO donations.ledger (entry_id, at, kind, amount_minor, currency, rate_to_base, "
      "base_amount_minor, provider, provider_event_id, payment_ref) VALUES "
      "('00000000-0000-7000-8000-000000000001', now(), 'one_off', 500, 'EUR', '1', 500, "
      "'stripe', 'evt_1', 'pi_1')");
  Exec(app, insert);
  Exec(app,
       "INSERT INTO donations.events (provider, event_id, type, kind, occurred_at) VALUES "
       "('stripe', 'evt_1', 'payment_intent.succeeded', 'payment', now())");
  Exec(app, "SELECT count(*) FROM donations.ledger");
  for (const std::string table : {"donations.ledger", "donations.events"}) {
    ExpectDenied(app, absl::StrCat("UPDATE ", table, " SET provider = 'x'"));
    ExpectDenied(app, absl::StrCat("DELETE FROM ", table));
    ExpectDenied(app, absl::StrCat("TRUNCATE ", table));
    ExpectDenied(app, absl::StrCat("ALTER TABLE ", table, " DISABLE TRIGGER USER"));
    ExpectDenied(app, absl::StrCat("ALTER TABLE ", table, " DISABLE TRIGGER ALL"));
    ExpectDenied(app, absl::StrCat("DROP TABLE ", table));
  }
  ExpectDenied(app, "DROP TRIGGER ledger_append_only ON donations.ledger");
  ExpectDenied(app, "DROP TRIGGER ledger_no_truncate ON donations.ledger");
  ExpectDenied(app, "DROP TRIGGER events_append_only ON donations.events");
  ExpectDenied(app, "ALTER TABLE donations.ledger DISABLE TRIGGER ledger_append_only");
  ExpectDenied(app, "CREATE OR REPLACE FUNCTION donations.refuse_ledger_change() RETURNS trigger "
                    "LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$");
  ExpectDenied(app, "SET session_replication_role = replica");
  ExpectDenied(app, "DELETE FROM donations.schema_migrations");
  ExpectDenied(app, "CREATE TABLE donations.x (a int)");
  // Mutable tables stay writable (donor erasure, parked reversals).
  Exec(app, "DELETE FROM donations.donor_personal");
  Exec(app, "DELETE FROM donations.parked_reversals");
}

TEST_F(DatabaseRolesTest, AccountsRoleCannotRewriteTheDeletionOutbox) {
  {
    PgPool owner(accounts::AccountsPoolOptions(db_url(), 1));
    ASSERT_OK(accounts::MigrateAccountsSchema(owner));
  }
  const std::string app = LoginAs("freehold_accounts_app");
  {
    PgPool pool(accounts::AccountsPoolOptions(app, 1));
    ASSERT_OK(accounts::MigrateAccountsSchema(pool));
  }
  Exec(app,
       "INSERT INTO accounts.deleted_accounts_outbox (account_id, deleted_at) VALUES "
       "('00000000-0000-7000-8000-000000000001', now())");
  ExpectDenied(app, "UPDATE accounts.deleted_accounts_outbox SET deleted_at = now()");
  ExpectDenied(app, "DELETE FROM accounts.deleted_accounts_outbox");
  ExpectDenied(app, "TRUNCATE accounts.deleted_accounts_outbox");
  ExpectDenied(app, "TRUNCATE accounts.sessions");
  ExpectDenied(app, "DROP TABLE accounts.sessions");
  ExpectDenied(app, "ALTER TABLE accounts.sessions DISABLE TRIGGER ALL");
  ExpectDenied(app, "DELETE FROM accounts.schema_migrations");
  ExpectDenied(app, "CREATE TABLE accounts.x (a int)");
  // Ended sessions (the coordinator's deny list): appended by the trigger on sessions as
  // the app role, purged when old, never rewritten; the trigger stays.
  Exec(app,
       "INSERT INTO accounts.accounts (account_id, handle, created_at, updated_at, deleted_at) "
       "VALUES ('00000000-0000-7000-8000-000000000002', 'tom', now(), now(), now())");
  Exec(app,
       "INSERT INTO accounts.sessions (session_id, account_id, device_name, refresh_hash, "
       "created_at, last_used_at, expires_at) VALUES ('00000000-0000-7000-8000-000000000003', "
       "'00000000-0000-7000-8000-000000000002', 'd', '\\x" + std::string(64, '0') +
           "', now(), now(), now() + interval '1 day')");
  Exec(app, "UPDATE accounts.sessions SET revoked_at = now(), revoke_reason = 'logout'");
  ExpectDenied(app, "UPDATE accounts.revoked_sessions SET revoked_at = now()");
  ExpectDenied(app, "TRUNCATE accounts.revoked_sessions");
  ExpectDenied(app, "DROP TRIGGER sessions_record_revoked ON accounts.sessions");
  ExpectDenied(app, "ALTER TABLE accounts.sessions DISABLE TRIGGER sessions_record_revoked");
  {
    pqxx::connection c(app);
    pqxx::nontransaction tx(c);
    EXPECT_EQ(tx.exec("SELECT count(*) FROM accounts.revoked_sessions")[0][0].as<int>(), 1);
  }
  Exec(app, "DELETE FROM accounts.revoked_sessions WHERE revoked_at < now() - interval '1 day'");
  Exec(app, "DELETE FROM accounts.sessions");  // purge of expired sessions
}

TEST_F(DatabaseRolesTest, CoordinatorRoleHasNoDdlAndCannotTouchMigrations) {
  {
    PgPool owner(coordinator::CoordinatorPoolOptions(db_url(), 1));
    ASSERT_OK(coordinator::MigrateCoordinatorSchema(owner).status());
  }
  const std::string app = LoginAs("freehold_coordinator_app");
  {
    PgPool pool(coordinator::CoordinatorPoolOptions(app, 1));
    ASSERT_OK_AND_ASSIGN(int applied, coordinator::MigrateCoordinatorSchema(pool));
    EXPECT_EQ(applied, 0);
  }
  Exec(app, "DELETE FROM coordinator.shard_deletions");
  ExpectDenied(app, "TRUNCATE coordinator.objects");
  ExpectDenied(app, "DROP TABLE coordinator.objects");
  ExpectDenied(app, "ALTER TABLE coordinator.objects DISABLE TRIGGER ALL");
  ExpectDenied(app, "UPDATE coordinator.schema_migrations SET checksum = 'x'");
  ExpectDenied(app, "DELETE FROM coordinator.schema_migrations");
  ExpectDenied(app, "CREATE TABLE coordinator.x (a int)");
}

// Without the owner's migrations the app role cannot create the schema: start-up fails
// (instead of running against a schema it does not know).
TEST_F(DatabaseRolesTest, AppRoleCannotMigrateAnEmptyDatabase) {
  {
    PgPool owner(donations::DonationsPoolOptions(db_url(), 1));
    ASSERT_OK(donations::MigrateDonationsSchema(owner));
  }
  const std::string app = LoginAs("freehold_donations_app");
  // An older schema (the newest migration not applied) needs the owner.
  Exec(db_url(), "DELETE FROM donations.schema_migrations WHERE version = "
                 "(SELECT max(version) FROM donations.schema_migrations)");
  PgPool pool(donations::DonationsPoolOptions(app, 1));
  EXPECT_FALSE(donations::MigrateDonationsSchema(pool).ok());
}

}  // namespace
}  // namespace freehold
