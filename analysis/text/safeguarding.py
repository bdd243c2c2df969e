"""Spotting words from a child or parent that suggest they may be at risk, so the person
recording is told at once to follow their agency's safeguarding procedures.

This is a prompt, not an assessment: it leans towards asking the question. A cue is ignored
only when the words around it plainly deny it ("nobody hurts me", "I am not scared"); cues that
carry their own negation ("I don't feel safe", "I don't want to go home") always count.
"""

import re
from dataclasses import dataclass

CATEGORY_LABELS = {
    "physical_harm": "being hurt or hit",
    "sexual_harm": "being touched or sexual harm",
    "fear": "feeling scared or unsafe",
    "home": "not wanting to go home",
    "self_harm": "self-harm or suicidal thoughts",
    "neglect": "being left without food or care",
    "exploitation": "being exploited by others",
    "online_harm": "being asked for pictures online",
    "secrets": "being told to keep secrets",
    "confinement": "being locked in or shut out",
}

_PEOPLE = (
    r"(?:he|she|they|dad|daddy|mum|mummy|mam|mom|stepdad|step dad|stepmum|step mum|"
    r"grandad|nan|uncle|auntie|aunt|brother|sister|boyfriend|girlfriend|partner|"
    r"someone|somebody|a man|a woman|the man|the lady|my \w+|mum'?s \w+|dad'?s \w+)"
)
_VICTIMS = r"(?:me|us|my (?:mum|mam|mom|dad|sister|brother|baby|nan)|her|him|them)"

#: category -> patterns; "inherent" patterns contain their own negation and are never cancelled.
_CUES: list[tuple[str, str, bool]] = [
    (
        "physical_harm",
        rf"\b(?:hits?|hitting|hurts?|hurting|punch(?:es|ed|ing)?|kick(?:s|ed|ing)?|"
        rf"slap(?:s|ped|ping)?|smack(?:s|ed|ing)?|beat(?:s|en|ing)?|chok(?:es|ed|ing)|"
        rf"strangl(?:es|ed|ing)|burn(?:s|t|ed)?|pinch(?:es|ed)?|grab(?:s|bed|bing)?|"
        rf"push(?:es|ed|ing)?|shov(?:es|ed|ing)|throttl(?:es|ed|ing)|"
        rf"throw(?:s|ing)? (?:things|stuff|plates|\w+) at) {_VICTIMS}\b"
        # "pushes me on the swing" is play.
        r"(?! on (?:the|my) (?:swings?|bike|scooter|roundabout)\b"
        r"| in (?:my|the|a) (?:pram|buggy|pushchair|wheelchair)\b)",
        False,
    ),
    (
        "physical_harm",
        rf"\b{_PEOPLE} (?:is |was |were |are |keeps |kept )?(?:hits|hit|hitting|hurts|hurt|"
        rf"hurting|punches|punched|punching|kicks|kicked|kicking|slaps|slapped|slapping|smacks|"
        rf"smacked|smacking|beats|beat|beating|chokes|choked|choking)\b"
        # "hit a six", "hit the ball": games, not harm.
        r"(?! (?:a|the) (?:ball|six|four|shot|target|jackpot|button|goal|shops|road|gym)\b"
        r"| it off\b)",
        False,
    ),
    (
        "physical_harm",
        r"\b(?:bruises?|black eye|belt|gets? hurt|got hurt|get beaten|"
        r"(?:being|been|gets?|got) (?:hit|beaten|kicked|punched|slapped|smacked|strangled|"
        r"choked|abused)|threat(?:en|ens|ened|ening) to (?:kill|hurt|hit|stab|beat))\b",
        False,
    ),
    (
        "sexual_harm",
        rf"\btouch(?:es|ed|ing)? (?:me|my (?:private|privates|bottom|bum|willy|"
        rf"front|body|chest|boobs|fanny|minnie)|{_VICTIMS} where)\b",
        False,
    ),
    (
        "sexual_harm",
        r"\b(?:private parts|privates|touched me|made me (?:touch|watch|take my)|"
        r"our secret|a secret game|in my bed at night|(?:comes?|came|gets?|got) in(?:to)? my bed|"
        r"sex)\b",
        False,
    ),
    (
        "fear",
        r"\b(?:scared|frightened|afraid|terrified|petrified|unsafe|not safe)\b"
        # Ordinary childhood fears are not a safeguarding cue.
        r"(?! of (?:the )?(?:spiders?|dogs?|dark|heights|bugs|insects|monsters?|ghosts?|"
        r"clowns?|thunder|storms?|dentist|injections?|needles?|films?|wasps?|bees?|snakes?)\b)",
        False,
    ),
    (
        "fear",
        r"\b(?:not|never|no longer) (?:always |really |very )?(?:feel |felt |am |is |be )?"
        r"safe\b",
        True,
    ),
    ("home", r"\b(?:not|never) (?:want|wanna|like) (?:to )?(?:go|going) home\b", True),
    ("home", r"\b(?:scared|afraid|frightened) (?:to go|of going) home\b", False),
    ("home", r"\b(?:run away|ran away|running away|sleep (?:at|in) the park)\b", False),
    (
        "self_harm",
        r"\b(?:self[- ]?harm\w*|cut(?:s|ting)? (?:myself|my arms?|my legs?)|"
        r"hurt(?:ing)? myself|kill myself|end my life|want(?:ed)? to die|wish i was dead|"
        r"wish i wasn'?t (?:here|alive)|suicid\w*|overdose\w*|take (?:all )?(?:the )?pills|"
        r"harm(?:ing)? myself|end(?:ing)? it all|better off dead|better off without me|"
        r"(?:been|keep|kept|started) cutting)\b(?! (?:out|up|paper|the|my hair)\b)",
        False,
    ),
    (
        "self_harm",
        r"\b(?:not|never) want to (?:be alive|live any ?more|wake up)\b",
        True,
    ),
    (
        "neglect",
        r"\b(?:no food|not any food|never any food|nothing to eat|always hungry|"
        r"hungry all the time|go to bed hungry|no dinner|"
        r"left (?:me |us )?(?:alone|on my own|on our own|by myself)|noone (?:picks me up|"
        r"looks after me)|nobody looks after me|(?:never anyone|noone|nobody) (?:is )?(?:at )?"
        r"home|not allowed (?:to eat|any food|food))\b",
        True,
    ),
    (
        "exploitation",
        r"\b(?:older (?:boys?|lads?|men|man|kids|girls?) (?:makes?|made|tells?|told|gives?|gave|"
        r"pays?|paid)|carry (?:drugs|packages|stuff|bags) for|county lines|owe (?:them|him|her) "
        r"money|go to other towns|a phone they gave me|(?:drop off|deliver|hold|hide) "
        r"(?:parcels|packages|drugs|bags)(?: for)?)\b",
        False,
    ),
    (
        "online_harm",
        r"\b(?:send|sent|sending) (?:them |him |her |it )?(?:pictures|pics|photos|"
        r"nudes|videos) of me\b|\basked (?:me )?(?:for|to send) (?:pictures|pics|photos|nudes)\b|"
        r"\bsomeone (?:online|on (?:snapchat|instagram|tiktok|a game))\b",
        False,
    ),
    (
        "secrets",
        r"\b(?:keep (?:a |it a |it |them )?secrets?|(?:not|never) (?:allowed )?to tell "
        r"(?:anyone|anybody|mum|my mum|dad|my dad|my teacher))\b",
        True,
    ),
    ("confinement", rf"\block(?:s|ed|ing)? {_VICTIMS} (?:in|out)\b", False),
]
_COMPILED = [(category, re.compile(pattern), inherent) for category, pattern, inherent in _CUES]

_NEGATORS = {"not", "never", "no", "nobody", "noone", "nothing", "none", "neither", "nor"}
_CONTRACTIONS = [
    (re.compile(r"\bwon't\b"), "will not"),
    (re.compile(r"\bcan't\b"), "can not"),
    (re.compile(r"\bain't\b"), "is not"),
    (re.compile(r"n't\b"), " not"),
    (re.compile(r"\bno one\b"), "noone"),
    (re.compile(r"\bi'm\b"), "i am"),
    (re.compile(r"\bdont\b"), "do not"),
    (re.compile(r"\bdoesnt\b"), "does not"),
    (re.compile(r"\bim\b"), "i am"),
]
# Clauses end at punctuation and at "but": "nobody listens but dad hits me" is two clauses.
_CLAUSES = re.compile(r"[.!?;:\n]+|,| but | because | and then ")
_WORD = re.compile(r"[a-z']+")


@dataclass(frozen=True)
class RiskSignal:
    """One cue found: its category, the words that matched and their label for people."""

    category: str
    phrase: str

    @property
    def label(self) -> str:
        return CATEGORY_LABELS[self.category]


def normalise(text: str) -> str:
    text = (text or "").lower().replace("’", "'").replace("‘", "'")
    for pattern, replacement in _CONTRACTIONS:
        text = pattern.sub(replacement, text)
    return text


def _denied(clause: str, start: int) -> bool:
    """Whether a negator stands in the few words before the cue, in the same clause."""
    before = _WORD.findall(clause[:start])[-3:]
    return any(word in _NEGATORS for word in before)


def risk_signals(text: str) -> list[RiskSignal]:
    """Every cue in the text suggesting the child or adult may be at risk, once per category."""
    found: dict[str, RiskSignal] = {}
    for clause in _CLAUSES.split(normalise(text)):
        clause = f" {clause.strip()} "
        for category, pattern, inherent in _COMPILED:
            if category in found:
                continue
            for match in pattern.finditer(clause):
                if inherent or not _denied(clause, match.start()):
                    found[category] = RiskSignal(category, match.group(0).strip())
                    break
    return list(found.values())


def needs_safeguarding_prompt(text: str) -> bool:
    """True when the person recording must be told to follow safeguarding procedures now."""
    return bool(risk_signals(text))
