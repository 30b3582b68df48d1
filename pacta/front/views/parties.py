"""Parties and their contacts."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from pacta.core.actions.register import (
    do_create_party,
    do_delete_contact,
    do_save_contact,
    do_update_party,
)
from pacta.core.models import Contact, Party
from pacta.core.permissions import can_change
from pacta.front.filters import PartyFilter
from pacta.front.forms import ContactForm, PartyForm
from pacta.front.listing import Column

from .common import FAILED, attempt, get_party, get_rw_party, list_page, require_change, trail

PARTY_SORTS = {
    "name": ("name",),
    "code": ("code",),
    "country": ("country", "name"),
    "agreements": ("agreement_count", "name"),
}

PARTY_COLUMNS = [
    Column(gettext_lazy("code"), lambda p: p.code),
    Column(gettext_lazy("name"), lambda p: p.name),
    Column(gettext_lazy("customer"), lambda p: p.is_customer),
    Column(gettext_lazy("supplier"), lambda p: p.is_supplier),
    Column(gettext_lazy("country"), lambda p: p.country),
    Column(gettext_lazy("city"), lambda p: p.city),
    Column(gettext_lazy("single point of contact"), lambda p: p.spoc and p.spoc.get_username()),
    Column(gettext_lazy("deputy"), lambda p: p.deputy and p.deputy.get_username()),
    Column(gettext_lazy("agreements"), lambda p: p.agreement_count),
]


@login_required
def party_list(request):
    qs = Party.objects.select_related("spoc", "deputy").annotate(agreement_count=Count("agreements"))
    return list_page(request, PartyFilter(request.GET), qs, sorts=PARTY_SORTS, default="name", columns=PARTY_COLUMNS,
                     export_name="parties", template="party", can_create=can_change(request.user))


@login_required
def party_detail(request, code):
    party = get_party(code)
    agreements = party.agreements.select_related("owner").order_by("-valid_from", "reference")
    return render(request, "front/party_detail.html", {
        "party": party,
        "contacts": party.contacts.all(),
        "agreements": agreements,
        "can_edit": can_change(request.user, party),
        "can_create": can_change(request.user),
        "trail": trail(party=party),
    })


@login_required
@require_http_methods(["GET", "POST"])
def party_create(request):
    require_change(request)
    form = PartyForm(request.POST or None, initial={"spoc": request.user, "is_customer": True})
    if request.method == "POST" and form.is_valid():
        party = attempt(lambda: do_create_party(acting_user=request.user, **form.fields_for_register()), form)
        if party is not FAILED:
            messages.success(request, _("The party %(party)s was created.") % {"party": party})
            return redirect(party)
    return render(request, "front/party_form.html", {"form": form, "party": None})


@login_required
@require_http_methods(["GET", "POST"])
def party_edit(request, code):
    party = get_rw_party(request, code)
    # The form works on its own copy: the register compares the stored party with the new values.
    form = PartyForm(request.POST or None, instance=Party.objects.get(pk=party.pk))
    if request.method == "POST" and form.is_valid():
        saved = attempt(lambda: do_update_party(party, acting_user=request.user,
                                                expected_revision=form.cleaned_data["revision"],
                                                **form.fields_for_register()), form)
        if saved is not FAILED:
            messages.success(request, _("The party %(party)s was saved.") % {"party": saved})
            return redirect(saved)
    return render(request, "front/party_form.html", {"form": form, "party": party})


@login_required
@require_http_methods(["GET", "POST"])
def contact_form(request, code, pk=None):
    party = get_rw_party(request, code)
    contact = get_object_or_404(Contact, party=party, pk=pk) if pk else None
    form = ContactForm(request.POST or None, instance=Contact.objects.get(pk=pk) if pk else None)
    if request.method == "POST" and form.is_valid():
        do_save_contact(party, acting_user=request.user, contact=contact, **form.cleaned_data)
        messages.success(request, _("The contact was saved."))
        return redirect(party.get_absolute_url() + "#contacts")
    return render(request, "front/contact_form.html", {"form": form, "party": party, "contact": contact})


@login_required
@require_http_methods(["GET", "POST"])
def contact_delete(request, code, pk):
    party = get_rw_party(request, code)
    contact = get_object_or_404(Contact, party=party, pk=pk)
    if request.method == "POST":
        do_delete_contact(contact, acting_user=request.user)
        messages.success(request, _("The contact %(name)s was deleted.") % {"name": contact.name})
        return redirect(party.get_absolute_url() + "#contacts")
    return render(request, "front/confirm.html", {
        "title": _("Delete the contact %(name)s?") % {"name": contact.name},
        "explanation": _("The contact is removed from %(party)s. The audit log keeps a record of it.")
        % {"party": party},
        "button": _("Delete"), "danger": True, "back": party.get_absolute_url(),
    })
