"""Writes of "cover and review": the product catalogue, coverage links, the top-customers audit.

Like every do_* function (STYLE.md habit 5) each one is atomic, writes the
audit entry, and takes `acting_user` by keyword (None: the system). They do
not check permissions: views and commands do, with `can_change` (coverage
links: whoever may change the customer's promise) and `can_run_audit`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.utils.translation import gettext as _

from pacta.core.actions.audit import audit, diff_fields
from pacta.core.actions.register import RegisterError
from pacta.core.models import Action, Agreement, AuditReport, Commitment, CoverageLink, Party, Product

PRODUCT_FIELDS = ("name", "supplier", "supplier_lead_days", "list_price", "currency", "discontinued")


def can_run_audit(user) -> bool:
    """Running the audit stores a report and may open actions: anybody who may write."""
    return bool(user and user.is_authenticated and user.is_active and user.can_write)


# ---------------------------------------------------------------------------
# the catalogue


@transaction.atomic
def do_save_suppliers(suppliers: Iterable[tuple[str, str]], *, acting_user) -> int:
    """Make sure each (code, name) is a supplier party: create it, or add the supplier role.

    A party's other fields are left as they are. Returns how many parties were created.
    """
    from pacta.core.actions.register import do_create_party, do_update_party

    suppliers = list(suppliers)
    existing = {p.code: p for p in Party.objects.filter(code__in=[code for code, _name in suppliers])}
    created = 0
    for code, name in suppliers:
        party = existing.get(code)
        if party is None:
            existing[code] = do_create_party(acting_user=acting_user, code=code, name=name, is_customer=False,
                                             is_supplier=True)
            created += 1
        elif not party.is_supplier:
            do_update_party(party, acting_user=acting_user, is_supplier=True)
    return created


@transaction.atomic
def do_save_products(rows, *, acting_user):
    """Create or update products from `pacta.core.catalog.ProductRow`s, by code.

    A product is changed only where the row differs (our handling days are
    never touched); every creation and change is audited. A row whose supplier
    code is no party is saved without a supplier and reported in the summary.
    """
    from pacta.core.catalog import CatalogSummary

    rows = list(rows)
    summary = CatalogSummary()
    suppliers = {p.code: p for p in Party.objects.filter(code__in={r.supplier for r in rows if r.supplier})}
    existing = {p.code: p for p in Product.objects.filter(code__in=[r.code for r in rows])}
    for row in rows:
        supplier = suppliers.get(row.supplier) if row.supplier else None
        if row.supplier and supplier is None:
            summary.suppliers_missing.append(row.supplier)
        values = {"name": row.name, "supplier": supplier, "supplier_lead_days": row.supplier_lead_days,
                  "list_price": row.list_price, "currency": row.currency, "discontinued": row.discontinued}
        product = existing.get(row.code)
        if product is None:
            product = Product.objects.create(code=row.code, **values)
            audit(acting_user, "create_product", product, changes={"code": row.code, **values})
            summary.products_created += 1
            continue
        changes = diff_fields(product, values)
        if not changes:
            summary.products_unchanged += 1
            continue
        for name, value in values.items():
            setattr(product, name, value)
        product.save()
        audit(acting_user, "change_product", product, changes=changes)
        summary.products_updated += 1
    return summary


# ---------------------------------------------------------------------------
# coverage links


def _check_link(customer: Commitment, supplier: Commitment) -> None:
    errors: dict[str, list[str]] = {}
    if customer.agreement.role != Agreement.Role.CUSTOMER:
        errors["customer_commitment"] = [_("Choose a promise of a customer agreement.")]
    if supplier.agreement.role != Agreement.Role.SUPPLIER:
        errors["supplier_commitment"] = [_("Choose a promise of a supplier agreement.")]
    if customer.removed_in_id or supplier.removed_in_id:
        errors.setdefault("supplier_commitment", []).append(_("A removed promise covers nothing."))
    if not errors and CoverageLink.objects.filter(customer_commitment=customer, supplier_commitment=supplier).exists():
        errors["supplier_commitment"] = [_("This supplier promise covers this customer promise already.")]
    if errors:
        raise RegisterError(errors)


@transaction.atomic
def do_link_coverage(customer_commitment: Commitment, supplier_commitment: Commitment, *, acting_user,
                     note: str = "") -> CoverageLink:
    """Record that `supplier_commitment` (a supplier agreement's promise) covers
    `customer_commitment` (a customer agreement's promise), back-to-back."""
    _check_link(customer_commitment, supplier_commitment)
    link = CoverageLink.objects.create(
        customer_commitment=customer_commitment, supplier_commitment=supplier_commitment, note=note.strip(),
        created_by=acting_user if getattr(acting_user, "pk", None) else None,
    )
    audit(acting_user, "link_coverage", link, agreement=customer_commitment.agreement,
          party=customer_commitment.agreement.party,
          changes={"customer_commitment": customer_commitment, "supplier_commitment": supplier_commitment,
                   "note": link.note})
    return link


@transaction.atomic
def do_unlink_coverage(link: CoverageLink, *, acting_user) -> None:
    """Remove a coverage link (the customer's promise is then covered by suggestion only, if at all)."""
    customer = link.customer_commitment
    audit(acting_user, "unlink_coverage", link, agreement=customer.agreement, party=customer.agreement.party,
          changes={"customer_commitment": customer, "supplier_commitment": link.supplier_commitment})
    link.delete()


# ---------------------------------------------------------------------------
# the top-customers audit


@transaction.atomic
def do_run_top_audit(*, acting_user, top: int = 10, period_start: dt.date | None = None,
                     period_end: dt.date | None = None, as_of: dt.datetime | None = None,
                     open_actions: bool = False) -> AuditReport:
    """Run the top-customers audit (pacta.core.audit_top.top_audit) and keep its report; with
    `open_actions`, open an action per gap of a promise (do_open_audit_actions)."""
    from pacta.core.audit_top import top_audit
    from pacta.lib import clock

    as_of = as_of or clock.now()
    result = top_audit(top=top, start=period_start, end=period_end, as_of=as_of)
    report = AuditReport.objects.create(
        top=top, period_start=dt.date.fromisoformat(result["period"]["start"]),
        period_end=dt.date.fromisoformat(result["period"]["end"]), as_of=as_of, result=result,
        created_by=acting_user if getattr(acting_user, "pk", None) else None,
    )
    audit(acting_user, "run_top_audit", report, changes={
        "top": top, "period": result["period"], "as_of": as_of, "gaps": result["summary"]["gaps"]})
    if open_actions:
        do_open_audit_actions(report, acting_user=acting_user)
        report.refresh_from_db()
    return report


@transaction.atomic
def do_open_audit_actions(report: AuditReport, *, acting_user) -> list[Action]:
    """Open one action per gap of a promise in the report, on that promise (instance key
    `audit:<gap>`), unless one is open for it already (from this audit or an earlier one).

    Records in the report, per gap, the action that follows it up and whether this
    run opened it. Returns the actions opened now.
    """
    from pacta.core.actions.watch import do_open_action
    from pacta.core.audit_top import action_key, gap_label, gap_text, promise_gaps

    report = AuditReport.objects.select_for_update().get(pk=report.pk)
    result = report.result
    ids = {pk for pk, _title, _gap in promise_gaps(result)}
    commitments = Commitment.objects.select_related("agreement__party").in_bulk(ids)
    opened, followed = [], []
    for pk, title, gap in promise_gaps(result):
        commitment = commitments.get(pk)
        if commitment is None:  # removed since the audit ran
            continue
        key = action_key(gap["kind"])
        action = Action.objects.filter(commitment=commitment, instance_key=key,
                                       status__in=Action.OPEN_STATUSES).first()
        created = action is None
        if created:
            action = do_open_action(
                commitment, acting_user=acting_user, instance_key=key,
                title=_("Audit: %(gap)s — %(promise)s") % {"gap": gap_label(gap["kind"]), "promise": title},
                description=gap_text(gap),
            )
            opened.append(action)
        followed.append({"commitment": pk, "kind": gap["kind"], "action": action.pk, "opened": created})
    result["actions"] = followed
    report.result = result
    report.save(update_fields=["result"])
    audit(acting_user, "open_audit_actions", report, changes={"opened": len(opened), "gaps": len(followed)})
    return opened


__all__ = [
    "can_run_audit",
    "do_open_audit_actions",
    "do_run_top_audit",
    "do_link_coverage",
    "do_save_products",
    "do_save_suppliers",
    "do_unlink_coverage",
]
