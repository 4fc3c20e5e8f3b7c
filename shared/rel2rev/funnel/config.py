"""Qualification rule: what makes a relationship "qualified", as configuration.

The rule and its defaults are defined in docs/definitions.md ("Qualified relationship").
"""

from __future__ import annotations

from typing import Self

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from rel2rev.records import Direction, InteractionType

DEFAULT_WEIGHTS: dict[InteractionType, float] = {
    # docs/definitions.md: one-way and passive count little, two-way counts most.
    InteractionType.VIEW: 0.0,
    InteractionType.LIKE: 0.5,
    InteractionType.FOLLOW: 0.5,
    InteractionType.SHARE: 1.0,
    InteractionType.COMMENT: 2.0,
    InteractionType.EMAIL_REPLY: 3.0,
    InteractionType.DM: 3.0,
    InteractionType.EVENT_ATTENDED: 3.0,
    InteractionType.CALL: 4.0,
    InteractionType.MEETING: 5.0,
    # Types the definitions do not weigh explicitly, weighted by the same principle.
    InteractionType.POST: 0.5,
    InteractionType.AD_CLICK: 0.5,
    InteractionType.EMAIL: 1.0,
    InteractionType.EVENT_REGISTERED: 1.0,
    InteractionType.OTHER: 1.0,
    InteractionType.FORM_SUBMISSION: 2.0,
    InteractionType.REFERRAL: 3.0,
}


class QualificationConfig(BaseSettings):
    """Per-workspace qualification rule (docs/definitions.md, "Qualified relationship").

    Score at time t = Σ weight(type) × direction_factor(direction) × 2^(−age_days / half_life_days)
    over the contact's interactions up to t: a true half-life, a touch counts half after
    `half_life_days`. A relationship is qualified at the first interaction after which the score
    is ≥ `threshold` and, when `require_reciprocity`, it is two-way (an inbound and an outbound
    conversational interaction, `rel2rev.records.CONVERSATIONAL_TYPES`). It lapses at the first
    moment its decayed score falls below `lapse_threshold`; it may qualify again later.
    Environment variables `REL2REV_QUALIFICATION_<FIELD>` override the defaults.
    """

    model_config = SettingsConfigDict(
        env_prefix="REL2REV_QUALIFICATION_", frozen=True, extra="forbid"
    )

    weights: dict[InteractionType, float] = Field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    direction_factors: dict[Direction, float] = Field(
        default_factory=lambda: {Direction.INBOUND: 1.0, Direction.OUTBOUND: 1.0}
    )
    half_life_days: float = Field(
        30.0, gt=0, description="Days after which a touch's weight has halved (a true half-life)"
    )
    threshold: float = Field(10.0, gt=0)
    lapse_threshold: float = Field(
        5.0, ge=0, description="Score below which a qualified relationship lapses (≤ threshold)"
    )
    require_reciprocity: bool = Field(
        True, description="Qualify only two-way relationships (inbound and outbound conversation)"
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.lapse_threshold > self.threshold:
            raise ValueError("lapse_threshold must not exceed threshold")
        if any(w < 0 for w in self.weights.values()):
            raise ValueError("weights must be non-negative")
        if any(f < 0 for f in self.direction_factors.values()):
            raise ValueError("direction factors must be non-negative")
        return self

    def weight(self, kind: InteractionType, direction: Direction) -> float:
        """The points one interaction of this type and direction adds before decay."""
        return self.weights.get(kind, 0.0) * self.direction_factors.get(direction, 1.0)
