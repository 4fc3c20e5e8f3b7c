"""rel2rev: follow a business relationship from its first interaction to booked revenue."""

__version__ = "0.1.0"
