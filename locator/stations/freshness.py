"""How current a station's record is: the day it was last verified, and whether that is stale.

A record is *stale* when it was never verified, or last verified before the cut-off day
(today in Lanzhou minus ``VERIFIED_STALE_DAYS`` in the web app). Pages mark stale records;
the editors' queue sorts and filters by the verified day.
"""

from __future__ import annotations

from datetime import date, timedelta

__all__ = ["cutoff", "is_stale"]


def cutoff(today: date, max_age_days: int) -> date:
    """The first day a verification still counts as current.

    Raises
    ------
    ValueError
        For a negative age.
    """
    if max_age_days < 0:
        raise ValueError(f"max_age_days must be >= 0, got {max_age_days!r}")
    return today - timedelta(days=max_age_days)


def is_stale(verified: date | None, first_current: date) -> bool:
    """True when never verified, or verified before ``first_current`` (see :func:`cutoff`)."""
    return verified is None or verified < first_current
