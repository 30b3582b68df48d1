"""Agreements with their versions and commitments' terms, in JSON and as agreement files (YAML)."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.errors import HttpError
from ninja.responses import Status

from pacta.api import auth
from pacta.api.common import (
    MULTIPART,
    REFUSALS,
    YAML,
    NotFound,
    NulCharacter,
    TooLarge,
    accepts,
    filtered,
    get_or_404,
    page,
    require_change,
    user_named,
)
from pacta.api.routers.commitments import commitment_row
from pacta.api.schemas import (
    AgreementDetail,
    AgreementImportOut,
    AgreementIn,
    AgreementOut,
    AgreementPatch,
    AgreementQuery,
    AttachmentOut,
    CommitmentIn,
    CommitmentOut,
    CommitmentPut,
    PageQuery,
    VersionDetail,
    VersionIn,
    VersionOut,
    page_of,
)
from pacta.core.actions.attachments import DESCRIPTION_LENGTH, do_add_attachment, max_attachment_bytes
from pacta.core.actions.register import (
    CommitmentData,
    RegisterError,
    VersionInfo,
    do_create_agreement,
    do_save_commitment,
    do_update_agreement,
)
from pacta.core.agreement_files import export_agreements, import_agreements
from pacta.core.imports import ImportErrors, ImportIssue, parse_agreements
from pacta.core.models import Agreement, Commitment, Party
from pacta.core.permissions import can_change
from pacta.front.filters import AgreementFilter
from pacta.lib.uploads import (
    ATTACHMENT_KINDS,
    OCTET_STREAM,
    accepted_kinds,
    display_name,
    download_response,
    too_large_message,
    upload_problem,
)

router = Router(tags=["agreements"])
YAML_TYPE = "application/yaml; charset=utf-8"
FILENAME = "request.yaml"



def _agreements():
    return Agreement.objects.select_related("party", "owner", "deputy").order_by("reference")


def _agreement(reference: str) -> Agreement:
    return get_or_404(_agreements(), "agreement", reference, reference=reference)


def _yaml(text: str, name: str) -> HttpResponse:
    response = HttpResponse(text, content_type=YAML_TYPE)
    response["Content-Disposition"] = f'inline; filename="{name}.yaml"'
    return response


def version_info(amendment: VersionIn | None) -> VersionInfo | None:
    if amendment is None:
        return None
    return VersionInfo(effective_from=amendment.effective_from, summary=amendment.summary, reason=amendment.reason,
                       agreed_by=amendment.agreed_by, agreed_how=amendment.agreed_how)


def commitment_data(key: str, body: CommitmentIn, field: str) -> CommitmentData:
    """A commitment of a request as the register takes it; users by name (refusals on `field`.owner …)."""
    cost = body.cost
    return CommitmentData(
        key=key, type=body.type, title=body.title, params=body.params, products=body.products,
        valid_from=body.valid_from, valid_to=body.valid_to, direction=body.direction,
        owner=user_named(body.owner, f"{field}owner"), registrar=user_named(body.registrar, f"{field}registrar"),
        how=body.how, cost_amount=cost.amount if cost else None, cost_hours=cost.hours if cost else None,
    )


# An agreement file (docs/agreement-files.md): its keys are checked by the import itself, with their lines.
AGREEMENT_FILE = {"type": "object", "required": ["agreements"],
                  "properties": {"agreements": {"type": "array", "items": {"type": "object"}}}}
YAML_RESPONSE = {200: {"description": "An agreement file (docs/agreement-files.md).",
                       "content": {"application/yaml": {"schema": AGREEMENT_FILE}}}}


@router.get("/agreements", response={200: page_of(AgreementOut), **REFUSALS}, auth=auth.READ)
def list_agreements(request, query: Query[AgreementQuery], paging: Query[PageQuery]):
    """Agreements by reference; `q` searches reference, title and party, `status` and `role` narrow."""
    return page(filtered(AgreementFilter, query, _agreements()), paging)


@router.get("/agreements.yaml", response={200: str, **REFUSALS}, auth=auth.READ, openapi_extra={"responses": YAML_RESPONSE})
def export_agreements_yaml(request, query: Query[AgreementQuery]):
    """The agreements of the list, with their history, as one agreement file."""
    return _yaml(export_agreements(filtered(AgreementFilter, query, _agreements())), "agreements")


@router.post("/agreements/import", response={200: AgreementImportOut, **REFUSALS}, auth=auth.ADMIN,
             openapi_extra={"requestBody": {"required": True, "content": {
                 "application/yaml": {"schema": AGREEMENT_FILE}}}})
@accepts(*YAML)
def import_agreements_yaml(request, dry_run: bool = False):
    """Store an agreement file (YAML, as `pacta import agreements` reads it): new agreements are created,
    changed ones updated (by amendment once in force), unchanged ones left alone; all or nothing.
    With `dry_run` nothing is stored: the answer tells what an import would do."""
    try:
        text = request.body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportErrors([ImportIssue(FILENAME, 1, "", _("The file is not UTF-8 text; save it as UTF-8."))]) from None
    if "\x00" in text:
        raise NulCharacter()
    docs = parse_agreements(text, FILENAME)
    stored = {a.reference: a for a in _agreements().filter(reference__in=[d.id for d in docs])}
    parties = {p.code: p for p in Party.objects.filter(code__in={d.party for d in docs}).prefetch_related("contacts")}
    for doc in docs:
        require_change(request, stored.get(doc.id))
        party = parties.get(doc.party)
        if party is not None and _changes_party(doc, party, new=doc.id not in stored):
            require_change(request, party)
    summary = import_agreements(docs, acting_user=request.user, filename=FILENAME, dry_run=dry_run)
    return {**vars(summary), "dry_run": dry_run}


def _changes_party(doc, party: Party, *, new: bool) -> bool:
    """Would importing `doc` change its (existing) party: contacts it lacks, or (a new agreement) a role it lacks?
    That needs the right to change the party, as on the party's page."""
    lacks_role = new and ((doc.role == Agreement.Role.CUSTOMER and not party.is_customer) or (
        doc.role == Agreement.Role.SUPPLIER and not party.is_supplier))
    have = {c.name for c in party.contacts.all()}
    return lacks_role or any(c.name not in have for c in doc.contacts)


@router.post("/agreements", response={201: AgreementDetail, **REFUSALS}, auth=auth.ADMIN)
def create_agreement(request, body: AgreementIn):
    """A new agreement with its first version, glossary and commitments."""
    require_change(request)
    party = Party.objects.filter(code=body.party).first()
    if party is None:
        raise RegisterError({"party": [_("Unknown party %(code)s: add it first.") % {"code": body.party}]})
    commitments = [commitment_data(c.key, c, f"commitments.{i}.") for i, c in enumerate(body.commitments)]
    agreement = do_create_agreement(
        acting_user=request.user, party=party, reference=body.reference, valid_from=body.valid_from,
        commitments=commitments, glossary=body.glossary, valid_to=body.valid_to, title=body.title,
        role=body.role, currency=body.currency, timezone=body.timezone, country=body.country,
        status=body.status, description=body.description, owner=user_named(body.owner, "owner"),
        deputy=user_named(body.deputy, "deputy"),
    )
    return Status(201, _agreement(agreement.reference))


@router.get("/agreements/{reference}", response={200: AgreementDetail, **REFUSALS}, auth=auth.READ)
def get_agreement(request, reference: str):
    """The agreement with its glossary, its versions and its commitments (latest terms, status)."""
    return _agreement(reference)


@router.get("/agreements/{reference}/yaml", response={200: str, **REFUSALS}, auth=auth.READ,
            openapi_extra={"responses": YAML_RESPONSE})
def get_agreement_yaml(request, reference: str):
    """The agreement as an agreement file, with its history."""
    agreement = _agreement(reference)
    return _yaml(export_agreements(_agreements().filter(pk=agreement.pk)), agreement.reference)


@router.patch("/agreements/{reference}", response={200: AgreementDetail, **REFUSALS}, auth=auth.ADMIN)
def update_agreement(request, reference: str, body: AgreementPatch):
    """Change the header. Contractual fields (role, currency, time zone, country, dates) of an agreement
    in force need an `amendment`; operational ones (title, description, status, owner, deputy) do not."""
    agreement = _agreement(reference)
    require_change(request, agreement)
    fields = body.dict(exclude_unset=True, exclude={"revision", "amendment"})
    for name in ("owner", "deputy"):
        if name in fields:
            fields[name] = user_named(fields[name], name)
    refused = [n for n, v in fields.items() if v is None and n not in ("owner", "deputy", "valid_to")]
    if refused:
        raise RegisterError({n: [_("This field cannot be empty.")] for n in refused})
    do_update_agreement(agreement, acting_user=request.user, expected_revision=body.revision,
                        amendment=version_info(body.amendment), **fields)
    return _agreement(agreement.reference)


@router.get("/agreements/{reference}/versions", response={200: list[VersionOut], **REFUSALS}, auth=auth.READ)
def list_versions(request, reference: str):
    """Every version, oldest first: what changed, why, who agreed how."""
    return list(_agreement(reference).versions.select_related("created_by").order_by("number"))


@router.get("/agreements/{reference}/versions/{number}", response={200: VersionDetail, **REFUSALS}, auth=auth.READ)
def get_version(request, reference: str, number: int):
    """One version with the whole agreement as it read then."""
    agreement = _agreement(reference)
    return get_or_404(agreement.versions.select_related("created_by"), "version", number, number=number)


@router.put("/agreements/{reference}/commitments/{key}", response={200: CommitmentOut, **REFUSALS}, auth=auth.ADMIN)
def save_commitment(request, reference: str, key: str, body: CommitmentPut):
    """Add the commitment `key` or change its terms: in place on a draft, by `amendment` once in force.
    `revision` is the agreement's revision you read."""
    agreement = _agreement(reference)
    existing = Commitment.objects.filter(agreement=agreement, key=key).first()
    if not can_change(request.user, existing or agreement):
        require_change(request, agreement)
    do_save_commitment(agreement, commitment_data(key, body, ""), acting_user=request.user,
                       expected_revision=body.revision, amendment=version_info(body.amendment))
    return commitment_row(reference, key)


# ---------------------------------------------------------------------------
# attachments


class IncompleteUpload(HttpError):
    def __init__(self, message: str):
        super().__init__(400, message)


def _attachments(agreement: Agreement):
    return agreement.attachments.select_related("agreement", "version", "uploaded_by")


ATTACHMENT_BODY = {"required": True, "content": {MULTIPART: {"schema": {
    "type": "object", "required": ["file"],
    "properties": {
        "file": {"type": "string", "format": "binary",
                 "description": "The file, with its name: " + accepted_kinds() + "."},
        "description": {"type": "string", "maxLength": DESCRIPTION_LENGTH},
        "version": {"type": "integer", "minimum": 1,
                    "description": "The number of the version it belongs to (a signed amendment: the version it signs)."},
    },
}}}}
DOWNLOAD_RESPONSES = {200: {
    "description": "The file, as a download (Content-Disposition: attachment).",
    "content": {t: {"schema": {"type": "string", "format": "binary"}}
                for t in sorted({k.content_type for k in ATTACHMENT_KINDS} | {OCTET_STREAM})},
}}


@router.get("/agreements/{reference}/attachments", response={200: list[AttachmentOut], **REFUSALS}, auth=auth.READ)
def list_attachments(request, reference: str):
    """The files kept with the agreement (signed amendments, scans, e-mails), newest first."""
    return list(_attachments(_agreement(reference)))


@router.get("/agreements/{reference}/attachments/{id}", response={**REFUSALS}, auth=auth.READ,
            url_name="download_attachment", openapi_extra={"responses": DOWNLOAD_RESPONSES})
def download_attachment(request, reference: str, id: int):
    """The file of one attachment, with its name and its content type (one of the accepted kinds'; any
    other is sent as application/octet-stream)."""
    attachment = get_or_404(_attachments(_agreement(reference)), "attachment", id, pk=id)
    try:
        file = attachment.file.open("rb")
    except FileNotFoundError:
        raise NotFound(_("The file of %(name)s is missing from the server's storage; restore it from a backup.")
                       % {"name": attachment.name}) from None
    return download_response(file, attachment.name, attachment.content_type)


@router.post("/agreements/{reference}/attachments", response={201: AttachmentOut, **REFUSALS}, auth=auth.ADMIN,
             openapi_extra={"requestBody": ATTACHMENT_BODY})
@accepts(MULTIPART)
def add_attachment(request, reference: str):
    """Keep a file with the agreement: multipart/form-data with `file` (the file, with its name),
    optional `description` and `version` (the number of the version it belongs to).

    Accepted: PDF, PNG, JPEG, plain text, e-mail (.eml), DOCX, XLSX and ODT, by their content and
    their extension alike, and whole (a PDF without its end is refused) — 422 otherwise; programs,
    web pages and SVG images are refused whatever they are called. A file over the limit
    (`PACTA_MAX_ATTACHMENT_BYTES`, 25 MB by default) is 413; a request that ends before its announced
    length is 400. Nothing is stored then. The file's name is kept only as a name to show."""
    agreement = _agreement(reference)
    require_change(request, agreement)
    limit = max_attachment_bytes()
    problem = upload_problem(request, "file", limit)
    if problem is not None:
        raise (TooLarge if problem[0] == "too_large" else IncompleteUpload)(problem[1])
    upload = request.FILES.get("file")
    if upload is None:
        raise RegisterError({"file": [_("Required: send the file as the multipart field file, with its name.")]})
    if limit and upload.size > limit:
        raise TooLarge(too_large_message(display_name(upload.name), upload.size, limit))
    version = None
    number = request.POST.get("version", "").strip()
    if number:
        valid = number.isascii() and number.isdigit() and len(number) < 10
        version = agreement.versions.filter(number=int(number)).first() if valid else None
        if version is None:
            raise RegisterError({"version": [_("%(ref)s has no version %(number)s.")
                                             % {"ref": agreement.reference, "number": number[:20]}]})
    description = request.POST.get("description", "")
    if "\x00" in description:
        raise NulCharacter()
    attachment = do_add_attachment(agreement, upload, acting_user=request.user, name=upload.name,
                                   description=description, version=version)
    return Status(201, _attachments(agreement).get(pk=attachment.pk))
