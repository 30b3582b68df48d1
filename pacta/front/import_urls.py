"""The import pages, under /import/ (the list of recent imports, /import/ itself, is front:import)."""

from django.urls import path

from .views import imports

app_name = "imports"

urlpatterns = [
    path("agreements/", imports.agreements_upload, name="agreements"),
    path("agreements/confirm/", imports.agreements_confirm, name="agreements_confirm"),
    path("agreements/export/", imports.agreements_export, name="agreements_export"),
    path("agreements/export/<str:reference>/", imports.agreements_export, name="agreement_export"),
    path("events/", imports.events_upload, name="events"),
    path("events/confirm/", imports.events_confirm, name="events_confirm"),
    path("mappings/", imports.mapping_list, name="mappings"),
    path("mappings/new/", imports.mapping_form, name="mapping_create"),
    path("mappings/<int:pk>/", imports.mapping_form, name="mapping_edit"),
    path("mappings/<int:pk>/delete/", imports.mapping_delete, name="mapping_delete"),
]
