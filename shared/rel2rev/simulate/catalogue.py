"""What the synthetic world is made of: channels with their planted effects, campaigns, names.

Each channel's `hazard` is the planted effect: the conversion hazard (per day) one touch of that
channel adds at the moment it happens, decaying with the world's half-life. These numbers are
the ground truth the data-driven attribution models are measured against.
"""

from __future__ import annotations

from dataclasses import dataclass

from rel2rev.records import Direction, InteractionType


@dataclass(frozen=True)
class ChannelSpec:
    """A channel, the interaction it opens with, and its planted conversion effect."""

    name: str
    hazard: float
    opener: InteractionType
    opener_direction: Direction
    reply: InteractionType | None = None
    """The type of the other side's answer, when the channel is conversational."""


CHANNELS: tuple[ChannelSpec, ...] = (
    ChannelSpec("linkedin_post", 0.0002, InteractionType.LIKE, Direction.INBOUND),
    ChannelSpec(
        "linkedin_comment",
        0.0005,
        InteractionType.COMMENT,
        Direction.INBOUND,
        InteractionType.COMMENT,
    ),
    ChannelSpec("linkedin_dm", 0.0012, InteractionType.DM, Direction.OUTBOUND, InteractionType.DM),
    ChannelSpec(
        "email", 0.0004, InteractionType.EMAIL, Direction.OUTBOUND, InteractionType.EMAIL_REPLY
    ),
    ChannelSpec("webinar", 0.0015, InteractionType.EVENT_REGISTERED, Direction.INBOUND),
    ChannelSpec("meeting", 0.0036, InteractionType.MEETING, Direction.OUTBOUND),
    ChannelSpec("call", 0.0017, InteractionType.CALL, Direction.OUTBOUND),
    ChannelSpec("referral", 0.0048, InteractionType.REFERRAL, Direction.INBOUND),
    ChannelSpec("paid", 0.0002, InteractionType.AD_CLICK, Direction.INBOUND),
    ChannelSpec("direct", 0.0004, InteractionType.FORM_SUBMISSION, Direction.INBOUND),
)
CHANNEL_BY_NAME = {c.name: c for c in CHANNELS}

# Episode mix before a lead exists (awareness) and after (sales conversation).
EARLY_MIX: dict[str, float] = {
    "linkedin_post": 0.26,
    "linkedin_comment": 0.10,
    "paid": 0.14,
    "direct": 0.08,
    "email": 0.22,
    "webinar": 0.10,
    "linkedin_dm": 0.10,
}
LATE_MIX: dict[str, float] = {
    "email": 0.20,
    "meeting": 0.18,
    "call": 0.18,
    "linkedin_dm": 0.14,
    "webinar": 0.06,
    "linkedin_post": 0.12,
    "linkedin_comment": 0.06,
    "direct": 0.06,
}

CAMPAIGNS: dict[str, tuple[str, ...]] = {
    "email": ("nurture-2026", "product-launch", "renewal-playbook"),
    "paid": ("linkedin-retargeting", "search-brand", "search-category"),
    "webinar": ("webinar-revops-roi", "webinar-relationship-selling"),
    "linkedin_post": ("thought-leadership",),
    "linkedin_comment": ("thought-leadership",),
}
CONTENT: tuple[str, ...] = (
    "guide-return-on-relationships",
    "case-study-logistics",
    "benchmark-report-2026",
    "pricing-page",
    "post-buying-committees",
    "post-response-times",
)

FIRST_NAMES = (
    "Ada", "Ben", "Chloe", "Dev", "Elena", "Farid", "Greta", "Hugo", "Ines", "Jonas", "Kira",
    "Luca", "Maya", "Nils", "Olga", "Pablo", "Quinn", "Rosa", "Sven", "Tara", "Umar", "Vera",
    "Wim", "Yara", "Zoe",
)  # fmt: skip
LAST_NAMES = (
    "Adler", "Berg", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Hansen", "Ivanova",
    "Jensen", "Klein", "Larsen", "Moreau", "Novak", "Olsen", "Petrov", "Rossi", "Silva",
    "Schmidt", "Tanaka", "Vogel", "Weber", "Young", "Zimmer",
)  # fmt: skip
COMPANY_WORDS = (
    "north", "blue", "iron", "bright", "silver", "pine", "delta", "harbor", "summit", "cedar",
    "atlas", "nova", "orbit", "prime", "quartz", "river", "stone", "terra", "vector", "zenith",
)  # fmt: skip
COMPANY_SUFFIXES = ("logistics", "health", "labs", "systems", "retail", "energy", "foods", "bank")
ROLES = ("decision_maker", "champion", "influencer", "user", "procurement")
