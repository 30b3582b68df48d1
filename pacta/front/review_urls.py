"""URLs of the review pages (pacta.front.views.review), mounted under /review/ with the namespace `review`."""

from django.urls import path

from .views import review

app_name = "review"

PROMISE = "coverage/<str:reference>/<str:key>/"

urlpatterns = [
    path("coverage/", review.coverage_matrix, name="coverage"),
    path(PROMISE + "link/", review.coverage_link, name="coverage_link"),
    path("coverage/links/<int:pk>/remove/", review.coverage_unlink, name="coverage_unlink"),
    path("audit/", review.audit_start, name="audit"),
    path("audit/<int:pk>/", review.audit_report, name="audit_report"),
    path("audit/<int:pk>/pdf/", review.audit_pdf, name="audit_pdf"),
    path("audit/<int:pk>/actions/", review.audit_actions, name="audit_actions"),
    path("profitability/", review.profitability_page, name="profitability"),
]
