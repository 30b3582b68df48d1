"""pacta's domain: parties, agreements, versions, commitments, events, instances.

Status is computed, not stored (STYLE.md habit 1): the engine derives it from
the stored facts and "as of" a moment; the columns `status`, `counts`, `money`,
`explanation` and `next_check_at` on `Commitment` and the `Instance` rows are a
cache of the last evaluation, kept for queries and for the watcher.

Every multi-step write goes through a `do_*` function in `pacta.core.actions`;
views, the API, the CLI and the importers never save several models themselves.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Direction(models.TextChoices):
    WE_OWE = "we_owe", _("we owe")
    THEY_OWE = "they_owe", _("they owe")


class Party(models.Model):
    """A customer or a supplier (one firm can be both), with our people for it."""

    code = models.CharField(
        _("code"), max_length=64, unique=True, help_text=_("The party's id in the ERP, as in the events.")
    )
    name = models.CharField(_("name"), max_length=200)
    is_customer = models.BooleanField(_("customer"), default=True)
    is_supplier = models.BooleanField(_("supplier"), default=False)
    country = models.CharField(
        _("country"), max_length=2, blank=True, help_text=_("ISO 3166 code; its public holidays are non-working days.")
    )
    language = models.CharField(_("language"), max_length=8, blank=True, help_text=_("For status updates."))
    timezone = models.CharField(_("time zone"), max_length=64, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    spoc = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("single point of contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="spoc_parties",
    )
    deputy = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("deputy"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deputy_parties",
    )
    notes = models.TextField(_("notes"), blank=True)
    revision = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("party")
        verbose_name_plural = _("parties")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("front:party", args=[self.code])

    @property
    def roles_display(self) -> str:
        roles = []
        if self.is_customer:
            roles.append(str(_("customer")))
        if self.is_supplier:
            roles.append(str(_("supplier")))
        return ", ".join(roles)


class Contact(models.Model):
    """A person at the party."""

    party = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("party"))
    name = models.CharField(_("name"), max_length=200)
    title = models.CharField(_("title"), max_length=100, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    receives_updates = models.BooleanField(_("receives status updates"), default=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Agreement(models.Model):
    """What was agreed with one party, in one currency and time zone."""

    class Role(models.TextChoices):
        CUSTOMER = "customer", _("customer")
        SUPPLIER = "supplier", _("supplier")

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        IN_FORCE = "in_force", _("in force")
        SUSPENDED = "suspended", _("suspended")
        ENDED = "ended", _("ended")

    reference = models.CharField(_("reference"), max_length=64, unique=True)
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="agreements", verbose_name=_("party"))
    title = models.CharField(_("title"), max_length=200, blank=True)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.CUSTOMER)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    timezone = models.CharField(_("time zone"), max_length=64, default="Europe/Amsterdam")
    country = models.CharField(
        _("country"), max_length=2, blank=True, help_text=_("For business days; empty means the party's country.")
    )
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_agreements",
        help_text=_("Responsible on our side; empty means the party's point of contact."),
    )
    deputy = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("deputy"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deputy_agreements",
    )
    # Optimistic concurrency: every save through do_* increments it; a form
    # carrying an older revision is refused instead of overwriting.
    revision = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("agreement")
        verbose_name_plural = _("agreements")
        ordering = ["reference"]

    def __str__(self) -> str:
        return self.reference

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("front:agreement", args=[self.reference])

    @property
    def holiday_country(self) -> str:
        return self.country or self.party.country

    def current_version(self) -> AgreementVersion | None:
        return self.versions.order_by("-number").first()


class GlossaryTerm(models.Model):
    """A defined term of an agreement ("delivered" = at the customer's dock)."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="glossary")
    term = models.CharField(_("term"), max_length=100)
    definition = models.TextField(_("definition"))

    class Meta:
        verbose_name = _("glossary term")
        verbose_name_plural = _("glossary")
        ordering = ["term"]
        constraints = [models.UniqueConstraint(fields=["agreement", "term"], name="uniq_glossary_term")]

    def __str__(self) -> str:
        return self.term


class NegotiationNote(models.Model):
    """What was said while negotiating: date, who was there, what was said."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="notes")
    date = models.DateField(_("date"))
    participants = models.CharField(_("participants"), max_length=300, blank=True)
    text = models.TextField(_("what was said"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("negotiation note")
        verbose_name_plural = _("negotiation notes")
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        return f"{self.date}: {self.text[:40]}"


class AgreementVersion(models.Model):
    """One version of an agreement: the first one, or an amendment.

    `snapshot` is the whole agreement as it read in this version (the YAML
    document's dict): an immutable record of what was agreed, and the source
    of the diff between two versions.
    """

    class How(models.TextChoices):
        SIGNED = "signed", _("signed document")
        EMAIL = "email", _("e-mail")
        PHONE = "phone", _("phone")
        MEETING = "meeting", _("meeting")
        OTHER = "other", _("other")

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    effective_from = models.DateField(_("effective from"))
    summary = models.TextField(_("what changed"))
    reason = models.TextField(_("why"), blank=True)
    agreed_by = models.CharField(_("agreed by"), max_length=200, blank=True)
    agreed_how = models.CharField(_("agreed how"), max_length=16, choices=How.choices, default=How.EMAIL)
    snapshot = models.JSONField(default=dict)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("version")
        verbose_name_plural = _("versions")
        ordering = ["agreement", "number"]
        constraints = [models.UniqueConstraint(fields=["agreement", "number"], name="uniq_agreement_version")]

    def __str__(self) -> str:
        return f"{self.agreement.reference} v{self.number}"


class Commitment(models.Model):
    """One promise inside an agreement, of a type from the registry.

    The contractual content (title, parameters, products, validity) is kept per
    version in `CommitmentTerms`, so an amendment keeps the old terms for the
    period they were in force. Who executes it and how it reaches the work
    process are operational and live here (changes are audited).
    """

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        AT_RISK = "at_risk", _("at risk")
        BROKEN = "broken", _("broken")
        KEPT = "kept", _("kept")

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="commitments")
    key = models.CharField(_("id"), max_length=64, help_text=_("Unique within the agreement, e.g. call-ahead."))
    type = models.CharField(_("type"), max_length=40)
    direction = models.CharField(_("direction"), max_length=16, choices=Direction.choices, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("executed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="executed_commitments",
    )
    registrar = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("registered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="registered_commitments",
    )
    how = models.CharField(
        _("how it reaches the work process"),
        max_length=300,
        blank=True,
        help_text=_('For example "on the route sheet" or "checklist in the order screen".'),
    )
    cost_amount = models.DecimalField(
        _("cost per occurrence"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    cost_hours = models.DecimalField(_("hours per occurrence"), max_digits=8, decimal_places=2, null=True, blank=True)
    removed_in = models.ForeignKey(
        AgreementVersion,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="removed_commitments",
        help_text=_("The version from which this commitment no longer applies."),
    )

    # Cache of the last evaluation (see the module docstring).
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    counts = models.JSONField(default=dict, blank=True)
    money = models.JSONField(default=list, blank=True)
    explanation = models.TextField(blank=True)
    evaluated_at = models.DateTimeField(null=True, blank=True)
    as_of = models.DateTimeField(null=True, blank=True)
    next_check_at = models.DateTimeField(null=True, blank=True, db_index=True)
    revision = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("commitment")
        verbose_name_plural = _("commitments")
        ordering = ["agreement", "key"]
        constraints = [models.UniqueConstraint(fields=["agreement", "key"], name="uniq_commitment_key")]
        indexes = [models.Index(fields=["type", "status"])]

    def __str__(self) -> str:
        return f"{self.agreement.reference}/{self.key}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("front:commitment", args=[self.agreement.reference, self.key])

    def current_terms(self) -> CommitmentTerms | None:
        return self.terms.select_related("version").order_by("-version__number").first()

    @property
    def type_info(self):
        from pacta.core.commitments import get_type

        return get_type(self.type)


class CommitmentTerms(models.Model):
    """The contractual content of a commitment from one version on."""

    commitment = models.ForeignKey(Commitment, on_delete=models.CASCADE, related_name="terms")
    version = models.ForeignKey(AgreementVersion, on_delete=models.CASCADE, related_name="commitment_terms")
    title = models.CharField(_("title"), max_length=300, help_text=_("The promise in plain words."))
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    products = models.JSONField(_("products"), default=list, blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    class Meta:
        verbose_name = _("commitment terms")
        verbose_name_plural = _("commitment terms")
        ordering = ["commitment", "version__number"]
        constraints = [models.UniqueConstraint(fields=["commitment", "version"], name="uniq_terms_version")]

    def __str__(self) -> str:
        return f"{self.commitment} ({self.version})"


def attachment_path(instance: Attachment, filename: str) -> str:
    """Where an attachment's file is stored, under MEDIA_ROOT: a name pacta chooses
    (`attachments/<year>/<random hex><extension>`); the uploader's name is only shown."""
    from django.utils import timezone

    return f"attachments/{timezone.now():%Y}/{uuid.uuid4().hex}{instance.suffix}"


class Attachment(models.Model):
    """A file kept with an agreement: a signed amendment (with the version it signed), a scan,
    an e-mail. Written by `do_add_attachment` after `pacta.lib.uploads` checked it; the file
    lives in MEDIA_ROOT (backed up with the database)."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="attachments",
                                  verbose_name=_("agreement"))
    version = models.ForeignKey(
        AgreementVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="attachments",
        verbose_name=_("version"), help_text=_("The version it belongs to, e.g. the amendment it signs."),
    )
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=200)
    name = models.CharField(_("name"), max_length=200, help_text=_("The file's name as uploaded, made safe."))
    size = models.PositiveBigIntegerField(_("size"))
    content_type = models.CharField(_("content type"), max_length=100)
    sha256 = models.CharField("SHA-256", max_length=64)
    description = models.CharField(_("description"), max_length=500, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["agreement", "-uploaded_at", "-id"]

    def __str__(self) -> str:
        return f"{self.agreement.reference}: {self.name}"

    @property
    def suffix(self) -> str:
        from pathlib import PurePosixPath

        return PurePosixPath(self.name).suffix.lower()

    def get_absolute_url(self) -> str:
        """The download."""
        from django.urls import reverse

        return reverse("front:attachment", args=[self.agreement.reference, self.pk])


class ImportBatch(models.Model):
    """One import of events or agreements: from a file, the API or the CLI."""

    class Kind(models.TextChoices):
        EVENTS = "events", _("events")
        AGREEMENTS = "agreements", _("agreements")
        NORTHWIND = "northwind", _("Northwind")

    kind = models.CharField(max_length=16, choices=Kind.choices)
    source = models.CharField(_("source"), max_length=64, default="import")
    filename = models.CharField(_("file"), max_length=300, blank=True)
    rows = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at"]


class Event(models.Model):
    """One fact from the ERP or from people. Append-only; idempotent by (source, external_id).

    A date without a time (`date_only`) is a whole day in the agreement's time
    zone: `at` then holds that date at 00:00 UTC and the engine reads its date.
    """

    class Kind(models.TextChoices):
        ORDER = "order", _("order")
        DELIVERY = "delivery", _("delivery")
        INVOICE = "invoice", _("invoice")
        PAYMENT = "payment", _("payment")
        CREDIT_NOTE = "credit_note", _("credit note")
        NOTICE = "notice", _("notice")
        UPDATE = "update", _("status update")
        TICKET_OPENED = "ticket_opened", _("ticket opened")
        TICKET_ANSWERED = "ticket_answered", _("ticket answered")
        TICKET_RESOLVED = "ticket_resolved", _("ticket resolved")
        PURCHASE_ORDER = "purchase_order", _("purchase order")
        RECEIPT = "receipt", _("receipt")
        MEETING = "meeting", _("meeting")
        ATTESTATION = "attestation", _("attestation")

    source = models.CharField(max_length=64, default="import")
    external_id = models.CharField(_("id"), max_length=128)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField(_("at"))
    date_only = models.BooleanField(default=False)
    ref = models.CharField(_("reference"), max_length=128, blank=True)
    product = models.CharField(_("product"), max_length=128, blank=True)
    quantity = models.DecimalField(max_digits=20, decimal_places=6, null=True, blank=True)
    unit_price = models.DecimalField(max_digits=20, decimal_places=6, null=True, blank=True)
    discount = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    list_price = models.DecimalField(max_digits=20, decimal_places=6, null=True, blank=True)
    amount = models.DecimalField(max_digits=20, decimal_places=6, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    due = models.DateTimeField(null=True, blank=True)
    due_date_only = models.BooleanField(default=False)
    force_majeure = models.BooleanField(default=False)
    batch = models.ForeignKey(ImportBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="events")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["at", "id"]
        constraints = [models.UniqueConstraint(fields=["source", "external_id"], name="uniq_event_source_id")]
        indexes = [models.Index(fields=["party", "kind", "at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.external_id}"


class Instance(models.Model):
    """One concrete thing owed under a commitment, as of the last evaluation."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        KEPT = "kept", _("kept")
        KEPT_LATE = "kept_late", _("kept late")
        OVERDUE = "overdue", _("overdue")
        BROKEN = "broken", _("broken")
        WAIVED = "waived", _("waived")
        LAPSED = "lapsed", _("lapsed")

    class Health(models.TextChoices):
        ON_TRACK = "on_track", _("on track")
        AT_RISK = "at_risk", _("at risk")

    commitment = models.ForeignKey(Commitment, on_delete=models.CASCADE, related_name="instances")
    key = models.CharField(max_length=128)
    status = models.CharField(max_length=16, choices=Status.choices)
    health = models.CharField(max_length=16, choices=Health.choices, blank=True)
    due = models.DateTimeField(null=True, blank=True)
    done = models.DateTimeField(null=True, blank=True)
    days_late = models.IntegerField(null=True, blank=True)
    money = models.JSONField(default=list, blank=True)
    explanation = models.TextField(blank=True)

    class Meta:
        verbose_name = _("instance")
        verbose_name_plural = _("instances")
        ordering = ["commitment", "due", "key"]
        constraints = [models.UniqueConstraint(fields=["commitment", "key"], name="uniq_instance_key")]
        # By status and due: the dashboard's "due in the next 7 days" and the lists sorted by due.
        indexes = [models.Index(fields=["status", "due"], name="instance_status_due_idx")]

    def __str__(self) -> str:
        return f"{self.commitment} {self.key}"


class Waiver(models.Model):
    """The other side released one instance (COMMITMENTS.md `waived`): who, when, why."""

    commitment = models.ForeignKey(Commitment, on_delete=models.CASCADE, related_name="waivers")
    instance_key = models.CharField(max_length=128)
    reason = models.TextField(_("why"))
    granted_by = models.CharField(_("released by"), max_length=200, help_text=_("Who on the other side released it."))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    at = models.DateTimeField(_("when"))

    class Meta:
        verbose_name = _("waiver")
        verbose_name_plural = _("waivers")
        constraints = [models.UniqueConstraint(fields=["commitment", "instance_key"], name="uniq_waiver")]


class Pause(models.Model):
    """Force majeure declared or customer on hold: deadlines move by the paused time."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="pauses")
    start = models.DateTimeField(_("from"))
    end = models.DateTimeField(_("to"), null=True, blank=True)
    reason = models.TextField(_("why"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        verbose_name = _("pause")
        verbose_name_plural = _("pauses")
        ordering = ["start"]


class ColumnMapping(models.Model):
    """A saved column mapping for event files of another layout (canonical name -> file column)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    mapping = models.JSONField(_("mapping"), default=dict)
    options = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("column mapping")
        verbose_name_plural = _("column mappings")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AuditEntry(models.Model):
    """Who changed what and when. Written by every do_* function."""

    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("who"), null=True, blank=True, on_delete=models.SET_NULL
    )
    action = models.CharField(_("action"), max_length=64)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(_("object"), max_length=300)
    agreement = models.ForeignKey(
        Agreement, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_entries"
    )
    party = models.ForeignKey(Party, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_entries")
    changes = models.JSONField(_("changes"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-at", "-id"]
        # An object's trail (the latest entries on its page).
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user} {self.action} {self.object_repr}"


# ---------------------------------------------------------------------------
# Watch and act: deviations, actions, absences, the outbox, calendar tokens.
# The watcher (pacta.core.watch) writes and processes these; people change
# them through pacta.core.actions.watch.


class WatchStatus(models.TextChoices):
    """An instance's or commitment's status as the watcher compares it.

    An open instance at risk counts as `at_risk` of its own: going at risk is a
    change worth telling. Blank means "not there" (a new or vanished instance).
    """

    OPEN = "open", _("open")
    AT_RISK = "at_risk", _("at risk")
    OVERDUE = "overdue", _("overdue")
    BROKEN = "broken", _("broken")
    KEPT = "kept", _("kept")
    KEPT_LATE = "kept_late", _("kept late")
    WAIVED = "waived", _("waived")
    LAPSED = "lapsed", _("lapsed")


class RetriedDelivery(models.Model):
    """What the outbox and the webhook deliveries share: attempts with backoff,
    and a claim that one sender holds until `claimed_until`; a sender that died
    holding it is replaced once it has expired (see pacta.core.outbox and
    pacta.core.webhooks)."""

    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    claim_token = models.CharField(max_length=32, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        abstract = True


class OutboundMail(RetriedDelivery):
    """One e-mail in the outbox: composed once, sent at least once, retried with backoff.

    The content is rendered when the mail is queued (in the recipient's
    language), so a retry sends exactly what was composed. `key`, when set,
    makes a mail unique (one digest per person and week, one reminder per
    person and day), whichever watcher composes it.
    """

    class Kind(models.TextChoices):
        ALERT = "alert", _("alert")
        NAG = "nag", _("reminder")
        DIGEST = "digest", _("weekly digest")
        UPDATE = "update", _("status update")

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    key = models.CharField(max_length=200, blank=True, default="")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="outbound_mails",
    )
    to = models.CharField(_("to"), max_length=254)
    language = models.CharField(_("language"), max_length=8, blank=True)
    subject = models.CharField(_("subject"), max_length=300)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outgoing e-mails")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["key"], condition=~models.Q(key=""), name="uniq_outbound_mail_key")
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbox_due_idx"),
            models.Index(fields=["recipient", "status"], name="outbox_recipient_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.to}: {self.subject}"


class Action(models.Model):
    """The follow-up of a deviation (or a person's own to-do on a commitment).

    At most one action is open or in progress per instance; `instance_key` is
    blank for an action on the commitment as a whole (several may be open).
    `owner` is null only when nobody was available: the action is then
    unassigned and shown to the managers.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        IN_PROGRESS = "in_progress", _("in progress")
        DONE = "done", _("done")
        DISMISSED = "dismissed", _("dismissed")

    class Routing(models.TextChoices):
        OWNER = "owner", _("the commitment's executor")
        PARTY_DEPUTY = "party_deputy", _("the party's deputy (executor away)")
        AGREEMENT_DEPUTY = "agreement_deputy", _("the agreement's deputy (executor away)")
        MANAGER = "manager", _("a manager (executor and deputies away)")
        UNASSIGNED = "unassigned", _("nobody available")
        CHOSEN = "chosen", _("chosen by a person")

    OPEN_STATUSES = (Status.OPEN, Status.IN_PROGRESS)

    commitment = models.ForeignKey(
        Commitment, on_delete=models.CASCADE, related_name="actions", verbose_name=_("commitment")
    )
    instance_key = models.CharField(_("instance"), max_length=128, blank=True)
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="actions",
    )
    routing = models.CharField(_("assigned as"), max_length=20, choices=Routing.choices, default=Routing.OWNER)
    # The executor the action was meant for when it went to a stand-in.
    meant_for = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("meant for"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    due_on = models.DateField(_("due"))
    opened_at = models.DateTimeField(_("opened"))
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("opened by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Empty when the watcher opened it."),
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("closed by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    resolution = models.TextField(_("resolution"), blank=True)
    waiver = models.ForeignKey(
        Waiver, verbose_name=_("waiver"), null=True, blank=True, on_delete=models.SET_NULL, related_name="actions"
    )
    revision = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("action")
        verbose_name_plural = _("actions")
        ordering = ["due_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["commitment", "instance_key"],
                condition=models.Q(status__in=["open", "in_progress"]) & ~models.Q(instance_key=""),
                name="uniq_open_action_per_instance",
            )
        ]
        indexes = [
            models.Index(fields=["owner", "status", "due_on"], name="action_owner_idx"),
            models.Index(fields=["status", "due_on"], name="action_status_idx"),
            # The action list's default order: its first page without sorting every open action.
            models.Index(fields=["due_on", "id"], name="action_due_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("front:action", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class Deviation(models.Model):
    """A change of an instance or a commitment into at risk, overdue, broken or back.

    Written by the watcher and by every re-evaluation (pacta.core.watch
    `record_evaluation_changes`); unprocessed rows (`processed_at` empty) are
    the watcher's queue (Healthchecks' `Flip`). `instance_key` is blank for a
    change of the commitment's summary status.
    """

    class Outcome(models.TextChoices):
        OPENED_ACTION = "opened_action", _("opened an action")
        JOINED_ACTION = "joined_action", _("added to the open action")
        HISTORY = "history", _("recorded as history")
        RECORDED = "recorded", _("recorded")

    commitment = models.ForeignKey(
        Commitment, on_delete=models.CASCADE, related_name="deviations", verbose_name=_("commitment")
    )
    instance_key = models.CharField(_("instance"), max_length=128, blank=True)
    old_status = models.CharField(_("was"), max_length=16, choices=WatchStatus.choices, blank=True)
    new_status = models.CharField(_("became"), max_length=16, choices=WatchStatus.choices, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    evidence = models.JSONField(_("evidence"), default=dict, blank=True)
    money = models.JSONField(_("money"), default=list, blank=True)
    at = models.DateTimeField(_("as of"))
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True)
    action = models.ForeignKey(
        Action, verbose_name=_("action"), null=True, blank=True, on_delete=models.SET_NULL, related_name="deviations"
    )
    alert = models.ForeignKey(
        OutboundMail, verbose_name=_("alert"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="deviations",
    )

    class Meta:
        verbose_name = _("deviation")
        verbose_name_plural = _("deviations")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["id"], condition=models.Q(processed_at__isnull=True), name="deviation_queue_idx"),
            models.Index(fields=["commitment", "instance_key", "at"], name="deviation_instance_idx"),
        ]

    def __str__(self) -> str:
        subject = f"{self.commitment} {self.instance_key}".strip()
        return f"{subject}: {self.old_status or '-'} → {self.new_status or '-'}"


class Absence(models.Model):
    """A person is away from `start` to `end` (both days included).

    While away, new actions and alerts for them go to a stand-in
    (pacta.core.watch `route`).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("who"), on_delete=models.CASCADE, related_name="absences"
    )
    start = models.DateField(_("from"))
    end = models.DateField(_("to"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("absence")
        verbose_name_plural = _("absences")
        ordering = ["start", "id"]
        indexes = [models.Index(fields=["user", "start", "end"], name="absence_user_idx")]

    def __str__(self) -> str:
        return f"{self.user}: {self.start} – {self.end}"


class CalendarToken(models.Model):
    """The secret of one person's calendar feed URL; only its SHA-256 is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="calendar_tokens"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    hint = models.CharField(_("ends with"), max_length=8, blank=True, help_text=_("The last characters, to tell tokens apart."))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("calendar token")
        verbose_name_plural = _("calendar tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user} …{self.hint}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


# ---------------------------------------------------------------------------
# Clarify, cover, communicate, review: intakes, products and coverage links,
# status updates, check-ins and the top-customers audit reports.


class Intake(models.Model):
    """The clarification of a new request or change before we commit to it.

    It ends in a decision: accept (a draft agreement is created from it),
    decline (with the reason) or counter-offer ("not this, but we can …"),
    which the customer may accept later.
    """

    class Status(models.TextChoices):
        CLARIFYING = "clarifying", _("clarifying")
        AWAITING_DECISION = "awaiting_decision", _("awaiting decision")
        ACCEPTED = "accepted", _("accepted")
        DECLINED = "declined", _("declined")
        COUNTERED = "countered", _("counter-offered")

    party = models.ForeignKey(
        Party, verbose_name=_("party"), null=True, blank=True, on_delete=models.PROTECT, related_name="intakes"
    )
    prospect_name = models.CharField(
        _("prospect"), max_length=200, blank=True, help_text=_("For a request from a firm that is not a party yet.")
    )
    agreement = models.ForeignKey(
        Agreement,
        verbose_name=_("agreement"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="intakes",
        help_text=_("The agreement this request changes, or the draft created when it was accepted."),
    )
    title = models.CharField(_("request"), max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="intakes",
    )
    problem = models.TextField(_("the problem, in the customer's words"), blank=True)
    desired_situation = models.TextField(_("the desired situation"), blank=True)
    goal = models.TextField(_("goal"), blank=True)
    purpose = models.TextField(_("purpose"), blank=True)
    benefit = models.TextField(_("benefit"), blank=True)
    scope_in = models.TextField(_("in scope"), blank=True)
    scope_out = models.TextField(_("out of scope"), blank=True)
    limits = models.TextField(_("limits"), blank=True)
    key_terms = models.JSONField(
        _("definitions of key terms"), default=list, blank=True, help_text=_("They become the agreement's glossary.")
    )
    req_quality = models.TextField(_("quality requirements"), blank=True)
    req_efficiency = models.TextField(_("efficiency requirements"), blank=True)
    req_security = models.TextField(_("security requirements"), blank=True)
    req_reliability = models.TextField(_("reliability requirements"), blank=True)
    customer_values = models.TextField(_("what the customer values"), blank=True)
    customer_pays = models.TextField(_("what the customer pays"), blank=True)
    capacity = models.TextField(_("our capacity and the resources it needs"), blank=True)
    feasibility = models.TextField(_("feasibility"), blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    expected_revenue = models.DecimalField(
        _("expected revenue per year"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    expected_margin = models.DecimalField(
        _("expected margin per year"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    # Each proposed special promise: a commitment document (id, type, title,
    # parameters) plus `cost` per occurrence and `occurrences` per year.
    proposed_commitments = models.JSONField(_("proposed commitments"), default=list, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.CLARIFYING)
    submitted_at = models.DateTimeField(_("submitted for decision"), null=True, blank=True)
    decision_reason = models.TextField(_("reason"), blank=True)
    counter_offer = models.TextField(_("counter-offer"), blank=True, help_text=_("Not this, but we can …"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="decided_intakes",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    revision = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="created_intakes"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("intake")
        verbose_name_plural = _("intakes")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "submitted_at"], name="intake_status_idx")]

    def __str__(self) -> str:
        return self.title


class Product(models.Model):
    """A product we sell or buy, with the supplier it comes from (for coverage)."""

    code = models.CharField(_("code"), max_length=128, unique=True, help_text=_("As in the events' product column."))
    name = models.CharField(_("name"), max_length=200)
    supplier = models.ForeignKey(
        Party, verbose_name=_("supplier"), null=True, blank=True, on_delete=models.SET_NULL, related_name="products"
    )
    supplier_lead_days = models.PositiveIntegerField(
        _("supplier's lead time (days)"), null=True, blank=True,
        help_text=_("The supplier's usual lead time when no supplier agreement says otherwise."),
    )
    handling_days = models.PositiveIntegerField(
        _("our handling days"), null=True, blank=True, help_text=_("Days between receipt and shipment on our side.")
    )
    list_price = models.DecimalField(_("list price"), max_digits=14, decimal_places=4, null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    discontinued = models.BooleanField(_("discontinued"), default=False)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class CoverageLink(models.Model):
    """A customer commitment backed by a supplier commitment (back-to-back)."""

    customer_commitment = models.ForeignKey(
        Commitment, verbose_name=_("customer's promise"), on_delete=models.CASCADE, related_name="covered_by"
    )
    supplier_commitment = models.ForeignKey(
        Commitment, verbose_name=_("supplier's promise"), on_delete=models.CASCADE, related_name="covers"
    )
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("coverage link")
        verbose_name_plural = _("coverage links")
        constraints = [
            models.UniqueConstraint(fields=["customer_commitment", "supplier_commitment"], name="uniq_coverage_link")
        ]

    def __str__(self) -> str:
        return f"{self.customer_commitment} ← {self.supplier_commitment}"


class StatusUpdate(models.Model):
    """A status report to a party: what was kept, what is at risk and why,
    open points, challenges, what comes next. Sending it records an `update`
    event, which keeps `recurring` commitments with `kind: update`."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        SENT = "sent", _("sent")

    party = models.ForeignKey(Party, verbose_name=_("party"), on_delete=models.CASCADE, related_name="status_updates")
    language = models.CharField(_("language"), max_length=8, blank=True)
    period_start = models.DateField(_("from"), null=True, blank=True)
    period_end = models.DateField(_("to"), null=True, blank=True)
    subject = models.CharField(_("subject"), max_length=300)
    topics = models.TextField(_("topics"), blank=True)
    kept = models.TextField(_("what we kept"), blank=True)
    at_risk = models.TextField(_("what is at risk, and why"), blank=True)
    open_points = models.TextField(_("open points"), blank=True)
    challenges = models.TextField(_("challenges"), blank=True)
    next_steps = models.TextField(_("what comes next"), blank=True)
    recipients = models.JSONField(_("recipients"), default=list, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.DRAFT)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="sent_updates"
    )
    event = models.ForeignKey(Event, null=True, blank=True, on_delete=models.SET_NULL, related_name="status_updates")
    revision = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="created_updates"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("status update")
        verbose_name_plural = _("status updates")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.subject


class CheckIn(models.Model):
    """A check-in with the customer, like a retrospective: what went well, what did not, what we change."""

    party = models.ForeignKey(Party, verbose_name=_("party"), on_delete=models.CASCADE, related_name="check_ins")
    date = models.DateField(_("date"))
    participants = models.CharField(_("participants"), max_length=300, blank=True)
    went_well = models.TextField(_("what went well"), blank=True)
    went_badly = models.TextField(_("what did not go well"), blank=True)
    changes = models.TextField(_("what we change"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        return f"{self.party.code} {self.date}"


class AuditReport(models.Model):
    """One run of the top-customers audit, kept as handed to the sales team."""

    top = models.PositiveIntegerField(_("number of customers"))
    period_start = models.DateField(_("revenue from"), null=True, blank=True)
    period_end = models.DateField(_("revenue to"), null=True, blank=True)
    as_of = models.DateTimeField(_("as of"))
    result = models.JSONField(default=dict)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("top-customers audit")
        verbose_name_plural = _("top-customers audits")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.top} @ {self.as_of:%Y-%m-%d}"


# ---------------------------------------------------------------------------
# Open to other systems: API tokens and their uses, webhook subscriptions and
# their deliveries (pacta.api, pacta.core.webhooks, pacta.core.actions.api).


class ApiScope(models.TextChoices):
    """What an API token may do; it never may more than its user may."""

    READ = "read", _("read everything")
    EVENTS = "events", _("write events")
    ADMIN = "admin", _("change parties, agreements, commitments and actions")


class ApiToken(models.Model):
    """The secret a program presents to the API (`Authorization: Bearer …`).

    Only its SHA-256 is stored: the secret is shown once, when it is created.
    The token acts as its user, within its scopes.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100, help_text=_("What uses it, e.g. the ERP's nightly export."))
    token_hash = models.CharField(max_length=64, unique=True)
    hint = models.CharField(_("ends with"), max_length=8, help_text=_("The last characters, to tell tokens apart."))
    scopes = models.JSONField(_("scopes"), default=list)
    rate_limit = models.PositiveIntegerField(
        _("requests per minute"), null=True, blank=True, help_text=_("Empty: the installation's default.")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} …{self.hint}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class ApiTokenUse(models.Model):
    """One request made with a token: the use log, and what the rate limit counts."""

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="uses", verbose_name=_("token"))
    at = models.DateTimeField(_("when"))
    method = models.CharField(_("method"), max_length=8)
    path = models.CharField(_("path"), max_length=300)
    ip = models.GenericIPAddressField(_("address"), null=True, blank=True)
    # Empty when the request was let through; else why it was refused.
    refused = models.CharField(_("refused"), max_length=16, blank=True)

    class Meta:
        verbose_name = _("API token use")
        verbose_name_plural = _("API token uses")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["token", "at"], name="api_token_use_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.method} {self.path}"


class WebhookSubscription(models.Model):
    """A URL told about deviations and action changes, with a body signed by its secret.

    The cursors are the last deviation and audit entry already looked at
    (pacta.core.webhooks): a new subscription hears only of what happens after it.
    """

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("URL"), max_length=500)
    # Kept readable: every delivery is signed with it (HMAC-SHA256).
    secret = models.CharField(_("secret"), max_length=128)
    on_deviations = models.BooleanField(_("deviations"), default=True)
    on_actions = models.BooleanField(_("action changes"), default=True)
    is_active = models.BooleanField(_("active"), default=True)
    deviation_cursor = models.BigIntegerField(default=0, editable=False)
    audit_cursor = models.BigIntegerField(default=0, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class WebhookDelivery(RetriedDelivery):
    """One message to a subscription: composed once, posted until its URL answers 2xx, retried with backoff."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        SENDING = "sending", _("sending")
        DELIVERED = "delivered", _("delivered")
        FAILED = "failed", _("failed")

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("webhook")
    )
    topic = models.CharField(_("topic"), max_length=32)
    deviation = models.ForeignKey(
        Deviation, null=True, blank=True, on_delete=models.SET_NULL, related_name="webhook_deliveries"
    )
    audit_entry = models.ForeignKey(
        AuditEntry, null=True, blank=True, on_delete=models.SET_NULL, related_name="webhook_deliveries"
    )
    body = models.TextField()
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    # Every attempt: {"at", "status" (HTTP status or null), "error", "ms"}.
    log = models.JSONField(_("attempts"), default=list, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "deviation"], condition=models.Q(deviation__isnull=False),
                                    name="uniq_webhook_deviation"),
            models.UniqueConstraint(fields=["subscription", "audit_entry"],
                                    condition=models.Q(audit_entry__isnull=False), name="uniq_webhook_audit_entry"),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="webhook_due_idx"),
            models.Index(fields=["subscription", "created_at"], name="webhook_log_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.subscription} {self.topic} #{self.pk}"
