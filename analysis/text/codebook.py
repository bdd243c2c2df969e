"""The theme codebook: plain, editable data the app can store and hand back, plus the seed."""

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

_KEY = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True, slots=True)
class Theme:
    """One code in the codebook.

    indicators are words or phrases specific enough that one mention codes the theme;
    weak_indicators only suggest it, so two are needed (or one beside a strong one).
    Both are written in base form: matching lemmatises text and indicators alike, so
    "referral" also finds "referrals" and "refer" finds "referring". priority is the
    partnership's business priority, 1 (highest) to 3.
    """

    key: str
    label: str
    description: str
    priority: int
    indicators: tuple[str, ...]
    weak_indicators: tuple[str, ...] = ()


#: Abbreviations practitioners use, with what they stand for. Matching recognises either form
#: wherever the other appears in an indicator, so "CP plan" meets "child protection plan".
ABBREVIATIONS: Mapping[str, str] = {
    "CAMHS": "child and adolescent mental health services",
    "CCE": "child criminal exploitation",
    "CIN": "child in need",
    "CLA": "child looked after",
    "CP": "child protection",
    "CSA": "child sexual abuse",
    "CSE": "child sexual exploitation",
    "DA": "domestic abuse",
    "DSL": "designated safeguarding lead",
    "DV": "domestic violence",
    "EBSA": "emotionally based school avoidance",
    "EHA": "early help assessment",
    "EHCP": "education health and care plan",
    "GCP2": "graded care profile",
    "HSB": "harmful sexual behaviour",
    "ICPC": "initial child protection conference",
    "IDVA": "independent domestic violence advisor",
    "IRO": "independent reviewing officer",
    "KCSIE": "keeping children safe in education",
    "LADO": "local authority designated officer",
    "MARAC": "multi-agency risk assessment conference",
    "MASH": "multi-agency safeguarding hub",
    "MHST": "mental health support team",
    "NFA": "no further action",
    "NRM": "national referral mechanism",
    "RCPC": "review child protection conference",
    "s17": "section 17",
    "s47": "section 47",
    "SoS": "signs of safety",
    "TAF": "team around the family",
}


def _theme(
    key: str, label: str, priority: int, description: str, strong: str, weak: str = ""
) -> Theme:
    """Build a seed theme from ';'-separated indicator lists (easier to read than tuples)."""

    def split(text: str) -> tuple[str, ...]:
        return tuple(part.strip() for part in text.split(";") if part.strip())

    return Theme(key, label, description, priority, split(strong), split(weak))


#: The seed codebook. Analysts edit their own copy in the app; this is where a new
#: partnership starts.
SEED_CODEBOOK: tuple[Theme, ...] = (
    _theme(
        "neglect",
        "Neglect",
        1,
        "Recognising and responding to neglect: basic needs, home conditions, cumulative "
        "harm, drift, the Graded Care Profile.",
        "neglect; neglectful; graded care profile; GCP2; neglect toolkit; neglect strategy; "
        "home conditions; basic needs; unmet needs; cumulative harm; poor hygiene; "
        "missed health appointment; head lice",
        "hygiene; dirty; hungry; unkempt; smelly; drift; missed appointment; dental; "
        "home visit; clothing",
    ),
    _theme(
        "child_exploitation",
        "Child exploitation",
        1,
        "Criminal and sexual exploitation outside the home: county lines, gangs, going "
        "missing, trafficking, contextual safeguarding.",
        "exploitation; exploit; child criminal exploitation; child sexual exploitation; "
        "county lines; criminal exploitation; sexual exploitation; contextual safeguarding; "
        "national referral mechanism; NRM; gang; trafficking; trafficked; cuckooing; "
        "missing episode; missing from home; return home interview; exploitation panel; "
        "extra-familial harm; knife crime",
        "groom; grooming; missing; drug; dealing; peer; youth offending; older boyfriend",
    ),
    _theme(
        "child_sexual_abuse",
        "Child sexual abuse",
        1,
        "Sexual abuse within and outside the family, harmful sexual behaviour, responding "
        "to disclosures of sexual abuse.",
        "sexual abuse; sexually abused; child sexual abuse; harmful sexual behaviour; "
        "intra-familial; sexual assault; sexualised behaviour; CSA centre; "
        "brook traffic light",
        "disclose; disclosure; groom; grooming; sexual; inappropriate touching",
    ),
    _theme(
        "domestic_abuse",
        "Domestic abuse",
        1,
        "Domestic abuse and its impact on children: coercive control, MARAC, DASH, IDVAs, "
        "Operation Encompass.",
        "domestic abuse; domestic violence; multi-agency risk assessment conference; DASH; "
        "IDVA; coercive control; controlling behaviour; Operation Encompass; refuge; "
        "perpetrator; honour based abuse; domestic abuse act",
        "violence; victim; controlling; abusive relationship; police call-out; incident",
    ),
    _theme(
        "emotional_wellbeing",
        "Emotional wellbeing and mental health",
        2,
        "Emotional wellbeing and mental health of children, young people, parents and the "
        "workforce: anxiety, self-harm, CAMHS, trauma, morale.",
        "mental health; child and adolescent mental health services; mental health support "
        "team; self-harm; self harm; suicide; suicidal; anxiety; emotional wellbeing; "
        "wellbeing; low mood; depression; counsellor; counselling; school refusal; "
        "emotionally based school avoidance; eating disorder; trauma; trauma informed; "
        "pastoral",
        "anxious; stress; stressed; morale; distressing; upset; emotional; crisis; "
        "off sick; resilience",
    ),
    _theme(
        "thresholds_referrals",
        "Thresholds and referrals",
        1,
        "Levels of need and the front door: making and receiving referrals, MASH decisions, "
        "early help, feedback on outcomes.",
        "threshold; referral; refer; multi-agency safeguarding hub; front door; early help; "
        "early help assessment; level of need; continuum of need; child in need; section 17; "
        "referral form; consultation line; step down; step up; bounced back; "
        "no further action; signpost; section 47; significant harm",
        "social care; contact; consultation; decision; outcome; duty team",
    ),
    _theme(
        "escalation_challenge",
        "Escalation and professional challenge",
        2,
        "Using the escalation procedure and challenging other professionals' decisions.",
        "escalation; escalate; professional challenge; challenge decision; escalation policy; "
        "resolving professional differences; professional disagreement; disagree; "
        "disagreement",
        "challenge; question decision; dismissed; senior manager",
    ),
    _theme(
        "information_sharing",
        "Information sharing",
        1,
        "Sharing information between agencies: consent, GDPR, confidentiality, timeliness, "
        "being told about incidents.",
        "information sharing; share information; sharing information; information sharing "
        "agreement; consent; GDPR; data protection; confidentiality; seven golden rules; "
        "share concern; share intelligence; notification; notified; kept informed",
        "share; information; tell; told; inform; feedback; intelligence; last to know",
    ),
    _theme(
        "multi_agency_working",
        "Multi-agency working",
        2,
        "How agencies work together: relationships, joint work, strategy meetings, core "
        "groups, conferences, silos.",
        "multi-agency; multi agency working; partnership working; joint working; joint work; "
        "partner agency; other agency; across agencies; strategy meeting; strategy "
        "discussion; core group; team around the family; professionals meeting; silo; "
        "initial child protection conference; review child protection conference; "
        "child protection conference; working relationship",
        "agency; police; health; school; housing; GP; health visitor; social worker; "
        "school nurse; relationship; joint; partner; youth offending; IDVA; probation; "
        "independent reviewing officer",
    ),
    _theme(
        "voice_of_child",
        "Voice of the child",
        1,
        "Hearing and recording what children say and what life is like for them.",
        "voice of the child; child voice; lived experience; wishes and feelings; "
        "three houses; day in the life; child view; views of the child; seen alone; "
        "speak to the child; what the child says; direct work; child perspective; "
        "pupil voice",
        "voice; views; listen; listening; wishes; feelings; own words; on their own",
    ),
    _theme(
        "professional_curiosity",
        "Professional curiosity",
        2,
        "Not taking things at face value: asking the next question, disguised compliance, "
        "respectful uncertainty.",
        "professional curiosity; professionally curious; curious; curiosity; "
        "disguised compliance; face value; respectful uncertainty; think the unthinkable; "
        "ask the difficult question",
        "question; explanation; accept; checking; ask; signs; missing signs; look beyond",
    ),
    _theme(
        "supervision_support",
        "Supervision and support",
        2,
        "Safeguarding supervision, management oversight, reflective practice and support "
        "after difficult cases.",
        "supervision; supervisor; reflective practice; reflective supervision; debrief; "
        "peer support; manager support; safeguarding supervision; clinical supervision; "
        "management oversight; unsupported",
        "manager; support; supported; isolated; reflect; line manager; team leader; "
        "go to for support",
    ),
    _theme(
        "workload_capacity",
        "Workload and capacity",
        1,
        "Caseloads, staffing, vacancies, time and pressure on services.",
        "caseload; workload; capacity; staff shortage; staffing; understaffed; short staffed; "
        "vacancy; agency worker; agency social worker; agency staff; turnover; no time; "
        "not enough time; time pressure; burnout; overtime; recruitment; retention; "
        "waiting list; backlog; firefighting; unmanageable",
        "time; busy; pressure; stretched; overwhelmed; hours; cover; covering; sickness; "
        "evening; two roles",
    ),
    _theme(
        "policies_procedures",
        "Policies and procedures",
        2,
        "Local and statutory policies, procedures and guidance: finding, understanding and "
        "keeping them current.",
        "policy; procedure; working together; keeping children safe in education; "
        "guidance; protocol; flowchart; procedures manual; local procedures; "
        "safeguarding policy; child protection policy; statutory guidance; "
        "escalation policy",
        "guideline; process; intranet; website; form; updated",
    ),
    _theme(
        "assessment_planning",
        "Assessment and planning",
        2,
        "Quality of assessments and plans: analysis, SMART outcomes, Signs of Safety, "
        "child protection and child in need plans.",
        "assessment; assess; child protection plan; child in need plan; care plan; "
        "safety plan; SMART; signs of safety; single assessment; risk assessment; "
        "care planning; analysis of risk",
        "plan; planning; outcome; timescale; analysis; review; goal; action; mapping",
    ),
    _theme(
        "recording",
        "Recording",
        2,
        "Case recording and records: case notes, chronologies, systems, quality of what "
        "is written.",
        "recording; record; case note; case recording; chronology; write up; CPOMS; "
        "MyConcern; recording system; case file; documentation; record keeping; "
        "recording template",
        "file; system; note; write; template; written; logged",
    ),
    _theme(
        "online_safety",
        "Online safety",
        2,
        "Harm and safety online: social media, gaming, image sharing, filtering and "
        "monitoring, phones.",
        "online; internet; social media; online safety; e-safety; app; gaming; Snapchat; "
        "TikTok; Instagram; WhatsApp; nude; sexting; image sharing; filtering and "
        "monitoring; mobile phone; screen time; cyberbullying; CEOP; harmful content; "
        "platform",
        "phone; device; image; video; messages",
    ),
    _theme(
        "training_delivery",
        "Training delivery",
        3,
        "How training was delivered: trainer, content, pace, methods, materials, venue and "
        "online platform.",
        "trainer; presenter; facilitator; presentation; slide; course content; case study; "
        "breakout; MS Teams; Teams link; Zoom; venue; course; workshop; group work; role play; "
        "handout; webinar; well paced; delegates",
        "session; content; delivery; delivered; training; exercise; discussion; activity; "
        "material; resource; speaker; input; pace; video; film; room; scenario; face to face",
    ),
    _theme(
        "training_access",
        "Access to training",
        3,
        "Getting onto training: booking, places, release from work, dates, cost, "
        "e-learning access, refreshers, gaps in the offer.",
        "booking; book; place on the course; release; released; training offer; refresher; "
        "mandatory training; training matrix; e-learning; elearning; certificate; "
        "advertised; course dates; level 3; more training; would like training; "
        "get a place",
        "attend; place; date; offer; access; cost; evening; travel; completed training; would like",
    ),
    _theme(
        "confidence_application",
        "Confidence and applying learning",
        2,
        "Practitioners' confidence and how learning is used in practice afterwards "
        "(Kirkpatrick level 3).",
        "confident; confidence; put into practice; in practice; apply; use the tool; "
        "since the course; since the training; changed my practice; cascade; equip; "
        "feel able; know what to do; more aware; better understanding; embed; "
        "impact on practice; not had the chance; used it",
        "now; use; used; practice; feel; able; understand; remember; since; learning",
    ),
)


def theme_to_dict(theme: Theme) -> dict[str, Any]:
    """A JSON-ready dict of one theme (tuples become lists)."""
    data = asdict(theme)
    data["indicators"] = list(theme.indicators)
    data["weak_indicators"] = list(theme.weak_indicators)
    return data


def theme_from_dict(data: Mapping[str, Any], where: str = "theme") -> Theme:
    """Build a Theme from stored data, saying where and what is wrong if it is invalid."""
    missing = [f for f in ("key", "label", "priority", "indicators") if f not in data]
    if missing:
        raise ValueError(f"{where}: missing {', '.join(missing)}")
    key = str(data["key"])
    if not _KEY.match(key):
        raise ValueError(f"{where}: key {key!r} must be lower-case letters, digits and _")
    priority = data["priority"]
    if not isinstance(priority, int) or isinstance(priority, bool) or not 1 <= priority <= 3:
        raise ValueError(f"{where} ({key}): priority must be 1, 2 or 3, not {priority!r}")

    def phrases(field: str) -> tuple[str, ...]:
        value = data.get(field, ())
        if isinstance(value, str) or not isinstance(value, Iterable):
            raise ValueError(f"{where} ({key}): {field} must be a list of phrases")
        cleaned = tuple(str(p).strip() for p in value if str(p).strip())
        return cleaned

    indicators = phrases("indicators")
    weak = phrases("weak_indicators")
    if not indicators and not weak:
        raise ValueError(f"{where} ({key}): needs at least one indicator")
    return Theme(
        key=key,
        label=str(data["label"]),
        description=str(data.get("description", "")),
        priority=priority,
        indicators=indicators,
        weak_indicators=weak,
    )


def codebook_to_dicts(codebook: Sequence[Theme]) -> list[dict[str, Any]]:
    """The codebook as a list of JSON-ready dicts."""
    return [theme_to_dict(t) for t in codebook]


def codebook_from_dicts(rows: Sequence[Mapping[str, Any]]) -> tuple[Theme, ...]:
    """Rebuild a codebook from stored dicts; keys must be unique."""
    themes = tuple(theme_from_dict(row, where=f"theme {i + 1}") for i, row in enumerate(rows))
    seen: set[str] = set()
    for i, theme in enumerate(themes):
        if theme.key in seen:
            raise ValueError(f"theme {i + 1}: key {theme.key!r} is used twice")
        seen.add(theme.key)
    return themes
