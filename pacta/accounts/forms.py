from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from pacta.front.forms import ModelForm, timezone_choices

from .models import User


class ProfileForm(ModelForm):
    """What a user sets for themself: name, e-mail, language and time zone."""

    language = forms.ChoiceField(
        label=_("language"), required=False,
        choices=[("", _("the browser's language")), *settings.LANGUAGES],
        help_text=_("The language of every page, wherever you sign in."),
    )
    timezone = forms.ChoiceField(label=_("time zone"), required=False, choices=[])

    class Meta:
        model = User
        fields = ["first_name", "last_name", "email", "language", "timezone"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["timezone"].choices = [("", _("the server's (%(tz)s)") % {"tz": settings.TIME_ZONE}),
                                           *timezone_choices()]
