"""The codebook's theme keys that questions may be tagged with, and their plain-English names."""

from __future__ import annotations

THEMES: dict[str, str] = {
    "thresholds_referrals": "Thresholds and referrals",
    "escalation_challenge": "Escalation and professional challenge",
    "supervision_support": "Supervision and support",
    "voice_of_child": "Voice of the child",
    "multi_agency_working": "Multi-agency working",
    "information_sharing": "Information sharing",
    "training_delivery": "Training delivery",
    "confidence_application": "Confidence and applying learning",
    "workload_capacity": "Workload and capacity",
    "policies_procedures": "Policies and procedures",
    "professional_curiosity": "Professional curiosity",
    "emotional_wellbeing": "Emotional wellbeing",
    "neglect": "Neglect",
    "domestic_abuse": "Domestic abuse",
    "child_exploitation": "Child exploitation",
    "online_safety": "Online safety",
    "recording": "Recording",
    "assessment_planning": "Assessment and planning",
    "training_access": "Access to training",
    "child_sexual_abuse": "Child sexual abuse",
}
