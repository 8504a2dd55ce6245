"""UI pages of the customer archive: search, detail (masked; audited reveal), create/edit, merge.

Views are shells: they read with selectors, write with services, and render. The customer's units,
orders and contracts belong to apps above this one; the detail page loads those panels from their
own pages (`catalog:customer_units`, `sales:customer_sales`) so that this app imports neither.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from aftersales.accounts import selectors as account_selectors
from aftersales.accounts.policies import require_perm
from aftersales.core.audit import history_for
from aftersales.core.errors import Conflict, DomainError, NotFound
from aftersales.customers import policies, rules, selectors, services
from aftersales.customers.forms import (
    AddressFormSet,
    ContactFormSet,
    CustomerForm,
    MergeForm,
    PhoneFormSet,
    apply_domain_error,
    filled_rows,
    provinces,
    region_children,
    region_path,
    split_tags,
)
from aftersales.customers.models import Customer, CustomerKind, Tier

PAGE_SIZE = 25


def page_of(request: HttpRequest, qs: Any) -> Any:
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))


def int_param(request: HttpRequest, name: str) -> int | None:
    value = request.GET.get(name, "")
    return int(value) if value.isdigit() else None


def masked_address(address: Any) -> str:
    """Lists show where a customer lives only to the region: 广东省深圳市南山区 ****."""
    return f"{address.region.full_name} ****"


# --- list -------------------------------------------------------------------------------------


@login_required
def customer_list(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, "customers.view_customer")
    filters = {
        "q": request.GET.get("q", "").strip(),
        "tier": request.GET.get("tier", ""),
        "kind": request.GET.get("kind", ""),
        "unit": request.GET.get("unit", ""),
    }
    qs = selectors.customer_list(
        actor=request.user,
        q=filters["q"],
        tier=filters["tier"],
        kind=filters["kind"],
        unit_id=int_param(request, "unit"),
    )
    page = page_of(request, qs)
    rows = []
    for customer in page:
        phones = list(customer.phones.all())
        addresses = list(customer.addresses.all())
        rows.append(
            {
                "customer": customer,
                "phone": rules.mask_phone(phones[0].number) if phones else "",
                "more_phones": len(phones) - 1,
                "address": masked_address(addresses[0]) if addresses else "",
                "tags": [t.name for t in customer.tags.all()],
            }
        )
    return render(
        request,
        "customers/customer_list.html",
        {
            "page": page,
            "rows": rows,
            "filters": filters,
            "tiers": [t for t in Tier.choices if t[0]],
            "kinds": CustomerKind.choices,
            "units": account_selectors.org_unit_list(actor=request.user),
            "can_add": request.user.has_perm("customers.add_customer"),
        },
    )


# --- detail and the audited reveal ------------------------------------------------------------


def _history(customer: Customer, *, full: bool) -> list[Any]:
    """The record's audit entries. `customer_create/update` store phones, addresses and contacts masked
    but the customer's own e-mail in full; mask it here too unless the full data is being shown."""
    entries = history_for(customer)
    if not full:
        for entry in entries:
            if "email" in (entry.changes or {}):
                # in memory only: the page shows a masked copy, the stored entry is untouched
                entry.changes = {
                    **entry.changes,
                    "email": [rules.mask_email(v) if v else v for v in entry.changes["email"]],
                }
    return entries


def _detail(request: HttpRequest, customer: Customer, *, reveal: bool) -> HttpResponse:
    full = reveal and policies.can_view_personal_data(request.user)
    today = timezone.localdate()
    phones = [{"number": p.number if full else rules.mask_phone(p.number), "phone": p} for p in customer.phones.all()]
    addresses = [
        {"text": f"{a.region.full_name}{a.detail}" if full else masked_address(a), "address": a}
        for a in customer.addresses.all()
    ]
    contacts = [
        {
            "contact": c,
            "phone": c.phone if full else rules.mask_phone(c.phone),
            "email": c.email if full else rules.mask_email(c.email),
        }
        for c in customer.contacts.all()
    ]
    next_birthday = (
        rules.next_birthday(customer.birthday, lunar=customer.birthday_is_lunar, today=today)
        if customer.birthday
        else None
    )
    user = request.user
    response = render(
        request,
        "customers/customer_detail.html",
        {
            "customer": customer,
            "phones": phones,
            "addresses": addresses,
            "contacts": contacts,
            "tags": [t.name for t in customer.tags.all()],
            "email": customer.email if full else rules.mask_email(customer.email),
            "next_birthday": next_birthday,
            "days_to_birthday": (next_birthday - today).days if next_birthday else None,
            "revealed": full,
            "can_reveal": policies.can_view_personal_data(user) and not full,
            "can_change": user.has_perm("customers.change_customer") and not customer.merged_into_id,
            "can_merge": user.has_perm("customers.merge_customer") and not customer.merged_into_id,
            "can_add_unit": user.has_perm("catalog.add_soldunit") and not customer.merged_into_id,
            "can_add_order": user.has_perm("sales.add_salesorder") and not customer.merged_into_id,
            "history": _history(customer, full=full),
        },
    )
    if full:
        # The full data was shown once, on this response: no cache may keep it.
        patch_cache_control(response, no_store=True, private=True)
    return response


@login_required
def customer_detail(request: HttpRequest, customer_id: int) -> HttpResponse:
    require_perm(request.user, "customers.view_customer")
    customer = selectors.customer_get(actor=request.user, customer_id=customer_id)
    return _detail(request, customer, reveal=False)


@login_required
@require_POST
def customer_reveal(request: HttpRequest, customer_id: int) -> HttpResponse:
    """Show the full phone numbers, addresses and e-mails once; the service writes the audit entry."""
    require_perm(request.user, "customers.view_customer")
    customer = selectors.customer_get(actor=request.user, customer_id=customer_id)
    services.customer_personal_data_view(actor=request.user, customer=customer)
    return _detail(request, customer, reveal=True)


# --- create and edit --------------------------------------------------------------------------


def _initial(customer: Customer) -> dict[str, Any]:
    return {
        "name": customer.name,
        "kind": customer.kind,
        "gender": customer.gender,
        "company_credit_code": customer.company_credit_code,
        "org_unit": customer.org_unit_id,
        "owner": customer.owner_id,
        "tier": customer.tier,
        "email": customer.email,
        "birthday": customer.birthday,
        "birthday_is_lunar": customer.birthday_is_lunar,
        "wedding_anniversary": customer.wedding_anniversary,
        "hobbies": customer.hobbies,
        "preferences": customer.preferences,
        "tags": ", ".join(t.name for t in customer.tags.all()),
        "marketing_consent": customer.marketing_consent,
        "source_channel": customer.source_channel,
        "note": customer.note,
        "version": customer.version,
    }


def _forms(request: HttpRequest, customer: Customer | None) -> dict[str, Any]:
    post = request.POST if request.method == "POST" else None
    units = account_selectors.org_unit_list(actor=request.user)
    staff = account_selectors.user_list(actor=request.user, active=True)
    if customer is None:
        initial: dict[str, Any] = {"org_unit": getattr(request.user, "org_unit_id", None)}
        phones: list[dict[str, Any]] = [{}]
        addresses: list[dict[str, Any]] = [{}]
        contacts: list[dict[str, Any]] = []
    else:
        initial = _initial(customer)
        phones = [{"number": p.number, "label": p.label, "is_primary": p.is_primary} for p in customer.phones.all()]
        addresses = [
            {
                **region_path(a.region_id),
                "detail": a.detail,
                "postcode": a.postcode,
                "label": a.label,
                "is_default": a.is_default,
            }
            for a in customer.addresses.all()
        ]
        contacts = [
            {"name": c.name, "title": c.title, "phone": c.phone, "email": c.email, "is_primary": c.is_primary}
            for c in customer.contacts.all()
        ]
    province_choices = provinces()
    return {
        "form": CustomerForm(post, initial=initial, units=units, staff=staff),
        "phones": PhoneFormSet(post, initial=None if post else phones, prefix="phones"),
        "addresses": AddressFormSet(
            post,
            initial=None if post else addresses,
            prefix="addresses",
            form_kwargs={"provinces": province_choices},
        ),
        "contacts": ContactFormSet(post, initial=None if post else contacts, prefix="contacts"),
    }


def _customer_data(forms: dict[str, Any], rows: dict[str, list[Any]]) -> services.CustomerData:
    data = forms["form"].cleaned_data
    return services.CustomerData(
        name=data["name"],
        org_unit_id=data["org_unit"].pk,
        kind=data["kind"],
        gender=data["gender"],
        company_credit_code=data["company_credit_code"],
        owner_id=data["owner"].pk if data["owner"] else None,
        tier=data["tier"],
        email=data["email"],
        birthday=data["birthday"],
        birthday_is_lunar=data["birthday_is_lunar"],
        wedding_anniversary=data["wedding_anniversary"],
        hobbies=data["hobbies"],
        preferences=data["preferences"],
        tags=split_tags(data["tags"]),
        marketing_consent=data["marketing_consent"],
        source_channel=data["source_channel"],
        note=data["note"],
        phones=tuple(
            services.PhoneData(f.cleaned_data["number"], f.cleaned_data["label"], f.cleaned_data["is_primary"])
            for f in rows["phones"]
        ),
        addresses=tuple(
            services.AddressData(
                f.region_code(),
                f.cleaned_data["detail"],
                f.cleaned_data["postcode"],
                f.cleaned_data["label"],
                f.cleaned_data["is_default"],
            )
            for f in rows["addresses"]
        ),
        contacts=tuple(
            services.ContactData(
                f.cleaned_data["name"],
                f.cleaned_data["title"],
                f.cleaned_data["phone"],
                f.cleaned_data["email"],
                f.cleaned_data["is_primary"],
            )
            for f in rows["contacts"]
        ),
    )


def _valid(forms: dict[str, Any]) -> bool:
    return all([forms["form"].is_valid(), *(forms[k].is_valid() for k in ("phones", "addresses", "contacts"))])


def _duplicates(request: HttpRequest, exc: Conflict) -> list[dict[str, Any]]:
    """The possible duplicates named by `customer_create`: links for those the user may see."""
    hits = []
    for err in exc.errors:
        ident, _sep, reason = err.message.partition(":")
        hits.append((ident, reason))
    ids = [int(i) for i, _r in hits if i.isdigit()]
    visible = {c.pk: c for c in selectors.customer_list(actor=request.user).filter(pk__in=ids)}
    reasons = {"phone": _("same phone number"), "name_address": _("same name and address")}
    result = []
    for ident, reason in hits:
        customer = visible.get(int(ident)) if ident.isdigit() else None
        phones = list(customer.phones.all()) if customer else []
        result.append(
            {
                "customer": customer,
                "phone": rules.mask_phone(phones[0].number) if phones else "",
                "reason": reasons.get(reason, reason),
            }
        )
    return result


def _form_page(request: HttpRequest, forms: dict[str, Any], **context: Any) -> HttpResponse:
    return render(request, "customers/customer_form.html", {**forms, **context})


@login_required
def customer_create(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, "customers.add_customer")
    forms = _forms(request, None)
    duplicates: list[dict[str, Any]] = []
    if request.method == "POST" and _valid(forms):
        rows = {k: filled_rows(forms[k]) for k in ("phones", "addresses", "contacts")}
        try:
            customer = services.customer_create(
                actor=request.user,
                data=_customer_data(forms, rows),
                allow_duplicate=forms["form"].cleaned_data["allow_duplicate"],
            )
        except Conflict as exc:
            if exc.code != "duplicate_customer":
                apply_domain_error(forms["form"], exc, rows=rows)
            else:
                duplicates = _duplicates(request, exc)
        except DomainError as exc:
            apply_domain_error(forms["form"], exc, rows=rows)
        else:
            messages.success(request, _("Customer %(name)s created.") % {"name": customer.name})
            return redirect("customers:customer_detail", customer_id=customer.pk)
    return _form_page(request, forms, title=_("New customer"), duplicates=duplicates, creating=True)


@login_required
def customer_edit(request: HttpRequest, customer_id: int) -> HttpResponse:
    require_perm(request.user, "customers.change_customer")
    customer = selectors.customer_get(actor=request.user, customer_id=customer_id)
    forms = _forms(request, customer)
    forms["form"].fields["version"].required = True  # optimistic locking: the version the user read
    stale = False
    if request.method == "POST" and _valid(forms):
        rows = {k: filled_rows(forms[k]) for k in ("phones", "addresses", "contacts")}
        try:
            services.customer_update(
                actor=request.user,
                customer=customer,
                expected_version=forms["form"].cleaned_data["version"],
                data=_customer_data(forms, rows),
            )
        except DomainError as exc:
            stale = exc.code == "stale_version"
            apply_domain_error(forms["form"], exc, rows=rows)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("customers:customer_detail", customer_id=customer.pk)
    return _form_page(
        request,
        forms,
        title=_("Edit %(name)s") % {"name": customer.name},
        customer=customer,
        stale=stale,
        creating=False,
    )


# --- merge ------------------------------------------------------------------------------------


@login_required
def customer_merge(request: HttpRequest, customer_id: int) -> HttpResponse:
    """Merge a duplicate into this customer: pick it (suggested duplicates or a search), confirm, merge."""
    require_perm(request.user, "customers.merge_customer")
    target = selectors.customer_get(actor=request.user, customer_id=customer_id)
    if target.merged_into_id:
        raise Conflict(message=_("This customer was merged into another one and can no longer be changed."))
    source_id = request.POST.get("source") or request.GET.get("source") or ""
    source = None
    if source_id.isdigit() and int(source_id) != target.pk:
        source = selectors.customer_get(actor=request.user, customer_id=int(source_id))
    form = MergeForm(request.POST or None, initial={"source": source.pk if source else None})
    if request.method == "POST" and source is not None and form.is_valid():
        try:
            services.customer_merge(
                actor=request.user, source=source, target=target, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(
                request,
                _("%(source)s (%(code)s) was merged into this customer.")
                % {"source": source.name, "code": source.code},
            )
            return redirect("customers:customer_detail", customer_id=target.pk)
    q = request.GET.get("q", "").strip()
    suggestions = []
    if source is None:
        hits = services.customer_duplicates(
            actor=request.user,
            name=target.name,
            phones=[p.number for p in target.phones.all()],
            addresses=[(a.region_id, a.detail) for a in target.addresses.all()],
            exclude_id=target.pk,
        )
        ids = [h.customer_id for h in hits if h.visible]
        suggestions = list(selectors.customer_list(actor=request.user).filter(pk__in=ids))
    results = list(selectors.customer_list(actor=request.user, q=q).exclude(pk=target.pk)[:20]) if q else []

    def side(customer: Customer) -> dict[str, Any]:
        return {
            "customer": customer,
            "phones": [rules.mask_phone(p.number) for p in customer.phones.all()],
            "addresses": [masked_address(a) for a in customer.addresses.all()],
        }

    return render(
        request,
        "customers/customer_merge.html",
        {
            "target": side(target),
            "source": side(source) if source else None,
            "form": form,
            "q": q,
            "suggestions": [side(c) for c in suggestions],
            "results": [side(c) for c in results],
        },
    )


# --- small JSON helpers for the pages' widgets ------------------------------------------------


@login_required
@require_GET
def customer_lookup(request: HttpRequest) -> JsonResponse:
    """Customers for a picker (Tom Select): name, number, masked phone; at most 20."""
    if not request.user.has_perm("customers.view_customer"):
        return JsonResponse({"results": []}, status=403)
    q = request.GET.get("q", "").strip()
    results: list[dict[str, Any]] = []
    if q:
        for customer in selectors.customer_list(actor=request.user, q=q)[:20]:
            phones = list(customer.phones.all())
            results.append(
                {
                    "id": customer.pk,
                    "name": customer.name,
                    "code": customer.code,
                    "phone": rules.mask_phone(phones[0].number) if phones else "",
                }
            )
    return JsonResponse({"results": results})


@login_required
@require_GET
def region_options(request: HttpRequest) -> JsonResponse:
    """The divisions under a province or city, for the cascading address selects."""
    parent = request.GET.get("parent", "")
    if parent and not parent.isdigit():
        raise NotFound()
    response = JsonResponse({"results": [{"code": c, "name": n} for c, n in region_children(parent)]})
    patch_cache_control(response, max_age=3600, private=True)
    return response
