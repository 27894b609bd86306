// Read side: campaigns, funding reports, donor portal, export (see read_side.h).
#include "services/donations/core/read_side.h"

#include <algorithm>
#include <map>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/status.h"
#include "services/donations/core/currency.h"
#include "services/donations/core/donor_token.h"

namespace freehold::donations {
namespace {

absl::Time MonthStart(absl::CivilMonth m) { return absl::FromCivil(m, absl::UTCTimeZone()); }

absl::CivilMonth MonthOf(absl::Time t) {
  return absl::CivilMonth(absl::ToCivilSecond(t, absl::UTCTimeZone()));
}

std::string FormatUtc(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

std::string CsvField(absl::string_view s) {
  if (s.find_first_of(",\"\n\r") == absl::string_view::npos) return std::string(s);
  return absl::StrCat("\"", absl::StrReplaceAll(s, {{"\"", "\"\""}}), "\"");
}

// Monthly equivalent (base minor) of a pledge already converted to base per interval.
int64_t MonthlyEquivalent(int64_t per_interval, const std::string& interval, int count) {
  __int128 num = per_interval;
  __int128 den = std::max(count, 1);
  if (interval == "year") {
    den *= 12;
  } else if (interval == "week") {
    num *= 52;
    den *= 12;
  } else if (interval == "day") {
    num *= 365;
    den *= 12;
  }
  return static_cast<int64_t>(DivideRoundHalfEven(num, den));
}

}  // namespace

absl::StatusOr<PageSpec> ParsePage(uint32_t page_size, absl::string_view page_token,
                                   absl::string_view field) {
  PageSpec page;
  page.limit = page_size == 0 ? kDefaultPageSize
                              : static_cast<int>(std::min<uint32_t>(page_size, kMaxPageSize));
  if (!page_token.empty()) {
    if (!absl::SimpleAtoi(page_token, &page.offset) || page.offset < 0) {
      return absl::InvalidArgumentError(absl::StrCat(field, ".page_token: malformed page token"));
    }
  }
  return page;
}

std::string NextPageToken(const PageSpec& page, size_t returned) {
  if (returned < static_cast<size_t>(page.limit)) return "";
  return std::to_string(page.offset + static_cast<int>(returned));
}

// ---------------------------------------------------------------- CampaignBook

CampaignBook::CampaignBook(CampaignStore& store, Clock& clock) : store_(store), clock_(clock) {}

double CampaignBook::Progress(const Campaign& c) {
  if (c.goal_base_minor <= 0) return 0.0;
  return static_cast<double>(c.raised_base_minor) / static_cast<double>(c.goal_base_minor);
}

absl::StatusOr<Campaign> CampaignBook::Create(Campaign c) {
  if (c.title.empty() || c.title.size() > 200) {
    return absl::InvalidArgumentError("title: must be 1..200 characters");
  }
  if (c.description.size() > 4000) {
    return absl::InvalidArgumentError("description: longer than 4000 characters");
  }
  if (c.goal_base_minor <= 0 || c.goal_base_minor > 1'000'000'000'000'000) {
    return absl::InvalidArgumentError("goal_base_minor: must be > 0 and <= 10^15");
  }
  if (c.start.has_value() && c.end.has_value() && *c.start >= *c.end) {
    return absl::InvalidArgumentError("end: must be after start");
  }
  c.campaign_id = NewUuid();
  c.created_at = clock_.Now();
  c.raised_base_minor = 0;
  c.donations = 0;
  FH_RETURN_IF_ERROR(store_.CreateCampaign(c));
  if (changed_) changed_();
  return c;
}

absl::StatusOr<Campaign> CampaignBook::Get(absl::string_view campaign_id) {
  if (!IsUuid(campaign_id)) {
    return absl::InvalidArgumentError("campaign_id: must be a UUID");
  }
  return store_.GetCampaign(campaign_id);
}

absl::StatusOr<Campaign> CampaignBook::Close(absl::string_view campaign_id) {
  FH_ASSIGN_OR_RETURN(Campaign c, Get(campaign_id));
  const absl::Time now = clock_.Now();
  if (c.end.has_value() && *c.end <= now) return c;  // closed already
  if (c.start.has_value() && *c.start >= now) {
    return absl::FailedPreconditionError(
        "campaign_id: the campaign has not started yet; it cannot be closed before it starts");
  }
  FH_RETURN_IF_ERROR(store_.CloseCampaign(campaign_id, now));
  if (changed_) changed_();
  return store_.GetCampaign(campaign_id);
}

absl::StatusOr<std::vector<Campaign>> CampaignBook::List(bool live_only, const PageSpec& page) {
  return store_.ListCampaigns(live_only, clock_.Now(), page.offset, page.limit);
}

// ---------------------------------------------------------------- FundingReport

FundingReport::FundingReport(ReportStore& reports, CampaignStore& campaigns, Clock& clock,
                             std::string base_currency,
                             std::function<std::optional<int64_t>()> monthly_cost, Logger log)
    : reports_(reports),
      campaigns_(campaigns),
      clock_(clock),
      base_currency_(std::move(base_currency)),
      monthly_cost_(std::move(monthly_cost)),
      log_(std::move(log)) {}

absl::StatusOr<FundingSummary> FundingReport::Summary(uint32_t months) {
  if (months == 0) months = 12;
  if (months > 120) return absl::InvalidArgumentError("months: at most 120");
  FundingSummary out;
  out.base_currency = base_currency_;
  out.as_of = clock_.Now();
  const absl::CivilMonth this_month = MonthOf(out.as_of);
  FH_ASSIGN_OR_RETURN(out.months, reports_.MonthTotals(MonthStart(this_month - (months - 1))));
  FH_ASSIGN_OR_RETURN(out.balance_base_minor, reports_.BalanceBase());
  FH_ASSIGN_OR_RETURN(out.this_month_net_base_minor,
                      reports_.NetBase(MonthStart(this_month), MonthStart(this_month + 1), false));
  FH_ASSIGN_OR_RETURN(
      int64_t trailing,
      reports_.NetBase(MonthStart(this_month - 3), MonthStart(this_month), /*one_off_only=*/true));
  out.trailing_one_off_average_base_minor = static_cast<int64_t>(DivideRoundHalfEven(trailing, 3));
  FH_ASSIGN_OR_RETURN(out.monthly_recurring_base_minor, MonthlyRecurringBase());
  FH_ASSIGN_OR_RETURN(out.donor_count, reports_.DonorCount());
  return out;
}

absl::StatusOr<int64_t> FundingReport::MonthlyRecurringBase() {
  const absl::Time now = clock_.Now();
  FH_ASSIGN_OR_RETURN(std::vector<RateRow> rates, reports_.RatesAt(now));
  const int base_digits = MinorDigits(base_currency_).value_or(2);
  int64_t total = 0;
  for (int offset = 0;; offset += kMaxPageSize) {
    FH_ASSIGN_OR_RETURN(std::vector<Pledge> pledges,
                        reports_.ListPledges(/*active_only=*/true, offset, kMaxPageSize));
    for (const Pledge& p : pledges) {
      std::optional<DecimalRate> rate = SelectRate(rates, p.info.currency, now, base_currency_);
      if (!rate.has_value()) {
        log_.Warn("pledge left out of the monthly total: no exchange rate",
                  {{"pledge_id", p.info.pledge_id}, {"currency", p.info.currency}});
        continue;
      }
      FH_ASSIGN_OR_RETURN(
          int64_t base, ConvertToBase(p.info.amount_minor, MinorDigits(p.info.currency).value_or(2),
                                      *rate, base_digits));
      total += MonthlyEquivalent(base, p.info.interval, p.info.interval_count);
    }
    if (pledges.size() < static_cast<size_t>(kMaxPageSize)) break;
  }
  return total;
}

absl::StatusOr<TransparencyData> FundingReport::Transparency() {
  TransparencyData out;
  out.base_currency = base_currency_;
  out.base_digits = MinorDigits(base_currency_).value_or(2);
  const absl::Time now = clock_.Now();
  const absl::CivilMonth month = MonthOf(now);
  out.month = absl::FormatCivilTime(month);
  FH_ASSIGN_OR_RETURN(out.this_month_net_base_minor,
                      reports_.NetBase(MonthStart(month), MonthStart(month + 1), false));
  if (storage_figures_) {
    std::optional<StorageFigures> figures = storage_figures_();
    if (figures.has_value() && figures->currency == base_currency_) {
      out.monthly_cost_base_minor = figures->monthly_cost_base_minor;
      out.storage = std::move(figures);
    } else if (figures.has_value()) {
      log_.Warn("the coordinator's cost is in another currency; not shown",
                {{"currency", figures->currency}, {"base_currency", base_currency_}});
    }
  }
  if (!out.storage.has_value() && monthly_cost_) out.monthly_cost_base_minor = monthly_cost_();
  FH_ASSIGN_OR_RETURN(out.monthly_recurring_base_minor, MonthlyRecurringBase());
  FH_ASSIGN_OR_RETURN(out.live_campaigns, campaigns_.ListCampaigns(true, now, 0, 100));
  if (accountability_figures_) out.accountability = accountability_figures_();
  return out;
}

absl::Status FundingReport::RefreshGauges(DonationMetrics& metrics) {
  FH_ASSIGN_OR_RETURN(int64_t balance, reports_.BalanceBase());
  FH_ASSIGN_OR_RETURN(int64_t monthly, MonthlyRecurringBase());
  metrics.SetLedgerBalanceBase(balance);
  metrics.SetMonthlyRecurringBase(monthly);
  return absl::OkStatus();
}

absl::StatusOr<int> FundingReport::SetExchangeRates(const std::vector<RateRow>& rows,
                                                    RateSource source) {
  if (rows.empty()) return absl::InvalidArgumentError("rates: empty");
  for (size_t i = 0; i < rows.size(); ++i) {
    const RateRow& row = rows[i];
    const std::string field = absl::StrCat("rates[", i, "]");
    if (!MinorDigits(row.currency).has_value()) {
      return absl::InvalidArgumentError(absl::StrCat(field, ".currency: unknown currency"));
    }
    if (row.rate.mantissa <= 0) {
      return absl::InvalidArgumentError(absl::StrCat(field, ".rate_to_base: must be > 0"));
    }
    if (row.currency == base_currency_ && !(row.rate == DecimalRate::One())) {
      return absl::InvalidArgumentError(absl::StrCat(field, ".rate_to_base: the base currency ",
                                                     base_currency_, " always has rate 1"));
    }
  }
  FH_ASSIGN_OR_RETURN(int stored, reports_.SetExchangeRates(rows, source));
  if (rates_listener_) rates_listener_();
  return stored;
}

absl::StatusOr<std::vector<Pledge>> FundingReport::ListPledges(bool active_only,
                                                               const PageSpec& page) {
  return reports_.ListPledges(active_only, page.offset, page.limit);
}

absl::Status FundingReport::ExportCsv(absl::Time start, absl::Time end, int rows_per_chunk,
                                      const std::function<bool(const std::string&)>& sink) {
  if (start >= end) return absl::InvalidArgumentError("range: start must be before end");
  rows_per_chunk = std::clamp(rows_per_chunk, 1, 5000);
  std::string chunk = CsvHeader();
  int64_t cursor = 0;
  while (true) {
    FH_ASSIGN_OR_RETURN(auto batch, reports_.ExportEntries(start, end, cursor, rows_per_chunk));
    for (const LedgerEntry& e : batch.first) chunk += CsvRow(e, base_currency_);
    cursor = batch.second;
    const bool last = batch.first.size() < static_cast<size_t>(rows_per_chunk);
    if (!chunk.empty()) {
      if (!sink(chunk)) return absl::CancelledError("export cancelled by the client");
      chunk.clear();
    }
    if (last) return absl::OkStatus();
  }
}

// ---------------------------------------------------------------- DonorPortal

DonorPortal::DonorPortal(DonorStore& store, const TokenSigner& signer, Clock& clock,
                         std::string base_currency)
    : store_(store), signer_(signer), clock_(clock), base_currency_(std::move(base_currency)) {}

absl::StatusOr<std::string> DonorPortal::Authenticate(absl::string_view donor_token) {
  if (donor_token.empty()) return absl::InvalidArgumentError("donor_token: required");
  if (!LooksLikeDonorToken(donor_token)) {
    return absl::UnauthenticatedError("donor_token: not a valid donor token");
  }
  FH_ASSIGN_OR_RETURN(std::optional<std::string> donor,
                      store_.FindDonorByTokenHash(HashDonorToken(donor_token)));
  if (!donor.has_value()) return absl::UnauthenticatedError("donor_token: unknown donor token");
  return *donor;
}

absl::StatusOr<std::vector<LedgerEntry>> DonorPortal::ListMyDonations(absl::string_view donor_token,
                                                                      const PageSpec& page) {
  FH_ASSIGN_OR_RETURN(std::string donor, Authenticate(donor_token));
  return store_.ListDonorEntries(donor, page.offset, page.limit);
}

std::string DonorPortal::ReceiptText(const LedgerEntry& e, const std::string& base_currency,
                                     const std::optional<DonorInfo>& donor, absl::Time issued_at) {
  const int digits = MinorDigits(e.currency).value_or(2);
  const int base_digits = MinorDigits(base_currency).value_or(2);
  std::string kind;
  switch (e.kind) {
    case EntryKind::kOneOff:
      kind = "one-off donation";
      break;
    case EntryKind::kRecurring:
      kind = "recurring donation";
      break;
    case EntryKind::kRefund:
      kind = "refund";
      break;
    case EntryKind::kChargeback:
      kind = "chargeback";
      break;
  }
  std::string text = absl::StrCat(
      "Freehold donation receipt\n", "Entry: ", e.entry_id, "\n", "Date: ", FormatUtc(e.at), "\n",
      "Kind: ", kind, "\n", "Amount: ", FormatMinor(e.amount_minor, digits), " ", e.currency, "\n",
      "Exchange rate: ", e.rate_to_base, " ", base_currency, " per ", e.currency, "\n",
      "Amount in ", base_currency, ": ", FormatMinor(e.base_amount_minor, base_digits), " ",
      base_currency, "\n");
  if (!e.campaign_id.empty()) absl::StrAppend(&text, "Campaign: ", e.campaign_id, "\n");
  if (!e.reverses_entry_id.empty()) absl::StrAppend(&text, "Reverses: ", e.reverses_entry_id, "\n");
  if (donor.has_value() && !donor->name.empty())
    absl::StrAppend(&text, "Donor: ", donor->name, "\n");
  absl::StrAppend(&text, "Issued: ", FormatUtc(issued_at), "\n",
                  "Thank you for keeping Freehold free.\n");
  return text;
}

absl::StatusOr<Receipt> DonorPortal::GetReceipt(absl::string_view donor_token,
                                                absl::string_view entry_id) {
  FH_ASSIGN_OR_RETURN(std::string donor, Authenticate(donor_token));
  if (!IsUuid(entry_id)) return absl::InvalidArgumentError("entry_id: must be a UUID");
  FH_ASSIGN_OR_RETURN(std::optional<LedgerEntry> entry, store_.GetEntry(entry_id));
  bool mine = false;
  if (entry.has_value()) {
    FH_ASSIGN_OR_RETURN(mine, store_.IsSameOrClaimedDonor(donor, entry->donor_id));
  }
  if (!mine) return absl::NotFoundError("entry_id: no such donation for this donor");
  FH_ASSIGN_OR_RETURN(std::optional<DonorInfo> personal, store_.PersonalData(donor));
  Receipt receipt;
  receipt.entry = *entry;
  receipt.text = ReceiptText(*entry, base_currency_, personal, clock_.Now());
  receipt.signature = signer_.Sign(receipt.text, kReceiptContext);
  return receipt;
}

absl::Status DonorPortal::Erase(absl::string_view donor_token) {
  FH_ASSIGN_OR_RETURN(std::string donor, Authenticate(donor_token));
  return store_.ErasePersonalData(donor);
}

absl::StatusOr<int> DonorPortal::EraseByContact(absl::string_view provider,
                                                absl::string_view customer_ref,
                                                absl::string_view email) {
  if (provider.empty()) return absl::InvalidArgumentError("provider: required (e.g. \"stripe\")");
  if (provider.size() > 32) return absl::InvalidArgumentError("provider: too long");
  if (customer_ref.empty() == email.empty()) {
    return absl::InvalidArgumentError("customer_ref, email: give exactly one of them");
  }
  if (customer_ref.size() > 255) return absl::InvalidArgumentError("customer_ref: too long");
  if (email.size() > 320) return absl::InvalidArgumentError("email: too long");
  FH_ASSIGN_OR_RETURN(int erased, store_.ErasePersonalDataByContact(provider, customer_ref, email));
  if (erased == 0) {
    return absl::NotFoundError(
        customer_ref.empty()
            ? "email: no personal data is held for this donor (never seen, or already erased)"
            : "customer_ref: no personal data is held for this donor (never seen, or already "
              "erased)");
  }
  return erased;
}

// ---------------------------------------------------------------- CSV

std::string CsvHeader() {
  return "entry_id,at,kind,amount_minor,currency,rate_to_base,base_amount_minor,"
         "base_currency,campaign_id,pledge_id,reverses_entry_id,provider,provider_event_id\n";
}

std::string CsvRow(const LedgerEntry& e, const std::string& base_currency) {
  return absl::StrCat(e.entry_id, ",", FormatUtc(e.at), ",", EntryKindName(e.kind), ",",
                      e.amount_minor, ",", e.currency, ",", CsvField(e.rate_to_base), ",",
                      e.base_amount_minor, ",", base_currency, ",", CsvField(e.campaign_id), ",",
                      CsvField(e.pledge_id), ",", e.reverses_entry_id, ",", CsvField(e.provider),
                      ",", CsvField(e.provider_event_id), "\n");
}

}  // namespace freehold::donations
