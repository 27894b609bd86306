// PgPool after a failover: a session that ends up on a read-only server (a former
// primary now a standby) answers UNAVAILABLE, not INTERNAL, and is discarded.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/pg.h"
#include "tests/support/postgres_harness.h"
#include "tests/support/status_matchers.h"

namespace freehold {
namespace {

using ::freehold::testing::StatusIs;

class PgFailoverTest : public ::freehold::testing::PostgresTest {};

TEST_F(PgFailoverTest, WriteOnAReadOnlyServerIsUnavailable) {
  PgPoolOptions o;
  o.connection_string = db_url();
  o.size = 1;
  PgPool setup(o);
  ASSERT_OK(setup.Run([](PgTxn& txn) { txn.exec("CREATE TABLE t (x int)"); }));
  // Every session of this pool behaves as on a standby: writes fail with 25006.
  o.session_settings = {{"default_transaction_read_only", "on"}};
  PgPool pool(o);
  EXPECT_THAT(pool.Run([](PgTxn& txn) { txn.exec("INSERT INTO t VALUES (1)"); }),
              StatusIs(absl::StatusCode::kUnavailable, ::testing::HasSubstr("read-only")));
  // Reads still work (on a fresh connection: the read-only one was discarded).
  EXPECT_OK(pool.RunReadOnly([](PgTxn& txn) { txn.exec("SELECT count(*) FROM t"); }));
}

}  // namespace
}  // namespace freehold
