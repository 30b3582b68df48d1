from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import set_language

from pacta.accounts.throttle import ThrottledLoginView

urlpatterns = [
    path("login/", ThrottledLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("admin/", admin.site.urls),
    path("accounts/", include("pacta.accounts.urls")),
    path("api/", include("pacta.api.urls")),
    path("calendar/", include("pacta.front.feed_urls")),
    path("review/", include("pacta.front.review_urls")),
    path("", include("pacta.front.integration_urls")),
    path("", include("pacta.front.engagement_urls")),
    path("import/", include("pacta.front.import_urls")),
    path("", include("pacta.front.urls")),
]
