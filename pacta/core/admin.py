"""Django admin for every core model: the administrators' fallback.

The register's own pages write through the `do_*` functions (versions,
snapshots, audit entries). The admin writes rows directly: it is for repairs
an administrator makes on purpose, not for daily work. The records that are
history (events, versions, the audit log) are read-only here.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import (
    Absence,
    Action,
    Agreement,
    AgreementVersion,
    Attachment,
    AuditEntry,
    AuditReport,
    CalendarToken,
    CheckIn,
    ColumnMapping,
    Commitment,
    CommitmentTerms,
    Contact,
    CoverageLink,
    Deviation,
    Event,
    GlossaryTerm,
    ImportBatch,
    Instance,
    Intake,
    NegotiationNote,
    OutboundMail,
    Party,
    Pause,
    Product,
    StatusUpdate,
    Waiver,
)


class ReadOnlyMixin:
    """History is appended by the application, never edited by hand."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0


@admin.register(Party)
class PartyAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "is_customer", "is_supplier", "country", "city", "spoc", "deputy")
    list_filter = ("is_customer", "is_supplier", "country")
    search_fields = ("code", "name", "city")
    raw_id_fields = ("spoc", "deputy")
    readonly_fields = ("revision", "created_at", "updated_at")
    inlines = [ContactInline]


class GlossaryInline(admin.TabularInline):
    model = GlossaryTerm
    extra = 0


class NoteInline(admin.StackedInline):
    model = NegotiationNote
    extra = 0
    raw_id_fields = ("author",)


class VersionInline(ReadOnlyMixin, admin.TabularInline):
    model = AgreementVersion
    fields = ("number", "effective_from", "summary", "reason", "agreed_by", "agreed_how", "created_by", "created_at")
    readonly_fields = fields
    extra = 0
    show_change_link = True


@admin.register(Agreement)
class AgreementAdmin(admin.ModelAdmin):
    list_display = ("reference", "party", "title", "role", "status", "valid_from", "valid_to", "owner")
    list_filter = ("status", "role", "currency")
    search_fields = ("reference", "title", "party__code", "party__name")
    raw_id_fields = ("party", "owner", "deputy")
    readonly_fields = ("revision", "created_at", "updated_at")
    date_hierarchy = "valid_from"
    inlines = [GlossaryInline, NoteInline, VersionInline]


@admin.register(AgreementVersion)
class AgreementVersionAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("agreement", "number", "effective_from", "summary", "agreed_by", "agreed_how", "created_at")
    search_fields = ("agreement__reference", "summary")
    list_select_related = ("agreement",)


class TermsInline(admin.StackedInline):
    model = CommitmentTerms
    extra = 0
    raw_id_fields = ("version",)


@admin.register(Commitment)
class CommitmentAdmin(admin.ModelAdmin):
    list_display = ("key", "agreement", "type", "direction", "owner", "status", "evaluated_at", "removed_in")
    list_filter = ("type", "status", "direction")
    search_fields = ("key", "agreement__reference", "agreement__party__code", "terms__title")
    raw_id_fields = ("agreement", "owner", "registrar", "removed_in")
    readonly_fields = ("revision", "created_at", "updated_at", "evaluated_at", "as_of", "next_check_at")
    list_select_related = ("agreement", "owner", "removed_in")
    inlines = [TermsInline]


@admin.register(Event)
class EventAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("external_id", "source", "kind", "party", "at", "ref", "product", "quantity", "amount", "currency")
    list_filter = ("kind", "source")
    search_fields = ("external_id", "ref", "product", "party__code", "party__name")
    date_hierarchy = "at"
    list_select_related = ("party",)


@admin.register(Instance)
class InstanceAdmin(admin.ModelAdmin):
    list_display = ("commitment", "key", "status", "health", "due", "done", "days_late")
    list_filter = ("status", "health")
    search_fields = ("key", "commitment__key", "commitment__agreement__reference")
    raw_id_fields = ("commitment",)
    list_select_related = ("commitment", "commitment__agreement")


@admin.register(Waiver)
class WaiverAdmin(admin.ModelAdmin):
    list_display = ("commitment", "instance_key", "granted_by", "at", "recorded_by")
    search_fields = ("instance_key", "granted_by", "commitment__key", "commitment__agreement__reference")
    raw_id_fields = ("commitment", "recorded_by")


@admin.register(Pause)
class PauseAdmin(admin.ModelAdmin):
    list_display = ("agreement", "start", "end", "reason", "recorded_by")
    search_fields = ("agreement__reference", "reason")
    raw_id_fields = ("agreement", "recorded_by")


@admin.register(ColumnMapping)
class ColumnMappingAdmin(admin.ModelAdmin):
    list_display = ("name", "created_at")
    search_fields = ("name",)


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Files are attached and removed on the agreement page, where they are checked."""

    list_display = ("name", "agreement", "version", "size", "content_type", "uploaded_by", "uploaded_at")
    search_fields = ("name", "description", "sha256", "agreement__reference")
    list_select_related = ("agreement", "version", "uploaded_by")


@admin.register(ImportBatch)
class ImportBatchAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("created_at", "kind", "source", "filename", "rows", "created", "unchanged", "user")
    list_filter = ("kind", "source")


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("at", "user", "action", "object_type", "object_repr", "agreement", "party")
    list_filter = ("action", "object_type")
    search_fields = ("object_repr", "action", "user__username", "agreement__reference", "party__code")
    date_hierarchy = "at"
    list_select_related = ("user", "agreement", "party")


@admin.register(Deviation)
class DeviationAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("at", "commitment", "instance_key", "old_status", "new_status", "processed_at", "outcome")
    list_filter = ("new_status", "outcome")
    search_fields = ("instance_key", "commitment__key", "commitment__agreement__reference", "reason")
    date_hierarchy = "at"
    list_select_related = ("commitment", "commitment__agreement")


@admin.register(Action)
class ActionAdmin(admin.ModelAdmin):
    list_display = ("title", "commitment", "instance_key", "owner", "routing", "status", "due_on")
    list_filter = ("status", "routing")
    search_fields = ("title", "instance_key", "commitment__key", "commitment__agreement__reference")
    raw_id_fields = ("commitment", "owner", "meant_for", "opened_by", "closed_by", "waiver")
    readonly_fields = ("revision", "created_at", "updated_at")
    list_select_related = ("commitment", "commitment__agreement", "owner")


@admin.register(Absence)
class AbsenceAdmin(admin.ModelAdmin):
    list_display = ("user", "start", "end", "note")
    search_fields = ("user__username", "note")
    raw_id_fields = ("user", "recorded_by")


@admin.register(OutboundMail)
class OutboundMailAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("created_at", "kind", "to", "subject", "status", "attempts", "sent_at")
    list_filter = ("kind", "status")
    search_fields = ("to", "subject")


@admin.register(CalendarToken)
class CalendarTokenAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("user", "hint", "created_at", "last_used_at", "revoked_at")
    exclude = ("token_hash",)


@admin.register(Intake)
class IntakeAdmin(admin.ModelAdmin):
    list_display = ("title", "party", "prospect_name", "status", "owner", "updated_at")
    list_filter = ("status",)
    search_fields = ("title", "prospect_name", "party__code", "party__name")
    raw_id_fields = ("party", "agreement", "owner", "decided_by", "created_by")


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "supplier", "list_price", "currency", "discontinued")
    list_filter = ("discontinued",)
    search_fields = ("code", "name")
    raw_id_fields = ("supplier",)


@admin.register(CoverageLink)
class CoverageLinkAdmin(admin.ModelAdmin):
    list_display = ("customer_commitment", "supplier_commitment", "created_at")
    raw_id_fields = ("customer_commitment", "supplier_commitment", "created_by")


@admin.register(StatusUpdate)
class StatusUpdateAdmin(admin.ModelAdmin):
    list_display = ("subject", "party", "status", "sent_at", "created_at")
    list_filter = ("status",)
    search_fields = ("subject", "party__code", "party__name")
    raw_id_fields = ("party", "sent_by", "event", "created_by")


@admin.register(CheckIn)
class CheckInAdmin(admin.ModelAdmin):
    list_display = ("party", "date", "participants")
    search_fields = ("party__code", "party__name", "participants")
    raw_id_fields = ("party", "created_by")


@admin.register(AuditReport)
class AuditReportAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("created_at", "top", "period_start", "period_end", "as_of", "created_by")


admin.site.site_header = _("pacta administration")
admin.site.site_title = _("pacta administration")
