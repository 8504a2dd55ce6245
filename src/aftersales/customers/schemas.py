"""API schemas of the customer archive. Output phones/addresses are masked unless full data was asked for."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema


class PhoneIn(Schema):
    number: str = Field(..., max_length=40)
    label: str = Field("", max_length=30)
    is_primary: bool = False


class AddressIn(Schema):
    region_code: str = Field(
        ..., min_length=6, max_length=6, description="district (or city) division code, e.g. 440305"
    )
    detail: str = Field(..., max_length=200)
    postcode: str = Field("", max_length=6)
    label: str = Field("", max_length=30)
    is_default: bool = False


class ContactIn(Schema):
    name: str = Field(..., max_length=100)
    title: str = Field("", max_length=50)
    phone: str = Field("", max_length=40)
    email: str = Field("", max_length=254)
    is_primary: bool = False


class CustomerIn(Schema):
    name: str = Field(..., max_length=100)
    org_unit_id: int
    kind: str = "individual"
    gender: str = ""
    company_credit_code: str = Field("", max_length=18)
    owner_id: int | None = None
    email: str = Field("", max_length=254)
    tier: str = ""
    birthday: dt.date | None = None
    birthday_is_lunar: bool = False
    wedding_anniversary: dt.date | None = None
    hobbies: str = Field("", max_length=200)
    preferences: str = ""
    tags: list[str] = Field(default_factory=list, max_length=50)
    marketing_consent: bool = False
    source_channel: str = "other"
    note: str = ""
    phones: list[PhoneIn] = Field(default_factory=list, max_length=20)
    addresses: list[AddressIn] = Field(default_factory=list, max_length=20)
    contacts: list[ContactIn] = Field(default_factory=list, max_length=50)


class CustomerCreateIn(CustomerIn):
    allow_duplicate: bool = Field(False, description="create even though a likely duplicate exists")


class CustomerUpdateIn(CustomerIn):
    version: int


class PhoneOut(Schema):
    number: str
    kind: str
    label: str
    is_primary: bool


class AddressOut(Schema):
    region_code: str
    region: str
    detail: str
    postcode: str
    label: str
    is_default: bool


class ContactOut(Schema):
    name: str
    title: str
    phone: str
    email: str
    is_primary: bool


class CustomerListOut(Schema):
    id: int
    code: str
    kind: str
    name: str
    tier: str
    org_unit_id: int
    owner_id: int | None
    phones: list[PhoneOut]
    addresses: list[AddressOut]
    tags: list[str]
    is_active: bool
    merged_into_id: int | None
    personal_data_masked: bool


class CustomerOut(CustomerListOut):
    email: str
    gender: str
    company_credit_code: str
    birthday: dt.date | None
    birthday_is_lunar: bool
    next_birthday: dt.date | None
    wedding_anniversary: dt.date | None
    hobbies: str
    preferences: str
    marketing_consent: bool
    marketing_consent_at: dt.datetime | None
    source_channel: str
    note: str
    contacts: list[ContactOut]
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class MergeIn(Schema):
    source_id: int = Field(..., description="the duplicate customer to merge into this one")
    reason: str = Field("", max_length=200)
