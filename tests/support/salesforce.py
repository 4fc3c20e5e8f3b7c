"""A small Salesforce org as seed data, a test RSA key, connections and the client on fake time."""

from __future__ import annotations

from functools import cache
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from rel2rev.backfill.salesforce import SalesforceClient, salesforce_client
from rel2rev.ingest.connections import Connection
from support.backfill import NOW

WORKSPACE = "sfb"
CLIENT_ID = "3MVG9test.consumer.key"
USERNAME = "integration@example.com"
REFRESH = "5Aep861-refresh-token-secret"
SECRET = "consumer-secret-42"
ORG = "00D000000000001"
ACCOUNT = "001000000000001AAA"
OPPORTUNITY = "006000000000001AAA"


@cache
def private_key_pem() -> str:
    """A 2048-bit RSA key made for the tests (PKCS#8 PEM, unencrypted)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def stamp(day: int, hour: int = 9) -> str:
    """A Salesforce REST dateTime in October 2026."""
    return f"2026-10-{day:02d}T{hour:02d}:00:00.000+0000"


def contact_id(n: int) -> str:
    return f"003{n:012d}AAA"


def contact(n: int, day: int) -> dict[str, Any]:
    return {
        "Id": contact_id(n),
        "FirstName": "Person",
        "LastName": str(n),
        "Email": f"person{n}@example.com",
        "AccountId": ACCOUNT,
        "OwnerId": "005000000000001AAA",
        "CreatedDate": stamp(1),
        "LastModifiedDate": stamp(day),
        "SystemModstamp": stamp(day),
    }


def seed(contacts: int = 5) -> dict[str, list[dict[str, Any]]]:
    """Contacts (1..n), a lead, a won opportunity with its stage history and two contact
    roles, an e-mail, an inbound call, a meeting, and a webinar attendee."""
    people = [contact(1 + i, 2 + i % 20) for i in range(contacts)]
    lead = {
        "Id": "00Q000000000001AAA",
        "FirstName": "Lena",
        "LastName": "Lead",
        "Email": "lena@example.org",
        "Website": "https://www.example.org",
        "Status": "Working",
        "LeadSource": "Webinar",
        "CreatedDate": stamp(2),
        "LastModifiedDate": stamp(4),
        "SystemModstamp": stamp(4),
    }
    opportunity = {
        "Id": OPPORTUNITY,
        "Name": "Engines",
        "AccountId": ACCOUNT,
        "Amount": 24000.0,
        "StageName": "Signed",
        "IsClosed": True,
        "IsWon": True,
        "CloseDate": "2026-10-20",
        "OwnerId": "005000000000001AAA",
        "CreatedDate": stamp(3),
        "LastModifiedDate": stamp(20, 10),
        "SystemModstamp": stamp(20, 10),
    }
    history = [
        {
            "Id": f"008000000000{i:03d}AAA",
            "OpportunityId": OPPORTUNITY,
            "StageName": name,
            "CreatedDate": stamp(day),
            "SystemModstamp": stamp(day),
        }
        for i, (name, day) in enumerate([("Prospecting", 3), ("Negotiation", 10), ("Signed", 20)])
    ]
    roles = [
        {
            "Id": f"00K00000000000{n}AAA",
            "OpportunityId": OPPORTUNITY,
            "ContactId": contact_id(n),
            "Role": "Decision Maker" if n == 1 else "Evaluator",
            "IsPrimary": n == 1,
            "CreatedDate": stamp(4),
            "LastModifiedDate": stamp(4),
            "SystemModstamp": stamp(4),
        }
        for n in (1, 2)
    ]
    tasks = [
        {
            "Id": "00T000000000001AAA",
            "WhoId": contact_id(1),
            "AccountId": ACCOUNT,
            "Subject": "Email: Re: engines",
            "TaskSubtype": "Email",
            "Type": "Email",
            "CompletedDateTime": stamp(5, 14),
            "CreatedDate": stamp(5, 14),
            "LastModifiedDate": stamp(5, 15),
            "SystemModstamp": stamp(5, 15),
        },
        {
            "Id": "00T000000000002AAA",
            "WhoId": contact_id(2),
            "Subject": "Call",
            "TaskSubtype": "Call",
            "CallType": "Inbound",
            "CompletedDateTime": stamp(6, 11),
            "CreatedDate": stamp(6, 11),
            "LastModifiedDate": stamp(6, 11),
            "SystemModstamp": stamp(6, 11),
        },
    ]
    meeting = {
        "Id": "00U000000000001AAA",
        "WhoId": contact_id(1),
        "Subject": "Workshop",
        "EventSubtype": "Event",
        "StartDateTime": stamp(9, 13),
        "CreatedDate": stamp(7),
        "LastModifiedDate": stamp(7),
        "SystemModstamp": stamp(7),
    }
    campaign = {"Id": "701000000000001AAA", "Name": "October webinar", "Type": "Webinar"}
    member = {
        "Id": "00v000000000001AAA",
        "CampaignId": campaign["Id"],
        "ContactId": contact_id(3),
        "Status": "Attended",
        "HasResponded": True,
        "FirstRespondedDate": "2026-10-08",
        "CreatedDate": stamp(1),
        "LastModifiedDate": stamp(8),
        "SystemModstamp": stamp(8),
    }
    return {
        "Contact": people,
        "Lead": [lead],
        "Opportunity": [opportunity],
        "OpportunityHistory": history,
        "OpportunityContactRole": roles,
        "Task": tasks,
        "Event": [meeting],
        "Campaign": [campaign],
        "CampaignMember": [member],
    }


def connection(
    url: str, *, username: str = USERNAME, jwt: bool = True, workspace: str = WORKSPACE
) -> Connection:
    """The org's connection: the JWT bearer flow, or (`jwt=False`) a refresh token."""
    oauth: dict[str, Any] = (
        {"username": username, "private_key": private_key_pem()}
        if jwt
        else {"refresh_token": REFRESH, "client_secret": SECRET}
    )
    return Connection(
        workspace=workspace,
        source="salesforce",
        token="url-token",
        organization_id=ORG,
        currency="EUR",
        client_id=CLIENT_ID,
        login_url=url,
        **oauth,
    )


def client(url: str, sleep: Any, **options: Any) -> SalesforceClient:
    """The client of the test connection on fake time (`sleep` records waits)."""
    made = connection(url, **{k: options.pop(k) for k in ("username", "jwt") if k in options})
    return salesforce_client(made, now=lambda: NOW, sleep=sleep, **options)
