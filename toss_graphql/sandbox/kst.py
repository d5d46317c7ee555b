"""Korea Standard Time, the offset Toss writes every timestamp in."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Final

KST: Final = timezone(timedelta(hours=9), "KST")


def isoformat_kst(moment: datetime) -> str:
    """`yyyy-MM-dd'T'HH:mm:ss+09:00`, Toss's format for requestedAt and approvedAt."""
    return moment.astimezone(KST).replace(microsecond=0).isoformat()
