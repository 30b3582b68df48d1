"""Intakes, customer status updates and check-ins (namespace `engagement`).

Included from pacta/urls.py before the register's URLs; the party pages'
sub-paths here (`parties/<code>/updates/`, `…/check-ins/`) are not the register's.
"""

from django.urls import path

from .views import engagement as views

app_name = "engagement"

INTAKE = "intakes/<int:pk>/"
PARTY = "parties/<str:code>/"
UPDATE = PARTY + "updates/<int:pk>/"

urlpatterns = [
    # intakes
    path("intakes/", views.intake_list, name="intakes"),
    path("intakes/new/", views.intake_create, name="intake_create"),
    path(INTAKE, views.intake_detail, name="intake"),
    path(INTAKE + "edit/", views.intake_edit, name="intake_edit"),
    path(INTAKE + "submit/", views.intake_submit, name="intake_submit"),
    path(INTAKE + "decide/", views.intake_decide, name="intake_decide"),
    path(INTAKE + "accept-counter-offer/", views.intake_accept_counter, name="intake_accept_counter"),
    path(INTAKE + "promises/new/<str:type_name>/", views.promise_form, name="promise_add"),
    path(INTAKE + "promises/<int:index>/", views.promise_form, name="promise_edit"),
    # status updates
    path("updates/", views.update_list, name="updates"),
    path(PARTY + "updates/", views.party_updates, name="party_updates"),
    path(PARTY + "updates/compose/", views.update_compose, name="update_compose"),
    path(UPDATE, views.update_detail, name="update"),
    path(UPDATE + "edit/", views.update_edit, name="update_edit"),
    path(UPDATE + "send/", views.update_send, name="update_send"),
    path(UPDATE + "discard/", views.update_discard, name="update_discard"),
    path(UPDATE + "pdf/", views.update_pdf, name="update_pdf"),
    # check-ins
    path(PARTY + "check-ins/", views.check_ins, name="check_ins"),
]
