// PostgreSQL read-side store (see pg_store.h).
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "services/donations/pg/pg_store.h"

namespace freehold::donations {
namespace pg_internal {

namespace {
constexpr char kCampaignSelect[] =
    "SELECT c.campaign_id::text, c.title, c.description, c.goal_base_minor, "
    "(extract(epoch from c.starts_at) * 1000000)::bigint, "
    "(extract(epoch from c.ends_at) * 1000000)::bigint, "
    "(extract(epoch from c.created_at) * 1000000)::bigint, "
    "coalesce(s.raised, 0)::bigint, coalesce(s.n, 0)::bigint "
    "FROM donations.campaigns c LEFT JOIN LATERAL (SELECT sum(l.base_amount_minor) AS raised, "
    "count(*) FILTER (WHERE l.kind IN ('one_off', 'recurring')) AS n FROM donations.ledger l "
    "WHERE l.campaign_id = c.campaign_id) s ON true ";
}  // namespace

std::vector<std::pair<std::string, std::string>> QueryStatements() {
  const std::string cols = kEntryColumns;
  return {
      {"dq_create_campaign",
       "INSERT INTO donations.campaigns (campaign_id, title, description, goal_base_minor, "
       "starts_at, ends_at, created_at) VALUES ($1::uuid, $2, $3, $4, "
       "NULLIF($5, '')::timestamptz, NULLIF($6, '')::timestamptz, $7::timestamptz)"},
      {"dq_get_campaign", std::string(kCampaignSelect) + "WHERE c.campaign_id = $1::uuid"},
      {"dq_list_campaigns",
       std::string(kCampaignSelect) +
           "WHERE (NOT $1::boolean OR ((c.starts_at IS NULL OR c.starts_at <= $2::timestamptz) "
           "AND (c.ends_at IS NULL OR c.ends_at > $2::timestamptz))) "
           "ORDER BY c.created_at, c.campaign_id OFFSET $3 LIMIT $4"},
      {"dq_set_rate",
       "INSERT INTO donations.exchange_rates (currency, effective_from, rate_to_base) "
       "VALUES ($1, $2::timestamptz, $3) ON CONFLICT (currency, effective_from) "
       "DO UPDATE SET rate_to_base = EXCLUDED.rate_to_base, source = 'manual'"},
      {"dq_set_file_rate",
       "INSERT INTO donations.exchange_rates (currency, effective_from, rate_to_base, source) "
       "VALUES ($1, $2::timestamptz, $3, 'file') ON CONFLICT (currency, effective_from) "
       "DO UPDATE SET rate_to_base = EXCLUDED.rate_to_base "
       "WHERE donations.exchange_rates.source = 'file' "
       "AND donations.exchange_rates.rate_to_base <> EXCLUDED.rate_to_base"},
      {"dq_rates_at",
       "SELECT DISTINCT ON (currency) currency, rate_to_base, "
       "(extract(epoch from effective_from) * 1000000)::bigint FROM donations.exchange_rates "
       "WHERE effective_from <= $1::timestamptz ORDER BY currency, effective_from DESC"},
      {"dq_month_totals",
       "SELECT to_char(date_trunc('month', at AT TIME ZONE 'UTC'), 'YYYY-MM'), currency, "
       "coalesce(sum(amount_minor) FILTER (WHERE amount_minor > 0), 0)::bigint, "
       "coalesce(-sum(amount_minor) FILTER (WHERE amount_minor < 0), 0)::bigint, "
       "sum(amount_minor)::bigint, sum(base_amount_minor)::bigint FROM donations.ledger "
       "WHERE at >= $1::timestamptz GROUP BY 1, 2 ORDER BY 1 DESC, 2"},
      {"dq_net_base",
       "SELECT coalesce(sum(base_amount_minor), 0)::bigint FROM donations.ledger "
       "WHERE at >= $1::timestamptz AND at < $2::timestamptz "
       "AND (NOT $3::boolean OR pledge_id IS NULL)"},
      {"dq_balance", "SELECT coalesce(sum(base_amount_minor), 0)::bigint FROM donations.ledger"},
      {"dq_donor_count",
       "SELECT (SELECT count(DISTINCT donor_id) FROM donations.ledger WHERE donor_id IS NOT NULL)"
       " + (SELECT count(*) FROM donations.ledger WHERE donor_id IS NULL "
       "AND kind IN ('one_off', 'recurring'))"},
      {"dq_list_pledges",
       "SELECT pledge_id, amount_minor, currency, interval, interval_count, "
       "coalesce(campaign_id::text, ''), (extract(epoch from created_at) * 1000000)::bigint, "
       "(extract(epoch from cancelled_at) * 1000000)::bigint FROM donations.pledges "
       "WHERE (NOT $1::boolean OR cancelled_at IS NULL) ORDER BY seq OFFSET $2 LIMIT $3"},
      {"dq_export",
       "SELECT " + cols +
           " FROM donations.ledger l WHERE l.at >= $1::timestamptz AND l.at < $2::timestamptz "
           "AND l.seq > $3 ORDER BY l.seq LIMIT $4"},
      {"dq_donor_by_token",
       "SELECT donor_id::text FROM donations.donor_tokens WHERE token_hash = $1"},
      {"dq_donor_entries", "SELECT " + cols +
                               " FROM donations.ledger l WHERE l.donor_id IN (SELECT donations.donor_and_claimed($1::uuid)) "
                               "ORDER BY l.at DESC, l.seq DESC OFFSET $2 LIMIT $3"},
      {"dq_get_entry", "SELECT " + cols + " FROM donations.ledger l WHERE l.entry_id = $1::uuid"},
      {"dq_personal",
       "SELECT coalesce(customer_ref, ''), coalesce(name, ''), coalesce(email, '') "
       "FROM donations.donor_personal WHERE donor_id = $1::uuid"},
      {"dq_erase_donor_ids",
       "SELECT DISTINCT d::text FROM donations.donor_and_claimed($1::uuid) d"},
      {"dq_erase_by_contact_ids",
       "SELECT donor_id::text FROM donations.donor_personal WHERE provider = $1 AND "
       "((customer_ref = NULLIF($2, '')) OR (lower(email) = lower(NULLIF($3, ''))))"},
      {"dq_claimed_by",
       "SELECT EXISTS (SELECT 1 FROM donations.donor_claims WHERE donor_id = $1::uuid AND "
       "claimed_donor_id = $2::uuid)"},
  };
}

}  // namespace pg_internal

namespace {

using pg_internal::EntryFromRow;
using pg_internal::TimeParam;

std::optional<absl::Time> OptionalMicros(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return absl::FromUnixMicros(f.as<int64_t>());
}

Campaign CampaignFromRow(const pqxx::row& row) {
  Campaign c;
  c.campaign_id = row[0].as<std::string>();
  c.title = row[1].as<std::string>();
  c.description = row[2].as<std::string>();
  c.goal_base_minor = row[3].as<int64_t>();
  c.start = OptionalMicros(row[4]);
  c.end = OptionalMicros(row[5]);
  c.created_at = absl::FromUnixMicros(row[6].as<int64_t>());
  c.raised_base_minor = row[7].as<int64_t>();
  c.donations = row[8].as<uint64_t>();
  return c;
}

}  // namespace

absl::Status PgQueryStore::CreateCampaign(const Campaign& c) {
  return pool_.Run([&](PgTxn& txn) {
    txn.exec_prepared("dq_create_campaign", c.campaign_id, c.title, c.description,
                      c.goal_base_minor, c.start ? TimeParam(*c.start) : std::string(),
                      c.end ? TimeParam(*c.end) : std::string(), TimeParam(c.created_at));
  });
}

absl::StatusOr<Campaign> PgQueryStore::GetCampaign(absl::string_view campaign_id) {
  FH_RETURN_IF_ERROR(CatchUp());
  return pool_.RunReadOnly([&](PgTxn& txn) -> absl::StatusOr<Campaign> {
    pqxx::result r = txn.exec_prepared("dq_get_campaign", std::string(campaign_id));
    if (r.empty()) {
      return absl::NotFoundError(absl::StrCat("campaign_id: no campaign ", campaign_id));
    }
    return CampaignFromRow(r[0]);
  });
}

absl::StatusOr<std::vector<Campaign>> PgQueryStore::ListCampaigns(bool live_only, absl::Time now,
                                                                  int offset, int limit) {
  FH_RETURN_IF_ERROR(CatchUp());
  return pool_.RunReadOnly([&](PgTxn& txn) {
    pqxx::result r =
        txn.exec_prepared("dq_list_campaigns", live_only, TimeParam(now), offset, limit);
    std::vector<Campaign> out;
    for (const pqxx::row& row : r) out.push_back(CampaignFromRow(row));
    return out;
  });
}

absl::Status PgQueryStore::CloseCampaign(absl::string_view campaign_id, absl::Time at) {
  return pool_.Run([&](PgTxn& txn) -> absl::Status {
    pqxx::result r = txn.exec_params(
        "UPDATE donations.campaigns SET ends_at = least(coalesce(ends_at, $2::timestamptz), "
        "$2::timestamptz) WHERE campaign_id = $1::uuid RETURNING 1",
        std::string(campaign_id), TimeParam(at));
    if (r.empty()) return absl::NotFoundError("campaign_id: no such campaign");
    return absl::OkStatus();
  });
}

absl::StatusOr<int> PgQueryStore::SetExchangeRates(const std::vector<RateRow>& rows,
                                                   RateSource source) {
  const char* statement = source == RateSource::kFile ? "dq_set_file_rate" : "dq_set_rate";
  return pool_.Run([&](PgTxn& txn) {
    for (const RateRow& row : rows) {
      txn.exec_prepared(statement, row.currency, TimeParam(row.effective_from),
                        row.rate.ToString());
    }
    return static_cast<int>(rows.size());
  });
}

absl::StatusOr<std::vector<RateRow>> PgQueryStore::RatesAt(absl::Time at) {
  return pool_.RunReadOnly([&](PgTxn& txn) -> absl::StatusOr<std::vector<RateRow>> {
    pqxx::result r = txn.exec_prepared("dq_rates_at", TimeParam(at));
    std::vector<RateRow> out;
    for (const pqxx::row& row : r) {
      RateRow rate;
      rate.currency = row[0].as<std::string>();
      absl::StatusOr<DecimalRate> parsed = ParseRate(row[1].as<std::string>(), "exchange_rates");
      if (!parsed.ok()) return absl::InternalError(parsed.status().message());
      rate.rate = *parsed;
      rate.effective_from = absl::FromUnixMicros(row[2].as<int64_t>());
      out.push_back(std::move(rate));
    }
    return out;
  });
}

absl::StatusOr<std::vector<MonthTotal>> PgQueryStore::MonthTotals(absl::Time since) {
  FH_RETURN_IF_ERROR(CatchUp());
  return pool_.RunReadOnly([&](PgTxn& txn) {
    pqxx::result r = txn.exec_prepared("dq_month_totals", TimeParam(since));
    std::vector<MonthTotal> out;
    for (const pqxx::row& row : r) {
      MonthTotal m;
      m.month = row[0].as<std::string>();
      m.currency = row[1].as<std::string>();
      m.gross_minor = row[2].as<int64_t>();
      m.reversed_minor = row[3].as<int64_t>();
      m.net_minor = row[4].as<int64_t>();
      m.net_base_minor = row[5].as<int64_t>();
      out.push_back(std::move(m));
    }
    return out;
  });
}

absl::StatusOr<int64_t> PgQueryStore::NetBase(absl::Time start, absl::Time end, bool one_off_only) {
  FH_RETURN_IF_ERROR(CatchUp());
  return pool_.RunReadOnly([&](PgTxn& txn) {
    return txn.exec_prepared("dq_net_base", TimeParam(start), TimeParam(end), one_off_only)[0][0]
        .as<int64_t>();
  });
}

absl::StatusOr<int64_t> PgQueryStore::BalanceBase() {
  FH_RETURN_IF_ERROR(CatchUp());
  return pool_.RunReadOnly(
      [&](PgTxn& txn) { return txn.exec_prepared("dq_balance")[0][0].as<int64_t>(); });
}

absl::StatusOr<uint64_t> PgQueryStore::DonorCount() {
  FH_RETURN_IF_ERROR(CatchUp());
  return pool_.RunReadOnly(
      [&](PgTxn& txn) { return txn.exec_prepared("dq_donor_count")[0][0].as<uint64_t>(); });
}

absl::StatusOr<std::vector<Pledge>> PgQueryStore::ListPledges(bool active_only, int offset,
                                                              int limit) {
  return pool_.RunReadOnly([&](PgTxn& txn) {
    pqxx::result r = txn.exec_prepared("dq_list_pledges", active_only, offset, limit);
    std::vector<Pledge> out;
    for (const pqxx::row& row : r) {
      Pledge p;
      p.info.pledge_id = row[0].as<std::string>();
      p.info.amount_minor = row[1].as<int64_t>();
      p.info.currency = row[2].as<std::string>();
      p.info.interval = row[3].as<std::string>();
      p.info.interval_count = row[4].as<int>();
      p.info.campaign_id = row[5].as<std::string>();
      p.info.created_at = absl::FromUnixMicros(row[6].as<int64_t>());
      p.info.cancelled_at = OptionalMicros(row[7]);
      p.active = !p.info.cancelled_at.has_value();
      out.push_back(std::move(p));
    }
    return out;
  });
}

absl::StatusOr<std::pair<std::vector<LedgerEntry>, int64_t>> PgQueryStore::ExportEntries(
    absl::Time start, absl::Time end, int64_t after_cursor, int limit) {
  FH_RETURN_IF_ERROR(CatchUp());
  return pool_.RunReadOnly([&](PgTxn& txn) {
    pqxx::result r =
        txn.exec_prepared("dq_export", TimeParam(start), TimeParam(end), after_cursor, limit);
    std::pair<std::vector<LedgerEntry>, int64_t> out{{}, after_cursor};
    for (const pqxx::row& row : r) {
      out.first.push_back(EntryFromRow(row));
      out.second = row[14].as<int64_t>();
    }
    return out;
  });
}

absl::StatusOr<std::optional<std::string>> PgQueryStore::FindDonorByTokenHash(
    absl::string_view token_hash) {
  return pool_.RunReadOnly([&](PgTxn& txn) {
    pqxx::result r = txn.exec_prepared("dq_donor_by_token",
                                       pqxx::binarystring(token_hash.data(), token_hash.size()));
    if (r.empty()) return std::optional<std::string>();
    return std::optional<std::string>(r[0][0].as<std::string>());
  });
}

absl::StatusOr<std::vector<LedgerEntry>> PgQueryStore::ListDonorEntries(absl::string_view donor_id,
                                                                        int offset, int limit) {
  FH_RETURN_IF_ERROR(CatchUp());
  return pool_.RunReadOnly([&](PgTxn& txn) {
    pqxx::result r = txn.exec_prepared("dq_donor_entries", std::string(donor_id), offset, limit);
    std::vector<LedgerEntry> out;
    for (const pqxx::row& row : r) out.push_back(EntryFromRow(row));
    return out;
  });
}

absl::StatusOr<std::optional<LedgerEntry>> PgQueryStore::GetEntry(absl::string_view entry_id) {
  FH_RETURN_IF_ERROR(CatchUp());
  return pool_.RunReadOnly([&](PgTxn& txn) {
    pqxx::result r = txn.exec_prepared("dq_get_entry", std::string(entry_id));
    if (r.empty()) return std::optional<LedgerEntry>();
    return std::optional<LedgerEntry>(EntryFromRow(r[0]));
  });
}

absl::StatusOr<std::optional<DonorInfo>> PgQueryStore::PersonalData(absl::string_view donor_id) {
  return pool_.RunReadOnly([&](PgTxn& txn) {
    pqxx::result r = txn.exec_prepared("dq_personal", std::string(donor_id));
    if (r.empty()) return std::optional<DonorInfo>();
    DonorInfo d;
    d.customer_ref = r[0][0].as<std::string>();
    d.name = r[0][1].as<std::string>();
    d.email = r[0][2].as<std::string>();
    return std::optional<DonorInfo>(std::move(d));
  });
}

absl::StatusOr<bool> PgQueryStore::IsSameOrClaimedDonor(absl::string_view donor_id,
                                                         absl::string_view other) {
  if (donor_id == other) return true;
  if (other.empty()) return false;
  return pool_.RunReadOnly([&](PgTxn& txn) {
    return txn.exec_prepared("dq_claimed_by", std::string(donor_id), std::string(other))[0][0]
        .as<bool>();
  });
}

absl::Status PgQueryStore::ErasePersonalData(absl::string_view donor_id) {
  return pool_.Run([&](PgTxn& txn) {
    std::vector<std::string> ids;
    for (const pqxx::row& row : txn.exec_prepared("dq_erase_donor_ids", std::string(donor_id))) {
      ids.push_back(row[0].as<std::string>());
    }
    pg_internal::EraseDonors(txn, ids);
  });
}

absl::StatusOr<int> PgQueryStore::ErasePersonalDataByContact(absl::string_view provider,
                                                             absl::string_view customer_ref,
                                                             absl::string_view email) {
  return pool_.Run([&](PgTxn& txn) {
    std::vector<std::string> ids;
    for (const pqxx::row& row : txn.exec_prepared("dq_erase_by_contact_ids", std::string(provider),
                                                  std::string(customer_ref), std::string(email))) {
      ids.push_back(row[0].as<std::string>());
    }
    return pg_internal::EraseDonors(txn, ids);
  });
}

}  // namespace freehold::donations
