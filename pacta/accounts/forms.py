from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from pacta.front.forms import Form, ModelForm, UserChoiceField, date_widget, timezone_choices, wide_input

from .models import User


class ProfileForm(ModelForm):
    """What a user sets for themself: name, e-mail, language, time zone, and
    which e-mails the watcher sends them."""

    language = forms.ChoiceField(
        label=_("language"), required=False,
        choices=[("", _("the browser's language")), *settings.LANGUAGES],
        help_text=_("The language of every page, wherever you sign in."),
    )
    timezone = forms.ChoiceField(label=_("time zone"), required=False, choices=[])

    PERSONAL = ("first_name", "last_name", "email", "language", "timezone")
    PREFERENCES = ("alert_at_risk", "alert_overdue", "alert_broken", "alert_recovered", "remind_overdue_actions",
                   "weekly_digest")

    class Meta:
        model = User
        fields = ["first_name", "last_name", "email", "language", "timezone",
                  "alert_at_risk", "alert_overdue", "alert_broken", "alert_recovered", "remind_overdue_actions",
                  "weekly_digest"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["timezone"].choices = [("", _("the server's (%(tz)s)") % {"tz": settings.TIME_ZONE}),
                                           *timezone_choices()]
        self.fields["email"].help_text = _("Alerts, reminders and the weekly digest go here.")

    def personal_fields(self):
        return [self[name] for name in self.PERSONAL]

    def preference_fields(self):
        return [self[name] for name in self.PREFERENCES]


class AbsenceForm(Form):
    """An absence: from, to (both days included), a note. Managers choose whose."""

    user = UserChoiceField(label=_("who"), required=True, empty_label=None)
    start = forms.DateField(label=_("from"), widget=date_widget())
    end = forms.DateField(label=_("to"), widget=date_widget(), help_text=_("The last day away."))
    note = forms.CharField(label=_("note"), required=False, max_length=200, widget=wide_input(),
                           help_text=_("For example: holiday, trade fair in Hanover."))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if user.is_manager:
            self.fields["user"].initial = user.pk
        else:
            del self.fields["user"]  # people record their own absences
        self.recorder = user

    def absent_user(self):
        return self.cleaned_data.get("user") or self.recorder
