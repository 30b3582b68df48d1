from django.urls import path

from .views import agreements, attachments, commitments, pages, parties, watch

app_name = "front"

AGREEMENT = "agreements/<str:reference>/"
COMMITMENT = AGREEMENT + "commitments/<str:key>/"

urlpatterns = [
    path("", pages.dashboard, name="dashboard"),
    path("search/", pages.search, name="search"),
    path("audit/", pages.audit_log, name="audit"),
    path("import/", pages.import_list, name="import"),
    # parties
    path("parties/", parties.party_list, name="parties"),
    path("parties/new/", parties.party_create, name="party_create"),
    path("parties/<str:code>/", parties.party_detail, name="party"),
    path("parties/<str:code>/edit/", parties.party_edit, name="party_edit"),
    path("parties/<str:code>/contacts/new/", parties.contact_form, name="contact_create"),
    path("parties/<str:code>/contacts/<int:pk>/", parties.contact_form, name="contact_edit"),
    path("parties/<str:code>/contacts/<int:pk>/delete/", parties.contact_delete, name="contact_delete"),
    # agreements
    path("agreements/", agreements.agreement_list, name="agreements"),
    path("agreements/new/", agreements.agreement_create, name="agreement_create"),
    path(AGREEMENT, agreements.agreement_detail, name="agreement"),
    path(AGREEMENT + "edit/", agreements.agreement_edit, name="agreement_edit"),
    path(AGREEMENT + "status/<str:status>/", agreements.agreement_status, name="agreement_status"),
    path(AGREEMENT + "glossary/", agreements.glossary_edit, name="glossary_edit"),
    path(AGREEMENT + "notes/new/", agreements.note_add, name="note_add"),
    path(AGREEMENT + "diff/", agreements.agreement_diff, name="agreement_diff"),
    path(AGREEMENT + "attachments/new/", attachments.attachment_add, name="attachment_add"),
    path(AGREEMENT + "attachments/<int:pk>/", attachments.attachment_download, name="attachment"),
    path(AGREEMENT + "attachments/<int:pk>/remove/", attachments.attachment_remove, name="attachment_remove"),
    # commitments
    path("commitments/", commitments.commitment_list, name="commitments"),
    path(AGREEMENT + "commitments/new/", commitments.commitment_types, name="commitment_types"),
    path(AGREEMENT + "commitments/new/<str:type_name>/", commitments.commitment_add, name="commitment_add"),
    path(COMMITMENT, commitments.commitment_detail, name="commitment"),
    path(COMMITMENT + "edit/", commitments.commitment_edit, name="commitment_edit"),
    path(COMMITMENT + "operations/", commitments.commitment_operations, name="commitment_operations"),
    path(COMMITMENT + "remove/", commitments.commitment_remove, name="commitment_remove"),
    path(COMMITMENT + "waive/<path:instance>/", commitments.instance_waive, name="instance_waive"),
    # watch and act
    path("actions/", watch.action_list, name="actions"),
    path("actions/<int:pk>/", watch.action_detail, name="action"),
    path("actions/<int:pk>/edit/", watch.action_edit, name="action_edit"),
    path("actions/<int:pk>/resolve/", watch.action_resolve, name="action_resolve"),
    path("actions/<int:pk>/reopen/", watch.action_reopen, name="action_reopen"),
    path(COMMITMENT + "actions/new/", watch.action_open, name="action_open"),
    path("instances/", watch.instance_list, name="instances"),
    path("deviations/", watch.deviation_list, name="deviations"),
    path("mail/", watch.mail_list, name="mail"),
]
