"""URLs of the feeds (pacta.front.feeds), mounted under /calendar/ without a namespace."""

from django.urls import path

from . import feeds

urlpatterns = [
    path("<str:token>.ics", feeds.calendar, name="calendar_feed"),
]
