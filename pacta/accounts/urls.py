from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("language/", views.set_language, name="set_language"),
    path("calendar/new/", views.calendar_create, name="calendar_create"),
    path("calendar/<int:pk>/revoke/", views.calendar_revoke, name="calendar_revoke"),
    path("absences/", views.absences, name="absences"),
    path("absences/<int:pk>/delete/", views.absence_delete, name="absence_delete"),
]
