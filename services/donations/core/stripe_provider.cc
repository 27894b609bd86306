// Stripe adapter (see stripe_provider.h).
#include "services/donations/core/stripe_provider.h"

#include <nlohmann/json.hpp>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "services/donations/core/currency.h"
#include "services/donations/core/donor_token.h"
#include "services/donations/core/exchange_rate.h"

namespace freehold::donations {
namespace {

using json = nlohmann::json;

constexpr size_t kMaxIdLength = 255;

absl::Status Missing(absl::string_view path, absl::string_view want) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": missing or not ", want));
}

// Non-empty string at obj[key] (length-limited).
absl::StatusOr<std::string> RequiredString(const json& obj, const char* key,
                                           absl::string_view path) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) {
    return Missing(absl::StrCat(path, ".", key), "a non-empty string");
  }
  const std::string& s = it->get_ref<const std::string&>();
  if (s.size() > kMaxIdLength) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ".", key, ": longer than ", kMaxIdLength, " characters"));
  }
  return s;
}

// String, or the "id" of an expanded object, or "" for null/absent.
std::string OptionalRef(const json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end()) return "";
  if (it->is_string()) return it->get<std::string>().substr(0, kMaxIdLength);
  if (it->is_object()) {
    auto id = it->find("id");
    if (id != it->end() && id->is_string()) return id->get<std::string>().substr(0, kMaxIdLength);
  }
  return "";
}

std::string OptionalString(const json& obj, const char* key, size_t limit = 320) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) return "";
  return it->get<std::string>().substr(0, limit);
}

// Integer amount in [0, kMaxAmountMinor].
absl::StatusOr<int64_t> Amount(const json& obj, const char* key, absl::string_view path) {
  auto it = obj.find(key);
  const std::string where = absl::StrCat(path, ".", key);
  if (it == obj.end() || !it->is_number_integer()) return Missing(where, "an integer amount");
  if (it->is_number_unsigned()) {
    if (it->get<uint64_t>() > static_cast<uint64_t>(kMaxAmountMinor)) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": amount exceeds ", kMaxAmountMinor, " minor units"));
    }
    return static_cast<int64_t>(it->get<uint64_t>());
  }
  int64_t v = it->get<int64_t>();
  if (v < 0) return absl::InvalidArgumentError(absl::StrCat(where, ": amount is negative"));
  if (v > kMaxAmountMinor) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": amount exceeds ", kMaxAmountMinor, " minor units"));
  }
  return v;
}

absl::StatusOr<std::string> Currency(const json& obj, absl::string_view path) {
  auto it = obj.find("currency");
  if (it == obj.end() || !it->is_string())
    return Missing(absl::StrCat(path, ".currency"), "a string");
  return NormalizeCurrency(it->get_ref<const std::string&>(), absl::StrCat(path, ".currency"));
}

const json& Metadata(const json& obj) {
  static const json* const kEmpty = new json(json::object());
  auto it = obj.find("metadata");
  if (it == obj.end() || !it->is_object()) return *kEmpty;
  return *it;
}

bool TruthyMetadata(const json& metadata, const char* key) {
  std::string v = absl::AsciiStrToLower(OptionalString(metadata, key, 16));
  return v == "true" || v == "1" || v == "yes";
}

// Fills campaign, anonymity and donor data from metadata and provider fields.
// The donation intent's reference in metadata "donor_ref" ("" if absent or malformed).
std::string DonorRef(const json& metadata) {
  std::string ref = OptionalString(metadata, "donor_ref", 64);
  return LooksLikeDonorRef(ref) ? ref : "";
}

void FillDonation(const json& metadata, DonorInfo donor, ProviderEvent& event) {
  event.campaign_id = OptionalString(metadata, "campaign_id", 64);
  event.donor_ref = DonorRef(metadata);
  event.anonymous = TruthyMetadata(metadata, "anonymous");
  if (!OptionalString(metadata, "donor_name").empty()) {
    donor.name = OptionalString(metadata, "donor_name", 200);
  }
  if (!OptionalString(metadata, "donor_email").empty()) {
    donor.email = OptionalString(metadata, "donor_email", 320);
  }
  if (!event.anonymous) event.donor = std::move(donor);
}

absl::Status ParsePaymentIntent(const json& pi, ProviderEvent& event) {
  const std::string path = "data.object";
  auto id = RequiredString(pi, "id", path);
  if (!id.ok()) return id.status();
  event.payment_ref = *id;
  auto currency = Currency(pi, path);
  if (!currency.ok()) return currency.status();
  event.currency = *currency;
  auto amount = pi.contains("amount_received") ? Amount(pi, "amount_received", path)
                                               : Amount(pi, "amount", path);
  if (!amount.ok()) return amount.status();
  event.amount_minor = *amount;
  if (!OptionalRef(pi, "invoice").empty()) {
    // Paid through an invoice: invoice.paid records it (once, by payment_ref).
    event.informational = true;
  }
  DonorInfo donor;
  donor.customer_ref = OptionalRef(pi, "customer");
  donor.email = OptionalString(pi, "receipt_email");
  FillDonation(Metadata(pi), std::move(donor), event);
  return absl::OkStatus();
}

// The subscription an invoice belongs to and its metadata, across API versions.
std::pair<std::string, const json*> InvoiceSubscription(const json& invoice) {
  std::string sub = OptionalRef(invoice, "subscription");
  const json* metadata = nullptr;
  auto details = invoice.find("subscription_details");
  if (details != invoice.end() && details->is_object()) metadata = &Metadata(*details);
  auto parent = invoice.find("parent");
  if (parent != invoice.end() && parent->is_object()) {
    auto pdetails = parent->find("subscription_details");
    if (pdetails != parent->end() && pdetails->is_object()) {
      if (sub.empty()) sub = OptionalRef(*pdetails, "subscription");
      if (metadata == nullptr) metadata = &Metadata(*pdetails);
    }
  }
  return {sub, metadata};
}

// API 2025-03-31 ("basil") and later: the invoice's payment, from its InvoicePayment
// objects (`payments.data[]`, each {status, payment: {type, payment_intent | charge}};
// the 2025-11 previews also put payment_intent/charge on the object itself). The first
// paid one that names a PaymentIntent or a charge; "" if none does.
std::string BasilInvoicePaymentRef(const json& invoice) {
  auto payments = invoice.find("payments");
  if (payments == invoice.end() || !payments->is_object()) return "";
  auto data = payments->find("data");
  if (data == payments->end() || !data->is_array()) return "";
  for (const json& p : *data) {
    if (!p.is_object() || OptionalString(p, "status", 16) != "paid") continue;
    const json* where = &p;
    auto payment = p.find("payment");
    if (payment != p.end() && payment->is_object()) where = &*payment;
    std::string ref = OptionalRef(*where, "payment_intent");
    if (ref.empty()) ref = OptionalRef(*where, "charge");
    if (!ref.empty()) return ref;
  }
  return "";
}

absl::Status ParseInvoice(const json& invoice, ProviderEvent& event) {
  const std::string path = "data.object";
  auto id = RequiredString(invoice, "id", path);
  if (!id.ok()) return id.status();
  auto currency = Currency(invoice, path);
  if (!currency.ok()) return currency.status();
  event.currency = *currency;
  auto amount = Amount(invoice, "amount_paid", path);
  if (!amount.ok()) return amount.status();
  event.amount_minor = *amount;
  // The payment reference is the PaymentIntent (else the charge) whatever the API
  // version, so invoice.paid, payment_intent.succeeded and charge events of one payment
  // name the same payment and it is recorded once.
  std::string pi = OptionalRef(invoice, "payment_intent");
  if (pi.empty()) pi = OptionalRef(invoice, "charge");
  if (pi.empty()) pi = BasilInvoicePaymentRef(invoice);
  event.payment_ref = !pi.empty() ? pi : *id;
  auto [sub, sub_metadata] = InvoiceSubscription(invoice);
  event.pledge_id = sub;
  event.kind = sub.empty() ? EventKind::kPayment : EventKind::kRecurringPayment;
  DonorInfo donor;
  donor.customer_ref = OptionalRef(invoice, "customer");
  donor.email = OptionalString(invoice, "customer_email");
  donor.name = OptionalString(invoice, "customer_name", 200);
  const json& metadata =
      sub_metadata != nullptr && !sub_metadata->empty() ? *sub_metadata : Metadata(invoice);
  FillDonation(metadata, std::move(donor), event);
  return absl::OkStatus();
}

absl::Status ParseChargeRefunded(const json& charge, ProviderEvent& event) {
  const std::string path = "data.object";
  auto id = RequiredString(charge, "id", path);
  if (!id.ok()) return id.status();
  auto currency = Currency(charge, path);
  if (!currency.ok()) return currency.status();
  event.currency = *currency;
  auto refunded = Amount(charge, "amount_refunded", path);
  if (!refunded.ok()) return refunded.status();
  auto amount = Amount(charge, "amount", path);
  if (!amount.ok()) return amount.status();
  if (*refunded > *amount) {
    return absl::InvalidArgumentError(absl::StrCat(path, ".amount_refunded: ", *refunded,
                                                   " exceeds the charge amount ", *amount));
  }
  event.amount_minor = *refunded;
  std::string pi = OptionalRef(charge, "payment_intent");
  event.payment_ref = pi.empty() ? *id : pi;
  return absl::OkStatus();
}

absl::Status ParseDispute(const json& dispute, ProviderEvent& event) {
  const std::string path = "data.object";
  auto id = RequiredString(dispute, "id", path);
  if (!id.ok()) return id.status();
  auto currency = Currency(dispute, path);
  if (!currency.ok()) return currency.status();
  event.currency = *currency;
  auto amount = Amount(dispute, "amount", path);
  if (!amount.ok()) return amount.status();
  event.amount_minor = *amount;
  auto status = RequiredString(dispute, "status", path);
  if (!status.ok()) return status.status();
  event.dispute_lost = *status == "lost";
  std::string pi = OptionalRef(dispute, "payment_intent");
  std::string charge = OptionalRef(dispute, "charge");
  event.payment_ref = !pi.empty() ? pi : charge;
  if (event.payment_ref.empty()) return Missing(absl::StrCat(path, ".charge"), "a charge id");
  return absl::OkStatus();
}

absl::Status ParseSubscription(const json& sub, ProviderEvent& event) {
  const std::string path = "data.object";
  auto id = RequiredString(sub, "id", path);
  if (!id.ok()) return id.status();
  PledgeInfo& pledge = event.pledge;
  pledge.pledge_id = *id;
  auto items = sub.find("items");
  if (items == sub.end() || !items->is_object() || !items->contains("data") ||
      !(*items)["data"].is_array() || (*items)["data"].empty()) {
    return Missing(absl::StrCat(path, ".items.data"), "a non-empty list");
  }
  int64_t total = 0;
  int index = 0;
  for (const json& item : (*items)["data"]) {
    const std::string item_path = absl::StrCat(path, ".items.data[", index++, "]");
    if (!item.is_object() || !item.contains("price") || !item["price"].is_object()) {
      return Missing(absl::StrCat(item_path, ".price"), "an object");
    }
    const json& price = item["price"];
    const std::string price_path = absl::StrCat(item_path, ".price");
    auto unit = Amount(price, "unit_amount", price_path);
    if (!unit.ok()) return unit.status();
    int64_t quantity = 1;
    if (item.contains("quantity")) {
      auto q = Amount(item, "quantity", item_path);
      if (!q.ok()) return q.status();
      quantity = *q;
    }
    auto currency = Currency(price, price_path);
    if (!currency.ok()) return currency.status();
    if (!pledge.currency.empty() && pledge.currency != *currency) {
      return absl::InvalidArgumentError(
          absl::StrCat(price_path, ".currency: items of one subscription differ in currency"));
    }
    pledge.currency = *currency;
    if (!price.contains("recurring") || !price["recurring"].is_object()) {
      return Missing(absl::StrCat(price_path, ".recurring"), "an object");
    }
    const json& recurring = price["recurring"];
    auto interval = RequiredString(recurring, "interval", absl::StrCat(price_path, ".recurring"));
    if (!interval.ok()) return interval.status();
    if (*interval != "day" && *interval != "week" && *interval != "month" && *interval != "year") {
      return absl::InvalidArgumentError(
          absl::StrCat(price_path, ".recurring.interval: unknown interval \"", *interval, "\""));
    }
    int64_t count = 1;
    if (recurring.contains("interval_count")) {
      auto c = Amount(recurring, "interval_count", absl::StrCat(price_path, ".recurring"));
      if (!c.ok()) return c.status();
      if (*c < 1 || *c > 1000) {
        return absl::InvalidArgumentError(
            absl::StrCat(price_path, ".recurring.interval_count: must be 1..1000"));
      }
      count = *c;
    }
    if (!pledge.interval.empty() &&
        (pledge.interval != *interval || pledge.interval_count != count)) {
      return absl::InvalidArgumentError(
          absl::StrCat(price_path, ".recurring: items of one subscription differ in interval"));
    }
    pledge.interval = *interval;
    pledge.interval_count = static_cast<int>(count);
    if (quantity > 0 && *unit > kMaxAmountMinor / quantity) {
      return absl::InvalidArgumentError(absl::StrCat(item_path, ": amount is absurd"));
    }
    total += *unit * quantity;
    if (total > kMaxAmountMinor) {
      return absl::InvalidArgumentError(absl::StrCat(path, ".items: total amount is absurd"));
    }
  }
  pledge.amount_minor = total;
  pledge.created_at = event.occurred_at;
  if (sub.contains("created") && sub["created"].is_number_integer()) {
    pledge.created_at = absl::FromUnixSeconds(sub["created"].get<int64_t>());
  }
  if (event.kind == EventKind::kPledgeCancelled) {
    absl::Time cancelled = event.occurred_at;
    for (const char* key : {"ended_at", "canceled_at"}) {
      if (sub.contains(key) && sub[key].is_number_integer()) {
        cancelled = absl::FromUnixSeconds(sub[key].get<int64_t>());
        break;
      }
    }
    pledge.cancelled_at = cancelled;
  }
  pledge.campaign_id = OptionalString(Metadata(sub), "campaign_id", 64);
  event.donor_ref = DonorRef(Metadata(sub));
  event.pledge_id = pledge.pledge_id;
  event.currency = pledge.currency;
  event.amount_minor = pledge.amount_minor;
  return absl::OkStatus();
}

}  // namespace

StripeProvider::StripeProvider(std::shared_ptr<const WebhookSecrets> secrets,
                               absl::Duration tolerance)
    : secrets_(std::move(secrets)), tolerance_(tolerance) {}

void StripeProvider::SetSecrets(std::shared_ptr<const WebhookSecrets> secrets) {
  absl::MutexLock lock(&mu_);
  secrets_ = std::move(secrets);
}

std::shared_ptr<const WebhookSecrets> StripeProvider::secrets() const {
  absl::MutexLock lock(&mu_);
  return secrets_;
}

absl::Status StripeProvider::VerifySignature(const Headers& headers, absl::string_view raw_body,
                                             absl::Time now) const {
  std::optional<absl::string_view> header = FindHeader(headers, "Stripe-Signature");
  if (!header.has_value()) return absl::UnauthenticatedError("missing Stripe-Signature header");
  std::shared_ptr<const WebhookSecrets> secrets = this->secrets();
  if (secrets == nullptr || secrets->empty()) {
    return absl::UnauthenticatedError("no Stripe webhook secret is configured");
  }
  return donations::VerifySignature(*header, raw_body, *secrets, now, tolerance_);
}

absl::StatusOr<ProviderEvent> StripeProvider::Parse(absl::string_view raw_body) const {
  json root = json::parse(raw_body.begin(), raw_body.end(), /*cb=*/nullptr,
                          /*allow_exceptions=*/false);
  if (root.is_discarded()) return absl::InvalidArgumentError("body: not valid JSON");
  if (!root.is_object()) return absl::InvalidArgumentError("body: not a JSON object");
  ProviderEvent event;
  event.provider = "stripe";
  auto id = RequiredString(root, "id", "event");
  if (!id.ok()) return id.status();
  event.event_id = *id;
  auto type = RequiredString(root, "type", "event");
  if (!type.ok()) return type.status();
  event.type = *type;
  auto created = root.find("created");
  if (created == root.end() || !created->is_number_integer() || created->get<int64_t>() <= 0) {
    return Missing("event.created", "a positive integer (unix seconds)");
  }
  event.occurred_at = absl::FromUnixSeconds(created->get<int64_t>());
  auto data = root.find("data");
  if (data == root.end() || !data->is_object() || !data->contains("object") ||
      !(*data)["object"].is_object()) {
    return Missing("data.object", "an object");
  }
  const json& object = (*data)["object"];
  absl::Status s;
  if (event.type == "payment_intent.succeeded") {
    event.kind = EventKind::kPayment;
    s = ParsePaymentIntent(object, event);
  } else if (event.type == "invoice.paid") {
    s = ParseInvoice(object, event);
  } else if (event.type == "charge.refunded") {
    event.kind = EventKind::kRefund;
    s = ParseChargeRefunded(object, event);
  } else if (event.type == "charge.dispute.closed") {
    event.kind = EventKind::kDispute;
    s = ParseDispute(object, event);
  } else if (event.type == "customer.subscription.created") {
    event.kind = EventKind::kPledgeCreated;
    s = ParseSubscription(object, event);
  } else if (event.type == "customer.subscription.deleted") {
    event.kind = EventKind::kPledgeCancelled;
    s = ParseSubscription(object, event);
  } else {
    event.kind = EventKind::kUnknown;
  }
  if (!s.ok()) return s;
  return event;
}

}  // namespace freehold::donations
