"""The form that attaches a file to an agreement (or to one of its versions)."""

from __future__ import annotations

from django import forms
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from pacta.core.actions.attachments import DESCRIPTION_LENGTH, max_attachment_bytes
from pacta.core.models import Agreement, AgreementVersion
from pacta.lib.uploads import ATTACHMENT_SUFFIXES, accepted_kinds

from .import_forms import GuardedUploadForm


class VersionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: AgreementVersion) -> str:
        return _("Version %(number)s: %(summary)s") % {"number": obj.number, "summary": obj.summary[:60]}


class AttachmentForm(GuardedUploadForm):
    """A file no larger than `PACTA_MAX_ATTACHMENT_BYTES`; what it holds is checked by `do_add_attachment`."""

    file = forms.FileField(label=_("file"),
                           widget=forms.ClearableFileInput(attrs={"accept": ",".join(ATTACHMENT_SUFFIXES)}))
    version = VersionChoiceField(label=_("version"), queryset=AgreementVersion.objects.none(), required=False,
                                 empty_label=_("the agreement as a whole"),
                                 help_text=_("A signed amendment belongs to the version it signs."))
    description = forms.CharField(label=_("description"), required=False, max_length=DESCRIPTION_LENGTH,
                                  help_text=_("For example: signed by both sides on 3 March."))

    def __init__(self, *args, agreement: Agreement, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].queryset = agreement.versions.order_by("-number")
        limit = self.limit()
        self.fields["file"].help_text = (
            _("Accepted: %(kinds)s; at most %(limit)s.") % {"kinds": accepted_kinds(), "limit": filesizeformat(limit)}
            if limit else _("Accepted: %(kinds)s.") % {"kinds": accepted_kinds()})

    def limit(self) -> int:
        return max_attachment_bytes()
