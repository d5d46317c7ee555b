"""Korea Standard Time, the offset Toss writes every timestamp in."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Final

KST: Final = timezone(timedelta(hours=9), "KST")


def isoformat_kst(moment: datetime) -> str:
    """`yyyy-MM-dd'T'HH:mm:ss+09:00`, Toss's format for requestedAt and approvedAt."""
    return moment.astimezone(KST).replace(microsecond=0).isoformat()


def local_kst(moment: datetime) -> str:
    """`yyyy-MM-dd'T'HH:mm:ss` in KST with no offset: a virtual account's dueDate."""
    return moment.astimezone(KST).strftime("%Y-%m-%dT%H:%M:%S")


def event_time_kst(moment: datetime) -> str:
    """`yyyy-MM-dd'T'HH:mm:ss.SSSSSS` in KST with no offset: a payment webhook's createdAt
    (toss-api.md §8.3, real sample `2023-07-20T16:35:47.729718`)."""
    return moment.astimezone(KST).strftime("%Y-%m-%dT%H:%M:%S.%f")
