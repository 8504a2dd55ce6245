"""The customer portal end to end through Django's test client: who gets in, scoping (customer A never
sees customer B's request or its files), submit with photos, add information, confirm, reopen, rate."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from aftersales.accounts.models import UserKind
from aftersales.portal.tests.conftest import client_for, png, resolve, staff_request
from aftersales.service import services
from aftersales.service.models import Attachment, ServiceRequest, TimelineEntry


def detail_url(sr):
    return reverse("portal:request_detail", args=[sr.pk])


# --- who gets in --------------------------------------------------------------------------------


def test_anonymous_visitors_sign_in_first_and_come_back(client, world):
    response = client.get(reverse("portal:home"))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('web:login')}?next=/portal/"


def test_staff_are_sent_to_their_own_home(world):
    response = client_for(world["agent"]).get(reverse("portal:home"))
    assert response.status_code == 302 and response["Location"] == reverse("web:home")


def test_a_customer_account_without_a_customer_record_is_told_so(world, make_user):
    orphan = make_user("customer", None, kind=UserKind.CUSTOMER)
    response = client_for(orphan).get(reverse("portal:home"))
    assert response.status_code == 403
    assert b'data-testid="portal-not-linked"' in response.content


def test_signing_in_through_the_portal_lands_on_the_portal(client, world):
    from conftest import PASSWORD

    response = client.post(
        reverse("web:login"), {"username": "chen", "password": PASSWORD, "next": "/portal/"}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/portal/"
    assert response.status_code == 200 and "陈先生" in response.content.decode()


def test_a_customer_signing_in_without_a_next_page_lands_on_the_portal(client, world):
    from conftest import PASSWORD

    response = client.post(reverse("web:login"), {"username": "chen", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("portal:home")


# --- home and scoping ---------------------------------------------------------------------------


def test_home_lists_only_my_requests_with_a_status_badge(world):
    mine = staff_request(world, world["chen"], title="我的净水器漏水")
    theirs = staff_request(world, world["li"], title="别人的热水器不热")
    html = client_for(world["portal_chen"]).get(reverse("portal:home")).content.decode()
    assert mine.number in html and "我的净水器漏水" in html
    assert theirs.number not in html and "别人的热水器不热" not in html
    assert 'data-status="registered"' in html
    assert "JS-0001" in html and "JS-0002" not in html  # my products, not theirs


def test_home_query_count_does_not_grow_with_the_number_of_requests(world):
    client = client_for(world["portal_chen"])
    staff_request(world, world["chen"])
    client.get(reverse("portal:home"))  # warm up (session, content types)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("portal:home"))
    for i in range(12):
        staff_request(world, world["chen"], title=f"第{i}个问题", unit_id=world["unit"].pk)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("portal:home"))
    assert len(many) == len(few)


def test_customer_a_cannot_open_customer_bs_request_nor_its_files(world):
    theirs = staff_request(world, world["li"], attachments=(png("their-photo.png"),))
    attachment = Attachment.objects.get(request=theirs)
    chen = client_for(world["portal_chen"])
    response = chen.get(detail_url(theirs))
    assert response.status_code == 404 and b'data-testid="portal-not-found"' in response.content
    assert chen.get(reverse("service:attachment", args=[attachment.pk])).status_code == 404
    for action in ("request_comment", "request_close", "request_reopen", "request_rate"):
        response = chen.post(reverse(f"portal:{action}", args=[theirs.pk]), {"body": "x", "rating": "5"})
        assert response.status_code == 404, action
    assert not TimelineEntry.objects.filter(request=theirs, kind="customer").exists()
    # Their own customer sees it, photo included.
    li = client_for(world["portal_li"])
    assert li.get(detail_url(theirs)).status_code == 200
    assert li.get(reverse("service:attachment", args=[attachment.pk])).status_code == 200


def test_internal_notes_and_private_files_stay_hidden(world):
    sr = staff_request(world, world["chen"])
    services.request_comment(
        actor=world["agent"], request=sr, body="内部备注：客户脾气急", public=False, attachments=(png("internal.png"),)
    )
    services.request_comment(actor=world["agent"], request=sr, body="师傅明天上午到", public=True)
    html = client_for(world["portal_chen"]).get(detail_url(sr)).content.decode()
    assert "师傅明天上午到" in html and "王客服" in html
    assert "内部备注" not in html and "internal.png" not in html
    private = Attachment.objects.get(request=sr, original_name="internal.png")
    assert client_for(world["portal_chen"]).get(reverse("service:attachment", args=[private.pk])).status_code == 404


# --- submit -------------------------------------------------------------------------------------


def test_submit_with_photos_lands_as_received_for_an_agent(world):
    client = client_for(world["portal_chen"])
    page = client.get(reverse("portal:request_new") + f"?unit={world['unit'].pk}")
    assert page.status_code == 200
    assert page.context["form"].initial["unit"] == world["unit"].pk
    response = client.post(
        reverse("portal:request_new"),
        {
            "idempotency_key": "k-1",
            "type": "repair",
            "unit": world["unit"].pk,
            "title": "净水器底部漏水",
            "description": "昨晚开始漏水",
            "contact_phone": "138 1234 5678",
            "photos": [png("a.png"), png("b.png")],
        },
    )
    sr = ServiceRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == detail_url(sr)
    assert (sr.status, sr.channel, sr.customer, sr.unit) == ("received", "portal", world["chen"], world["unit"])
    assert sr.created_by == world["portal_chen"] and sr.contact_phone == "13812345678"
    assert sr.warranty_covered is True
    files = list(Attachment.objects.filter(request=sr).order_by("id"))
    assert [a.original_name for a in files] == ["a.png", "b.png"] and all(a.is_public for a in files)
    html = client.get(detail_url(sr)).content.decode()
    for a in files:
        assert reverse("service:attachment", args=[a.pk]) in html
    assert 'data-status="received"' in html


def test_submitting_twice_with_the_same_key_makes_one_request(world):
    client = client_for(world["portal_chen"])
    data = {"idempotency_key": "same", "type": "consultation", "title": "滤芯多久换一次"}
    first = client.post(reverse("portal:request_new"), data)
    second = client.post(reverse("portal:request_new"), data)
    assert first["Location"] == second["Location"]
    assert ServiceRequest.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"type": "repair", "title": ""}, "title"),
        ({"type": "delivery", "title": "送货"}, "type"),  # not a portal type
        ({"type": "repair", "title": "x", "unit": "UNIT_B"}, "unit"),  # someone else's unit
        ({"type": "repair", "title": "x", "contact_phone": "12"}, "contact_phone"),
    ],
)
def test_bad_input_is_shown_on_the_form_and_nothing_is_created(world, data, field):
    if data.get("unit") == "UNIT_B":
        data["unit"] = world["unit_b"].pk
    response = client_for(world["portal_chen"]).post(reverse("portal:request_new"), data)
    assert response.status_code == 400
    assert response.context["form"].errors.get(field), response.context["form"].errors
    assert not ServiceRequest.objects.exists()


def test_a_file_of_a_refused_kind_is_an_error_on_the_photos_field(world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    evil = SimpleUploadedFile("page.html", b"<script>alert(1)</script>", content_type="image/png")
    response = client_for(world["portal_chen"]).post(
        reverse("portal:request_new"), {"type": "repair", "title": "漏水", "photos": [evil]}
    )
    assert response.status_code == 400 and response.context["form"].errors.get("photos")
    assert not ServiceRequest.objects.exists()


# --- add information, confirm, reopen, rate -----------------------------------------------------


def test_add_information_with_a_photo(world):
    sr = staff_request(world, world["chen"])
    client = client_for(world["portal_chen"])
    response = client.post(
        reverse("portal:request_comment", args=[sr.pk]), {"body": "漏水更严重了", "photos": [png("more.png")]}
    )
    assert response.status_code == 302 and response["Location"].endswith("#timeline")
    entry = TimelineEntry.objects.get(request=sr, kind="customer")
    assert entry.is_public and entry.body == "漏水更严重了" and entry.author == world["portal_chen"]
    assert entry.attachments.get().original_name == "more.png"
    html = client.get(detail_url(sr)).content.decode()
    assert "漏水更严重了" in html and reverse("service:attachment", args=[entry.attachments.get().pk]) in html


def test_adding_nothing_is_refused(world):
    sr = staff_request(world, world["chen"])
    response = client_for(world["portal_chen"]).post(reverse("portal:request_comment", args=[sr.pk]), {"body": " "})
    assert response.status_code == 400
    assert not TimelineEntry.objects.filter(request=sr, kind="customer").exists()


def test_confirm_buttons_appear_only_once_resolved(world):
    sr = staff_request(world, world["chen"])
    client = client_for(world["portal_chen"])
    html = client.get(detail_url(sr)).content.decode()
    assert 'data-testid="confirm-resolved"' not in html and 'data-testid="rating"' not in html
    resolve(world, sr)
    html = client.get(detail_url(sr)).content.decode()
    assert 'data-testid="confirm-resolved"' in html and 'data-testid="reopen-toggle"' in html
    assert 'data-testid="rating"' in html and "更换了密封圈" in html


def test_confirm_closes_and_one_click_rates(world):
    sr = resolve(world, staff_request(world, world["chen"]))
    client = client_for(world["portal_chen"])
    response = client.post(reverse("portal:request_close", args=[sr.pk]), {"version": sr.version})
    assert response.status_code == 302
    sr.refresh_from_db()
    assert sr.status == "closed" and sr.closed_at
    response = client.post(reverse("portal:request_rate", args=[sr.pk]), {"rating": "5"})
    assert response.status_code == 302 and response["Location"] == detail_url(sr)
    sr.refresh_from_db()
    assert sr.rating == 5
    html = client.get(detail_url(sr)).content.decode()
    assert 'data-rating="5"' in html and 'data-testid="confirm-resolved"' not in html
    client.post(reverse("portal:request_rate", args=[sr.pk]), {"rating": "4"})  # a second click replaces it
    sr.refresh_from_db()
    assert sr.rating == 4


def test_confirm_with_a_stale_page_says_so(world):
    sr = resolve(world, staff_request(world, world["chen"]))
    response = client_for(world["portal_chen"]).post(
        reverse("portal:request_close", args=[sr.pk]), {"version": sr.version - 1}, follow=True
    )
    assert response.status_code == 200
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    sr.refresh_from_db()
    assert sr.status == "resolved"


def test_reopen_needs_a_reason(world):
    sr = resolve(world, staff_request(world, world["chen"]))
    client = client_for(world["portal_chen"])
    response = client.post(reverse("portal:request_reopen", args=[sr.pk]), {"version": sr.version, "reason": ""})
    assert response.status_code == 400 and response.context["reopen_form"].errors.get("reason")
    assert 'open data-testid="reopen"' in response.content.decode()  # the form stays open
    response = client.post(
        reverse("portal:request_reopen", args=[sr.pk]), {"version": sr.version, "reason": "还是漏水"}
    )
    assert response.status_code == 302
    sr.refresh_from_db()
    assert sr.status == "in_progress" and sr.reopen_count == 1
    entry = TimelineEntry.objects.filter(request=sr, kind="status").last()
    assert entry.body == "还是漏水" and entry.is_public


def test_a_closed_request_can_be_reopened_but_not_confirmed_again(world):
    sr = resolve(world, staff_request(world, world["chen"]))
    client = client_for(world["portal_chen"])
    client.post(reverse("portal:request_close", args=[sr.pk]), {"version": sr.version})
    sr.refresh_from_db()
    html = client.get(detail_url(sr)).content.decode()
    assert 'data-testid="confirm-resolved"' not in html and 'data-testid="reopen-toggle"' in html
    response = client.post(reverse("portal:request_close", args=[sr.pk]), {"version": sr.version}, follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["error"]


def test_rating_an_open_request_is_refused(world):
    sr = staff_request(world, world["chen"])
    response = client_for(world["portal_chen"]).post(
        reverse("portal:request_rate", args=[sr.pk]), {"rating": "5"}, follow=True
    )
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    sr.refresh_from_db()
    assert sr.rating is None
