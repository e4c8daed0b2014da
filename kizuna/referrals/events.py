"""The referrals app's event types (part of the closed list of domain events)."""

from kizuna.core.events import EventPayload, event_type


@event_type("referral.attributed")
class ReferralAttributed(EventPayload):
    referral_id: str
    program_id: str
    referrer_id: str
    referee_id: str
    channel: str


@event_type("referral.converted")
class ReferralConverted(EventPayload):
    referral_id: str
    program_id: str
    referrer_id: str
    referee_id: str
    source_type: str
    source_id: str
    rewards: list[dict[str, object]]


@event_type("referral.rejected")
class ReferralRejected(EventPayload):
    referral_id: str
    program_id: str
    referrer_id: str
    referee_id: str
    reason: str
