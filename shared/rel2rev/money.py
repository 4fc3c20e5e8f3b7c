"""Money: `Decimal` amounts in an ISO 4217 currency, and exact largest-remainder allocation."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from typing import Annotated, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

# Minor-unit exponents of the ISO 4217 currencies that do not use two decimals.
_EXPONENTS: dict[str, int] = {
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0,
    "PYG": 0, "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0,
    "XPF": 0, "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
    "CLF": 4, "UYW": 4,
}  # fmt: skip
# Active ISO 4217 codes (2-decimal unless listed above).
_ISO_4217 = frozenset(
    """AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN
    BWP BYN BZD CAD CDF CHF CLF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD
    FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES
    KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR
    MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB
    RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD
    TWD TZS UAH UGX USD UYI UYU UYW UZS VED VES VND VUV WST XAF XCD XOF XPF YER ZAR
    ZMW ZWG""".split()  # noqa: SIM905
)

CurrencyCode = Annotated[str, Field(pattern=r"^[A-Z]{3}$", examples=["EUR", "USD"])]


def minor_exponent(currency: str) -> int:
    """Number of decimals of the currency's minor unit (2 for EUR, 0 for JPY, 3 for KWD)."""
    return _EXPONENTS.get(currency, 2)


def is_known_currency(currency: str) -> bool:
    """True for an active ISO 4217 code."""
    return currency in _ISO_4217


def quantum(currency: str) -> Decimal:
    """The currency's minor unit as a Decimal (Decimal('0.01') for EUR)."""
    return Decimal(1).scaleb(-minor_exponent(currency))


class Money(BaseModel):
    """An amount in a currency, held exactly at the currency's minor-unit precision.

    An amount with digits finer than the minor unit (EUR 10.005, JPY 3.5) is rejected, never
    rounded silently; trailing zeros are fine (EUR 10.500 is EUR 10.50).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    amount: Decimal
    currency: CurrencyCode

    @field_validator("currency", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("currency")
    @classmethod
    def _known(cls, value: str) -> str:
        if not is_known_currency(value):
            raise ValueError(f"unknown ISO 4217 currency {value!r}")
        return value

    @field_validator("amount")
    @classmethod
    def _finite(cls, value: Decimal) -> Decimal:
        if not value.is_finite():
            raise ValueError("amount must be a finite decimal")
        return value

    @model_validator(mode="after")
    def _exact(self) -> Self:
        try:
            exact = self.amount.quantize(quantum(self.currency), rounding=ROUND_HALF_EVEN)
        except ArithmeticError:
            raise ValueError(f"amount {self.amount} has too many digits") from None
        if exact != self.amount:
            raise ValueError(
                f"amount {self.amount} is finer than the {self.currency} minor unit "
                f"({quantum(self.currency)}); send it rounded"
            )
        object.__setattr__(self, "amount", exact)
        return self

    @classmethod
    def of(cls, amount: Decimal | int | str, currency: str) -> Money:
        """Build from a Decimal, int or decimal string (never a float)."""
        if isinstance(amount, float):
            raise TypeError("money is never built from a float")
        return cls(amount=Decimal(amount), currency=currency)

    @classmethod
    def rounded(cls, amount: Decimal, currency: str) -> Money:
        """A derived figure (a mean, a ratio) rounded half-even to the minor unit.

        Input amounts are never rounded: `Money(...)` rejects digits finer than the minor unit.
        """
        return cls(
            amount=amount.quantize(quantum(currency), rounding=ROUND_HALF_EVEN), currency=currency
        )

    @property
    def minor_units(self) -> int:
        """The amount as an integer count of minor units (cents for EUR)."""
        return int(self.amount.scaleb(minor_exponent(self.currency)))

    @classmethod
    def from_minor_units(cls, units: int, currency: str) -> Money:
        """Inverse of `minor_units`."""
        return cls(amount=Decimal(units).scaleb(-minor_exponent(currency)), currency=currency)

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


K = TypeVar("K", bound=Hashable)


def allocate(total: Money, weights: Mapping[K, Fraction | Decimal | int | float]) -> dict[K, Money]:
    """Split `total` over `weights` so the parts sum to `total` exactly (largest remainder).

    Each key gets the floor of its exact share in minor units; the units left over go one each
    to the largest remainders, ties broken by the mapping's order, so the result is
    deterministic. Zero or negative weights get nothing; all-zero weights split evenly.
    """
    if not weights:
        raise ValueError("cannot allocate over no keys")
    exact = {k: Fraction(w) for k, w in weights.items()}
    if any(w < 0 for w in exact.values()):
        raise ValueError("allocation weights must be non-negative")
    weight_sum = sum(exact.values(), Fraction(0))
    if weight_sum == 0:
        exact = {k: Fraction(1) for k in exact}
        weight_sum = Fraction(len(exact))
    units = total.minor_units
    sign = -1 if units < 0 else 1
    units = abs(units)
    shares = {k: units * w / weight_sum for k, w in exact.items()}
    floors = {k: s.numerator // s.denominator for k, s in shares.items()}
    left = units - sum(floors.values())
    order = sorted(shares, key=lambda k: shares[k] - floors[k], reverse=True)  # stable sort
    for k in order[:left]:
        floors[k] += 1
    return {k: Money.from_minor_units(sign * v, total.currency) for k, v in floors.items()}
