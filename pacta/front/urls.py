from django.urls import path

from . import views

app_name = "front"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("search/", views.placeholder, name="search"),
    path("parties/", views.placeholder, name="parties"),
    path("agreements/", views.placeholder, name="agreements"),
    path("commitments/", views.placeholder, name="commitments"),
    path("import/", views.placeholder, name="import"),
    path("audit/", views.placeholder, name="audit"),
]
